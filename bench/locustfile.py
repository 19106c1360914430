"""Load scenarios, run by bench/run.py in a separate process (locust, headless).

Every user logs in as a seeded learner or instructor (password from
BENCH_PASSWORD); login requests are named "login" so each scenario's figures
come from its own requests. Each user stops after BENCH_MAX_REQUESTS requests.
"""

import itertools
import json
import os
import random
import re

from gevent.event import Event
from locust import FastHttpUser, between, constant, task
from locust.exception import StopUser

PASSWORD = os.environ.get("BENCH_PASSWORD", "demo-password")
LEARNERS = int(os.environ.get("BENCH_LEARNERS", "1000"))
MAX_REQUESTS = int(os.environ.get("BENCH_MAX_REQUESTS", "2000"))
LESSONS = json.loads(os.environ.get("BENCH_LESSONS", "[]"))
COHORTS = json.loads(os.environ.get("BENCH_COHORTS", "[]"))  # [[cohort id, instructor]]
QUIZ_ID = os.environ.get("BENCH_QUIZ_ID")
WAVE_SIZE = int(os.environ.get("BENCH_WAVE", "300"))
WAVE_LOG = os.environ.get("BENCH_WAVE_LOG", "/tmp/bench-wave.jsonl")
CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_numbers = itertools.count()
_finished = itertools.count(1)
_logged_in = itertools.count(1)
_go = Event()


class Budgeted(FastHttpUser):
    abstract = True
    wait_time = constant(0)

    def spend(self):
        self.spent = getattr(self, "spent", 0) + 1
        if self.spent > MAX_REQUESTS:
            raise StopUser()

    def log_in(self, username):
        page = self.client.get("/accounts/login/", name="login")
        token = CSRF_RE.search(page.text).group(1)
        self.client.post(
            "/accounts/login/",
            data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
            headers={"Referer": f"{self.host}/accounts/login/"},
            name="login",
        )


class HealthUser(Budgeted):
    @task
    def health(self):
        self.spend()
        self.client.get("/healthz", name="healthz")


class LessonUser(Budgeted):
    def on_start(self):
        self.log_in(f"learner{random.randrange(LEARNERS):06d}")

    @task
    def lesson(self):
        self.spend()
        self.client.get(random.choice(LESSONS), name="lesson")


class DashboardUser(Budgeted):
    def on_start(self):
        self.log_in(f"learner{random.randrange(LEARNERS):06d}")

    @task
    def dashboard(self):
        self.spend()
        self.client.get("/dashboard/", name="dashboard")


class GradebookUser(Budgeted):
    def on_start(self):
        self.cohort, instructor = random.choice(COHORTS)
        self.log_in(instructor)

    @task
    def gradebook(self):
        self.spend()
        page = random.randint(1, 20)
        self.client.get(f"/teach/cohorts/{self.cohort}/?page={page}", name="gradebook")


class WaveUser(FastHttpUser):
    """One learner of the class. Learners log in as they arrive (paced by the
    spawn rate: password hashing is deliberately slow), wait until the whole
    class is in, then on "go" start the quiz, answer every question and submit."""

    wait_time = between(0.2, 1.0)  # reading and clicking between answers

    def on_start(self):
        self.username = f"learner{LEARNERS - 1 - next(_numbers):06d}"
        token = self.client.post(
            "/api/v1/auth/token/", json={"username": self.username, "password": PASSWORD},
            name="wave: login",
        ).json()["token"]
        self.auth = {"Authorization": f"Token {token}"}
        if next(_logged_in) >= WAVE_SIZE:
            _go.set()
        _go.wait()

    @task
    def take_quiz(self):
        auth = self.auth
        attempt = self.client.post(
            f"/api/v1/quizzes/{QUIZ_ID}/attempts/", headers=auth, name="wave: start"
        ).json()
        sent = []
        for question in attempt["questions"]:
            self.wait()
            choice = random.choice(question["options"])["token"]
            self.client.post(
                f"/api/v1/attempts/{attempt['id']}/answers/",
                json={"answers": [{"question": question["id"], "options": [choice]}]},
                headers=auth,
                name="wave: answer",
            )
            sent.append([question["id"], [choice]])
        self.client.post(
            f"/api/v1/attempts/{attempt['id']}/submit/", headers=auth, name="wave: submit"
        )
        with open(WAVE_LOG, "a", encoding="utf-8") as log:
            log.write(
                json.dumps({"user": self.username, "attempt": attempt["id"], "answers": sent})
                + "\n"
            )
        if next(_finished) >= WAVE_SIZE:
            self.environment.runner.quit()
        raise StopUser()
