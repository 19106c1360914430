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
from django.template.defaultfilters import pluralize

from edu.courses.models import Cohort
from edu.courses.selectors import cohort_learner_ids
from quizzes.models import Quiz
from quizzes.statistics import update_tallies


class Command(BaseCommand):
    help = "Bring the item-analysis tallies of every cohort (or of --cohort ID) up to date."

    def add_arguments(self, parser):
        parser.add_argument("--cohort", type=int, action="append", dest="cohorts",
                            metavar="ID", help="only this cohort; repeat for several")
        parser.add_argument("--quiz", type=int, action="append", dest="quizzes",
                            metavar="ID", help="only this quiz; repeat for several")

    def handle(self, *args, cohorts=None, quizzes=None, **options):
        chosen = Cohort.objects.order_by("pk")
        if cohorts:
            chosen = chosen.filter(pk__in=cohorts)
            missing = sorted(set(cohorts) - set(chosen.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"No cohort with id {', '.join(map(str, missing))}.")
        all_quizzes = Quiz.objects.order_by("pk")
        if quizzes:
            all_quizzes = all_quizzes.filter(pk__in=quizzes)
            missing = sorted(set(quizzes) - set(all_quizzes.values_list("pk", flat=True)))
            if missing:
                raise CommandError(f"No quiz with id {', '.join(map(str, missing))}.")
        by_course = {}
        for quiz in all_quizzes:
            by_course.setdefault(quiz.course_id, []).append(quiz)
        changed, failed = 0, []
        for cohort in chosen:
            for quiz in by_course.get(cohort.course_id, []):
                began = time.perf_counter()
                try:  # each report in a transaction of its own: one failure stops no other
                    left, added = update_tallies(
                        quiz=quiz, cohort_id=cohort.pk, user_ids=cohort_learner_ids(cohort)
                    )
                except Exception as exc:  # noqa: BLE001 (reported, and the exit status says so)
                    failed.append(f"{cohort} / {quiz.title}")
                    self.stderr.write(f"{cohort} / {quiz.title}: failed: {exc!r}")
                    continue
                if left or added:
                    changed += 1
                    self.stdout.write(
                        f"{cohort} / {quiz.title}: {added} attempts counted, {left} taken "
                        f"out, in {time.perf_counter() - began:.1f} s"
                    )
        self.stdout.write(
            f"{changed} report{pluralize(changed)} brought up to date; the others had nothing new."
        )
        if failed:
            raise CommandError(
                f"{len(failed)} report{pluralize(len(failed))} failed: {'; '.join(failed)}."
            )
