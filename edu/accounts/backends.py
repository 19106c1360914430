"""Signing in with a username and password, and finding the signed-in user.

Owner of the cache entry `accounts:user:2:<id>`: the signed-in user is read from
the cache on every request instead of the database. Every save or delete of a
user starts a new generation of it at once and again when the transaction
commits (a password change, deactivation or new last login are all saves), so
a session never outlives what the database says of its user; a login puts the
user back. Permissions are not cached: they are read when asked for, as usual.

Each entry carries the generation it was built in (`cached`): a reader that
read the database just before a change committed, and wrote its entry just
after, wrote it under the older generation, and it is never served.
"""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

from quizzes.caching import of_generation, renew_generation

SECONDS = 3600  # a bound on memory, never the way an entry goes stale


def user_key(user_id):
    # ":2": entries carry their generation since this version; a server still
    # running the version before (a rolling deploy) keeps to its own keys.
    return f"accounts:user:2:{user_id}"


def cached(key, build, found=None):
    """The entry `key`, built again after each `renew(key)`: a generation of its
    own (`quizzes.caching.of_generation`), kept as long as the entry. `found`:
    what `read_together` returned, when the caller asked for `key` in it."""
    return of_generation(f"{key}:generation", key, build, SECONDS, generation_seconds=SECONDS,
                         found=found)


def read_together(*keys):
    """The cache's contents for the entries `keys` (each with its generation),
    in one round trip: for `cached(key, build, found)`."""
    return cache.get_many([name for key in keys for name in (f"{key}:generation", key)])


def renew(key):
    """A new generation of the entry `key`, now and when the transaction commits."""
    renew_generation(f"{key}:generation", SECONDS)


class CachedModelBackend(ModelBackend):
    def get_user(self, user_id, found=None):
        """The user `user_id` if they may sign in; `found`: what `read_together`
        returned, when the caller read the user's entry with others."""
        user = cached(user_key(user_id), lambda: super(CachedModelBackend, self).get_user(user_id),
                      found)
        if user is None:
            return None
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
    renew(user_key(instance.pk))
