from pathlib import Path

from django.core.management.base import BaseCommand

from quizzes.importers import export_gift

from .import_gift import find_quiz


class Command(BaseCommand):
    help = "Export a quiz's questions as GIFT (to standard output, or -o FILE)."

    def add_arguments(self, parser):
        parser.add_argument("--quiz", required=True, help="the quiz slug")
        parser.add_argument("--course", help="the course slug, if several courses share it")
        parser.add_argument("-o", "--output", help="write to this file")

    def handle(self, *args, quiz, course, output, **options):
        text = export_gift(find_quiz(quiz, course))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stdout.write(f"Wrote {output}.")
        else:
            self.stdout.write(text, ending="")
