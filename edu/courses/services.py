"""Writes for learner progress. Keyword-only, atomic, safe to repeat."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from edu.teaching import services as teaching
from quizzes import selectors as quiz_selectors
from quizzes import statistics

from . import selectors
from .models import Certificate, Cohort, LessonProgress

# A lesson view refreshes "last viewed" at most this often: reading a lesson
# should not cost a database write on every page load.
VIEW_REFRESH = timedelta(minutes=5)


def record_lesson_view(*, user, lesson_id, last_viewed_at=None, now=None):
    """Note that a learner opened a lesson: one upsert, skipped when the
    learner's last recorded view (`last_viewed_at`, if the caller knows it) is
    recent."""
    now = now or timezone.now()
    if last_viewed_at is not None and now - last_viewed_at < VIEW_REFRESH:
        return
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=user, lesson_id=lesson_id, first_viewed_at=now,
                        last_viewed_at=now)],
        update_conflicts=True, unique_fields=["user", "lesson"],
        update_fields=["last_viewed_at"],
    )


@transaction.atomic
def complete_lesson(*, user, lesson, now=None):
    """Mark a lesson complete. Completing again keeps the first completion time."""
    now = now or timezone.now()
    progress, _ = LessonProgress.objects.get_or_create(
        user=user, lesson=lesson, defaults={"first_viewed_at": now, "last_viewed_at": now}
    )
    LessonProgress.objects.filter(pk=progress.pk, completed_at__isnull=True).update(
        completed_at=now
    )
    progress.refresh_from_db(fields=["completed_at"])
    return progress


class CourseActionError(Exception):
    """A learner action that cannot be done; the message says why."""


@transaction.atomic
def join_cohort(*, user, code, now=None, request=None):
    now = now or timezone.now()
    code = "".join((code or "").split()).upper()
    cohort = Cohort.objects.select_related("course").filter(join_code=code).first()
    if cohort is None or not cohort.course.published:
        raise CourseActionError("That join code is not valid. Check it with your instructor.")
    if cohort.join_code_expires_at and cohort.join_code_expires_at <= now:
        raise CourseActionError("That join code has expired. Ask your instructor for a new one.")
    teaching.join(user=user, cohort=cohort, request=request)
    return cohort


@transaction.atomic
def issue_certificate(*, user, course):
    """The learner's certificate for a completed course (the same one if asked again)."""
    if not selectors.is_complete(user, course):
        raise CourseActionError(
            "Complete every lesson and pass every quiz to earn the certificate."
        )
    final = quiz_selectors.best_final_attempt(user, course.pk)
    certificate, _ = Certificate.objects.get_or_create(
        user=user,
        course=course,
        defaults={
            "name": user.get_full_name(),
            "final_score": final.score if final else None,
            "final_passed_at": final.submitted_at if final else None,
        },
    )
    return certificate


@transaction.atomic
def revoke_certificates(*, certificates, reason, by, request=None, now=None):
    """Revoke each certificate not yet revoked, with a reason; audited. Returns the count."""
    now = now or timezone.now()
    count = 0
    for certificate in certificates.select_for_update().filter(revoked_at__isnull=True):
        certificate.revoked_at, certificate.revoked_reason = now, reason
        certificate.save(update_fields=["revoked_at", "revoked_reason"])
        teaching.audit(actor=by, action=teaching.Action.REVOKE_CERTIFICATE, request=request,
                       learner=certificate.user, target=f"{certificate}: {reason}")
        count += 1
    return count


@transaction.atomic
def reinstate_certificates(*, certificates, by, request=None):
    """Undo a revocation; audited. Returns the count."""
    count = 0
    for certificate in certificates.select_for_update().filter(revoked_at__isnull=False):
        certificate.revoked_at, certificate.revoked_reason = None, ""
        certificate.save(update_fields=["revoked_at", "revoked_reason"])
        teaching.audit(actor=by, action=teaching.Action.REINSTATE_CERTIFICATE, request=request,
                       learner=certificate.user, target=str(certificate))
        count += 1
    return count


def cohort_deleting(sender, instance, **kwargs):
    """Receiver for pre_delete of a cohort, inside the deletion's transaction:
    wait for any item-analysis report of it being brought up to date, and keep
    new ones out until the deletion commits (they then find the cohort gone,
    instead of failing on its foreign key)."""
    statistics.lock_cohort_tallies([instance.pk])


def quiz_deleting(sender, instance, **kwargs):
    """Receiver for pre_delete of a quiz: the same, for every cohort of its course."""
    statistics.lock_cohort_tallies(
        Cohort.objects.filter(course_id=instance.course_id).values_list("pk", flat=True)
    )
