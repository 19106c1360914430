from django.core.management.base import BaseCommand, CommandError

from edu.courses.importers import ImportFailed, load_course


class Command(BaseCommand):
    help = "Load a course folder (course.toml, the article, the question bank)."

    def add_arguments(self, parser):
        parser.add_argument("folder", help="e.g. content/klonopin")

    def handle(self, *args, folder, **options):
        try:
            lines = load_course(folder)
        except ImportFailed as exc:
            raise CommandError(str(exc)) from None
        for line in lines:
            self.stdout.write(line)
