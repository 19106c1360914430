"""Exports and statistics at program scale: the gradebook CSV and item analysis
run a fixed number of queries whatever the number of learners, and give the
same figures as the per-learner page and a response-by-response computation."""

import csv
import io
import statistics as stats

import pytest
from django.contrib.auth import get_user_model

from edu.courses import gradebook
from edu.courses.demo import seed_demo
from edu.courses.models import Cohort, LessonProgress
from quizzes import scoring
from quizzes.models import Attempt, Quiz, Response
from quizzes.statistics import item_statistics

from .factories import pass_quiz

# course quizzes, lessons, then per batch: learners, lesson figures, attempt
# figures; and the empty read that ends it.
CSV_QUERIES = 6
# the joint histogram, the option picks, the questions, one snapshot per item,
# the attempt count; on PostgreSQL also JIT off and back on around the first two.
ITEM_ANALYSIS_QUERIES = 7
# A cohort's report: the update (locks, the cohort and quiz still there,
# deleted attempts?, leavers, last batch, new attempts), then the tallies and
# the attempt count; in a savepoint here; PostgreSQL: nested loops off and back
# on around the new attempts.
TALLY_READ_QUERIES = 12
# The first report also scans: tallies, the two histograms, snapshots, tallies
# deleted and written again, batch 0 cleared, with a savepoint; PostgreSQL: JIT off.
TALLY_BUILD_QUERIES = 20


def seeded(learners, attempts=2):
    seed_demo(learners=learners, cohorts=2, attempts_per_learner=attempts, seed=3,
              log=lambda *_: None)
    return Cohort.objects.get(name="Whole program"), Quiz.objects.get(slug="final-assessment")


def csv_rows(cohort, **options):
    text = "".join(gradebook.csv_lines(cohort, **options))
    return list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


@pytest.mark.django_db
def test_seeded_attempts_store_points_and_topics(klonopin):
    seeded(6)
    attempts = Attempt.objects.prefetch_related("responses__question")
    assert len(attempts) == 12
    for attempt in attempts:
        responses = list(attempt.responses.all())
        assert attempt.points == sum((r.score for r in responses), scoring.ZERO)
        assert attempt.topics == scoring.topic_points(
            (r.question.tags, r.score, r.lesson_id) for r in responses
        )
        assert attempt.topics and "general" not in attempt.topics


@pytest.mark.django_db
@pytest.mark.parametrize("learners", [3, 30])
def test_csv_and_item_analysis_queries_are_flat(
    klonopin, django_assert_max_num_queries, learners
):
    program, quiz = seeded(learners)
    with django_assert_max_num_queries(CSV_QUERIES):
        rows = csv_rows(program)
    assert len(rows) == 1 + learners
    with django_assert_max_num_queries(ITEM_ANALYSIS_QUERIES):
        items, attempts = item_statistics(quiz, user_ids=program.learners.values("pk"))
    assert attempts == learners and items
    # The cohort's report: its tallies built, then read with nothing new.
    for ceiling in (TALLY_BUILD_QUERIES, TALLY_READ_QUERIES):
        with django_assert_max_num_queries(ceiling):
            tallied, attempts = item_statistics(
                quiz, cohort=program, user_ids=program.learners.values("pk")
            )
        assert attempts == learners and len(tallied) == len(items)


