import io
from pathlib import Path

import pytest
from django.core.management import call_command

from .factories import CourseFactory, LessonFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent
KLONOPIN = ROOT / "content" / "klonopin"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

SEED_LESSONS = [
    "Introduction",
    "How Klonopin Works",
    "Medical Uses of Klonopin",
    "The Risks of Dependence",
    "Withdrawal and Safety Concerns",
    "The Broader Impact of Klonopin Misuse",
    "Final Thoughts",
]


@pytest.fixture
def klonopin(db):
    """The klonopin course, loaded the way `make run` loads it."""
    call_command("load_course", str(KLONOPIN), stdout=io.StringIO())
    from edu.courses.models import Course

    return Course.objects.get(slug="klonopin")


@pytest.fixture
def learner(db):
    return UserFactory(username="ada", full_name="Ada Learner")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def course_with_lessons(db):
    def make(n, **course_fields):
        course = CourseFactory(**course_fields)
        lessons = [LessonFactory(course=course, position=i + 1) for i in range(n)]
        return course, lessons

    return make


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Throttles and lockouts count in the cache (Redis in CI): every test starts at zero."""
    from django.core.cache import cache

    cache.clear()
    yield
