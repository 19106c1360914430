"""Item analysis against a data set computed by hand.

Six learners (L1 strongest ... L6 weakest), four single-answer items, first
attempts. Scores (B has a 50% partial-credit option, chosen by L4):

          A    B    C    D   total
    L1    1    1    0    1     3
    L2    1    1    0    1     3
    L3    1    1    0    1     3
    L4    1   .5    1    1   3.5
    L5    0    0    1    1     2
    L6    0    0    1    0     1

Item A by hand: p = 1,1,1,1,0,0; rest r = total - p = 2,2,2,2.5,2,1.
  Σp = 4, Σp² = 4, Σr = 11.5, Σr² = 23.25, Σpr = 8.5, n = 6
  F = 100·4/6 = 66.67
  var(p) = (4 − 16/6)/5 = 0.266667        SD = 100·√0.266667 = 51.64
  var(r) = (23.25 − 11.5²/6)/5 = 0.241667
  cov = (8.5 − 4·11.5/6)/5 = 0.166667
  D = 100·0.166667/√(0.266667·0.241667) = 65.65
  sorted p (0,0,1,1,1,1) with sorted r (1,2,2,2,2,2.5): Σ = 8.5, so cov_max = cov
  E = 100.00
The other items were worked the same way (and checked against Python's
statistics.correlation); C, which the weakest learners get right, discriminates
negatively.
"""

import io
import math

import pytest
from django.core.management import CommandError, call_command

from quizzes import services
from quizzes.models import Attempt, TalliedAttempt
from quizzes.statistics import (
    Sums,
    _max_cross,
    item_figures,
    item_statistics,
    update_tallies,
)

from .factories import CohortFactory, QuestionFactory, QuizFactory, UserFactory, pass_quiz

SCORES = {  # learner: picks per item, "k" key, "h" the 50% option, "w" wrong
    "L1": "kkwk", "L2": "kkwk", "L3": "kkwk", "L4": "khkk", "L5": "wwkk", "L6": "wwkw",
}
EXPECTED = {  # facility, SD, discrimination, efficiency
    "A": (66.6667, 51.6398, 65.6532, 100.0),
    "B": (58.3333, 49.1596, 32.1634, 50.0),
    "C": (50.0, 54.7723, -78.3718, -100.0),
    "D": (83.3333, 40.8248, 60.0, 100.0),
}


def test_item_figures_for_item_a_by_hand():
    sums = Sums(n=6, p=4, pp=4, r=11.5, rr=23.25, pr=8.5)
    facility, sd, discrimination, efficiency = item_figures(
        sums, {0.0: 2, 1.0: 4}, {1.0: 1, 2.0: 4, 2.5: 1}
    )
    assert facility == pytest.approx(66.6667, abs=1e-3)
    assert sd == pytest.approx(51.6398, abs=1e-3)
    assert discrimination == pytest.approx(65.6532, abs=1e-3)
    assert efficiency == pytest.approx(100.0, abs=1e-6)


def test_max_cross_pairs_sorted_values():
    # p sorted 0,0,1,1 with r sorted 1,2,3,4 -> 0+0+3+4
    assert _max_cross({1: 2, 0: 2}, {4: 1, 1: 1, 3: 1, 2: 1}) == 7


def test_undefined_figures_are_none():
    assert item_figures(Sums(0, 0, 0, 0, 0, 0), {}, {}) == (None, None, None, None)
    one = item_figures(Sums(1, 1, 1, 2, 4, 2), {1: 1}, {2: 1})
    assert one[0] == 100 and one[1:] == (None, None, None)
    # Everyone right: no variance, so no discrimination.
    assert item_figures(Sums(3, 3, 3, 3, 5, 3), {1: 3}, {0: 1, 1: 1, 2: 1})[2] is None


@pytest.fixture
def analysed(db):
    quiz = QuizFactory(pass_mark=50)
    items = {}
    for name in "ABCD":
        options = [("key", True), ("half", False), ("wrong", False)]
        question = QuestionFactory(quiz=quiz, title=f"Item {name}", options=options)
        if name == "B":
            question.choices.filter(text="half-text").update(weight=50)
        items[name] = question
    learners = {}
    for learner, picks in SCORES.items():
        user = UserFactory(username=learner)
        learners[learner] = user
        attempt, _ = services.start_attempt(user=user, quiz=quiz)
        answers = {}
        for response in attempt.responses.all():
            name = response.question.title[-1]
            wanted = {"k": "key-text", "h": "half-text", "w": "wrong-text"}[
                picks["ABCD".index(name)]
            ]
            answers[response.pk] = [
                c["token"] for c in response.snapshot["choices"] if c["text"] == wanted
            ]
        services.submit_attempt(attempt_id=attempt.pk, answers=answers)
    # A second attempt must not count: only first attempts do.
    retry, _ = services.start_attempt(user=learners["L6"], quiz=quiz)
    services.submit_attempt(attempt_id=retry.pk,
        answers={
            r.pk: [c["token"] for c in r.snapshot["choices"] if c["correct"]]
            for r in retry.responses.all()
        },
    )
    return quiz, items, learners


