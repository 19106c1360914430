"""Instructor pages that open a learner's records (each access is audited), and
invitations. Scoped: an instructor sees only the learners of cohorts they teach."""

from smtplib import SMTPException

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render

from edu.courses import selectors as course_selectors
from edu.courses.permissions import instructor_required
from quizzes import selectors as quiz_selectors

from . import selectors, services
from .forms import InviteForm
from .models import AuditEntry


@instructor_required
def learner_detail(request, pk, learner_pk):
    cohort = course_selectors.get_taught_cohort(request.user, pk)
    learner = get_object_or_404(cohort.learners, pk=learner_pk)
    services.audit(actor=request.user, action=AuditEntry.Action.VIEW_LEARNER, request=request,
                   cohort=cohort, learner=learner, target=f"progress of {learner.get_username()}")
    return render(
        request,
        "teaching/learner.html",
        {
            "cohort": cohort,
            "learner": learner,
            "lessons": course_selectors.course_lessons(cohort.course, learner),
            "attempts": selectors.attempts_in_course(learner, cohort.course_id),
        },
    )


@instructor_required
def attempt_detail(request, pk, attempt_pk):
    cohort = course_selectors.get_taught_cohort(request.user, pk)
    attempt = selectors.get_learner_attempt(cohort, attempt_pk)
    services.audit(actor=request.user, action=AuditEntry.Action.VIEW_ATTEMPT, request=request,
                   cohort=cohort, learner=attempt.user, target=str(attempt))
    responses = quiz_selectors.responses_of(attempt)
    return render(
        request,
        "teaching/attempt.html",
        {
            "cohort": cohort,
            "attempt": attempt,
            "learner": attempt.user,
            "quiz": attempt.quiz,
            "course": attempt.quiz.course,
            "reviews": [quiz_selectors.review_of(r) for r in responses],
            "topics": quiz_selectors.topics_of(
                responses, quiz_selectors.topic_labels(attempt.quiz.course)
            ),
        },
    )


@instructor_required
def invite(request, pk):
    cohort = course_selectors.get_taught_cohort(request.user, pk)
    form = InviteForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            made = services.invite(
                cohort=cohort,
                emails=form.cleaned_data["emails"],
                invited_by=request.user,
                accept_url=lambda inv: request.build_absolute_uri(inv.get_absolute_url()),
                request=request,
            )
        except (OSError, SMTPException):
            # Nothing was kept (one transaction): the instructor can simply try again.
            form.add_error(None, "The mail server could not send the invitations; none was "
                           "sent. Try again later, or share the join code instead.")
            status = 503
        else:
            messages.success(request, f"Sent {len(made)} invitation(s).")
            return redirect(cohort)
    if form.errors and status == 200:
        status = 400
    return render(request, "teaching/invite.html", {"cohort": cohort, "form": form},
                  status=status)


@login_required
def accept_invitation(request, token):
    if request.method != "POST":
        return render(request, "teaching/accept.html", {"token": token})
    try:
        cohort = services.accept_invitation(token=token, user=request.user, request=request)
    except services.InvitationError as exc:
        return render(request, "teaching/accept.html", {"token": token, "error": str(exc)},
                      status=400)
    messages.success(request, f"You joined {cohort.name}.")
    return redirect(cohort.course)

