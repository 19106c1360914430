"""Writes for learner progress. Keyword-only, atomic, safe to repeat."""

from django.db import transaction
from django.utils import timezone

from .models import LessonProgress


def record_lesson_view(*, user, lesson, now=None):
    """Note that a learner opened a lesson: one upsert statement."""
    now = now or timezone.now()
    LessonProgress.objects.bulk_create(
        [LessonProgress(user=user, lesson=lesson, first_viewed_at=now, last_viewed_at=now)],
        update_conflicts=True,
        unique_fields=["user", "lesson"],
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
