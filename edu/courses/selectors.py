"""Reads for the course pages. Each returns what a page needs in a fixed
number of queries, whatever the number of lessons."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404

from quizzes import selectors as quiz_selectors
from quizzes.models import Quiz

from .models import Certificate, Cohort, Course, Lesson, LessonProgress
from .path import Step, course_steps


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


def get_lesson(course_slug, slug, user):
    """A published lesson of a published course, with the learner's completion time."""
    lessons = Lesson.objects.published().filter(course__published=True).select_related("course")
    if user.is_authenticated:
        lessons = lessons.annotate(
            completed_at=progress_of(user, "completed_at"),
            last_viewed_at=progress_of(user, "last_viewed_at"),
        )
    return get_object_or_404(lessons, course__slug=course_slug, slug=slug)


def course_path(course):
    """The course's steps (lessons, each followed by its quizzes, then the
    certificate) from one query: published lessons and quizzes, as a UNION."""
    lessons = course.lessons.published().order_by().values_list(
        Value("lesson"), "pk", "title", "slug", "position", "position"
    )
    quizzes = Quiz.objects.published().filter(course=course).order_by().values_list(
        Value("quiz"), "pk", "title", "slug", "position", "after_lesson__position"
    )
    rows = list(lessons.union(quizzes, all=True))
    lesson_rows = sorted((r for r in rows if r[0] == "lesson"), key=lambda r: r[4])
    quiz_rows = sorted(
        (r for r in rows if r[0] == "quiz"),
        key=lambda r: (r[5] is None, r[5] or 0, r[4], r[1]),
    )
    lesson_pks = {r[4]: r[1] for r in lesson_rows}  # position -> pk
    lessons = [Lesson(pk=pk, course=course, title=title, slug=slug, position=position)
               for _, pk, title, slug, position, _ in lesson_rows]
    quizzes = [Quiz(pk=pk, course=course, title=title, slug=slug, position=position,
                    after_lesson_id=lesson_pks.get(after))
               for _, pk, title, slug, position, after in quiz_rows]
    return course_steps(course, lessons, quizzes)


def _count(queryset, group_by):
    """A correlated COUNT(*) subquery, 0 when nothing matches."""
    counts = queryset.order_by().values(group_by).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(counts[:1]), 0)


def dashboard_courses(user):
    """The courses a learner has started, with progress and the next lesson."""
    mine = LessonProgress.objects.filter(user=user, lesson__course=OuterRef("pk"))
    member = Cohort.objects.filter(course=OuterRef("pk"), learners=user)
    done = LessonProgress.objects.filter(
        user=user, lesson=OuterRef("pk"), completed_at__isnull=False
    )
    next_lesson = (
        Lesson.objects.published()
        .filter(course=OuterRef("pk"))
        .exclude(Exists(done))
        .order_by("position")
    )
    return list(
        Course.objects.published()
        .filter(Exists(mine) | Exists(member))
        .annotate(
            lesson_count=_count(
                Lesson.objects.published().filter(course=OuterRef("pk")), "course"
            ),
            completed_count=_count(
                mine.filter(completed_at__isnull=False, lesson__published=True), "user"
            ),
            next_slug=Subquery(next_lesson.values("slug")[:1]),
            next_title=Subquery(next_lesson.values("title")[:1]),
            next_position=Subquery(next_lesson.values("position")[:1]),
        )
        .order_by("title")
    )


def is_complete(user, course):
    lessons = course_lessons(course, user)
    done = sum(1 for lesson in lessons if lesson.completed_at)
    quizzes = quiz_selectors.quizzes_with_results([course.pk], user)
    return is_course_complete(done, len(lessons), quizzes)


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


def learner_progress(user):
    """Every course a learner has started or joined, with lessons, quizzes, topic
    mastery, completion and certificate: for the dashboard and the API."""
    courses = dashboard_courses(user)
    ids = [course.pk for course in courses]
    quizzes = quiz_selectors.quizzes_with_results(ids, user)
    mastery = quiz_selectors.topic_mastery(
        user, ids, labels={course.pk: course.topic_labels for course in courses}
    )
    certificates = {
        c.course_id: c for c in Certificate.objects.filter(user=user, course_id__in=ids)
    }
    classes = classes_of(user)
    for course in courses:
        course.classes = classes.get(course.pk, [])
        course.quiz_list = [quiz for quiz in quizzes if quiz.course_id == course.pk]
        for quiz in course.quiz_list:
            quiz.course = course
        course.topics = mastery.get(course.pk, [])
        course.weak_topics = [topic for topic in course.topics if topic.weak]
        course.quizzes_passed = sum(1 for quiz in course.quiz_list if quiz.has_passed)
        course.complete = is_course_complete(
            course.completed_count, course.lesson_count, course.quiz_list
        )
        course.certificate = certificates.get(course.pk)
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


def classes_of(user):
    """{course id: [(cohort name, [instructor names])]} for the learner's cohorts."""
    rows = Cohort.objects.filter(learners=user).order_by("name").values_list(
        "pk", "course_id", "name", "instructors__full_name", "instructors__username"
    )
    by_cohort = {}
    for pk, course_id, name, full_name, username in rows:
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