@pytest.mark.django_db
def test_csv_rows_match_the_gradebook_page(klonopin):
    program, _ = seeded(12, attempts=1)
    learners = list(get_user_model().objects.filter(username__startswith="learner"))
    # Text cells that a spreadsheet would run; a learner with nothing done;
    # an unpublished lesson done (not counted); a pass on a topic quiz.
    learners[0].full_name, learners[0].email = "=HYPERLINK(1)", "+x@example.edu"
    learners[0].save()
    Attempt.objects.filter(user=learners[1]).delete()
    LessonProgress.objects.filter(user=learners[1]).delete()
    hidden = klonopin.lessons.order_by("position").last()
    hidden.published = False
    hidden.save()
    pass_quiz(learners[2], Quiz.objects.get(slug="indications"))

    quizzes = gradebook.course_quizzes(program)
    total = gradebook.lesson_total(program)
    expected = {}
    for row in gradebook.rows_for(gradebook.learners(program), quizzes, total):
        user = row.learner
        cells = [gradebook.spreadsheet_safe(v) for v in (user.username, user.full_name,
                                                         user.email)]
        cells.append(str(row.lessons_done))
        for result in row.results:
            cells += [f"{result.best:.2f}", "yes" if result.passed else "no"] if result else [
                "", "no"]
        cells += ["yes" if row.complete else "no",
                  row.last_activity.strftime("%Y-%m-%d %H:%M") if row.last_activity else ""]
        expected[user.username] = cells

    rows = csv_rows(program, batch_size=5)  # several batches
    assert rows[0][3] == f"lessons completed (of {total})"
    assert {row[0]: row for row in rows[1:]} == expected
    assert [row[0] for row in rows[1:]] == sorted(expected)  # by id: the order they joined
    first = expected[learners[0].username]
    assert first[1:3] == ["'=HYPERLINK(1)", "'+x@example.edu"]
    assert expected[learners[1].username][3:5] == ["0", ""]
    assert expected[learners[1].username][-1] == ""
    column = rows[0].index(f"{Quiz.objects.get(slug='indications').title}: best %")
    assert {row[0]: row[column:column + 2] for row in rows[1:]}[learners[2].username] == [
        "100.00", "yes"]


def by_hand(quiz, user_ids):
    """Item figures response by response: rest = sum of the attempt's other scores."""
    attempts = Attempt.objects.filter(quiz=quiz, number=1, state="submitted",
                                      user_id__in=user_ids)
    responses = list(Response.objects.filter(attempt__in=attempts))
    totals = {}
    for r in responses:
        totals[r.attempt_id] = totals.get(r.attempt_id, 0) + float(r.score or 0)
    pairs = {}
    for r in responses:
        p = float(r.score or 0)
        pairs.setdefault(r.question_id, []).append((p, totals[r.attempt_id] - p))
    figures = {}
    for question_id, values in pairs.items():
        p, rest = [v[0] for v in values], [v[1] for v in values]
        n = len(values)
        cov = stats.covariance(p, rest) if n > 1 else None
        cov_max = stats.covariance(sorted(p), sorted(rest)) if n > 1 else None
        figures[question_id] = (
            n,
            100 * stats.fmean(p),
            100 * stats.stdev(p) if n > 1 else None,
            100 * stats.correlation(p, rest) if n > 1 and len(set(p)) > 1
            and len(set(rest)) > 1 else None,
            100 * cov / cov_max if cov_max and cov_max > 1e-12 else None,
        )
    return figures


@pytest.mark.django_db
def test_item_analysis_from_stored_points_matches_a_response_by_response_count(klonopin):
    program, quiz = seeded(40)
    ids = list(program.learners.values_list("pk", flat=True))
    expected = by_hand(quiz, ids)
    items, attempts = item_statistics(quiz, user_ids=ids)
    assert attempts == 40
    assert {item.question_id for item in items} == set(expected)
    for item in items:
        n, facility, sd, discrimination, efficiency = expected[item.question_id]
        assert item.n == n
        got = (item.facility, item.sd, item.discrimination, item.efficiency)
        for value, want in zip(got, (facility, sd, discrimination, efficiency), strict=True):
            assert (value is None) == (want is None), item.question_id
            if want is not None:
                assert value == pytest.approx(want, abs=1e-6), item.question_id
        assert sum(count for _, _, count, _ in item.options) >= n
    # The rest-of-test score comes from the stored points: change them and it moves.
    Attempt.objects.filter(quiz=quiz, number=1).update(points=0)
    moved, _ = item_statistics(quiz, user_ids=ids)
    assert [i.discrimination for i in moved] != [i.discrimination for i in items]
