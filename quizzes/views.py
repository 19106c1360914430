from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from . import caching, selectors, services
from .forms import AttemptForm


def quiz_detail(request, course_slug, slug):
    """The quiz as every learner sees it comes from the cache; the learner's own
    part (their attempts) is one query."""
    page = caching.quiz_page(course_slug, slug)
    if page is None:
        raise Http404("No such quiz.")
    quiz = page.quiz
    attempts = selectors.attempts_of(request.user, quiz) if request.user.is_authenticated else []
    open_attempt = next((a for a in attempts if not a.is_submitted), None)
    refusal = None
    if request.user.is_authenticated and open_attempt is None:
        try:
            services.may_start(quiz, attempts)
        except services.QuizError as exc:
            refusal = str(exc)
    return render(
        request,
        "quizzes/quiz_detail.html",
        {
            "page": page,
            "quiz": quiz,
            "course": quiz.course,
            "attempts": [a for a in attempts if a.is_submitted],
            "open_attempt": open_attempt,
            "refusal": refusal,
        },
    )


@require_POST
@login_required
def quiz_start(request, course_slug, slug):
    quiz = selectors.get_quiz(course_slug, slug)
    try:
        attempt, created = services.start_attempt(user=request.user, quiz=quiz)
    except services.QuizError as exc:
        messages.error(request, str(exc))
        return redirect(quiz)
    if created:
        caching.remember_started(attempt)
    return redirect(attempt)


def _render_attempt(request, attempt, error=None, status=200):
    """The questions' markup comes from the cache with the learner's answers
    ticked, until one is checked (immediate feedback: its review is rendered)
    or the attempt is submitted (a refused post)."""
    quiz = attempt.quiz
    states = attempt.answer_states or []  # (an attempt read `with_answers`)
    context = {
        "attempt": attempt,
        "quiz": quiz,
        "course": quiz.course,
        "total": len(states),
        "answered": sum(1 for _, selected, _ in states if selected),
        "checkable": quiz.checkable,
        "error": error,
    }
    if attempt.is_submitted or any(checked for _, _, checked in states):
        context["questions"] = selectors.questions_for_learner(selectors.responses_of(attempt))
    else:
        context["questions_html"] = caching.ticked_questions(attempt, states)
    return render(request, "quizzes/attempt.html", context, status=status)


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _refuse(request, attempt, message, status):
    if _wants_json(request):
        return JsonResponse({"detail": message}, status=status)
    return _render_attempt(request, attempt, error=message, status=status)


@login_required
def attempt_page(request, pk):
    if request.method != "POST":
        attempt = selectors.get_own_attempt(pk, request.user, with_answers=True)
        if attempt.is_submitted:
            return redirect(attempt)
        return _render_attempt(request, attempt)
    form = AttemptForm(request.POST)
    if not form.is_valid():
        return _refused(request, pk, form.error_text(), 400)
    action, check = form.cleaned_data["action"], form.cleaned_data["check"]
    try:
        if action == "submit":
            services.submit_attempt(attempt_id=pk, user=request.user, answers=form.answers())
            return redirect("quizzes:review", pk=pk)
        services.save_answers(
            attempt_id=pk, user=request.user, answers=form.answers(),
            check=[check] if check else [],
        )
    except services.AttemptNotFound:
        raise Http404("No such attempt.") from None
    except services.QuizError as exc:
        return _refused(request, pk, str(exc), exc.status)
    if _wants_json(request):
        return JsonResponse({"saved": True})
    if action == "finish":
        return redirect("quizzes:summary", pk=pk)
    messages.success(request, "Your answers are saved.")
    page = reverse("quizzes:attempt", kwargs={"pk": pk})
    return redirect(f"{page}#q{check}" if check else page)


def _refused(request, pk, message, status):
    """A post that saved nothing. An attempt submitted already (another tab, a
    double click) answers a second submit with its result, anything else 409."""
    attempt = selectors.get_own_attempt(pk, request.user, with_answers=True)
    if attempt.is_submitted:
        if request.POST.get("action") == "submit" and not _wants_json(request):
            return redirect(attempt)
        message, status = services.CLOSED_MESSAGE, 409
    return _refuse(request, attempt, message, status)


@login_required
def attempt_summary(request, pk):
    """Before submitting: every question, answered or not, with links back."""
    attempt = selectors.get_own_attempt(pk, request.user)
    if attempt.is_submitted:
        return redirect(attempt)
    questions = selectors.questions_for_learner(selectors.responses_of(attempt))
    unanswered = [q for q in questions if not q["selected"]]
    return render(
        request,
        "quizzes/summary.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "course": attempt.quiz.course,
            "questions": questions,
            "unanswered": unanswered,
        },
    )


@require_POST
@login_required
def attempt_submit(request, pk):
    try:
        services.submit_attempt(attempt_id=pk, user=request.user)
    except services.AttemptNotFound:
        raise Http404("No such attempt.") from None
    return redirect("quizzes:review", pk=pk)


@login_required
def attempt_review(request, pk):
    attempt = selectors.get_own_attempt(pk, request.user, with_standing=True)
    if not attempt.is_submitted:
        return redirect(attempt)
    policy = selectors.review_policy(attempt)
    responses = selectors.responses_of(attempt)
    topics = selectors.topics_of(responses, selectors.topic_labels(attempt.quiz.course))
    refusal = services.start_refusal(
        attempt.quiz, used=attempt.used, last_submitted=attempt.last_submitted
    )
    return render(
        request,
        "quizzes/review.html",
        {
            "attempt": attempt,
            "quiz": attempt.quiz,
            "course": attempt.quiz.course,
            "policy": policy,
            "reviews": [selectors.review_of(r, policy) for r in responses],
            "topics": topics,
            "weak": [t for t in topics if t.weak],
            "can_retry": refusal is None,
            "retry_refusal": refusal,
        },
    )
