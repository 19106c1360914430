"""Bring cohorts' item-analysis tallies up to date, outside any request.

A cohort's report brings its own tallies up to date when opened, which is
quick for what changed since the last open; the first open of a large
cohort's report counts every first-attempt response (seconds for a whole
program of 100,000 learners, and more than a worker's timeout on a slow day).
Run this after seeding or a bulk enrolment, and nightly from cron, so that
every report opens from its tallies.
"""

import time

from django.core.management.base import BaseCommand, CommandError

from edu.courses.models import Cohort
from quizzes.models import Quiz
from quizzes.statistics import update_tallies


class Command(BaseCommand):
    help = "Bring the item-analysis tallies of every cohort (or of --cohort ID) up to date."

    def add_arguments(self, parser):
        parser.add_argument("--cohort", type=int, action="append", dest="cohorts",
                            metavar="ID", help="only this cohort; repeat for several")

    def handle(self, *args, cohorts=None, **options):
        chosen = Cohort.objects.order_by("pk")
        if cohorts:
            chosen = chosen.filter(pk__in=cohorts)
            missing = sorted(set(cohorts) - set(chosen.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"No cohort with id {', '.join(map(str, missing))}.")
        quizzes = {}
        changed = 0
        for cohort in chosen:
            course_quizzes = quizzes.setdefault(
                cohort.course_id, list(Quiz.objects.filter(course_id=cohort.course_id))
            )
            for quiz in course_quizzes:
                began = time.perf_counter()
                left, added = update_tallies(
                    quiz=quiz, cohort_id=cohort.pk, user_ids=cohort.learners.values("pk")
                )
                if left or added:
                    changed += 1
                    self.stdout.write(
                        f"{cohort} / {quiz.title}: {added} attempts counted, {left} taken "
                        f"out, in {time.perf_counter() - began:.1f} s"
                    )
        self.stdout.write(
            f"{changed} report{'' if changed == 1 else 's'} brought up to date; "
            "the others had nothing new."
        )
