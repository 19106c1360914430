"""The site's cache: Django's Redis backend, with one client per connection
pool instead of one per call (building a `redis.Redis` object costs more than
the GET it sends, about 0.3 ms of CPU, several times per request; clients
are thread-safe, the pool is Django's own). How an entry's owner replaces it
when its data changes is `quizzes.caching.now_and_on_commit`."""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusedClients(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class Cache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClients
