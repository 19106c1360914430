"""API token authentication: django-rest-knox's tokens, checked from the cache.

knox reads the token by its key on every API request, then every other token
of its user to delete the expired ones: two queries, compiled by the ORM each
time, which cost an API answer more than the answer itself. Here the tokens
under a key (digest, expiry, user id) come from the cache, and the user from
the signed-in user's entry (`backends.CachedModelBackend`), as a session's do;
both in one round trip once the process has seen the token's user.
What knox checks is checked the same way: the digest (in constant time), the
expiry (an expired token is deleted and refused), and that the user may sign
in. Other expired tokens of a user are deleted when the user gets a new one.

Owner of the cache entry `accounts:token:2:<key>`: every save or delete of a
token (a new one, logout, revocation by its owner, every token of a user whose
password changes) starts a new generation of it at once and again when the
transaction commits (`backends.cached`: an entry written by a reader that read
the database before the change committed is never served); a deactivated or
deleted user is refused through the user's own entry. The entry holds what the
database holds (the digests, never a token); a key with no token is not
cached, and a credential that is not a token's shape is refused before the
cache or the database is asked. A bulk `.update()` of tokens sends no signal:
change a token with save or delete. knox's AUTO_REFRESH is not supported.
"""

import binascii
from hmac import compare_digest

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication
from knox.crypto import hash_token
from knox.models import AuthToken
from knox.settings import CONSTANTS, knox_settings
from knox.signals import token_expired
from rest_framework import exceptions

from .backends import CachedModelBackend, cached, read_together, renew, user_key


def token_key(key):
    return f"accounts:token:2:{key}"  # (":2": see backends.user_key)


if knox_settings.AUTO_REFRESH:
    raise ImproperlyConfigured("CachedTokenAuthentication does not renew tokens: "
                               "REST_KNOX['AUTO_REFRESH'] must be False.")
TOKEN_LENGTH = len(knox_settings.TOKEN_PREFIX) + knox_settings.AUTH_TOKEN_CHARACTER_LENGTH
HEX = frozenset("0123456789abcdef")


# Token key -> the id of the user its token had when last used in this process:
# a guess that lets the token's entry and its user's come in one round trip
# instead of two, one after the other. Never trusted: the user is the one the
# token's current entry names, and a wrong guess costs the second round trip.
_USER_OF_KEY = {}
_GUESSES = 10_000  # a bound on memory: the whole dict is dropped when full


def _tokens_under(key, found=None):
    """[(digest, expiry, user id)] of the tokens whose key is `key` (nearly
    always one), from the cache (`found`: what `read_together` read of it)."""
    def read():
        return list(AuthToken.objects.filter(token_key=key).values_list(
            "digest", "expiry", "user_id"
        )) or None  # (none: not cached)

    return cached(token_key(key), read, found) or []


def remember_token(key):
    """Cache the tokens under `key` now (for a token just issued)."""
    _tokens_under(key)


def _well_formed(token):
    prefix = knox_settings.TOKEN_PREFIX
    return (len(token) == TOKEN_LENGTH and token.startswith(prefix)
            and HEX.issuperset(token[len(prefix):]))


class CachedTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, token):
        refused = _("Invalid token.")
        try:
            token = token.decode("utf-8")
            if not _well_formed(token):
                raise ValueError
            digest = hash_token(token)
        except (UnicodeDecodeError, ValueError, TypeError, binascii.Error):
            raise exceptions.AuthenticationFailed(refused) from None
        key = token[:CONSTANTS.TOKEN_KEY_LENGTH]
        guess = _USER_OF_KEY.get(key)
        found = read_together(token_key(key), *([user_key(guess)] if guess is not None else []))
        for stored, expiry, user_id in _tokens_under(key, found):
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
            # The entry read above is the user's only if the guess was right.
            user = CachedModelBackend().get_user(user_id, found if user_id == guess else None)
            if user is None:
                raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
            if len(_USER_OF_KEY) >= _GUESSES:
                _USER_OF_KEY.clear()
            _USER_OF_KEY[key] = user_id
            # The token in use, as request.auth (its logout deletes it by its digest).
            instance = AuthToken(digest=stored, token_key=key, user=user, expiry=expiry)
            instance._state.adding, instance._state.db = False, "default"
            return user, instance
        raise exceptions.AuthenticationFailed(refused)


def forget_token(sender, instance, **kwargs):
    """Receiver for saves and deletes of tokens."""
    renew(token_key(instance.token_key))


class CachedTokenScheme(KnoxTokenScheme):
    """The API schema describes these tokens as knox's."""

    target_class = "edu.accounts.authentication.CachedTokenAuthentication"
