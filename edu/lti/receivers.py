"""Signal receivers: the assessment engine tells, this app listens."""

from django.core.cache import cache

from quizzes.caching import now_and_on_commit

from . import selectors, services


def queue_grade(sender, attempt, **kwargs):
    """Inside the submit transaction: an outbox row for a quiz opened from an LMS."""
    services.queue_grade(attempt=attempt)


def forget_frame_origins(sender, instance, **kwargs):
    """A registration or its framing options saved or deleted: its frame origins
    are read again (at once, and again after the transaction commits)."""
    key = selectors.frame_origins_key(getattr(instance, "registration_id", instance.pk))
    now_and_on_commit(lambda: cache.delete(key))
