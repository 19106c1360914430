"""The benchmark data generator: consistent data, repeatable with --seed."""

import io

import pytest
from django.core.management import CommandError, call_command

from edu.courses.models import Cohort, LessonProgress
from quizzes import scoring
from quizzes.models import Attempt, Response


def seed(**options):
    out = io.StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def fingerprint():
    return list(
        Response.objects.order_by("attempt__user__username", "position")
        .values_list("attempt__user__username", "question__external_id", "selected", "score")
    )


@pytest.mark.django_db
def test_seed_demo_fills_consistent_data(klonopin):
    output = seed(learners=30, cohorts=3, attempts_per_learner=2, seed=5)
    assert "Seeded 30 learners and 1200 responses" in output
    assert Cohort.objects.get(name="Whole program").learners.count() == 30
    assert Cohort.objects.exclude(name="Whole program").count() == 3
    assert Attempt.objects.filter(state="submitted").count() == 60
    assert LessonProgress.objects.exists()
    for response in Response.objects.all()[:100]:
        assert response.score == scoring.score_response(response.snapshot, response.selected)
    attempt = Attempt.objects.first()
    percent = scoring.attempt_percent(r.score for r in attempt.responses.all())
    assert attempt.score == percent


@pytest.mark.django_db
def test_same_seed_same_data(klonopin):
    seed(learners=20, cohorts=2, attempts_per_learner=1, seed=11)
    first = fingerprint()
    Attempt.objects.all().delete()
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username__startswith="learner").delete()
    Cohort.objects.all().delete()
    seed(learners=20, cohorts=2, attempts_per_learner=1, seed=11)
    assert fingerprint() == first


@pytest.mark.django_db
def test_seed_demo_needs_the_course():
    with pytest.raises(CommandError, match="run load_course content/klonopin first"):
        call_command("seed_demo", learners=5)
