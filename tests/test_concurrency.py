"""Races between requests, with real threads and connections.

On PostgreSQL (CI's second run) the threads truly overlap and the row locks,
unique constraints and conditional updates decide. On SQLite, transactions
begin IMMEDIATE, so writers queue; the same invariants must hold.
"""

import threading

import pytest
from django.db import connections

from quizzes import scoring, services
from quizzes.models import Attempt, Response

from .factories import QuestionFactory, QuizFactory, UserFactory, pass_quiz

ROUNDS = 10


def race(*calls):
    """Run the calls at the same moment in threads; return results or exceptions."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            results[index] = call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what happened
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def key_ids(response):
    return [c["id"] for c in response.snapshot["choices"] if c["correct"]]


def key_of(response):
    return [c["token"] for c in response.snapshot["choices"] if c["correct"]]


@pytest.fixture
def quiz(transactional_db):
    quiz = QuizFactory(pass_mark=50)
    for _ in range(3):
        QuestionFactory(quiz=quiz)
    return quiz


@pytest.mark.django_db(transaction=True)
def test_two_submits_at_once_grade_once(quiz):
    for n in range(ROUNDS):
        user = UserFactory(username=f"twin-submit-{n}")
        attempt, _ = services.start_attempt(user=user, quiz=quiz)
        results = race(
            lambda a=attempt: services.submit_attempt(attempt_id=a.pk),
            lambda a=attempt: services.submit_attempt(attempt_id=a.pk),
        )
        graded = [r for r in results if isinstance(r, tuple) and r[1]]
        others = [r for r in results if not (isinstance(r, tuple) and r[1])]
        assert len(graded) == 1, results
        assert all(isinstance(r, tuple) and not r[1] for r in others), results
        attempt.refresh_from_db()
        assert attempt.state == "submitted" and attempt.score == 0


@pytest.mark.django_db(transaction=True)
def test_two_starts_at_once_give_one_attempt(quiz):
    for n in range(ROUNDS):
        user = UserFactory(username=f"twin-start-{n}")
        results = race(
            lambda u=user: services.start_attempt(user=u, quiz=quiz),
            lambda u=user: services.start_attempt(user=u, quiz=quiz),
        )
        started = {r[0].pk for r in results if isinstance(r, tuple)}
        assert len(started) == 1, results
        assert all(isinstance(r, tuple) for r in results), results
        assert Attempt.objects.filter(user=user).count() == 1
        assert Response.objects.filter(attempt__user=user).count() == 3


@pytest.mark.django_db(transaction=True)
def test_attempts_allowed_holds_under_a_race(transactional_db):
    quiz = QuizFactory(attempts_allowed=2)
    QuestionFactory(quiz=quiz)
    for n in range(ROUNDS):
        user = UserFactory(username=f"limit-{n}")
        first, _ = services.start_attempt(user=user, quiz=quiz)
        services.submit_attempt(attempt_id=first.pk)
        results = race(*[lambda u=user: services.start_attempt(user=u, quiz=quiz)] * 3)
        assert all(isinstance(r, tuple) for r in results), results
        assert len({r[0].pk for r in results}) == 1
        attempts = Attempt.objects.filter(user=user)
        assert attempts.count() == 2
        assert sorted(attempts.values_list("number", flat=True)) == [1, 2]


@pytest.mark.django_db(transaction=True)
def test_an_answer_saved_during_submit_is_graded_or_refused_never_lost(quiz):
    for n in range(ROUNDS):
        user = UserFactory(username=f"save-submit-{n}")
        attempt, _ = services.start_attempt(user=user, quiz=quiz)
        first = attempt.responses.order_by("position").first()
        results = race(
            lambda a=attempt, r=first: services.save_answers(
                attempt_id=a.pk, answers={r.pk: key_of(r)}
            ),
            lambda a=attempt: services.submit_attempt(attempt_id=a.pk),
        )
        saved, submitted = results
        assert isinstance(submitted, tuple) and submitted[1], results
        stored = Response.objects.get(pk=first.pk)
        attempt.refresh_from_db()
        if attempt.state == "submitted":
            # Whatever is stored is exactly what was graded.
            assert stored.score == scoring.score_response(stored.snapshot, stored.selected)
        if isinstance(saved, services.AttemptClosed):
            assert stored.selected == []
        else:
            assert not isinstance(saved, Exception), results
            assert stored.selected == key_ids(first)


@pytest.mark.django_db(transaction=True)
def test_two_item_analyses_at_once_count_each_attempt_once(quiz):
    """Two instructors open a cohort's item analysis at once, with a new first
    attempt to count and a learner who left: each attempt is counted once.
    (On SQLite the two transactions queue, so only PostgreSQL's run can catch
    a missing lock.)"""
    from quizzes.models import TalliedAttempt
    from quizzes.statistics import item_statistics

    from .factories import CohortFactory

    cohort = CohortFactory(course=quiz.course)

    def report():
        return item_statistics(quiz, cohort=cohort, user_ids=cohort.learners.values("pk"))

    leaver = UserFactory(username="tally-leaver")
    cohort.learners.add(leaver)
    pass_quiz(leaver, quiz)
    for n in range(ROUNDS):
        user = UserFactory(username=f"tally-{n}")
        cohort.learners.add(user)
        pass_quiz(user, quiz)
        if n % 2:
            cohort.learners.remove(leaver)
        else:
            cohort.learners.add(leaver)
        results = race(report, report)
        assert not any(isinstance(r, Exception) for r in results), results
        counted = n + 1 + (n % 2 == 0)
        assert {r[1] for r in results} == {counted}
        items, attempts = report()
        assert attempts == counted == TalliedAttempt.objects.filter(cohort=cohort).count()
        assert {item.n for item in items} == {counted}
        assert {round(item.facility) for item in items} == {100}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("deleted", ["cohort", "quiz", "course", "cohorts"])
def test_a_report_opened_while_its_cohort_or_quiz_is_deleted(quiz, deleted):
    """An instructor opens a cohort's item analysis while an administrator's
    deletion of the cohort (or of the quiz, the whole course, or several
    cohorts at once) is under way, held open here after the rows are deleted
    and before it commits: the report waits for the deletion, finds what it
    counts gone and counts nothing, instead of failing on a foreign key with
    new attempts to count; nothing of the cohort's stays."""
    import time

    from django.db.models.signals import post_delete

    from edu.courses.models import Cohort, Course
    from quizzes.models import ItemTally, Quiz, TalliedAttempt
    from quizzes.statistics import item_statistics

    from .factories import CohortFactory

    def submitted(username):
        user = UserFactory(username=username)
        pass_quiz(user, quiz)
        return user

    cohort, other = CohortFactory(course=quiz.course), CohortFactory(course=quiz.course)
    cohort.learners.add(submitted("gone-a"))
    item_statistics(quiz, cohort=cohort, user_ids=cohort.learners.values("pk"))
    cohort.learners.add(submitted("gone-b"))  # the report has one to count
    learner_ids = list(cohort.learners.values_list("pk", flat=True))
    deleting = threading.Event()

    def held_open(**kwargs):
        deleting.set()
        time.sleep(0.4)  # the deletion's transaction stays open meanwhile

    model = {"cohort": Cohort, "quiz": Quiz, "course": Course, "cohorts": Cohort}[deleted]
    post_delete.connect(held_open, sender=model, dispatch_uid="test-held-open")
    try:
        def report():
            deleting.wait(timeout=10)
            return item_statistics(quiz, cohort=cohort, user_ids=learner_ids)

        def delete():
            if deleted == "cohort":
                return Cohort.objects.get(pk=cohort.pk).delete()
            if deleted == "quiz":
                return Quiz.objects.get(pk=quiz.pk).delete()
            if deleted == "course":
                return Course.objects.get(pk=quiz.course_id).delete()
            return Cohort.objects.filter(pk__in=[cohort.pk, other.pk]).delete()

        results = race(report, delete)
    finally:
        post_delete.disconnect(dispatch_uid="test-held-open", sender=model)
    assert deleting.is_set()
    assert not any(isinstance(r, Exception) for r in results), results
    assert results[0][1] == 0  # nothing counted for what is gone
    assert not TalliedAttempt.objects.filter(cohort_id=cohort.pk).exists()
    assert not ItemTally.objects.filter(cohort_id=cohort.pk).exists()
