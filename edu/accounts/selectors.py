"""Reads of the accounts app."""

from django.utils import timezone
from knox.models import AuthToken


def live_tokens(user):
    """The user's API tokens that still work, newest first (the account page and
    the API list them; an owner revokes only these)."""
    return AuthToken.objects.filter(user=user, expiry__gt=timezone.now()).order_by("-created")
