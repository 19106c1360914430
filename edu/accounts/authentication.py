"""API token authentication: django-rest-knox's tokens, checked from the cache.

knox reads the token by its key on every API request, then every other token
of its user to delete the expired ones: two queries, compiled by the ORM each
time, which cost an API answer more than the answer itself. Here the tokens
under a key (digest, expiry, user id) come from the cache, and the user from
the signed-in user's entry (`backends.CachedModelBackend`), as a session's do.
What knox checks is checked the same way: the digest (in constant time), the
expiry (an expired token is deleted and refused), and that the user may sign
in. Other expired tokens of a user are deleted when the user gets a new one.

Owner of the cache entry `accounts:token:<key>`: every save or delete of a
token (a new one, logout, revocation by its owner, every token of a user whose
password changes) replaces it at once and again when the transaction commits;
a deactivated or deleted user is refused through the user's own entry. The
entry holds what the database holds (the digests, never a token). A bulk
`.update()` of tokens sends no signal: change a token with save or delete.
"""

import binascii
from hmac import compare_digest

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS
from knox.signals import token_expired
from rest_framework import exceptions

from quizzes.caching import now_and_on_commit

from .backends import CachedModelBackend

SECONDS = 3600  # a bound on memory, never the way an entry goes stale


def token_key(key):
    return f"accounts:token:{key}"


def _tokens_under(key):
    """[(digest, expiry, user id)] of the tokens whose key is `key` (nearly
    always one), from the cache."""
    found = cache.get(token_key(key))
    if found is None:
        found = list(AuthToken.objects.filter(token_key=key).values_list(
            "digest", "expiry", "user_id"
        ))
        cache.set(token_key(key), found, SECONDS)
    return found


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token):
        refused = _("Invalid token.")
        token = token.decode("utf-8")
        key = token[:CONSTANTS.TOKEN_KEY_LENGTH]
        try:
            digest = hash_token(token)
        except (TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(refused) from None
        for stored, expiry, user_id in _tokens_under(key):
            if not compare_digest(digest, stored):
                continue
            if expiry is not None and expiry < timezone.now():
                instance = AuthToken.objects.filter(digest=stored).select_related("user").first()
                if instance is not None:
                    username = instance.user.get_username()
                    instance.delete()
                    token_expired.send(sender=self.__class__, username=username,
                                       source="auth_token")
                raise exceptions.AuthenticationFailed(refused)
            user = CachedModelBackend().get_user(user_id)
            if user is None:
                raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
            # The token in use, as request.auth (its logout deletes it by its digest).
            instance = AuthToken(digest=stored, token_key=key, user=user, expiry=expiry)
            instance._state.adding, instance._state.db = False, "default"
            return user, instance
        raise exceptions.AuthenticationFailed(refused)


def forget_token(sender, instance, **kwargs):
    """Receiver for saves and deletes of tokens."""
    key = token_key(instance.token_key)
    now_and_on_commit(lambda: cache.delete(key))


class CachedTokenScheme(KnoxTokenScheme):
    """The API schema describes these tokens as knox's."""

    target_class = "edu.accounts.authentication.CachedTokenAuthentication"
