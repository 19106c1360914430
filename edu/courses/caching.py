"""What the course pages keep in the cache, and the writes that replace it.

Owner: this module. Two kinds of entry, each stamped with the content
generation it was built in (`quizzes.caching.of_generation`):

- the catalogue: every published course with its published lessons and
  quizzes (no bodies) and its path, for the outline, the dashboard and the
  lesson page's neighbours;
- one entry per lesson page: the parts every learner sees the same (the
  article text, the clinical notes with their citations, the path around it),
  rendered once.

Any save or delete of a course, lesson, reference, quiz or blueprint entry,
and every course import, starts a new generation: at once, and again when its
transaction commits (so a reader racing the transaction cannot keep the old
content under the new name); so does every deploy (post_migrate), for entries
built by the code before it. An entry of an older generation is never served:
the next reader builds it again.
Learner data (progress, attempts) is never cached here.
"""

from dataclasses import dataclass, field

from django.db.models import F
from django.template.loader import render_to_string

from quizzes import caching as quiz_caching

GENERATION_KEY = "courses:content"
SECONDS = 24 * 3600  # a bound on memory, never the way an entry goes stale


def generation():
    return quiz_caching.generation(GENERATION_KEY)


def content_changed(**kwargs):
    """Receiver for saves and deletes of what the course pages show; also called
    by the importers, whose bulk writes send no signal."""
    quiz_caching.renew_generation(GENERATION_KEY)
    quiz_caching.pages_changed()  # quiz pages name the course and its lessons


def code_changed(**kwargs):
    """Receiver for post_migrate, which every deploy runs: the catalogue and
    lesson pages built by the code before it are not served."""
    quiz_caching.renew_on_deploy(GENERATION_KEY)


@dataclass
class CourseOutline:
    """A published course as every learner sees it: lessons and quizzes in the
    order of its path (model instances without bodies), and the path."""

    course: object
    lessons: list
    quizzes: list
    steps: list = field(default_factory=list)


def _outlines():
    from quizzes.models import Quiz
    from quizzes.selectors import in_path_order

    from .models import Course, Lesson
    from .path import course_steps

    courses = {c.pk: c for c in Course.objects.published()}
    lessons = Lesson.objects.published().filter(course__in=courses).only(
        "course_id", "slug", "title", "position"
    ).order_by("course_id", "position")
    quizzes = in_path_order(
        Quiz.objects.published().filter(course__in=courses)
        .annotate(after_position=F("after_lesson__position"))
    )
    outlines = {pk: CourseOutline(course, [], []) for pk, course in courses.items()}
    for lesson in lessons:
        lesson.course = courses[lesson.course_id]
        outlines[lesson.course_id].lessons.append(lesson)
    for quiz in quizzes:
        quiz.course = courses[quiz.course_id]
        outlines[quiz.course_id].quizzes.append(quiz)
    for outline in outlines.values():
        outline.steps = course_steps(outline.course, outline.lessons, outline.quizzes)
        # Reversed once here rather than on every page that links them.
        for item in [outline.course, *outline.lessons, *outline.quizzes]:
            item.absolute_url = item.get_absolute_url()
    return {outline.course.slug: outline for outline in outlines.values()}


def catalogue():
    """{course slug: CourseOutline} for every published course, from the cache."""
    return quiz_caching.of_generation(GENERATION_KEY, "courses:catalogue", _outlines, SECONDS)


def outline(slug):
    """The published course's outline, or None."""
    return catalogue().get(slug)


@dataclass
class LessonPage:
    """The part of a lesson page that is the same for every learner."""

    lesson_id: int
    course_id: int
    course_slug: str
    slug: str
    title: str
    course_title: str
    url: str
    complete_url: str
    article: str  # the rendered breadcrumb and article
    previous: object
    next: object


def lesson_page(course_slug, slug):
    """The shared part of a published lesson's page, rendered once per content
    generation; None when there is no such published lesson."""
    return quiz_caching.of_generation(
        GENERATION_KEY, f"courses:lesson:{course_slug}:{slug}",
        lambda: _render_lesson(course_slug, slug), SECONDS,
    )


def _render_lesson(course_slug, slug):
    from django.urls import reverse

    from . import path
    from .models import Lesson

    course_outline = outline(course_slug)
    if course_outline is None:
        return None
    lesson = (
        Lesson.objects.published()
        .filter(course_id=course_outline.course.pk, slug=slug)
        .first()
    )
    if lesson is None:
        return None
    course = lesson.course = course_outline.course
    steps = course_outline.steps
    previous, following = path.neighbours(steps, "lesson", lesson.pk)
    lessons = [step.pk for step in steps if step.kind == "lesson"]
    article = render_to_string(
        "courses/_lesson_article.html",
        {
            "course": course,
            "lesson": lesson,
            "quizzes": path.quizzes_after(steps, lesson.pk),
            "number": 1 + lessons.index(lesson.pk),
            "total": len(lessons),
        },
    )
    return LessonPage(
        lesson_id=lesson.pk,
        course_id=course.pk,
        course_slug=course.slug,
        slug=lesson.slug,
        title=lesson.title,
        course_title=course.title,
        url=lesson.get_absolute_url(),
        complete_url=reverse(
            "courses:lesson_complete", kwargs={"course_slug": course.slug, "slug": lesson.slug}
        ),
        article=article,
        previous=previous,
        next=following,
    )
