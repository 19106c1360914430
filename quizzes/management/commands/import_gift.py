from django.core.management.base import BaseCommand, CommandError

from quizzes.importers import GiftImportFailed, import_gift
from quizzes.models import Quiz


def find_quiz(slug, course):
    quizzes = Quiz.objects.filter(slug=slug)
    if course:
        quizzes = quizzes.filter(course__slug=course)
    found = list(quizzes[:2])
    if not found:
        raise CommandError(f"no quiz {slug!r}" + (f" in course {course!r}" if course else ""))
    if len(found) > 1:
        raise CommandError(f"several courses have a quiz {slug!r}; name one with --course")
    return found[0]


class Command(BaseCommand):
    help = "Import a GIFT question bank into a quiz (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--quiz", required=True, help="the quiz slug")
        parser.add_argument("--course", help="the course slug, if several courses share it")
        parser.add_argument(
            "--lint-warn-only",
            action="store_true",
            help="report item-writing errors (lint_bank) as warnings instead of refusing the "
            "file, e.g. for a bank written for Moodle without [lesson:] tags",
        )

    def handle(self, *args, file, quiz, course, lint_warn_only, **options):
        target = find_quiz(quiz, course)
        try:
            report = import_gift(file, quiz=target, lint_errors_stop=not lint_warn_only)
        except GiftImportFailed as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines(target.title):
            self.stdout.write(line)
