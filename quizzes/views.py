from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from . import selectors, services


def quiz_detail(request, course_slug, slug):
    quiz = selectors.get_quiz(course_slug, slug)
    attempts = selectors.attempts_of(request.user, quiz) if request.user.is_authenticated else []
    open_attempt = next((a for a in attempts if not a.is_submitted), None)
    used = len(attempts)
    return render(
        request,
        "quizzes/quiz_detail.html",
        {
            "quiz": quiz,
            "course": quiz.course,
            "attempts": [a for a in attempts if a.is_submitted],
            "open_attempt": open_attempt,
            "question_count": quiz.questions_per_attempt or selectors.pool_size(quiz),
            "can_start": open_attempt is None
            and (quiz.attempts_allowed is None or used < quiz.attempts_allowed),
        },
    )


@require_POST
@login_required
def quiz_start(request, course_slug, slug):
    quiz = selectors.get_quiz(course_slug, slug)
    try:
        attempt, _ = services.start_attempt(user=request.user, quiz=quiz)
    except services.QuizError as exc:
        messages.error(request, str(exc))
        return redirect(quiz)
    return redirect(attempt)


def _answers_from(post):
    """{response id: [choice ids]} for every question the form showed."""
    return {rid: post.getlist(f"r{rid}") for rid in post.getlist("shown")}


def _render_attempt(request, attempt, error=None, status=200):
    responses = selectors.responses_of(attempt)
    context = {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "course": attempt.quiz.course,
        "questions": selectors.questions_for_learner(responses),
        "answered": sum(1 for r in responses if r.selected),
        "error": error,
    }
    return render(request, "quizzes/attempt.html", context, status=status)


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


@login_required
def attempt_page(request, pk):
    attempt = selectors.get_own_attempt(pk, request.user)
    if request.method != "POST":
        if attempt.is_submitted:
            return redirect(attempt)
        return _render_attempt(request, attempt)

    action = request.POST.get("action", "save")
    answers = _answers_from(request.POST)
    try:
        if action == "submit":
            attempt, _ = services.save_and_submit(attempt=attempt, answers=answers)
            return redirect(attempt)
        services.save_answers(
            attempt=attempt, answers=answers, check=request.POST.getlist("check")
        )
    except services.QuizError as exc:
        attempt.refresh_from_db()
        if action == "submit" and attempt.is_submitted:
            return redirect(attempt)  # submitted twice: graded once, show the result
        if _wants_json(request):
            return JsonResponse({"detail": str(exc)}, status=exc.status)
        return _render_attempt(request, attempt, error=str(exc), status=exc.status)
    if _wants_json(request):
        return JsonResponse({"saved": True})
    messages.success(request, "Your answers are saved.")
    anchor = request.POST.get("check")
    return redirect(f"{attempt.get_absolute_url()}{f'#q{anchor}' if anchor else ''}")


@login_required
def attempt_review(request, pk):
    attempt = selectors.get_own_attempt(pk, request.user)
    if not attempt.is_submitted:
        return redirect(attempt)
    responses = selectors.responses_of(attempt)
    topics = selectors.topics_of(responses)
    return render(
        request,
        "quizzes/review.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "course": attempt.quiz.course,
            "reviews": [selectors.review_of(r) for r in responses],
            "topics": topics,
            "weak": [t for t in topics if t.weak],
        },
    )
