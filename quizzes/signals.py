"""What the engine tells the rest of the site, without importing it."""

from django.dispatch import Signal

# Sent inside the submit transaction, once per attempt, right after it is
# graded: `attempt` carries its final score. Receivers that write (an outbox
# row, say) commit or roll back with the submission itself.
attempt_submitted = Signal()
