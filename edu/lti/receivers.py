"""Signal receivers: the assessment engine tells, this app listens."""

from . import services


def queue_grade(sender, attempt, **kwargs):
    """Inside the submit transaction: an outbox row for a quiz opened from an LMS."""
    services.queue_grade(attempt=attempt)
