"""A cohort's gradebook: one row per learner, for the page and the CSV export.

Rows are read in batches (a fixed number of queries per batch), so the CSV of
a program of 100,000 learners streams without sitting in memory.
"""

import csv
from dataclasses import dataclass

from django.db.models import Count, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower

from quizzes.models import Attempt, Quiz

from .models import Lesson, LessonProgress

SORTS = {
    "name": (Lower("full_name"), Lower("username")),
    "-name": (Lower("full_name").desc(), Lower("username").desc()),
    "progress": ("lessons_done", Lower("username")),
    "-progress": ("-lessons_done", Lower("username")),
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """Neutralise a cell a spreadsheet would run as a formula (OWASP's advice)."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


@dataclass
class QuizResult:
    best: object
    passed: bool
    attempts: int


def _count(queryset):
    counts = queryset.order_by().values("user").annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counts[:1]), 0, output_field=IntegerField())


def learners(cohort, sort="name"):
    """The cohort's learners with lessons completed and last activity, sorted."""
    done = LessonProgress.objects.filter(
        user=OuterRef("pk"),
        lesson__course_id=cohort.course_id,
        lesson__published=True,
        completed_at__isnull=False,
    )
    viewed = LessonProgress.objects.filter(
        user=OuterRef("pk"), lesson__course_id=cohort.course_id
    ).order_by("-last_viewed_at")
    submitted = Attempt.objects.filter(
        user=OuterRef("pk"), quiz__course_id=cohort.course_id, submitted_at__isnull=False
    ).order_by("-submitted_at")
    last_view = Subquery(viewed.values("last_viewed_at")[:1])
    last_submit = Subquery(submitted.values("submitted_at")[:1])
    return (
        cohort.learners.all()
        .annotate(
            lessons_done=_count(done),
            last_view=last_view,
            last_submit=last_submit,
        )
        .order_by(*SORTS.get(sort, SORTS["name"]))
    )


def course_quizzes(cohort):
    return list(Quiz.objects.published().filter(course_id=cohort.course_id))


def lesson_total(cohort):
    return Lesson.objects.published().filter(course_id=cohort.course_id).count()


def quiz_results(user_ids, quizzes):
    """{(user_id, quiz_id): QuizResult} for these learners, in one query."""
    rows = (
        Attempt.objects.filter(
            user_id__in=user_ids, quiz__in=quizzes, state=Attempt.State.SUBMITTED
        )
        .values("user_id", "quiz_id")
        .annotate(
            best=Max("score"),
            passes=Count("pk", filter=Q(passed=True)),
            attempts=Count("pk"),
        )
    )
    return {
        (r["user_id"], r["quiz_id"]): QuizResult(r["best"], r["passes"] > 0, r["attempts"])
        for r in rows
    }


@dataclass
class Row:
    learner: object
    lessons_done: int
    results: list  # QuizResult or None, in quiz order
    complete: bool
    last_activity: object


def rows_for(learners_page, quizzes, total_lessons):
    learners_page = list(learners_page)
    results = quiz_results([u.pk for u in learners_page], quizzes)
    rows = []
    for user in learners_page:
        per_quiz = [results.get((user.pk, q.pk)) for q in quizzes]
        complete = user.lessons_done >= total_lessons and all(r and r.passed for r in per_quiz)
        activity = [t for t in (user.last_view, user.last_submit) if t]
        rows.append(
            Row(user, user.lessons_done, per_quiz, complete, max(activity) if activity else None)
        )
    return rows


class _Echo:
    """A file-like object whose write returns the line: csv.writer without a buffer."""

    def write(self, value):
        return value


def csv_lines(cohort, *, batch_size=2000):
    """The gradebook as CSV lines, UTF-8 with a byte-order mark for spreadsheets."""
    quizzes = course_quizzes(cohort)
    total = lesson_total(cohort)
    writer = csv.writer(_Echo())
    header = ["username", "name", "email", f"lessons completed (of {total})"]
    for quiz in quizzes:
        header += [f"{quiz.title}: best %", f"{quiz.title}: passed"]
    header += ["course complete", "last activity (UTC)"]
    yield "\ufeff" + writer.writerow([spreadsheet_safe(h) for h in header])
    queryset = learners(cohort, "name")
    last = None
    while True:
        page = queryset.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(page[:batch_size])
        if not batch:
            return
        last = batch[-1].pk
        for row in rows_for(batch, quizzes, total):
            cells = [row.learner.username, row.learner.full_name, row.learner.email,
                     row.lessons_done]
            for result in row.results:
                cells += (
                    [f"{result.best:.2f}", "yes" if result.passed else "no"]
                    if result else ["", "no"]
                )
            cells += [
                "yes" if row.complete else "no",
                row.last_activity.strftime("%Y-%m-%d %H:%M") if row.last_activity else "",
            ]
            yield writer.writerow([spreadsheet_safe(c) for c in cells])


