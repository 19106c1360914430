"""Signing in with a username and password, and finding the signed-in user.

Owner of the cache entry `accounts:user:<id>`: the signed-in user is read from
the cache on every request instead of the database. Every save or delete of a
user replaces it at once and again when the transaction commits (a password
change, deactivation or new last login are all saves), so a session never
outlives what the database says of its user. Permissions are not cached: they
are read when asked for, as usual.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache

from edu.cache import now_and_on_commit

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


def forget_user(sender, instance, **kwargs):
    """Receiver for saves and deletes of users."""
    key = user_key(instance.pk)
    now_and_on_commit(lambda: cache.delete(key))