def test_item_statistics_match_the_hand_computed_set(analysed):
    quiz, items, _ = analysed
    stats, attempts = item_statistics(quiz)
    assert attempts == 6
    by_title = {s.title: s for s in stats}
    for name, (facility, sd, discrimination, efficiency) in EXPECTED.items():
        item = by_title[f"Item {name}"]
        assert item.n == 6
        assert item.facility == pytest.approx(facility, abs=1e-3), name
        assert item.sd == pytest.approx(sd, abs=1e-3), name
        assert item.discrimination == pytest.approx(discrimination, abs=1e-3), name
        assert item.efficiency == pytest.approx(efficiency, abs=1e-3), name
    # Six first attempts are too few to judge an item: figures, but no flags.
    assert by_title["Item C"].discrimination < 0 and by_title["Item C"].flags == []
    assert not by_title["Item C"].judged
    b_options = {
        text: (count, round(share)) for text, _, count, share in by_title["Item B"].options
    }
    assert b_options == {"key-text": (3, 50), "half-text": (1, 17), "wrong-text": (2, 33)}


def test_item_statistics_can_be_limited_to_a_cohort(analysed):
    quiz, _, learners = analysed
    ids = [learners[name].pk for name in ("L1", "L5", "L6")]
    stats, attempts = item_statistics(quiz, user_ids=ids)
    assert attempts == 3
    a = next(s for s in stats if s.title == "Item A")
    assert a.facility == pytest.approx(100 / 3, abs=1e-3)


def test_flags_for_easy_and_hard_items():
    from quizzes.statistics import ItemStats

    easy = ItemStats(1, 1, "e", "e", 30, 95.0, 20.0, 10.0, 10.0)
    hard = ItemStats(2, 2, "h", "h", 30, 20.0, 20.0, -5.0, -5.0)
    few = ItemStats(3, 3, "f", "f", 29, 20.0, 20.0, -100.0, -100.0)
    assert easy.flags == ["too easy"]
    assert hard.flags == ["too hard", "negative discrimination"]
    assert few.flags == [] and not few.judged
    assert math.isclose(easy.facility, 95.0)


def report(cohort, quiz):
    """A cohort's item analysis as instructors get it: from its tallies."""
    return item_statistics(quiz, cohort=cohort, user_ids=cohort.learners.values("pk"))


def assert_matches_the_responses(cohort, quiz):
    """The tallied analysis equals one computed from the responses right now."""
    members = list(cohort.learners.values_list("pk", flat=True))
    got, got_attempts = report(cohort, quiz)
    want, want_attempts = item_statistics(quiz, user_ids=members)
    assert got_attempts == want_attempts
    assert [i.question_id for i in got] == [i.question_id for i in want]
    for mine, theirs in zip(got, want, strict=True):
        assert mine.n == theirs.n
        for field in ("facility", "sd", "discrimination", "efficiency"):
            a, b = getattr(mine, field), getattr(theirs, field)
            assert (a is None) == (b is None), (mine.title, field)
            if b is not None:
                assert a == pytest.approx(b, abs=1e-9), (mine.title, field)
        assert [o[:3] for o in mine.options] == [o[:3] for o in theirs.options]
    assert not TalliedAttempt.objects.filter(cohort=cohort, batch=0).exists()
    return got, got_attempts


