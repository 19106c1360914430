"""Load scenarios, run by bench/run.py in a separate process (locust, headless).

- WaveUser: a class of BENCH_WAVE learners (password BENCH_PASSWORD) logs in
  for API tokens as they arrive, and on "go" (the last one in) everyone starts
  the topic quiz BENCH_QUIZ_ID, answers up to BENCH_WAVE_ANSWERS questions one
  at a time with 0.2-1 s to read and click between them, and submits. What was
  sent goes to BENCH_WAVE_LOG for run.py's check.
- RestLoopUser: closed loop, no think time: start an attempt of a topic quiz
  (BENCH_TOPIC_QUIZZES, in turn), answer every question one at a time,
  submit, again. One learner per user, with an API token made by run.py
  (BENCH_TOKENS), so the figures hold the writes and nothing else.

Only the start response's questions[].id and questions[].options[].token and
status codes are relied on.
"""

import itertools
import json
import os
import random

import gevent
from gevent.event import Event
from locust import FastHttpUser, between, constant, stats, task
from locust.exception import StopUser

PASSWORD = os.environ.get("BENCH_PASSWORD", "demo-password")
LEARNERS = int(os.environ.get("BENCH_LEARNERS", "1000"))
QUIZ_ID = os.environ.get("BENCH_QUIZ_ID")
WAVE_SIZE = int(os.environ.get("BENCH_WAVE", "300"))
WAVE_ANSWERS = int(os.environ.get("BENCH_WAVE_ANSWERS", "10"))
WAVE_LOG = os.environ.get("BENCH_WAVE_LOG", "/tmp/bench-wave.jsonl")
TOKENS = json.loads(os.environ.get("BENCH_TOKENS", "[]"))
TOPIC_QUIZZES = json.loads(os.environ.get("BENCH_TOPIC_QUIZZES", "[]"))
_numbers = itertools.count()
_finished = itertools.count(1)
_logged_in = itertools.count(1)
_go = Event()


class WaveUser(FastHttpUser):
    """One learner of the class. Learners log in as they arrive (paced by the
    spawn rate: password hashing is deliberately slow), wait until the whole
    class is in, then on "go" start the quiz, answer the questions and submit."""

    wait_time = between(0.2, 1.0)  # reading and clicking between answers

    def on_start(self):
        self.username = f"learner{LEARNERS - 1 - next(_numbers):06d}"
        response = self.client.post(
            "/api/v1/auth/token/", json={"username": self.username, "password": PASSWORD},
            name="wave: login",
        )
        token = response.json().get("token") if response.status_code == 200 else None
        self.auth = {"Authorization": f"Token {token}"}
        if next(_logged_in) >= WAVE_SIZE:
            _go.set()
        if token is None:  # counted as a failed login; the class goes on without them
            next(_finished)
            raise StopUser()
        _go.wait()

    @task
    def take_quiz(self):
        auth = self.auth
        try:
            attempt = self.client.post(
                f"/api/v1/quizzes/{QUIZ_ID}/attempts/", headers=auth, name="wave: start"
            ).json()
            sent = []
            for question in attempt["questions"][:WAVE_ANSWERS]:
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
        finally:
            if next(_finished) >= WAVE_SIZE:
                # Quit once locust's CSV, which it rewrites every
                # CSV_STATS_INTERVAL_SEC, holds the last requests too (quitting
                # at once left the last second's submits out of it).
                gevent.spawn_later(2 * stats.CSV_STATS_INTERVAL_SEC + 0.5,
                                   self.environment.runner.quit)
        raise StopUser()


class RestLoopUser(FastHttpUser):
    """A learner who does nothing but take topic quizzes over the API."""

    wait_time = constant(0)

    def on_start(self):
        number = next(_numbers)
        self.auth = {"Authorization": f"Token {TOKENS[number % len(TOKENS)]}"}
        self.quizzes = itertools.cycle(TOPIC_QUIZZES[number % len(TOPIC_QUIZZES):]
                                       + TOPIC_QUIZZES[:number % len(TOPIC_QUIZZES)])

    @task
    def take_quiz(self):
        auth = self.auth
        with self.client.post(f"/api/v1/quizzes/{next(self.quizzes)}/attempts/",
                              headers=auth, name="REST start", catch_response=True) as started:
            if started.status_code not in (200, 201):
                started.failure(f"status {started.status_code}")
                return
            attempt = started.json()
        for question in attempt["questions"]:
            choice = random.choice(question["options"])["token"]
            self.client.post(
                f"/api/v1/attempts/{attempt['id']}/answers/",
                json={"answers": [{"question": question["id"], "options": [choice]}]},
                headers=auth,
                name="REST answer",
            )
        self.client.post(
            f"/api/v1/attempts/{attempt['id']}/submit/", headers=auth, name="REST submit"
        )
