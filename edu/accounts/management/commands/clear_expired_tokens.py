"""Delete expired API tokens: run daily from cron, as Django's clearsessions.

An expired token is refused and deleted when it is next presented, and a
user's expired tokens are deleted when they get a new one
(`edu/accounts/authentication.py`); the tokens nobody presents again stay
until this command. Deleted in batches, each through the ORM, so that every
deletion reaches the token cache.
"""

from django.core.management.base import BaseCommand
from django.template.defaultfilters import pluralize
from django.utils import timezone
from knox.models import AuthToken

BATCH = 1000


class Command(BaseCommand):
    help = "Delete expired API tokens (run daily, e.g. from cron)."

    def handle(self, *args, **options):
        now, deleted = timezone.now(), 0
        while True:
            batch = list(
                AuthToken.objects.filter(expiry__lt=now).values_list("pk", flat=True)[:BATCH]
            )
            if not batch:
                break
            count, _ = AuthToken.objects.filter(pk__in=batch).delete()
            deleted += count
        self.stdout.write(f"{deleted} expired API token{pluralize(deleted)} deleted.")
