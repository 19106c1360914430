"""Reads for the course pages. Each returns what a page needs in a fixed
number of queries, whatever the number of lessons."""

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery
from django.shortcuts import get_object_or_404

from quizzes import selectors as quiz_selectors
from quizzes.prepared import PreparedQuery

from . import caching
from .models import Certificate, Cohort, Course, Lesson, LessonProgress
from .path import Step


def published_courses():
    return Course.objects.published().annotate(
        lesson_count=Count("lessons", filter=Q(lessons__published=True))
    )


def get_published_course(slug):
    return get_object_or_404(Course.objects.published(), slug=slug)


def progress_of(user, field):
    return Subquery(
        LessonProgress.objects.filter(user=user, lesson=OuterRef("pk")).values(field)[:1]
    )


def course_lessons(course, user):
    """Published lessons in order, each with the learner's viewed/completed times."""
    lessons = course.lessons.published().only("slug", "title", "position", "course_id")
    if user.is_authenticated:
        lessons = lessons.annotate(
            viewed_at=progress_of(user, "last_viewed_at"),
            completed_at=progress_of(user, "completed_at"),
        )
    return list(lessons)


_lesson_progress = PreparedQuery(
    lambda user_id, lesson_id: LessonProgress.objects.filter(
        user_id=user_id, lesson_id=lesson_id
    ).values_list("last_viewed_at", "completed_at")
)


def lesson_progress(user, lesson_id):
    """(last viewed, completed) for the learner's lesson, (None, None) if never opened."""
    rows = _lesson_progress(user.pk, lesson_id)
    return rows[0] if rows else (None, None)


def is_complete(user, course):
    outline = caching.outline(course.slug)
    return outline is not None and learner_courses(user, [outline])[0].complete


def taught_cohorts(user):
    """Cohorts an instructor teaches (all of them for a superuser)."""
    cohorts = Cohort.objects.select_related("course").annotate(
        learner_count=Count("learners", distinct=True)
    )
    return cohorts if user.is_superuser else cohorts.filter(instructors=user)


def get_taught_cohort(user, pk):
    return get_object_or_404(taught_cohorts(user), pk=pk)


def get_own_certificate(user, code):
    return get_object_or_404(Certificate.objects.select_related("course"), code=code, user=user)


def get_certificate(code):
    return get_object_or_404(Certificate.objects.select_related("course"), code=code)


def is_course_complete(lessons_done, lessons_total, quizzes):
    """The completion rule: every lesson completed and every quiz passed."""
    return lessons_total > 0 and lessons_done >= lessons_total and all(
        getattr(quiz, "has_passed", False) for quiz in quizzes
    )


_progress_of_learner = PreparedQuery(
    lambda user_id: LessonProgress.objects.filter(user_id=user_id).values_list(
        "lesson_id", "last_viewed_at", "completed_at"
    )
)


def _progress_rows(user, lesson_ids=None):
    """{lesson id: (last viewed, completed)} for the learner: one query."""
    rows = _progress_of_learner(user.pk)
    if lesson_ids is not None:
        lesson_ids = set(lesson_ids)
        rows = [row for row in rows if row[0] in lesson_ids]
    return {lesson_id: (viewed, completed) for lesson_id, viewed, completed in rows}


_CERTIFICATE_FIELDS = [field.attname for field in Certificate._meta.concrete_fields]
_certificates_of = PreparedQuery(
    lambda user_id: Certificate.objects.filter(user_id=user_id).values_list(*_CERTIFICATE_FIELDS)
)


def certificates_of(user, course_ids):
    """{course id: Certificate} of the learner's certificates for these courses."""
    certificates = (Certificate.from_db("default", _CERTIFICATE_FIELDS, row)
                    for row in _certificates_of(user.pk))
    return {c.course_id: c for c in certificates if c.course_id in course_ids}


def _with_learner(outline, progress, quizzes, certificates):
    """The cached course (this request's own copy, fresh from the cache) with one
    learner's figures: lessons with their viewed/completed times, quizzes with
    results, completion, certificate."""
    course = outline.course
    course.lesson_list = outline.lessons
    for lesson in course.lesson_list:
        lesson.viewed_at, lesson.completed_at = progress.get(lesson.pk, (None, None))
    course.lesson_count = len(course.lesson_list)
    course.completed_count = sum(1 for lesson in course.lesson_list if lesson.completed_at)
    upcoming = next((lesson for lesson in course.lesson_list if not lesson.completed_at), None)
    course.next_slug = upcoming.slug if upcoming else None
    course.next_title = upcoming.title if upcoming else None
    course.next_position = upcoming.position if upcoming else None
    course.quiz_list = [quiz for quiz in quizzes if quiz.course_id == course.pk]
    for quiz in course.quiz_list:
        quiz.course = course
    course.quizzes_passed = sum(1 for quiz in course.quiz_list if quiz.has_passed)
    course.complete = is_course_complete(
        course.completed_count, course.lesson_count, course.quiz_list
    )
    course.certificate = certificates.get(course.pk)
    return course