def test_cohort_tallies_follow_every_change_behind_them(analysed):
    quiz, items, learners = analysed
    cohort = CohortFactory(course=quiz.course)
    cohort.learners.add(*(learners[name] for name in ("L1", "L2", "L3", "L4", "L5")))
    _, attempts = assert_matches_the_responses(cohort, quiz)  # built from nothing
    assert attempts == 5
    assert_matches_the_responses(cohort, quiz)  # read again: nothing to add

    cohort.learners.add(learners["L6"])  # joins with a first attempt already made
    stats, attempts = assert_matches_the_responses(cohort, quiz)
    assert attempts == 6
    by_title = {s.title: s for s in stats}
    assert by_title["Item A"].facility == pytest.approx(EXPECTED["A"][0], abs=1e-3)
    assert by_title["Item C"].discrimination == pytest.approx(EXPECTED["C"][2], abs=1e-3)

    newcomer = UserFactory()
    cohort.learners.add(newcomer)
    open_attempt, _ = services.start_attempt(user=newcomer, quiz=quiz)
    assert assert_matches_the_responses(cohort, quiz)[1] == 6  # not submitted: not counted
    services.submit_attempt(
        attempt_id=open_attempt.pk,
        answers={r.pk: [c["token"] for c in r.snapshot["choices"] if c["correct"]]
                 for r in open_attempt.responses.all()},
    )
    assert assert_matches_the_responses(cohort, quiz)[1] == 7
    pass_quiz(learners["L6"], quiz)  # a second attempt never counts
    assert assert_matches_the_responses(cohort, quiz)[1] == 7

    cohort.learners.remove(learners["L5"])  # leaves: taken out
    assert assert_matches_the_responses(cohort, quiz)[1] == 6
    cohort.learners.add(learners["L5"])  # and back
    assert assert_matches_the_responses(cohort, quiz)[1] == 7

    learners["L1"].delete()  # the account and its attempts go: rebuilt
    assert assert_matches_the_responses(cohort, quiz)[1] == 6
    Attempt.objects.get(user=learners["L2"]).delete()  # an attempt alone goes: rebuilt
    assert learners["L2"] in cohort.learners.all()
    assert assert_matches_the_responses(cohort, quiz)[1] == 5
    items["D"].delete()  # the item goes from the analysis
    stats, _ = assert_matches_the_responses(cohort, quiz)
    assert "Item D" not in {s.title for s in stats} and len(stats) == 3
    assert TalliedAttempt.objects.filter(cohort=cohort).count() == 5


def test_each_cohort_has_its_own_tallies(analysed):
    quiz, _, learners = analysed
    strong, weak = CohortFactory(course=quiz.course), CohortFactory(course=quiz.course)
    strong.learners.add(learners["L1"], learners["L2"])
    weak.learners.add(learners["L5"], learners["L6"], learners["L2"])
    a_strong = {s.title: s for s in assert_matches_the_responses(strong, quiz)[0]}["Item A"]
    a_weak = {s.title: s for s in assert_matches_the_responses(weak, quiz)[0]}["Item A"]
    assert a_strong.facility == pytest.approx(100) and a_weak.facility == pytest.approx(100 / 3)
    weak.learners.remove(learners["L2"])  # leaves one class, stays in the other
    assert assert_matches_the_responses(weak, quiz)[1] == 2
    assert assert_matches_the_responses(strong, quiz)[1] == 2


def test_an_item_edited_between_attempts_keeps_every_option_counted(analysed):
    """An import that changes an item recreates its options under new ids: the
    analysis still counts every pick, an unchanged option as one row."""
    from quizzes.models import Choice

    quiz, items, learners = analysed
    cohort = CohortFactory(course=quiz.course)
    cohort.learners.add(*learners.values())
    assert_matches_the_responses(cohort, quiz)  # tallies built before the edit
    item = items["A"]
    item.choices.all().delete()
    for n, (text, correct) in enumerate(
        [("key", True), ("half", False), ("new-wrong", False)], start=1
    ):
        Choice.objects.create(question=item, position=n, text=f"{text}-text",
                              is_correct=correct, weight=100 if correct else 0)
    newcomer = UserFactory()
    cohort.learners.add(newcomer)
    attempt, _ = services.start_attempt(user=newcomer, quiz=quiz)
    response = attempt.responses.get(question=item)
    picked = [c["token"] for c in response.snapshot["choices"] if c["text"] == "new-wrong-text"]
    services.submit_attempt(attempt_id=attempt.pk, answers={response.pk: picked})
    stats, attempts = assert_matches_the_responses(cohort, quiz)
    a = next(s for s in stats if s.title == "Item A")
    counts = {text: count for text, _, count, _ in a.options}
    assert attempts == 7 and a.n == 7
    assert counts == {"key-text": 4, "half-text": 0, "wrong-text": 2, "new-wrong-text": 1}
    assert sum(share for *_, share in a.options) == pytest.approx(100)


def test_a_first_report_reads_its_tally_table_once_not_once_per_attempt(analysed):
    """Counting attempts reads the table it fills. With the statistics of an
    empty table (a new installation's, analysed), PostgreSQL would plan a
    nested loop scanning it again per attempt, the statement's own new rows
    included (quadratic: a first report of 100,000 attempts never finished);
    SQLite runs the SELECT to its end before inserting."""
    from django.db import connection

    quiz, _, learners = analysed
    cohort = CohortFactory(course=quiz.course)
    cohort.learners.add(*learners.values())
    plans = []

    def explain(execute, sql, params, many, context):
        if sql.startswith(f"INSERT INTO {TalliedAttempt._meta.db_table}"):
            plans.append("\n".join(str(row) for row in context["cursor"].execute(
                f"EXPLAIN {sql}", params).fetchall()))
        return execute(sql, params, many, context)

    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TalliedAttempt._meta.db_table}")  # empty, analysed
    with connection.execute_wrapper(explain):
        assert update_tallies(quiz=quiz, cohort_id=cohort.pk,
                              user_ids=[u.pk for u in learners.values()]) == (0, 6)
    assert len(plans) == 1
    if connection.vendor == "postgresql":
        assert "Nested Loop" not in plans[0], plans[0]
    else:  # the rows to insert are gathered in a temporary table first
        assert "OpenEphemeral" in plans[0], plans[0]


