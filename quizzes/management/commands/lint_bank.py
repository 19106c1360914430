import sys

from django.core.management.base import BaseCommand

from quizzes import lint
from quizzes.importers import GiftImportFailed, read_gift


def plural(count, word):
    return f"{count} {word}{'' if count == 1 else 's'}"


class Command(BaseCommand):
    help = ("Check GIFT question banks for item-writing flaws (no database). Exits 1 on "
            "an error, or with --strict on a warning.")
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="+", metavar="FILE")
        parser.add_argument("--strict", action="store_true", help="fail on warnings too")
        parser.add_argument("--summary", action="store_true",
                            help="also print items per category and level")
        parser.add_argument("--unshuffled", action="append", default=[], metavar="CATEGORY",
                            help="a category whose options are not shuffled (checks where "
                            "the keys sit); repeat for several")

    def handle(self, *args, files, strict, summary, unshuffled, **options):
        errors = warnings = 0
        questions = []
        for path in sorted(files):
            try:
                bank = read_gift(path)
            except GiftImportFailed as exc:
                self.stdout.write(str(exc))
                errors += 1
                continue
            questions += bank.questions
            for finding in lint.lint_questions(bank.questions, source=path,
                                               unshuffled_categories=unshuffled):
                self.stdout.write(str(finding))
                errors += finding.severity == "error"
                warnings += finding.severity == "warning"
        if summary:
            for line in lint.format_summary(lint.summary(questions)):
                self.stdout.write(line)
        self.stdout.write(f"lint_bank: {plural(errors, 'error')}, "
                          f"{plural(warnings, 'warning')} in {plural(len(files), 'file')}")
        if errors or (strict and warnings):
            sys.exit(1)