def learner_courses(user, outlines, *, progress=None):
    """The learner's figures for these cached courses (`caching.CourseOutline`):
    progress (unless given), quiz results, topic mastery and certificates, in
    three queries."""
    if progress is None:
        progress = _progress_rows(
            user, [lesson.pk for outline in outlines for lesson in outline.lessons]
        )
    all_quizzes = [quiz for outline in outlines for quiz in outline.quizzes]
    attempts = quiz_selectors.attempts_for_progress(user, [quiz.pk for quiz in all_quizzes])
    quizzes = quiz_selectors.with_results(all_quizzes, attempts)
    certificates = certificates_of(user, {outline.course.pk for outline in outlines})
    mastery = quiz_selectors.mastery_from(
        attempts,
        {quiz.pk: quiz.course_id for quiz in all_quizzes},
        labels={outline.course.pk: outline.course.topic_labels for outline in outlines},
        lessons={lesson.pk: lesson for outline in outlines for lesson in outline.lessons},
    )
    courses = []
    for outline in outlines:
        course = _with_learner(outline, progress, quizzes, certificates)
        course.topics = mastery.get(course.pk, [])
        course.weak_topics = [topic for topic in course.topics if topic.weak]
        courses.append(course)
    return courses


def learner_progress(user):
    """Every course a learner has started or joined, with lessons, quizzes, topic
    mastery, completion and certificate: for the dashboard and the API.

    Courses come from the cache; the learner's own rows take four queries
    (lesson progress, classes, attempts, certificates), whatever the size of
    the course or the number of learners."""
    catalogue = caching.catalogue()
    progress = _progress_rows(user)
    classes = classes_of(user)
    started = {
        outline.course.pk
        for outline in catalogue.values()
        if outline.course.pk in classes
        or any(lesson.pk in progress for lesson in outline.lessons)
    }
    outlines = sorted(
        (o for o in catalogue.values() if o.course.pk in started), key=lambda o: o.course.title
    )
    if not outlines:
        return []
    courses = learner_courses(user, outlines, progress=progress)
    for course in courses:
        course.classes = classes.get(course.pk, [])
        course.next_step = next_step(course)
    return courses


def next_step(course):
    """The learner's one next step: the earliest, in the course's path, of the
    first lesson not completed and the quizzes not passed; then the certificate."""
    candidates = []
    if course.next_slug:
        lesson = Lesson(course=course, slug=course.next_slug, title=course.next_title)
        candidates.append(
            ((course.next_position, 0, 0), Step("lesson", lesson.title, lesson.get_absolute_url()))
        )
    for quiz in course.quiz_list:
        if not quiz.has_passed:
            after = quiz.after_position if quiz.after_position is not None else float("inf")
            url = f"/attempts/{quiz.open_attempt_id}/" if quiz.open_attempt_id else (
                quiz.get_absolute_url()
            )
            candidates.append(((after, 1, quiz.position), Step("quiz", quiz.title, url, quiz.pk)))
    if candidates:
        return min(candidates, key=lambda pair: pair[0])[1]
    return Step("certificate", "Your certificate", f"{course.get_absolute_url()}#certificate")


_classes_of = PreparedQuery(
    lambda user_id: Cohort.objects.filter(learners=user_id).order_by("name").values_list(
        "pk", "course_id", "name", "instructors__full_name", "instructors__username"
    )
)


def classes_of(user):
    """{course id: [(cohort name, [instructor names])]} for the learner's cohorts."""
    by_cohort = {}
    for pk, course_id, name, full_name, username in _classes_of(user.pk):
        entry = by_cohort.setdefault(pk, (course_id, name, []))
        if username:
            entry[2].append(full_name or username)
    classes = {}
    for course_id, name, teachers in by_cohort.values():
        classes.setdefault(course_id, []).append((name, teachers))
    return classes


def references_of(course):
    return list(course.references.all())


def visible_learners(user):
    """The accounts whose records `user` may see as an instructor: the learners of
    the cohorts they teach; everyone for a superuser; nobody otherwise."""
    User = get_user_model()
    if user.is_superuser:
        return User.objects.all()
    if not user.has_perm("courses.teach_cohort"):
        return User.objects.none()
    return User.objects.filter(cohorts__instructors=user).distinct()


def cohort_learner_ids(cohort):
    """The cohort's learners, as a subquery of their ids: whose first attempts
    its item analysis counts (the report, its API and the nightly command)."""
    return cohort.learners.values("pk")
