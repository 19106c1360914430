"""Hardening: lockouts and throttles, tokens that die with the password, no 500
from any input (run on PostgreSQL in CI, which refuses what SQLite forgives),
JSON errors under /api/, and readiness."""

import re
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from knox.models import AuthToken
from rest_framework.test import APIClient

from .factories import UserFactory, make_instructor

PASSWORD = "correct-horse-battery"
# A short cool-off, with room for a loaded machine: the lock must still hold
# for the assertions that follow the fifth failure (a login hashes a password).
COOLOFF_SECONDS = 3
FAST_COOLOFF = override_settings(AXES_COOLOFF_TIME=timedelta(seconds=COOLOFF_SECONDS))


def wrong_logins(client, url, username, n=5):
    statuses = [client.post(url, {"username": username, "password": "wrong"}).status_code
                for _ in range(n)]
    assert statuses == [200] * (n - 1) + [429]  # the fifth failure locks


@pytest.mark.django_db
@FAST_COOLOFF
@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_logins_lock_out_after_five_failures_and_release_after_the_cool_off(client, url):
    UserFactory(username="victim", is_staff=True)
    wrong_logins(client, url, "victim")
    locked = client.post(url, {"username": "victim", "password": PASSWORD})
    assert locked.status_code == 429
    assert "Too many failed logins" in locked.content.decode()
    # Another account from the same address is not locked.
    UserFactory(username="bystander", is_staff=True)
    assert client.post(url, {"username": "bystander", "password": PASSWORD}).status_code == 302
    time.sleep(COOLOFF_SECONDS + 0.2)
    assert client.post(url, {"username": "victim", "password": PASSWORD}).status_code == 302


@pytest.mark.django_db
@FAST_COOLOFF
def test_token_endpoint_locks_out_and_releases(client):
    UserFactory(username="tokenuser")
    api = APIClient()
    statuses = [
        api.post("/api/v1/auth/token/", {"username": "tokenuser", "password": "x"},
                 format="json").status_code
        for _ in range(5)
    ]
    assert statuses == [400] * 4 + [429]  # the fifth failure locks
    locked = api.post("/api/v1/auth/token/", {"username": "tokenuser", "password": PASSWORD},
                      format="json")
    assert locked.status_code == 429 and "Too many failed logins" in locked.json()["detail"]
    assert 1 <= int(locked["Retry-After"]) <= COOLOFF_SECONDS
    time.sleep(COOLOFF_SECONDS + 0.2)
    ok = api.post("/api/v1/auth/token/", {"username": "tokenuser", "password": PASSWORD},
                  format="json")
    assert ok.status_code == 200 and ok.json()["token"]


@pytest.mark.django_db
def test_token_requests_are_throttled_with_retry_after():
    api = APIClient()
    statuses = [
        api.post("/api/v1/auth/token/", {"username": f"nobody{n}", "password": "x"},
                 format="json")
        for n in range(11)
    ]
    assert [r.status_code for r in statuses[:10]] == [400] * 10
    assert statuses[10].status_code == 429 and int(statuses[10]["Retry-After"]) > 0
    assert "detail" in statuses[10].json()


@pytest.mark.django_db
def test_sign_up_password_reset_and_join_codes_are_throttled(client, klonopin):
    def hammer(url, data, times):
        return [client.post(url, data) for _ in range(times)]

    signups = [
        client.post(reverse("signup"), {"username": f"u{n}", "full_name": "U", "email": "",
                                        "password1": "short", "password2": "short"})
        for n in range(11)
    ]
    assert {r.status_code for r in signups[:10]} == {200}
    assert signups[10].status_code == 429 and int(signups[10]["Retry-After"]) > 0
    resets = hammer(reverse("password_reset"), {"email": "a@example.com"}, 6)
    assert resets[-1].status_code == 429 and "Retry-After" in resets[-1]
    client.force_login(UserFactory())
    joins = hammer(reverse("courses:join"), {"code": "NOPE1234"}, 11)
    assert {r.status_code for r in joins[:10]} == {400}
    assert joins[10].status_code == 429 and "Too many join codes tried" in (
        joins[10].content.decode()
    )


