"""Scale-out: app servers keep no state. Two gunicorn processes (one worker
each, on two free ports) share the test database and Redis, and serve one
learner in turn: log in on A, read a lesson on B, start an attempt on A, save
answers on A and B alternately, submit on B, see the result on A.

Redis must be running on 127.0.0.1:6379 (db 14 is used and flushed here); the
test fails, never skips, when it is not. It runs on SQLite (the test database
file, TEST_SQLITE_PATH) and on PostgreSQL (the test database, DATABASE_URL).
"""

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest
import requests
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.template.defaultfilters import floatformat

from .factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/14"
PASSWORD = "scale-out-password"
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url():
    """The test database, as a DATABASE_URL the app servers can open."""
    settings = connection.settings_dict
    name = str(settings["NAME"])
    if connection.vendor == "sqlite":
        if name == ":memory:" or name.startswith("file:") or "mode=memory" in name:
            pytest.fail("the scale-out test needs a file test database (TEST_SQLITE_PATH)")
        return f"sqlite:///{Path(name).resolve()}"
    if connection.vendor == "postgresql":
        user = quote(settings.get("USER") or "", safe="")
        password = quote(str(settings.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings.get("HOST") or "127.0.0.1"
        port = settings.get("PORT") or "5432"
        return f"postgres://{credentials}{host}:{port}/{quote(name, safe='')}"
    pytest.fail(f"no DATABASE_URL for a {connection.vendor} test database")


@pytest.fixture
def shared_redis():
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.fail(
            f"Redis must run on 127.0.0.1:6379 for the scale-out test ({exc}); "
            "start it with: redis-server --daemonize yes --save '' --appendonly no"
        )
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def app_servers(shared_redis, klonopin):
    """Two gunicorn processes on free ports, sharing the test database and Redis."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "edu.settings",
        "DJANGO_ENV_FILE": os.devnull,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": REDIS_URL,
        "DJANGO_SECRET_KEY": "scale-out-test-secret-key-" + "s" * 40,
        # Debug for unhashed static URLs (no collectstatic here); plain HTTP.
        "DJANGO_DEBUG": "1",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",
        "DJANGO_CSRF_COOKIE_SECURE": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_CONN_MAX_AGE": "0",  # no connection outlives a request (the test DB is dropped)
        "DJANGO_LOG_LEVEL": "WARNING",
    }
    servers = []
    try:
        for _ in range(2):
            port = _free_port()
            log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in the finally below)
            process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "edu.wsgi", "--bind", f"127.0.0.1:{port}",
                 "--workers", "1", "--timeout", "60", "--log-level", "warning"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            servers.append((f"http://127.0.0.1:{port}", process, log))
        for url, process, log in servers:
            _wait_until_up(url, process, log)
        yield [url for url, _, _ in servers]
    finally:
        for _, process, log in servers:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.close()


def _wait_until_up(url, process, log):
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            if requests.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass  # still booting
        time.sleep(0.2)
    log.seek(0)
    pytest.fail(f"app server {url} did not start:\n{log.read().decode(errors='replace')[-3000:]}")


@pytest.mark.django_db(transaction=True)
def test_one_learner_served_by_two_app_servers_in_turn(app_servers, klonopin):
    from quizzes.models import Attempt, Quiz

    a, b = app_servers
    hasher = PBKDF2PasswordHasher()  # the app servers' hasher (the tests' is MD5)
    user = UserFactory(username="grace")
    user.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
    user.save(update_fields=["password"])
    quiz = Quiz.objects.get(course=klonopin, slug="withdrawal-safety")
    lesson = klonopin.lessons.published().get(slug="withdrawal-and-safety-concerns")
    browser = requests.Session()

    # Log in on A.
    page = browser.get(f"{a}/accounts/login/")
    token = CSRF_RE.search(page.text).group(1)
    login = browser.post(
        f"{a}/accounts/login/",
        data={"username": "grace", "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{a}/accounts/login/"},
        allow_redirects=False,
    )
    assert login.status_code == 302, login.text[:500]

    # The session works on B: a lesson page, logged in.
    read = browser.get(f"{b}{lesson.get_absolute_url()}", allow_redirects=False)
    assert read.status_code == 200, (read.status_code, read.headers.get("Location"))
    assert lesson.title in read.text
    dashboard = browser.get(f"{b}/dashboard/", allow_redirects=False)  # login required
    assert dashboard.status_code == 200, (dashboard.status_code, dashboard.headers.get("Location"))

    # Start an attempt on A (the API, with the session and its CSRF token).
    csrf = {"X-CSRFToken": browser.cookies["csrftoken"]}
    started = browser.post(f"{a}/api/v1/quizzes/{quiz.pk}/attempts/", headers=csrf)
    assert started.status_code == 201, started.text[:500]
    attempt = started.json()
    assert attempt["questions"]

    # Save the answers one at a time, on A and B in turn.
    sent = {}
    for index, question in enumerate(attempt["questions"]):
        server = (a, b)[index % 2]
        choice = question["options"][index % len(question["options"])]["token"]
        saved = browser.post(
            f"{server}/api/v1/attempts/{attempt['id']}/answers/",
            json={"answers": [{"question": question["id"], "options": [choice]}]},
            headers=csrf,
        )
        assert saved.status_code == 200, (server, saved.status_code, saved.text[:500])
        sent[question["id"]] = [choice]

    # Submit on B, with the HTML form.
    submitted = browser.post(
        f"{b}/attempts/{attempt['id']}/submit/",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": f"{b}/attempts/{attempt['id']}/"},
        allow_redirects=False,
    )
    assert submitted.status_code == 302, submitted.text[:500]

    # On A: submitted, with exactly the answers sent, and the score shown.
    stored = Attempt.objects.get(pk=attempt["id"])
    assert stored.state == Attempt.State.SUBMITTED
    answers = {}
    for response in stored.responses.all():
        tokens = {c["id"]: c["token"] for c in response.snapshot["choices"]}
        answers[response.pk] = sorted(tokens[i] for i in response.selected)
    assert answers == sent
    result = browser.get(f"{a}/attempts/{attempt['id']}/review/", allow_redirects=False)
    assert result.status_code == 200, (result.status_code, result.headers.get("Location"))
    assert f"Your score: {floatformat(stored.score, 0)}%" in result.text
    # And the attempt page on A sends a submitted attempt to its result.
    again = browser.get(f"{a}/attempts/{attempt['id']}/", allow_redirects=False)
    assert again.status_code == 302
