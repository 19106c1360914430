"""A prepared query gives what its queryset gives, for every set of values."""

import pytest
from django.db import transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.transaction import TransactionManagementError

from quizzes import services
from quizzes.models import Attempt, Quiz, Response
from quizzes.prepared import PreparedQuery

from .factories import QuestionFactory, QuizFactory, UserFactory

attempts_of = PreparedQuery(
    lambda user_id: Attempt.objects.filter(user_id=user_id)
    .select_related("quiz__course")
    .annotate(
        answered=Subquery(
            Response.objects.filter(attempt=OuterRef("pk"), answered_at__isnull=False)
            .values("attempt").annotate(n=Count("*")).values("n")[:1]
        )
    )
    .order_by("pk")
)
picks_of = PreparedQuery(
    lambda user_id, position: Response.objects.filter(
        attempt__user_id=user_id, position=position
    ).order_by("pk").values_list("attempt_id", "selected", "answered_at")
)


@pytest.mark.django_db
def test_a_prepared_query_matches_its_queryset_for_other_values():
    learners = UserFactory.create_batch(2)
    quizzes = [QuizFactory(), QuizFactory()]
    for quiz in quizzes:
        for _ in range(3):
            QuestionFactory(quiz=quiz)
    for n, learner in enumerate(learners):
        for quiz in quizzes[: n + 1]:
            attempt, _ = services.start_attempt(user=learner, quiz=quiz)
            first = attempt.responses.order_by("position").first()
            services.save_answers(
                attempt_id=attempt.pk, user=learner,
                answers={first.pk: [first.snapshot["choices"][0]["token"]]},
            )
    for learner in learners:  # the second call reuses the first one's SQL
        got = attempts_of(learner.pk)
        expected = list(Attempt.objects.filter(user=learner).order_by("pk"))
        assert [a.pk for a in got] == [a.pk for a in expected] and got
        for attempt, same in zip(got, expected, strict=True):
            assert attempt.quiz.course.slug == same.quiz.course.slug  # select_related
            assert attempt.started_at == same.started_at  # aware, as the ORM gives it
            assert attempt.answered == 1  # the annotation
        rows = picks_of(learner.pk, 1)
        assert rows == list(
            Response.objects.filter(attempt__user=learner, position=1)
            .order_by("pk").values_list("attempt_id", "selected", "answered_at")
        )
        assert rows and all(isinstance(selected, list) for _, selected, _ in rows)


@pytest.mark.django_db
def test_an_id_no_column_can_hold_finds_nothing_instead_of_failing():
    assert attempts_of(2**64) == [] and picks_of(1, -(2**70)) == []
    assert attempts_of("abc") == [] and attempts_of(1.0) == [] and attempts_of(True) == []
    assert attempts_of("²") == []  # a digit to str.isdigit(), not to int()


@pytest.mark.django_db
def test_text_parameters_find_by_slug():
    quiz = QuizFactory()
    by_slugs = PreparedQuery(
        lambda course, slug: Quiz.objects.filter(course__slug=course, slug=slug),
        text=(0, 1),
    )
    assert by_slugs(quiz.course.slug, quiz.slug) == [quiz]
    assert by_slugs(quiz.course.slug, "other") == [] and by_slugs(quiz.course.slug, 7) == []


@pytest.mark.django_db
def test_what_cannot_be_prepared_is_refused():
    contains = PreparedQuery(lambda slug: Quiz.objects.filter(slug__contains=slug), text=(0,))
    with pytest.raises(ValueError, match="parameter 0"):  # the value is rewritten as %…%
        contains("x")
    prefetching = PreparedQuery(lambda pk: Quiz.objects.prefetch_related("questions").filter(pk=pk))
    with pytest.raises(ValueError, match="prefetch_related"):
        prefetching(1)


@pytest.mark.django_db(transaction=True)
def test_a_locking_query_outside_a_transaction_is_refused_each_time():
    locking = PreparedQuery(lambda pk: Attempt.objects.select_for_update().filter(pk=pk))
    with transaction.atomic():
        assert locking(1) == []
    with pytest.raises(TransactionManagementError):
        locking(1)


def test_a_query_missing_a_parameter_is_refused_when_prepared(db):
    with pytest.raises(ValueError, match="parameter 1"):
        PreparedQuery(lambda user_id, unused: Attempt.objects.filter(user_id=user_id))(1, 2)
