from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from quizzes import selectors as quiz_selectors

from . import selectors, services
from .models import Lesson


def home(request):
    return render(request, "courses/home.html", {"courses": selectors.published_courses()})


def course_detail(request, slug):
    course = selectors.get_published_course(slug)
    lessons = selectors.course_lessons(course, request.user)
    quizzes = quiz_selectors.quizzes_with_results([course.pk], request.user)
    for quiz in quizzes:
        quiz.course = course
    after = {}
    for quiz in quizzes:
        after.setdefault(quiz.after_lesson_id, []).append(quiz)
    for lesson in lessons:
        lesson.quizzes = after.pop(lesson.pk, [])
    topics = []
    if request.user.is_authenticated:
        topics = quiz_selectors.topic_mastery(request.user, [course.pk]).get(course.pk, [])
    completed = sum(1 for lesson in lessons if getattr(lesson, "completed_at", None))
    return render(
        request,
        "courses/course_detail.html",
        {
            "course": course,
            "lessons": lessons,
            "unplaced_quizzes": [q for group in after.values() for q in group],
            "topics": topics,
            "completed": completed,
            "total": len(lessons),
        },
    )


def lesson_detail(request, course_slug, slug):
    lesson = selectors.get_lesson(course_slug, slug, request.user)
    previous, following, number, total = selectors.lesson_neighbours(lesson)
    if request.user.is_authenticated:
        services.record_lesson_view(user=request.user, lesson=lesson)
    return render(
        request,
        "courses/lesson_detail.html",
        {
            "course": lesson.course,
            "lesson": lesson,
            "previous": previous,
            "next": following,
            "number": number,
            "total": total,
        },
    )


@require_POST
@login_required
def lesson_complete(request, course_slug, slug):
    lesson = get_object_or_404(
        Lesson.objects.published().filter(course__published=True).select_related("course"),
        course__slug=course_slug,
        slug=slug,
    )
    services.complete_lesson(user=request.user, lesson=lesson)
    messages.success(request, f"“{lesson.title}” marked as complete.")
    return redirect(lesson)


@login_required
def dashboard(request):
    courses = selectors.dashboard_courses(request.user)
    ids = [course.pk for course in courses]
    quizzes = quiz_selectors.quizzes_with_results(ids, request.user)
    mastery = quiz_selectors.topic_mastery(request.user, ids)
    for course in courses:
        course.quiz_list = [quiz for quiz in quizzes if quiz.course_id == course.pk]
        for quiz in course.quiz_list:
            quiz.course = course
        course.topics = mastery.get(course.pk, [])
        course.weak_topics = [topic for topic in course.topics if topic.weak]
    return render(request, "courses/dashboard.html", {"courses": courses})