def _token(user):
    return AuthToken.objects.create(user)[1]


def _works(token):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api.get("/api/v1/progress/").status_code == 200


@pytest.mark.django_db
def test_tokens_die_when_the_password_is_changed(client):
    user = UserFactory(username="changer")
    token = _token(user)
    assert _works(token)
    client.force_login(user)
    response = client.post(reverse("password_change"), {
        "old_password": PASSWORD, "new_password1": "a-brand-new-passphrase",
        "new_password2": "a-brand-new-passphrase",
    })
    assert response.status_code == 302
    assert not _works(token) and not AuthToken.objects.filter(user=user).exists()
    # A save that does not touch the password leaves new tokens alone.
    fresh = _token(user)
    user.refresh_from_db()
    user.full_name = "Changed Name"
    user.save()
    assert _works(fresh)


@pytest.mark.django_db
def test_tokens_die_when_the_password_is_reset(client):
    user = UserFactory(username="resetter", email="resetter@example.com")
    token = _token(user)
    client.post(reverse("password_reset"), {"email": "resetter@example.com"})
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)[1]
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {
        "new_password1": "another-long-passphrase", "new_password2": "another-long-passphrase",
    })
    assert not _works(token)


@pytest.mark.django_db
def test_tokens_are_hashed_expire_and_are_listed_and_revoked_by_their_owner():
    user = UserFactory(username="owner")
    api = APIClient()
    first = api.post("/api/v1/auth/token/", {"username": "owner", "password": PASSWORD},
                     format="json").json()
    second = _token(user)
    stored = list(AuthToken.objects.filter(user=user).values())
    for row in stored:
        assert first["token"] not in {str(v) for v in row.values()}
        assert second not in {str(v) for v in row.values()}
        assert row["expiry"] is not None
    api.credentials(HTTP_AUTHORIZATION=f"Token {first['token']}")
    listed = api.get("/api/v1/auth/tokens/").json()
    assert len(listed) == 2 and set(listed[0]) == {"id", "created", "expiry"}
    other = next(t["id"] for t in listed if not first["token"].startswith(t["id"]))
    assert api.delete(f"/api/v1/auth/tokens/{other}/").status_code == 204
    assert not _works(second) and _works(first["token"])
    assert api.delete("/api/v1/auth/tokens/nope/").status_code == 404
    stranger = APIClient()
    stranger.credentials(HTTP_AUTHORIZATION=f"Token {_token(UserFactory())}")
    mine = api.get("/api/v1/auth/tokens/").json()[0]["id"]
    assert stranger.delete(f"/api/v1/auth/tokens/{mine}/").status_code == 404


# No 500 from any input ---------------------------------------------------------

NUL = "\x00"


