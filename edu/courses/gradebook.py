"""A cohort's gradebook: one row per learner, for the page and the CSV export.

Rows are read in batches (a fixed number of queries per batch), so the CSV of
a program of 100,000 learners streams without sitting in memory.
"""

import csv
from dataclasses import dataclass

from django.db.models import CharField, Count, IntegerField, Max, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Coalesce, Lower

from quizzes.models import Attempt, Quiz

from .models import Cohort, Lesson, LessonProgress

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


def _minute(moment):
    """A UTC moment as text, cut to "YYYY-MM-DD HH:MM" in Python: both databases
    give it in ISO order (PostgreSQL in the connection's UTC), so the texts compare
    as the moments do, and no datetime is parsed per row."""
    return Cast(moment, CharField())


def _members(cohort, first, last):
    """The cohort's learners with ids from first to last, as a subquery."""
    members = Cohort.learners.through.objects.filter(cohort_id=cohort.pk)
    return members.filter(user_id__gte=first, user_id__lte=last).values("user_id")


def _lesson_figures(cohort, first, last, course_lessons, published_lessons):
    """{user_id: (lessons completed, last lesson view as text)} for the cohort's
    learners with ids from first to last, in one query."""
    rows = (
        LessonProgress.objects.filter(
            user_id__in=_members(cohort, first, last),
            user_id__gte=first,
            user_id__lte=last,
            lesson_id__in=course_lessons,
        )
        .values("user_id")
        .annotate(
            done=Count("pk", filter=Q(completed_at__isnull=False, lesson_id__in=published_lessons)),
            last=_minute(Max("last_viewed_at")),
        )
        .values_list("user_id", "done", "last")
    )
    return {user_id: (done, last[:16] if last else "") for user_id, done, last in rows}


def _attempt_figures(cohort, first, last):
    """{user_id: {quiz_id: (best, passed, last submission as text)}} for the
    cohort's learners with ids from first to last, in one query."""
    rows = (
        Attempt.objects.filter(
            user_id__in=_members(cohort, first, last),
            user_id__gte=first,
            user_id__lte=last,
            quiz__course_id=cohort.course_id,
            state=Attempt.State.SUBMITTED,
        )
        .values("user_id", "quiz_id")
        .annotate(
            best=Max("score"),
            passes=Count("pk", filter=Q(passed=True)),
            last=_minute(Max("submitted_at")),
        )
        .values_list("user_id", "quiz_id", "best", "passes", "last")
    )
    figures = {}
    for user_id, quiz_id, best, passes, last in rows:
        figures.setdefault(user_id, {})[quiz_id] = (best, passes > 0, last[:16])
    return figures


def csv_lines(cohort, *, batch_size=2000):
    """The gradebook as CSV lines, UTF-8 with a byte-order mark for spreadsheets.

    Per batch of learners, three queries of plain tuples (learners, lesson
    figures, attempt figures); only the text cells (names, usernames, e-mail
    addresses, quiz titles) can start like a formula, so only they are escaped.
    """
    quizzes = course_quizzes(cohort)
    lessons = list(Lesson.objects.filter(course_id=cohort.course_id).values_list("pk", "published"))
    course_lessons = [pk for pk, _ in lessons]
    published = [pk for pk, shown in lessons if shown]
    total = len(published)
    writer = csv.writer(_Echo())
    header = ["username", "name", "email", f"lessons completed (of {total})"]
    for quiz in quizzes:
        header += [f"{quiz.title}: best %", f"{quiz.title}: passed"]
    header += ["course complete", "last activity (UTC)"]
    yield "\ufeff" + writer.writerow([spreadsheet_safe(h) for h in header])
    quiz_ids = [quiz.pk for quiz in quizzes]
    learners_by_pk = cohort.learners.order_by("pk").values_list(
        "pk", "username", "full_name", "email"
    )
    no_lessons, no_attempts, last = (0, ""), {}, None
    while True:
        page = learners_by_pk if last is None else learners_by_pk.filter(pk__gt=last)
        batch = list(page[:batch_size])
        if not batch:
            return
        last = batch[-1][0]
        lesson_figures = _lesson_figures(cohort, batch[0][0], last, course_lessons, published)
        attempt_figures = _attempt_figures(cohort, batch[0][0], last)
        for pk, username, full_name, email in batch:
            done, activity = lesson_figures.get(pk, no_lessons)
            results = attempt_figures.get(pk, no_attempts)
            cells = [
                spreadsheet_safe(username),
                spreadsheet_safe(full_name),
                spreadsheet_safe(email),
                done,
            ]
            complete = done >= total
            for quiz_id in quiz_ids:
                result = results.get(quiz_id)
                if result is None:
                    cells += ["", "no"]
                    complete = False
                else:
                    cells += [f"{result[0]:.2f}", "yes" if result[1] else "no"]
                    complete = complete and result[1]
            for _, _, submitted in results.values():
                activity = max(activity, submitted)
            cells += ["yes" if complete else "no", activity]
            yield writer.writerow(cells)