def test_the_tally_command_prepares_reports_outside_a_request(analysed):
    quiz, _, learners = analysed
    cohort = CohortFactory(course=quiz.course)
    cohort.learners.add(*learners.values())

    def nothing_left_to_count():
        return update_tallies(quiz=quiz, cohort_id=cohort.pk,
                              user_ids=cohort.learners.values("pk")) == (0, 0)

    out = io.StringIO()
    call_command("update_item_tallies", "--cohort", str(cohort.pk), "--quiz", str(quiz.pk),
                 stdout=out)
    assert f"{cohort} / {quiz.title}: 6 attempts counted, 0 taken out" in out.getvalue()
    assert TalliedAttempt.objects.filter(cohort=cohort, quiz=quiz).count() == 6
    # The report then finds nothing to count, and shows what the responses say.
    assert nothing_left_to_count()
    assert_matches_the_responses(cohort, quiz)
    # A learner leaves: the next run takes their attempt out.
    cohort.learners.remove(learners["L6"])
    out = io.StringIO()
    call_command("update_item_tallies", stdout=out)
    assert "0 attempts counted, 1 taken out" in out.getvalue()
    assert "1 report brought up to date" in out.getvalue()
    assert nothing_left_to_count()
    assert_matches_the_responses(cohort, quiz)


def test_the_tally_command_goes_on_past_a_failed_report_and_says_so(analysed, monkeypatch):
    from edu.courses.management.commands import update_item_tallies as command

    quiz, _, learners = analysed
    broken, fine = CohortFactory(course=quiz.course), CohortFactory(course=quiz.course)
    for cohort in (broken, fine):
        cohort.learners.add(*learners.values())
    real = command.update_tallies

    def failing_for_one(*, cohort_id, **kwargs):
        if cohort_id == broken.pk:
            raise RuntimeError("disk full")
        return real(cohort_id=cohort_id, **kwargs)

    monkeypatch.setattr(command, "update_tallies", failing_for_one)
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 report failed"):
        call_command("update_item_tallies", stdout=out, stderr=err)
    assert "disk full" in err.getvalue()
    assert TalliedAttempt.objects.filter(cohort=fine, quiz=quiz).count() == 6
    assert not TalliedAttempt.objects.filter(cohort=broken).exists()


def test_the_tally_command_names_an_unknown_cohort_or_quiz(db):
    with pytest.raises(CommandError, match="No cohort with id 999999"):
        call_command("update_item_tallies", "--cohort", "999999")
    with pytest.raises(CommandError, match="No quiz with id 999998"):
        call_command("update_item_tallies", "--quiz", "999998")



@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_item_analysis_reads_the_responses_index_not_their_rows(analysed):
    """Both scans over the first attempts' responses read only columns of the
    index `response_item_analysis_v2`: on PostgreSQL an index-only scan, which
    never reads the responses' rows with their snapshots (at 2,000,000
    responses, 3 GB against the index's 130 MB: a first report read them all
    for the options picked, 8 s from disk)."""
    import re

    from django.db import connection, transaction
    from django.db.models import F

    from quizzes.models import Response
    from quizzes.statistics import JOINT_SQL, PICKS_SQL, first_attempts

    index = next(i for i in Response._meta.indexes if i.name == "response_item_analysis_v2")
    covered = {Response._meta.get_field(name).column for name in [*index.fields, *index.include]}
    quiz = analysed[0]
    attempts = first_attempts(quiz).order_by().values(attempt_id=F("pk"), total=F("points"))
    sql, params = attempts.query.sql_with_params()
    postgresql = connection.vendor == "postgresql"
    if postgresql:  # the rows all visible, as autovacuum leaves them: no need to visit them
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {Response._meta.db_table}")
    used = {"attempt_id", "question_id"}  # the join and the grouping
    for query, columns in ((JOINT_SQL, used | {"score"}), (PICKS_SQL, used | {"selected", "id"})):
        assert set(re.findall(r"\br\.(\w+)", query)) == columns
        assert columns <= covered
        if not postgresql:
            continue  # SQLite has no covering index: the columns above are the check
        with transaction.atomic(), connection.cursor() as cursor:
            # A few rows: without these the planner would rather read them all.
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
            cursor.execute("EXPLAIN " + query.format(attempts=sql), params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "Index Only Scan using response_item_analysis_v2 on quizzes_response" in plan, plan
