from django.core.management.base import BaseCommand, CommandError

from edu.courses.importers import ImportFailed, import_article


class Command(BaseCommand):
    help = "Create or update a course and its lessons from a plain-text article."

    def add_arguments(self, parser):
        parser.add_argument("path", help="the article file (UTF-8 text)")
        parser.add_argument("--slug", help="the course slug (default: from the title)")

    def handle(self, *args, path, slug, **options):
        try:
            report = import_article(path, slug=slug)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None
        for line in report.lines():
            self.stdout.write(line)
