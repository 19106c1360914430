"""Reads for the LMS integration."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.cache import cache
from django.shortcuts import get_object_or_404
from lti_tool.models import LtiRegistration

from edu.courses import selectors as course_selectors
from edu.courses.models import Course, Lesson
from quizzes.models import Quiz

from .models import CohortLink, GradePost, QuizLaunch, RosterEntry

FRAME_ORIGINS_TTL = 24 * 3600  # a bound on memory; a registration's save replaces it


def _origin(url):
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def frame_origins_key(registration_id):
    return f"lti-frame-origins-{registration_id}"


def frame_origins(registration_id):
    """The origins that may frame the module for this (active) registration: its
    issuer's and auth URL's, plus the ones listed in its framing options.
    Cached; `receivers.forget_frame_origins` drops the entry when either changes."""
    key = frame_origins_key(registration_id)
    origins = cache.get(key)
    if origins is None:
        registration = (
            LtiRegistration.objects.active().filter(pk=registration_id)
            .select_related("options").first()
        )
        origins = []
        if registration is not None:
            extra = getattr(registration, "options", None)
            lines = extra.frame_origins.split() if extra else []
            for url in [registration.issuer, registration.auth_url, *lines]:
                origin = _origin(url)
                if origin and origin not in origins:
                    origins.append(origin)
        cache.set(key, origins, FRAME_ORIGINS_TTL)
    return origins


def registration_for_issuer(issuer):
    """An active registration with this issuer (the first, when several clients)."""
    if not isinstance(issuer, str) or not issuer:
        return None
    return LtiRegistration.objects.active().filter(issuer=issuer).order_by("pk").first()


@dataclass(frozen=True)
class Resource:
    """What an LMS link opens: a whole course, one lesson or one quiz."""

    kind: str  # "course", "lesson" or "quiz"
    course: Course
    item: object

    @property
    def key(self):
        if self.kind == "course":
            return f"course:{self.course.slug}"
        return f"{self.kind}:{self.course.slug}/{self.item.slug}"

    @property
    def title(self):
        return str(self.item)

    def get_absolute_url(self):
        return self.item.get_absolute_url()


def resource_for(key):
    """`course:SLUG`, `lesson:COURSE/SLUG` or `quiz:COURSE/SLUG`, published; else None."""
    kind, _, rest = (key or "").partition(":")
    course_slug, _, slug = rest.partition("/")
    course = Course.objects.published().filter(slug=course_slug).first()
    if course is None:
        return None
    if kind == "course" and not slug:
        return Resource("course", course, course)
    if kind == "lesson":
        lesson = Lesson.objects.published().filter(course=course, slug=slug).first()
        return Resource("lesson", course, lesson) if lesson else None
    if kind == "quiz":
        quiz = Quiz.objects.published().select_related("course").filter(
            course=course, slug=slug
        ).first()
        return Resource("quiz", course, quiz) if quiz else None
    return None


def default_resource():
    """A link that names nothing opens the course, when the site has exactly one."""
    courses = list(Course.objects.published()[:2])
    return Resource("course", courses[0], courses[0]) if len(courses) == 1 else None


def resources_to_link():
    """Every published course with its lessons and quizzes, for deep linking."""
    result = []
    for course in Course.objects.published():
        lessons = Lesson.objects.published().filter(course=course)
        quizzes = Quiz.objects.published().filter(course=course).select_related("course")
        result.append({
            "course": Resource("course", course, course),
            "lessons": [Resource("lesson", course, lesson) for lesson in lessons],
            "quizzes": [Resource("quiz", course, quiz) for quiz in quizzes],
        })
    return result


def launched_key(user_id):
    return f"lti:launched:{user_id}"


def has_quiz_launches(user_id):
    """Whether the learner ever opened a quiz from an LMS: from the cache (the
    submit of every other learner then costs no query), else the database.
    A launch sets the entry to True (services.record_launch); the database's
    answer is only ever added, never written over a True."""
    known = cache.get(launched_key(user_id))
    if known is None:
        known = QuizLaunch.objects.filter(user_id=user_id).exists()
        cache.add(launched_key(user_id), known, None)
    return known


def latest_quiz_launch(*, user_id, quiz_id):
    """The LMS link a learner last opened this quiz from (where its score goes)."""
    if not has_quiz_launches(user_id):
        return None
    return (
        QuizLaunch.objects.filter(user_id=user_id, quiz_id=quiz_id)
        .select_related("resource_link").order_by("-launched_at", "-pk").first()
    )


def due_grades(now, limit=100):
    return list(
        GradePost.objects.filter(status=GradePost.Status.PENDING, next_try_at__lte=now)
        .order_by("next_try_at", "pk").values_list("pk", flat=True)[:limit]
    )


def get_taught_link(user, cohort_pk):
    """The LMS link of a cohort this instructor teaches (404 otherwise)."""
    cohort = course_selectors.get_taught_cohort(user, cohort_pk)
    return get_object_or_404(
        CohortLink.objects.select_related("cohort__course", "context__deployment__registration"),
        cohort=cohort,
    )


def roster_of(link):
    return list(
        RosterEntry.objects.filter(link=link).select_related("user")
        .order_by("status", "user__full_name", "user__username")
    )

