"""Signing in with a username and password, and finding the signed-in user.

Owner of the cache entry `accounts:user:<id>`: the signed-in user is read from
the cache on every request instead of the database. Every save or delete of a
user replaces it at once and again when the transaction commits (a password
change, deactivation or new last login are all saves), so a session never
outlives what the database says of its user; a login puts the user back.
Permissions are not cached: they are read when asked for, as usual.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

from quizzes.caching import now_and_on_commit

SECONDS = 3600  # a bound on memory, never the way an entry goes stale


def user_key(user_id):
    return f"accounts:user:{user_id}"


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id):
        key = user_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is None:
                return None
            cache.set(key, user, SECONDS)
        return user if self.user_can_authenticate(user) else None


def remember_user(sender, request, user, **kwargs):
    """Receiver for logins (after Django's own, whose save of `last_login`
    dropped the entry): the user is read again and cached, so the first
    request of the session finds it there. Read again, not the object that
    signed in: that one may carry state of its own (permissions checked before
    a grant). Inside a transaction the entry is left to the next request: the
    save's drop on commit would follow."""
    if not transaction.get_connection().in_atomic_block:
        cache.delete(user_key(user.pk))
        CachedModelBackend().get_user(user.pk)


def forget_user(sender, instance, **kwargs):
    """Receiver for saves and deletes of users."""
    key = user_key(instance.pk)
    now_and_on_commit(lambda: cache.delete(key))
