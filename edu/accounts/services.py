"""A learner's own account: API tokens, their data to take away, and deleting it."""

from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from edu.courses.models import Certificate, LessonProgress
from quizzes.models import Attempt

from . import selectors

DELETED_REASON = "The learner deleted their account."


@transaction.atomic
def issue_token(*, user):
    """A new API token for `user`: returns (the stored token, the token itself).

    The user's expired tokens are deleted (knox would on every request: see
    `authentication`). When this commits, the new token and its user are put
    in the cache, so its first request, often at once (a class logging in,
    then all starting a quiz on "go"), asks the database nothing: the token's
    save renews its entry's generation on commit first, and this reads after.
    """
    from .authentication import remember_token
    from .backends import CachedModelBackend

    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user)

    def remember():
        remember_token(instance.token_key)
        CachedModelBackend().get_user(user.pk)

    transaction.on_commit(remember, robust=True)  # (best effort: the token stands)
    return instance, token


def revoke_token(*, user, key):
    """Delete the user's live token named `key` (the account page and the API
    name it by its first characters); True if there was one."""
    deleted, _ = selectors.live_tokens(user).filter(token_key=key).delete()
    return bool(deleted)


def export_data(user):
    """Everything stored about the learner, as JSON-ready data."""
    attempts = (
        Attempt.objects.filter(user=user)
        .select_related("quiz__course")
        .prefetch_related("responses")
        .order_by("started_at", "pk")
    )
    return {
        "profile": {
            "username": user.username,
            "full_name": user.full_name,
            "email": user.email,
            "time_zone": user.time_zone,
            "date_joined": user.date_joined.isoformat(),
        },
        "classes": [
            {"name": cohort.name, "course": cohort.course.slug}
            for cohort in user.cohorts.select_related("course")
        ],
        "lessons": [
            {
                "course": p.lesson.course.slug,
                "lesson": p.lesson.slug,
                "first_viewed_at": p.first_viewed_at.isoformat(),
                "completed_at": p.completed_at.isoformat() if p.completed_at else None,
            }
            for p in LessonProgress.objects.filter(user=user).select_related("lesson__course")
        ],
        "attempts": [_attempt(a) for a in attempts],
        "certificates": [
            {
                "course": c.course.slug,
                "code": c.code,
                "name": c.name,
                "issued_at": c.issued_at.isoformat(),
                "revoked_at": c.revoked_at.isoformat() if c.revoked_at else None,
            }
            for c in Certificate.objects.filter(user=user).select_related("course")
        ],
        "api_tokens": [
            {"id": t.token_key, "created": t.created.isoformat(), "expiry": t.expiry.isoformat()}
            for t in AuthToken.objects.filter(user=user)
        ],
    }


def _attempt(attempt):
    def chosen(response):
        ids = set(response.selected)
        return [c["text"] for c in response.snapshot["choices"] if c["id"] in ids]

    return {
        "course": attempt.quiz.course.slug,
        "quiz": attempt.quiz.slug,
        "number": attempt.number,
        "state": attempt.state,
        "started_at": attempt.started_at.isoformat(),
        "submitted_at": attempt.submitted_at.isoformat() if attempt.submitted_at else None,
        "score": str(attempt.score) if attempt.score is not None else None,
        "passed": attempt.passed,
        "answers": [
            {
                "position": r.position,
                "question": r.snapshot["stem"],
                "chosen": chosen(r),
                "score": str(r.score) if r.score is not None else None,
            }
            for r in attempt.responses.all()
        ],
    }


@transaction.atomic
def delete_account(*, user, now=None):
    """Delete the account, its progress and attempts (they cascade). Issued
    certificates stay on record, revoked, so their public check says so."""
    now = now or timezone.now()
    mine = Certificate.objects.filter(user=user)
    mine.filter(revoked_at__isnull=True).update(revoked_at=now, revoked_reason=DELETED_REASON)
    mine.update(user=None)
    user.delete()
