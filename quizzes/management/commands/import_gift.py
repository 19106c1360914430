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

    def handle(self, *args, file, quiz, course, **options):
        target = find_quiz(quiz, course)
        try:
            report = import_gift(file, quiz=target)
        except GiftImportFailed as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines(target.title):
            self.stdout.write(line)