def _patterns(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _with_nul(route):
    """A concrete path for a route, every parameter carrying a NUL byte."""
    route = route.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")
    route = re.sub(r"<int:[^>]+>", "1", route)
    route = re.sub(r"<[^>]+>", "%00x", route)
    route = re.sub(r"\(\?P<[^>]+>[^)]*\)", "%00x", route)
    route = re.sub(r"[()?*+\[\]]", "", route)
    return "/" + route


@pytest.mark.django_db
def test_a_nul_byte_anywhere_is_never_a_server_error(client, klonopin):
    """Every URL pattern: NUL in the path, the query, a form body and a header, as a
    learner and as an instructor (PostgreSQL in CI refuses NUL in text)."""
    routes = sorted({_with_nul(r) for r in _patterns(get_resolver())})
    assert len(routes) > 40
    body = {"code": NUL, "username": NUL, "password": NUL, "email": NUL, "next": NUL,
            "shown": NUL, "action": NUL, "check": NUL, "emails": NUL, "name": NUL}
    failures = []
    for user in (UserFactory(username="nul-learner"), make_instructor("nul-teacher")):
        client.force_login(user)
        for route in routes:
            for method, kwargs in (
                ("get", {"path": f"{route}?page=%00&sort=%00&course=%00&next=%00"}),
                ("post", {"path": route, "data": body}),
                ("get", {"path": route, "HTTP_X_FORWARDED_FOR": f"1.2.3.4{NUL}"}),
            ):
                response = getattr(client, method)(**kwargs)
                if response.status_code >= 500:
                    failures.append((user.username, method, kwargs["path"], response.status_code))
    assert failures == []


@pytest.mark.django_db
def test_every_api_operation_refuses_nul_without_a_server_error(klonopin):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    api = APIClient()
    api.force_authenticate(make_instructor("nul-api"))
    json_body = {
        "answers": [{"question": 1, "options": [NUL]}], "check": [NUL],
        "username": NUL, "password": NUL,
    }
    failures, operations = [], 0
    for path, methods in schema["paths"].items():
        for method in methods:
            operations += 1
            concrete = re.sub(r"\{[^}]+\}", "%00", path)
            for url, data in ((concrete, json_body), (f"{path}?course=%00&page=%00", {NUL: NUL})):
                url = re.sub(r"\{[^}]+\}", "1", url)
                response = getattr(api, method)(url, data, format="json") if method in (
                    "post", "put", "patch"
                ) else getattr(api, method)(url)
                kind = response.get("Content-Type", "")
                if response.status_code >= 500 or (
                    response.status_code != 204 and not kind.startswith("application/json")
                ):
                    failures.append((method, url, response.status_code))
    assert operations >= 19 and failures == []


@pytest.mark.django_db
def test_deeply_nested_or_oversized_json_is_a_json_4xx(learner):
    api = APIClient()
    api.force_authenticate(learner)
    nested = api.post("/api/v1/auth/token/", "[" * 10_000 + "]" * 10_000,
                      content_type="application/json")
    assert nested.status_code == 400 and "nested too deeply" in nested.json()["detail"]
    huge = api.post("/api/v1/auth/token/", '{"username": "' + "x" * 2 * 2**20 + '"}',
                    content_type="application/json")
    assert huge.status_code == 413 and huge["Content-Type"] == "application/json"
    assert "too large" in huge.json()["detail"]


@pytest.mark.django_db
def test_api_errors_are_json(learner):
    api = APIClient()
    api.force_authenticate(learner)
    for status, response in (
        (404, api.get("/api/v1/no-such-thing/")),
        (405, api.put("/api/v1/progress/", {}, format="json")),
        (415, api.post("/api/v1/auth/token/", "a=b",
                       content_type="application/x-www-form-urlencoded")),
        (400, api.get("/api/v1/courses/?page=abc")),
        (400, api.get("/api/v1/courses/?page=99")),
    ):
        assert response.status_code == status, (status, response.content)
        assert response["Content-Type"].startswith("application/json")
        assert response.json()["detail"]


@pytest.mark.django_db
def test_api_server_errors_are_json(monkeypatch, learner):
    from quizzes import api as quiz_api

    def boom(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(quiz_api.QuizViewSet, "list", boom)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(learner)
    response = client.get("/api/v1/quizzes/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json" and response.json()["detail"]


@pytest.mark.django_db
def test_quiz_after_lesson_may_be_null_in_schema_and_body(learner):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["schemas"]["Quiz"]["properties"]["after_lesson"]["nullable"]


# Liveness and readiness ----------------------------------------------------------


@pytest.mark.django_db
def test_readyz_answers_503_when_the_database_is_unreachable(client, monkeypatch, settings):
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    assert client.get("/readyz").status_code == 200
    assert client.get("/healthz").status_code == 200
    unreachable = DatabaseWrapper(
        {**connection.settings_dict, "ENGINE": "django.db.backends.postgresql",
         "HOST": "127.0.0.1", "PORT": "9", "NAME": "none", "USER": "none", "PASSWORD": "",
         "OPTIONS": {"connect_timeout": 2}},
        alias="unreachable",
    )
    monkeypatch.setattr("edu.urls.connection", unreachable)
    response = client.get("/readyz")
    assert response.status_code == 503 and "database" in response.content.decode()
    assert client.get("/healthz").status_code == 200  # alive, just not ready


@pytest.mark.django_db
def test_readyz_answers_503_when_the_cache_is_unreachable(client, monkeypatch, settings):
    from django.core.cache.backends.redis import RedisCache

    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    monkeypatch.setattr("edu.urls.cache", RedisCache("redis://127.0.0.1:9/0", {}))
    response = client.get("/readyz")
    assert response.status_code == 503 and "cache" in response.content.decode()


@pytest.mark.django_db
def test_probes_are_exempt_from_the_ssl_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200
    assert client.get("/").status_code == 301


@pytest.mark.django_db
def test_a_token_is_checked_from_the_cache_and_every_change_reaches_it(
    django_assert_max_num_queries,
):
    """After its first use a token costs no query (its digest, expiry and user
    come from the cache); each way a token or its user can stop working is seen
    by the very next request."""
    from django.utils import timezone

    user = UserFactory(username="cached-token")
    token = _token(user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/auth/tokens/").status_code == 200
    with django_assert_max_num_queries(1):  # the list itself
        assert api.get("/api/v1/auth/tokens/").status_code == 200
    # A wrong secret under the same key is refused.
    forged = token[:15] + ("0" if token[15] != "0" else "1") + token[16:]
    assert not _works(forged) and _works(token)
    # Logout deletes the token in use: refused at once.
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert not _works(token)
    # Expiry, set as an admin would (a save): refused, and deleted.
    second = _token(user)
    assert _works(second)
    stored = AuthToken.objects.get(user=user)
    stored.expiry = timezone.now() - timedelta(seconds=1)
    stored.save()
    assert not _works(second) and not AuthToken.objects.filter(user=user).exists()
    # A deactivated user's token stops working; back when they are active again.
    third = _token(user)
    assert _works(third)
    user.is_active = False
    user.save()
    assert not _works(third)
    user.is_active = True
    user.save()
    assert _works(third)
    # A new token clears the user's expired ones.
    AuthToken.objects.filter(user=user).update(expiry=timezone.now() - timedelta(days=1))
    fresh = APIClient().post("/api/v1/auth/token/",
                             {"username": "cached-token", "password": PASSWORD}, format="json")
    assert fresh.status_code == 200
    assert AuthToken.objects.filter(user=user).count() == 1 and _works(fresh.json()["token"])


@pytest.mark.django_db
def test_a_known_token_and_its_user_are_read_in_one_round_trip(monkeypatch):
    """Once a process has seen a token, its request reads the token's entry and
    its user's together; a wrong guess of the user (a key last seen with someone
    else) still signs in the token's own user."""
    from django.core.cache import caches

    from edu.accounts import authentication
    from edu.accounts.authentication import token_key
    from edu.accounts.backends import user_key

    user, other = UserFactory(username="one-trip"), UserFactory(username="someone-else")
    token = _token(user)
    assert _works(token)  # the first request: the token's user is learned
    assert _works(_token(other))  # the other user's entry is in the cache too
    backend = type(caches["default"])
    reads, inside = [], []

    def recorded(real):
        def read(self, keys, *args, **kwargs):
            if not inside:  # a round trip (local memory's get_many calls get)
                reads.append(keys if isinstance(keys, list) else [keys])
            inside.append(1)
            try:
                return real(self, keys, *args, **kwargs)
            finally:
                inside.pop()
        return read

    for name in ("get", "get_many"):
        monkeypatch.setattr(backend, name, recorded(getattr(backend, name)))
    assert _works(token)
    ours = [keys for keys in reads if any(key.startswith("accounts:") for key in keys)]
    assert len(ours) == 1
    assert {token_key(token[:15]), user_key(user.pk)} <= set(ours[0])

    # A wrong guess, whose user's entry is current: read, and not used.
    monkeypatch.setitem(authentication._USER_OF_KEY, token[:15], other.pk)
    reads.clear()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listed = api.get("/api/v1/auth/tokens/")
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()] == [token[:15]]  # its own user's
    assert any(user_key(other.pk) in keys for keys in reads)
    assert authentication._USER_OF_KEY[token[:15]] == user.pk


@pytest.mark.django_db(transaction=True)  # as a server runs: the revocation commits
def test_a_token_revoked_while_a_request_reads_it_is_not_cached_again():
    """A request that read the token's row just before its revocation committed
    writes its entry just after: that entry is of an older generation and is
    never served. Likewise for a user deactivated under a request's feet."""
    from django.core.cache import cache

    from edu.accounts.authentication import token_key
    from edu.accounts.backends import user_key

    user = UserFactory(username="raced-token")
    token = _token(user)
    assert _works(token)
    key = token_key(token[:15])
    generation, rows = cache.get(key)  # what a reader holds before the revocation
    AuthToken.objects.filter(user=user).delete()  # logout, committed
    cache.set(key, (generation, rows))  # the late reader writes what it read
    assert not _works(token)

    other = _token(user)
    assert _works(other)
    generation, stale = cache.get(user_key(user.pk))
    user.is_active = False
    user.save()  # deactivated, committed
    cache.set(user_key(user.pk), (generation, stale))  # a late reader's active user
    assert not _works(other)


@pytest.mark.django_db(transaction=True)  # the token is cached when its issue commits
def test_a_new_token_asks_the_database_nothing_on_its_first_request(
    django_assert_max_num_queries,
):
    """A class logs in, then everyone starts the quiz at once: the token and its
    user are in the cache from the login on."""
    UserFactory(username="first-request")
    issued = APIClient().post("/api/v1/auth/token/",
                              {"username": "first-request", "password": PASSWORD}, format="json")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {issued.json()['token']}")
    with django_assert_max_num_queries(1):  # the list itself
        assert api.get("/api/v1/auth/tokens/").status_code == 200
    # Cached at issue, and still every change reaches it: a revocation at once.
    assert api.delete("/api/v1/auth/token/").status_code == 204
    assert api.get("/api/v1/auth/tokens/").status_code == 401


@pytest.mark.django_db
def test_credentials_that_are_not_a_token_are_refused_without_a_lookup(
    django_assert_num_queries,
):
    from django.core.cache import cache

    from edu.accounts.authentication import token_key

    for credential in ("short", "z" * 64, "0" * 63, "0" * 65, "é" * 64):
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {credential}")
        with django_assert_num_queries(0):
            assert api.get("/api/v1/progress/").status_code == 401
        assert cache.get(token_key(credential[:15])) is None
    # A well-formed token nobody holds is refused, and not cached either.
    assert not _works("0" * 64)
    assert cache.get(token_key("0" * 15)) is None


@pytest.mark.django_db
def test_expired_tokens_are_cleared_by_the_daily_command(monkeypatch):
    import io

    from django.core.management import call_command
    from django.utils import timezone

    from edu.accounts.management.commands import clear_expired_tokens

    monkeypatch.setattr(clear_expired_tokens, "BATCH", 2)  # several batches
    user = UserFactory(username="many-tokens")
    live = _token(user)
    expired = [_token(user) for _ in range(5)]
    assert _works(expired[0])  # cached while it was live
    for stored in AuthToken.objects.filter(token_key__in=[t[:15] for t in expired]):
        stored.expiry = timezone.now() - timedelta(minutes=1)
        stored.save()
    out = io.StringIO()
    call_command("clear_expired_tokens", stdout=out)
    assert out.getvalue().strip() == "5 expired API tokens deleted."
    assert list(AuthToken.objects.filter(user=user).values_list("token_key", flat=True)) == [
        live[:15]
    ]
    assert _works(live) and not _works(expired[0])
