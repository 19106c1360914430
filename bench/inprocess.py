"""Queries and CPU per request, in-process: what one request of each page and
write costs the app server, without the network or the load generator.

Run by bench/run.py (the "queries" and "CPU ms" columns), or alone against a
seeded database: `python bench/inprocess.py` with the bench environment.
Each request goes through Django's WSGI handler and every middleware, as under
gunicorn (not the test client, whose own work would be counted); CPU is the
process time of each request, median and p90 over many, in the best of three
rounds (this machine's speed varies with its neighbours' load by a third).
"""

import json
import statistics
import time

SAMPLES = 200
ROUNDS = 3


_HANDLER = None
CSRF = "b" * 32  # a CSRF secret: sent as the cookie and echoed in the header


class WsgiClient:
    """Requests straight into one shared WSGI handler, with a session cookie."""

    def __init__(self):
        global _HANDLER
        from django.core.handlers.wsgi import WSGIHandler

        if _HANDLER is None:
            _HANDLER = WSGIHandler()
        self.session = None
        self.token = None  # an API token instead of the session, as API clients use

    def force_login(self, user):
        from django.test import Client

        login = Client()
        login.force_login(user)
        self.session = login.cookies["sessionid"].value

    def use_token(self, user):
        """Authenticate API requests with a new token of `user`, as API clients do."""
        from knox.models import AuthToken

        self.session, self.token = None, AuthToken.objects.create(user)[1]
        self.get("/api/v1/auth/tokens/")  # its first use: the token is cached, as in use

    def _call(self, method, path, body=b"", content_type=None):
        from django.test.client import FakePayload

        cookies = f"csrftoken={CSRF}" + (f"; sessionid={self.session}" if self.session else "")
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": "127.0.0.1", "HTTP_COOKIE": cookies, "HTTP_X_CSRFTOKEN": CSRF,
            "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
            "wsgi.input": FakePayload(body), "CONTENT_LENGTH": str(len(body)),
        }
        if content_type:
            environ["CONTENT_TYPE"] = content_type
        if self.token:
            environ["HTTP_AUTHORIZATION"] = f"Token {self.token}"
        response = _HANDLER(environ, lambda status, headers, exc_info=None: None)
        response.content  # noqa: B018  (a streaming body is read in full)
        return response

    def get(self, path):
        return self._call("GET", path)

    def post(self, path, data=None, content_type=None):
        from urllib.parse import urlencode

        if content_type is None and data is not None:
            body = urlencode(data, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            body = (data or "").encode() if isinstance(data or "", str) else data
        return self._call("POST", path, body, content_type)


def _json(response):
    return json.loads(response.content)


def _client(user=None):
    client = WsgiClient()
    if user is not None:
        client.force_login(user)
    return client


def _timed(call, samples):
    """(median, p90) CPU ms of `call()` over `samples` runs, after a warm-up."""
    for _ in range(5):
        call()
    spent = []
    for _ in range(samples):
        began = time.process_time_ns()
        call()
        spent.append((time.process_time_ns() - began) / 1e6)
    spent.sort()
    return round(statistics.median(spent), 2), round(spent[int(len(spent) * 0.9)], 2)


def _queries(call):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = call()
    assert response.status_code < 400, (response.status_code, response.content[:300])
    return len(captured)


def reads(fx, samples=SAMPLES):
    """Every read page: {name: {"queries", "cpu_ms", "cpu_p90_ms"}}."""
    from django.contrib.auth import get_user_model

    from quizzes.caching import ATTEMPTS_KEY, renew_generation
    from quizzes.models import Attempt

    User = get_user_model()
    learner = User.objects.get(username=fx["learner"])
    client = _client(learner)
    # An open attempt of a topic quiz for the attempt page.
    started = client.post(f"/api/v1/quizzes/{fx['topic_quiz']}/attempts/")
    attempt = _json(started)["id"]
    pages = {
        "healthz": (_client(), "/healthz"),
        "lesson": (client, fx["lessons"][2]),
        "outline": (client, fx["outline"]),
        "dashboard": (client, "/dashboard/"),
        "quiz page": (client, fx["topic_quiz_url"]),
        "attempt page": (client, f"/attempts/{attempt}/"),
    }
    result = {}
    for name, (who, url) in pages.items():
        who.get(url)  # queries are counted warm, as a running server serves the page
        queries = _queries(lambda who=who, url=url: who.get(url))
        median, p90 = _timed(lambda who=who, url=url: who.get(url), samples)
        result[name] = {"queries": queries, "cpu_ms": median, "cpu_p90_ms": p90}

    # The attempt page when its questions' markup is not in the cache (an
    # attempt started over the API, or after a deploy): built, then cached.
    def uncached(url=pages["attempt page"][1]):
        renew_generation(ATTEMPTS_KEY)
        return client.get(url)

    median, p90 = _timed(uncached, samples)
    result["attempt page, not cached"] = {"queries": _queries(uncached), "cpu_ms": median,
                                          "cpu_p90_ms": p90}
    # Gone again, not submitted: the learner's attempts (which the quiz page
    # lists) stay as seeded, whatever the number of runs before this one.
    Attempt.objects.filter(pk=attempt).delete()
    return result


def writes(fx, samples=SAMPLES // 4):
    """Start, answer and submit over the API (with an API token, as API clients
    do), and the form's submit (every answer and the grade, signed in), each by
    learners of their own: queries and CPU."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    User = get_user_model()
    learners = list(
        User.objects.filter(username__startswith="learner").order_by("-username")[: samples + 1]
    )
    cpu = {"REST start": [], "REST answer": [], "REST submit": [], "form submit": []}
    queries = {}

    def run(name, call, count_queries):
        began = time.process_time_ns()
        if count_queries:
            with CaptureQueriesContext(connection) as captured:
                response = call()
            queries[name] = len(captured)
        else:
            response = call()
            cpu[name].append((time.process_time_ns() - began) / 1e6)
        assert response.status_code < 400, (name, response.status_code, response.content[:300])
        return response

    api, client = _client(), _client()  # one handler, as in a server process
    for index, learner in enumerate(learners):
        first = index == 0  # the first round counts queries; the others are timed
        api.use_token(learner)
        client.force_login(learner)
        url = f"/api/v1/quizzes/{fx['topic_quiz']}/attempts/"
        if first:  # counted warm: the signed-in user and what a submit looks up are cached
            api.post(f"/api/v1/attempts/{_json(api.post(url))['id']}/submit/")
        attempt = _json(run("REST start", lambda api=api, url=url: api.post(url), first))
        question = attempt["questions"][0]
        body = json.dumps({"answers": [{"question": question["id"],
                                        "options": [question["options"][0]["token"]]}]})
        answer_url = f"/api/v1/attempts/{attempt['id']}/answers/"
        run("REST answer", lambda api=api, body=body, url=answer_url: api.post(
            url, data=body, content_type="application/json"), first)
        submit_url = f"/api/v1/attempts/{attempt['id']}/submit/"
        run("REST submit", lambda api=api, url=submit_url: api.post(url), first)
        # The form: a new attempt, every question answered, submitted in one post.
        attempt = _json(client.post(url))
        form = {"action": "submit"}
        for q in attempt["questions"]:
            form[f"r{q['id']}"] = q["options"][0]["token"]
            form.setdefault("shown", [])
            form["shown"].append(str(q["id"]))
        page = f"/attempts/{attempt['id']}/"
        run("form submit", lambda client=client, page=page, form=form: client.post(page, form),
            first)
    return {
        name: {
            "queries": queries[name],
            "cpu_ms": round(statistics.median(spent), 2),
            "cpu_p90_ms": round(sorted(spent)[int(len(spent) * 0.9)], 2),
        }
        for name, spent in cpu.items()
    }


def fixtures():
    from edu.courses.models import Course
    from quizzes.models import Quiz

    course = Course.objects.get(slug="klonopin")
    topic = Quiz.objects.get(course=course, slug="withdrawal-safety")
    return {
        "learner": "learner000001",
        "lessons": [lesson.get_absolute_url() for lesson in course.lessons.published()],
        "outline": course.get_absolute_url(),
        "topic_quiz": topic.pk,
        "topic_quiz_url": topic.get_absolute_url(),
    }


def measure(rounds=ROUNDS):
    """Every row, measured `rounds` times: the round with the lowest median is
    kept (the machine's neighbours only ever add time), with every round's
    median beside it in `cpu_ms_rounds`."""
    fx = fixtures()
    best = {}
    for _ in range(rounds):
        for name, row in {**reads(fx), **writes(fx)}.items():
            medians = [*best.get(name, {}).get("cpu_ms_rounds", []), row["cpu_ms"]]
            if name not in best or row["cpu_ms"] < best[name]["cpu_ms"]:
                best[name] = row
            best[name]["cpu_ms_rounds"] = medians
    return best


if __name__ == "__main__":
    import os
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "edu.settings")
    import django

    django.setup()
    for name, row in measure().items():
        print(f"{name:<14}{row['queries']:>4} queries {row['cpu_ms']:>7} ms "
              f"(p90 {row['cpu_p90_ms']}; rounds {row['cpu_ms_rounds']})")
