import time

from django.core.management.base import BaseCommand, CommandError

from edu.courses.demo import seed_demo
from edu.courses.models import Course


class Command(BaseCommand):
    help = (
        "Fill the database with demo learners, cohorts, progress, attempts and responses "
        "(bulk inserts, repeatable with --seed). The course must be loaded first."
    )

    def add_arguments(self, parser):
        parser.add_argument("--learners", type=int, default=1000)
        parser.add_argument("--cohorts", type=int, default=10)
        parser.add_argument("--attempts-per-learner", type=int, default=1)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--course", default="klonopin")
        parser.add_argument("--quiz", default="final-assessment")
        parser.add_argument("--password", default="demo-password")

    def handle(self, *args, **options):
        if options["learners"] < 1 or options["cohorts"] < 0 or options["attempts_per_learner"] < 0:
            raise CommandError("--learners must be at least 1; counts cannot be negative")
        if not Course.objects.filter(slug=options["course"]).exists():
            raise CommandError(
                f"no course {options['course']!r}: run load_course content/klonopin first"
            )
        began = time.perf_counter()
        result = seed_demo(
            learners=options["learners"],
            cohorts=options["cohorts"],
            attempts_per_learner=options["attempts_per_learner"],
            seed=options["seed"],
            course_slug=options["course"],
            quiz_slug=options["quiz"],
            password=options["password"],
            log=self.stdout.write,
        )
        self.stdout.write(
            f"Seeded {result['learners']} learners and {result['responses']} responses "
            f"in {time.perf_counter() - began:.1f} s."
        )
