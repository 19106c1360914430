#!/usr/bin/env python
"""`make bench`: load and scale benchmarks on PostgreSQL and Redis behind gunicorn.

One run, in this order:
1. A PostgreSQL database (BENCH_DATABASE_URL, default .../bench) is migrated,
   the klonopin course loaded and seed_demo run (skipped when already seeded);
   Redis (BENCH_REDIS_URL, default db 3) is the cache and is flushed first.
2. In-process (bench/inprocess.py): SQL queries and CPU ms per request of every
   page and write, through Django's whole handler, without network or load.
3. gunicorn (sync workers; 3, 4 and 5 are tried for a few seconds on a mix of
   pages and the fastest kept, unless --workers is given) serves the site on
   127.0.0.1. Sessions and API tokens are made in-process beforehand (as
   force_login does), so no figure pays for password hashing but the wave's.
4. wrk (2 threads, 20 connections, BENCH_SECONDS each, bench/requests.lua
   rotating learners and pages): /healthz, then the logged-in pages and the
   HTML submit, each also as a ratio of /healthz in the same run, and of a
   short /healthz run just before it ("beside").
5. locust: the REST write loop (start, answer one at a time, submit, again;
   no think time) at 10 and 50 learners; then the 300-learner wave.
6. The gradebook CSV over HTTP and in one process, and the item analysis.
The report: bench/results/latest.json and a printed table.
"""

import argparse
import concurrent.futures
import csv
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode, urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "requests.lua"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
URL = f"http://127.0.0.1:{PORT}"
PASSWORD = "demo-password"
SCENARIO_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
PICK_SECONDS = int(os.environ.get("BENCH_PICK_SECONDS", "5"))
REST_SECONDS = int(os.environ.get("BENCH_REST_SECONDS", str(max(20, SCENARIO_SECONDS))))
WRK = os.environ.get("WRK", shutil.which("wrk") or "/usr/bin/wrk")
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "20"))
BESIDE_SECONDS = 4  # the /healthz run just before each row
WORKER_CHOICES = (3, 4, 5)
REST_LEARNERS = (10, 50)
READ_LEARNERS = 20  # sessions the page rows rotate over


def django_env(database_url, redis_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "edu.settings",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "b" * 40,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_SESSION_COOKIE_SECURE": "0",
        "DJANGO_CSRF_COOKIE_SECURE": "0",
        "DJANGO_SECURE_HSTS_SECONDS": "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        "DJANGO_CONN_MAX_AGE": "60",
        # One machine plays a whole lecture hall from one address: the login
        # throttle and lockout would (rightly) stop it, so the bench lifts them.
        "DJANGO_THROTTLE_TOKEN": "1000000/min",
        "DJANGO_LOGIN_FAILURE_LIMIT": "1000000",
        "DJANGO_ENV_FILE": os.devnull,
    }


def manage(env, *args):
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def ensure_database(database_url, fresh):
    import psycopg

    parts = urlparse(database_url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}"')
            exists = None
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        client.flushdb()
        return client.info("server")["redis_version"]
    except redis.RedisError as exc:
        raise SystemExit(f"Redis at {redis_url} does not answer ({exc})") from exc


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def learner(number):
    return f"learner{number:06d}"


def fixtures(learners):
    """What the scenarios need from the seeded database."""
    from edu.courses.models import Cohort, Course
    from quizzes.models import Quiz

    course = Course.objects.get(slug="klonopin")
    lessons = [lesson.get_absolute_url() for lesson in course.lessons.published()]
    cohorts = [
        [c.pk, c.instructors.first().username]
        for c in Cohort.objects.exclude(name="Whole program").order_by("pk")[:20]
    ]
    program = Cohort.objects.get(name="Whole program")
    final = Quiz.objects.get(course=course, slug="final-assessment")
    topics = list(Quiz.objects.filter(course=course).exclude(pk=final.pk).order_by("pk"))
    # Not inprocess.py's quiz: its writes (by the last 51 learners, the wave's
    # too) must not count as the wave's extra attempts.
    wave_quiz = Quiz.objects.get(course=course, slug="dependence-and-misuse")
    return {
        "lessons": lessons,
        "outline": course.get_absolute_url(),
        "cohorts": cohorts,
        "program": program.pk,
        "quiz": final.pk,
        "topics": [[q.pk, q.get_absolute_url()] for q in topics],
        "wave_quiz": wave_quiz.pk,
        "learners": learners,
    }


def inprocess_figures(fx):
    """bench/inprocess.py's queries and CPU ms per request, and the gradebook's."""
    sys.path.insert(0, str(ROOT / "bench"))
    import inprocess
    from django.contrib.auth import get_user_model

    try:
        figures = inprocess.measure()
    except Exception as exc:  # the engine may be mid-change: report it, go on
        print(f"warning: in-process measurement failed: {exc!r}", file=sys.stderr)
        figures = {"error": repr(exc)[:500]}
    cohort_id, instructor = fx["cohorts"][0]
    client = inprocess._client(get_user_model().objects.get(username=instructor))
    url = f"/teach/cohorts/{cohort_id}/"
    median, p90 = inprocess._timed(lambda: client.get(url), 20)
    figures["gradebook"] = {"queries": inprocess._queries(lambda: client.get(url)),
                            "cpu_ms": median, "cpu_p90_ms": p90}
    return figures


def sessions(usernames):
    """Logged-in sessions made in-process (as the test client's force_login),
    each with a CSRF secret of its own: {username: (Cookie header, csrf token)}."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
    from django.test import Client
    from django.utils.crypto import get_random_string

    users = get_user_model().objects.in_bulk(usernames, field_name="username")
    made = {}
    for name in usernames:
        client = Client()
        client.force_login(users[name])
        csrf = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)
        session = client.cookies[settings.SESSION_COOKIE_NAME].value
        made[name] = (f"{settings.SESSION_COOKIE_NAME}={session}; "
                      f"{settings.CSRF_COOKIE_NAME}={csrf}", csrf)
    return made


def api_tokens(usernames):
    from django.contrib.auth import get_user_model
    from knox.models import AuthToken

    users = get_user_model().objects.in_bulk(usernames, field_name="username")
    return [AuthToken.objects.create(users[name])[1] for name in usernames]


def start_gunicorn(env, workers):
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "edu.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--preload", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    import requests

    for _ in range(150):
        try:
            if requests.get(f"{URL}/healthz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass  # still booting
        if process.poll() is not None:
            break
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def stop(process):
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def wrk(name, lines, mode="rotate", seconds=SCENARIO_SECONDS):
    """One wrk run over the prepared request lines (see bench/requests.lua)."""
    path = RESULTS / f"wrk-{name.replace(' ', '-').replace('/', '')}.txt"
    path.write_text("".join("\t".join(line) + "\n" for line in lines))
    command = [WRK, "-t", str(WRK_THREADS), "-c", str(WRK_CONNECTIONS), "-d", f"{seconds}s",
               "--timeout", "10s", "-s", str(LUA), URL, "--", str(path), mode, str(WRK_THREADS)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    found = [line for line in done.stdout.splitlines() if line.startswith("WRK_JSON ")]
    if not found:
        raise SystemExit(f"wrk failed for {name}: {done.stdout}\n{done.stderr}")
    raw = json.loads(found[-1].removeprefix("WRK_JSON "))
    row = {
        "requests": raw["requests"],
        "errors": sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors",
                                        "status_errors", "timeouts")),
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 1),
        "p95_ms": round(raw["p95_us"] / 1000, 1),
        "p99_ms": round(raw["p99_us"] / 1000, 1),
    }
    if mode == "once":
        row["prepared"] = len(lines)
        row["repeated"] = raw["repeats"]
    return row


def preflight(lines, expect):
    """Send the first line once (outside the measurement): a logged-out page or a
    refused form would otherwise be measured as a fast redirect."""
    import requests

    method, path, cookie, body = lines[0]
    headers = {"Cookie": cookie} if cookie else {}
    if body:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    response = requests.request(method, URL + path, headers=headers, data=body or None,
                                allow_redirects=False, timeout=60)
    if response.status_code != expect:
        where = response.headers.get("Location", "")
        print(f"warning: {method} {path} answered {response.status_code} {where} "
              f"(expected {expect})", file=sys.stderr)
    return response.status_code


def check_sessions(*cookie_sets):
    """The sessions made in-process must be logged in on gunicorn too (the
    lesson and outline pages are public: logged out, they would be measured
    as something else)."""
    import requests

    for cookies in cookie_sets:
        cookie, _ = next(iter(cookies.values()))
        response = requests.get(f"{URL}/dashboard/", headers={"Cookie": cookie},
                                allow_redirects=False, timeout=60)
        if response.status_code != 200:
            raise SystemExit(f"a session made in-process is not logged in on gunicorn "
                             f"(GET /dashboard/: {response.status_code}); were the "
                             f"settings changed during the run? Run again.")


def read_lines(fx, cookies, instructor_cookies):
    reads = list(cookies.values())
    return {
        "healthz": [("GET", "/healthz", "", "")],
        "lesson": [("GET", url, c, "") for c, _ in reads for url in fx["lessons"]],
        "outline": [("GET", fx["outline"], c, "") for c, _ in reads],
        "dashboard": [("GET", "/dashboard/", c, "") for c, _ in reads],
        "quiz page": [("GET", url, c, "") for c, _ in reads for _, url in fx["topics"]],
        "gradebook": [("GET", f"/teach/cohorts/{cohort}/?page={page}",
                       instructor_cookies[who][0], "")
                      for cohort, who in fx["cohorts"] for page in (1, 2, 3)],
    }


def pick_workers(env, mix):
    """A few seconds each of a mix of logged-in pages with 3, 4 and 5 workers."""
    trials = {}
    for workers in WORKER_CHOICES:
        server = start_gunicorn(env, workers)
        try:
            wrk("warm-up", mix, seconds=4)  # each worker's first requests fill its caches
            trials[workers] = wrk(f"workers-{workers}", mix, seconds=PICK_SECONDS)["rps"]
        finally:
            stop(server)
        print(f"  {workers} workers: {trials[workers]} req/s (page mix)")
    return max(trials, key=trials.get), trials


def open_attempts(fx, cookies, count):
    """`count` open attempts of the topic quizzes (several learners, one attempt
    per learner and quiz), started as a learner does, with the quiz page's
    Start button, as HTML form bodies that answer every question and submit:
    [(attempt id, Cookie header, body)]."""
    import requests

    pairs = [(who, url) for who in cookies for _, url in fx["topics"]][:count]

    def start(pair):
        who, quiz_url = pair
        cookie, csrf = cookies[who]
        headers = {"Cookie": cookie, "X-CSRFToken": csrf}
        started = requests.post(f"{URL}{quiz_url}start/", headers=headers,
                                allow_redirects=False, timeout=60)
        page = started.headers.get("Location", "")
        if started.status_code != 302 or not page.startswith("/attempts/"):
            return None
        response = requests.get(f"{URL}/api/v1{page}", headers=headers, timeout=60)
        if response.status_code != 200:
            return None
        attempt = response.json()
        form = [("csrfmiddlewaretoken", csrf), ("action", "submit")]
        for question in attempt["questions"]:
            form.append(("shown", str(question["id"])))
            form.append((f"r{question['id']}", question["options"][0]["token"]))
        return attempt["id"], cookie, urlencode(form)

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        made = [a for a in pool.map(start, pairs) if a is not None]
    if len(made) < len(pairs):
        print(f"warning: {len(pairs) - len(made)} of {len(pairs)} attempts did not start",
              file=sys.stderr)
    return made


def run_locust(name, user_class, users, spawn_rate, seconds, extra_env):
    prefix = RESULTS / f"locust-{name}"
    command = [
        str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "-H", URL, "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", user_class,
    ]
    with open(f"{prefix}.log", "w", encoding="utf-8") as log:
        subprocess.run(command, cwd=ROOT, env={**os.environ, **extra_env}, check=False,
                       stdout=log, stderr=subprocess.STDOUT)
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        return {row["Name"]: row for row in csv.DictReader(handle)}


def figures(row):
    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "rps": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
    }


def check_wave(log_path, started, quiz_id):
    """Every answer the wave sent is in the database once, as sent; no extra attempts."""
    from django.db.models import Count

    from quizzes.models import Attempt, Response

    path = Path(log_path)
    sent = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    attempts = {entry["attempt"]: entry["answers"] for entry in sent}
    stored = {}
    for r in Response.objects.filter(attempt_id__in=attempts):
        tokens = {c["id"]: c["token"] for c in r.snapshot["choices"]}
        stored[(r.attempt_id, r.pk)] = sorted(tokens[i] for i in r.selected)
    lost = sum(
        1
        for attempt_id, answers in attempts.items()
        for response_id, choices in answers  # the API's question ids are response ids
        if stored.get((attempt_id, response_id)) != sorted(choices)
    )
    doubled_rows = (
        Response.objects.filter(attempt_id__in=attempts)
        .values("attempt_id", "question_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count()
    )
    extra_attempts = (
        Attempt.objects.filter(
            user__username__in=[e["user"] for e in sent], started_at__gte=started,
            quiz_id=quiz_id,
        )
        .exclude(pk__in=attempts)
        .count()
    )
    return {
        "learners_finished": len(sent),
        "answers_sent": sum(len(a) for a in attempts.values()),
        "answers_lost": lost,
        "answers_doubled": doubled_rows + extra_attempts + (len(sent) - len(attempts)),
        "attempts_submitted": Attempt.objects.filter(pk__in=attempts, state="submitted").count(),
    }


def logged_in_session(username):
    import re

    import requests

    session = requests.Session()
    page = session.get(f"{URL}/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    session.post(
        f"{URL}/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{URL}/accounts/login/"},
    )
    return session


def peak_rss_mb(pid="self"):
    """A process's peak resident memory (VmHWM): its own address space's, where
    getrusage's ru_maxrss also keeps the peak of the process that started it
    (Linux carries it across exec: bench/run.py's own, for a child)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def worker_peak_rss_mb(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    peaks = [peak for peak in map(peak_rss_mb, children) if peak is not None]
    return round(max(peaks), 1) if peaks else None


def csv_over_http(program_id, gunicorn_pid):
    session = logged_in_session("director")
    began = time.perf_counter()
    first_byte = None
    rows = 0
    with session.get(f"{URL}/teach/cohorts/{program_id}/gradebook.csv", stream=True) as response:
        response.raise_for_status()
        for _line in response.iter_lines():
            if first_byte is None:
                first_byte = time.perf_counter() - began
            rows += 1
    seconds = time.perf_counter() - began
    return {
        "rows": rows - 1,
        "seconds": round(seconds, 2),
        "rows_per_s": round((rows - 1) / seconds),
        "first_byte_ms": round(first_byte * 1000, 1),
        "worker_peak_rss_mb": worker_peak_rss_mb(gunicorn_pid),
    }


def csv_memory(program_id):
    """In a fresh process: peak memory while producing the whole program's CSV."""
    from edu.courses import gradebook
    from edu.courses.models import Cohort

    cohort = Cohort.objects.get(pk=program_id)
    before = peak_rss_mb()
    began = time.perf_counter()
    rows = sum(1 for _ in gradebook.csv_lines(cohort)) - 1
    seconds = time.perf_counter() - began
    peak = peak_rss_mb()
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "process_peak_mb": round(peak, 1), "growth_mb": round(peak - before, 1)}


def item_analysis_over_http(program_id, quiz_id, database_url, movers=1000):
    """The whole program's item analysis of the final assessment, over HTTP:
    the first open (its tallies built from every response), three opens with
    nothing new (median), then the opens after `movers` learners leave the
    cohort and after they come back (their attempts taken out, then added).
    What the database did during a first open of over 5 s is kept."""
    from django.core.management import call_command

    from edu.courses.models import Cohort
    from quizzes.models import ItemTally, Response, TalliedAttempt

    session = logged_in_session("director")
    url = f"{URL}/teach/cohorts/{program_id}/quizzes/{quiz_id}/analysis/"

    def timed_open():
        began = time.perf_counter()
        response = session.get(url)
        response.raise_for_status()
        return round(time.perf_counter() - began, 3)

    TalliedAttempt.objects.filter(cohort_id=program_id, quiz_id=quiz_id).delete()
    ItemTally.objects.filter(cohort_id=program_id, quiz_id=quiz_id).delete()
    watch = ActivityWatch(database_url)
    began = time.perf_counter()
    try:
        with watch:
            first = timed_open()
    except Exception as exc:
        exc.activity = watch.samples
        exc.seconds = round(time.perf_counter() - began, 1)
        raise
    slow_first = watch.samples if first > 5 else None
    timings = [timed_open() for _ in range(3)]
    program = Cohort.objects.get(pk=program_id)
    moved = list(program.learners.order_by("pk").values_list("pk", flat=True)[:movers])
    program.learners.remove(*moved)
    try:
        after_leaving = timed_open()
    finally:  # the cohort whole again for the next run, whatever happened
        program.learners.add(*moved)
    after_joining = timed_open()
    # As a nightly job would: the tallies built by the command, then an open.
    TalliedAttempt.objects.filter(cohort_id=program_id, quiz_id=quiz_id).delete()
    ItemTally.objects.filter(cohort_id=program_id, quiz_id=quiz_id).delete()
    began = time.perf_counter()
    call_command("update_item_tallies", "--cohort", str(program_id), "--quiz", str(quiz_id),
                 stdout=io.StringIO())
    command = round(time.perf_counter() - began, 3)
    after_command = timed_open()
    responses = Response.objects.filter(attempt__quiz_id=quiz_id, attempt__number=1).count()
    return {"responses_in_quiz": responses, "first_open_s": first, "seconds_each": timings,
            "median_s": round(statistics.median(timings), 3), "movers": movers,
            "after_leaving_s": after_leaving, "after_joining_s": after_joining,
            "command_s": command, "after_command_s": after_command,
            "first_open_activity": slow_first}


class ActivityWatch:
    """While the block runs, every `every` seconds, from a connection of its
    own: the database's busy sessions (wait events, locks they wait for, how
    long their statement has run), the checkpointer's work and the machine's
    I/O and CPU pressure. `samples` says why a slow statement was slow, even
    when the request running it is killed."""

    QUERY = (
        "SELECT to_char(clock_timestamp(), 'HH24:MI:SS'), pid, backend_type, state,"
        " wait_event_type, wait_event, pg_blocking_pids(pid),"
        " round(extract(epoch FROM clock_timestamp() - query_start)::numeric, 1),"
        " left(query, 100) FROM pg_stat_activity"
        " WHERE pid <> pg_backend_pid() AND (state IS NULL OR state <> 'idle')"
        " AND (datname = current_database() OR datname IS NULL)"
        " AND backend_type IN ('client backend', 'parallel worker', 'autovacuum worker',"
        " 'checkpointer')"
    )

    def __init__(self, database_url, every=5.0):
        self.database_url, self.every = database_url, every
        self.samples = []
        self._stop = None

    def _pressure(self, kind):
        try:
            return Path(f"/proc/pressure/{kind}").read_text().splitlines()[0]
        except OSError:
            return None

    def _run(self):
        try:
            self._watch()
        except Exception as exc:  # noqa: BLE001 (said in the samples: none is not "idle")
            self.samples.append({"sessions": [], "checkpoints_buffers_backend": [],
                                 "io": f"the watch failed: {exc!r}", "cpu": None})

    @staticmethod
    def _checkpoints(conn):
        """Checkpoints, buffers they wrote, buffers backends wrote: PostgreSQL 17
        moved these from pg_stat_bgwriter to pg_stat_checkpointer and pg_stat_io."""
        if conn.info.server_version >= 170000:
            return ("SELECT num_timed + num_requested, buffers_written,"
                    " (SELECT sum(writes) FROM pg_stat_io WHERE backend_type = 'client backend')"
                    " FROM pg_stat_checkpointer")
        return ("SELECT checkpoints_timed + checkpoints_req, buffers_checkpoint,"
                " buffers_backend FROM pg_stat_bgwriter")

    def _watch(self):
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as conn:
            while not self._stop.wait(self.every):
                sessions = [[str(cell) for cell in row] for row in conn.execute(self.QUERY)]
                checkpoints = conn.execute(self._checkpoints(conn)).fetchone()
                self.samples.append({
                    "sessions": sessions, "checkpoints_buffers_backend": list(checkpoints),
                    "io": self._pressure("io"), "cpu": self._pressure("cpu"),
                })

    def __enter__(self):
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


class CpuByProcess:
    """The machine's CPU time spent while the block runs, by kind of process
    (the app's gunicorn workers, PostgreSQL, the load generator, Redis and the
    rest), from /proc: where a closed loop's two cores go. `seconds` is the
    wall time; `shares` are percents of all the CPU time spent."""

    KINDS = (("gunicorn", "gunicorn"), ("locust", "load generator"), ("wrk", "load generator"))

    def _kind(self, pid):
        """(kind, start time, CPU ticks) of a process; None when it is gone."""
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
                errors="replace")
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:  # gone meanwhile
            return None
        name = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        ticks, started = int(fields[11]) + int(fields[12]), fields[19]  # utime + stime
        kind = next((kind for needle, kind in self.KINDS if needle in command), None)
        if kind is None:
            kind = ("postgresql" if name.startswith("postgres")
                    else "redis" if name.startswith("redis") else "other")
        return kind, started, ticks

    def _snapshot(self):
        """{(pid, start time): (kind, ticks)}: a reused pid is another process."""
        taken = {}
        for pid in os.listdir("/proc"):
            if pid.isdigit() and (found := self._kind(pid)):
                kind, started, ticks = found
                taken[(pid, started)] = (kind, ticks)
        return taken

    @staticmethod
    def _ended_children():
        # The load generator is this process's child, started and waited for
        # inside the block: gone from /proc by its end, its CPU is here.
        import resource

        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        return used.ru_utime + used.ru_stime

    def __enter__(self):
        self._before, self._children = self._snapshot(), self._ended_children()
        self._began = time.perf_counter()
        return self

    def __exit__(self, *exc):
        after, seconds = self._snapshot(), time.perf_counter() - self._began
        hertz = os.sysconf("SC_CLK_TCK")
        spent = {"load generator": (self._ended_children() - self._children) * hertz}
        for key, (kind, ticks) in after.items():
            # A process born during the block counts from zero.
            spent[kind] = spent.get(kind, 0) + ticks - self._before.get(key, (kind, 0))[1]
        # Others that ended inside the block (an autovacuum worker, say): their
        # CPU there is not in /proc any more, so the shares miss it; counted.
        self.ended = len(self._before.keys() - after.keys())
        total = sum(spent.values()) or 1
        self.seconds = round(seconds, 1)
        self.cpu_seconds = round(total / hertz, 1)
        self.shares = {kind: round(100 * ticks / total)
                       for kind, ticks in sorted(spent.items(), key=lambda kv: -kv[1])}


def database_activity():
    """What every other busy database session was doing, and waiting for, when
    a request failed: one `ActivityWatch` sample's sessions."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(ActivityWatch.QUERY)
        return [[str(cell) for cell in row] for row in cursor.fetchall()]


def _activity_lines(samples):
    """`ActivityWatch` samples, a line per busy session (time, pid, kind,
    state, wait event, blockers, seconds in its statement, statement), then
    the checkpointer's figures and the I/O and CPU pressure."""
    lines = []
    for sample in samples or []:
        for session in sample["sessions"]:
            lines.append("  " + " | ".join(session))
        lines.append(f"    checkpoints, buffers by checkpoints, by backends: "
                     f"{sample['checkpoints_buffers_backend']}; {sample['io']}; {sample['cpu']}")
    return lines


def machine(redis_version):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0].split(" ")[0]
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {"cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "postgresql": version, "redis": redis_version,
            "python": platform.python_version(), "platform": platform.platform()}


PAGE_ROWS = [  # (report key, label, in-process key)
    ("healthz", "/healthz", "healthz"),
    ("lesson", "lesson page", "lesson"),
    ("outline", "course outline", "outline"),
    ("dashboard", "dashboard", "dashboard"),
    ("quiz page", "quiz page (topic)", "quiz page"),
    ("attempt page", "attempt page (GET)", "attempt page"),
    ("HTML submit", "HTML submit (all answers)", "form submit"),
    ("gradebook", "gradebook page (instructor)", "gradebook"),
]
STEPS = ("start", "answer", "submit")


def _cells(row, cpu):
    return (f"{row['rps']:>8}{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}{row['p99_ms']:>9.0f}"
            f"{row['errors']:>8}", f"{cpu.get('queries', ''):>9}{cpu.get('cpu_ms', ''):>9}")


def table(report):
    m, load, cpu = report["machine"], report["load"], report["inprocess"]
    header = (f"{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    lines = [
        f"Benchmark {report['date']}",
        f"machine: {m['cores']} cores, {m['memory_gb']} GB, PostgreSQL {m['postgresql']}, "
        f"Redis {m['redis']}, Python {m['python']}",
        f"load: {load['learners']:,} learners seeded ({load['responses']:,} responses); "
        f"gunicorn {load['gunicorn_workers']} sync workers "
        f"(page mix req/s by workers: {load['worker_trials'] or 'not tried'}); "
        f"wrk {load['wrk_threads']} threads, {load['wrk_connections']} connections, "
        f"{load['seconds']} s a row; locust on the same machine",
        "",
        f"{'wrk, logged in':<28}{header}{'x healthz':>11}{'x beside':>10}{'queries':>9}"
        f"{'CPU ms':>9}",
    ]
    for key, label, cpu_key in PAGE_ROWS:
        row = report["pages"].get(key)
        if row is None:
            continue
        left, right = _cells(row, cpu.get(cpu_key, {}))
        lines.append(f"{label:<28}{left}{row.get('ratio_to_healthz', ''):>11}"
                     f"{row.get('ratio_to_healthz_beside', ''):>10}{right}")
    uncached = cpu.get("attempt page, not cached")
    if uncached:
        lines.append(f"  (attempt page with its questions not cached, as for an attempt started "
                     f"over the API: {uncached['queries']} queries, {uncached['cpu_ms']} ms CPU)")
    submit = report["pages"].get("HTML submit")
    if submit and submit.get("repeated"):
        lines.append(f"  (HTML submit ran out of its {submit['prepared']} open attempts: "
                     f"{submit['repeated']} requests re-submitted a closed one)")
    lines += ["", f"{'REST loop, no think time':<28}{header}{'':>21}{'queries':>9}{'CPU ms':>9}"]
    for users, block in report["rest"].items():
        for step in STEPS:
            row = block.get(step)
            if row:
                left, right = _cells(row, cpu.get(f"REST {step}", {}))
                lines.append(f"{f'{users} learners: {step}':<28}{left}{'':>21}{right}")
        lines.append(f"{f'{users} learners: all':<28}{block['total']['rps']:>8}"
                     f"{'':>35}{block['total']['errors']:>8}   ({block['attempts_per_s']} "
                     f"attempts/s)")
        lines.extend(_loop_cpu_lines(users, block))
    wave = report["wave"]
    title = f"wave, {wave['learners']} learners"
    lines += ["", f"{title:<28}{header}{'':>21}{'queries':>9}{'CPU ms':>9}"]
    for step in ("login", *STEPS):
        row = wave["steps"].get(step)
        if row:
            left, right = _cells(row, cpu.get(f"REST {step}", {}))
            lines.append(f"{f'wave: {step}':<28}{left}{'':>21}{right}")
    check = wave["check"]
    csv_http, csv_mem, items = report["csv_http"], report["csv_memory"], report["item_analysis"]
    counted = {step: wave["steps"].get(step, {}).get("requests") for step in STEPS}
    expected = {"start": check["learners_finished"], "answer": check["answers_sent"],
                "submit": check["learners_finished"]}
    lines += [
        f"wave check: {check['learners_finished']} learners finished, {check['answers_sent']} "
        f"answers sent, {check['answers_lost']} lost, {check['answers_doubled']} doubled, "
        f"{check['attempts_submitted']} attempts submitted",
        *([] if counted == expected else [
            f"  the wave's figures count only part of the requests sent: {counted} of {expected}"
        ]),
        "",
        f"CSV over HTTP: {csv_http['rows']} rows in {csv_http['seconds']} s = "
        f"{csv_http['rows_per_s']} rows/s; worker peak RSS {csv_http['worker_peak_rss_mb']} MB",
        f"CSV in one process: {csv_mem['rows_per_s']} rows/s; process peak "
        f"{csv_mem['process_peak_mb']} MB (+{csv_mem['growth_mb']} MB while exporting)",
    ]
    if "error" in items:
        lines.append(f"item analysis failed after {items.get('after_s')} s: {items['error']}; "
                     f"the other busy database sessions then, and while it ran:")
        lines.extend("  " + " | ".join(session) for session in items["activity"])
        lines.extend(_activity_lines(items.get("during")))
    else:
        lines.append(
            f"item analysis over {items['responses_in_quiz']} first-attempt responses: "
            f"first open {items['first_open_s']} s (tallies built); then median "
            f"{items['median_s']} s; after {items['movers']} learners leave "
            f"{items['after_leaving_s']} s, and come back {items['after_joining_s']} s; "
            f"update_item_tallies builds them in {items['command_s']} s, then an open "
            f"{items['after_command_s']} s")
    if "error" in cpu:
        lines.append(f"in-process measurement failed: {cpu['error']}")
    return "\n".join(lines)


def _loop_cpu_lines(users, block):
    """Where the loop's CPU went, and what that bounds: in a closed loop with
    no think time, each learner's mean wait is learners / throughput (Little's
    law), so the mean latency falls only with less CPU per request."""
    users, use = int(users), block.get("cpu")  # (a key of the JSON report: text)
    rps, requests = block["total"]["rps"], block["total"]["requests"]
    if not use or not rps or not requests:
        return []
    cores = os.cpu_count() or 1
    busy = use["cpu_seconds"] / (use["seconds"] * cores)
    shares = ", ".join(f"{kind} {share}%" for kind, share in use["shares"].items())
    ended = use.get("ended_uncounted")
    if ended:
        shares += f"; {ended} other processes ended meanwhile, their CPU not counted"
    return [f"  CPU during the loop: {busy:.0%} of {cores} cores ({shares}); "
            f"{1000 * use['cpu_seconds'] / requests:.1f} ms of CPU per request in all "
            f"(locust's start included); mean wait {1000 * users / rps:.0f} ms "
            f"= {users} learners / {rps} req/s"]


def rest_block(rows):
    block = {step: figures(rows[f"REST {step}"]) for step in STEPS if f"REST {step}" in rows}
    block["total"] = figures(rows["Aggregated"])
    block["attempts_per_s"] = block.get("submit", {}).get("rps", 0)
    return block


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--cohorts", type=int, default=100)
    parser.add_argument("--attempts-per-learner", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wave", type=int, default=300)
    parser.add_argument("--workers", type=int,
                        help="gunicorn sync workers (default: the fastest of 3, 4, 5)")
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the database")
    parser.add_argument("--csv-memory", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"
    )
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
    env = django_env(database_url, redis_url)

    if args.csv_memory:
        setup_django(env)
        print(json.dumps(csv_memory(args.csv_memory)))
        return

    if not os.access(WRK, os.X_OK):
        raise SystemExit(f"wrk not found at {WRK} (Debian package wrk; `make bench` installs it)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    began_run = time.perf_counter()
    redis_version = flush_redis(redis_url)
    ensure_database(database_url, args.fresh)
    manage(env, "migrate", "--no-input", "-v0")
    manage(env, "load_course", "content/klonopin")
    manage(env, "collectstatic", "--no-input", "-v0")
    setup_django(env)
    from django.contrib.auth import get_user_model

    seeded = get_user_model().objects.filter(username__startswith="learner").count()
    seed_seconds = None
    if seeded < args.learners:
        began = time.perf_counter()
        manage(env, "seed_demo", "--learners", str(args.learners - seeded),
               "--cohorts", str(args.cohorts),
               "--attempts-per-learner", str(args.attempts_per_learner), "--seed", str(args.seed))
        seed_seconds = round(time.perf_counter() - began, 1)
    learners = max(seeded, args.learners)
    from django.db import connection

    with connection.cursor() as cursor:
        # As autovacuum does after a bulk load: planner statistics, and the
        # visibility map that index-only scans (item analysis) rely on.
        cursor.execute("VACUUM ANALYZE")
    from quizzes.models import Response

    fx = fixtures(learners)
    print("In-process: queries and CPU per request ...", flush=True)
    cpu = inprocess_figures(fx)

    # Who does what: page readers, learners with open attempts for the HTML
    # submit, REST learners (the wave takes the last learners, the in-process
    # writes the last 51 and learner000001).
    cores = os.cpu_count() or 1
    submit_ms = cpu.get("form submit", {}).get("cpu_ms") or 50
    needed = min(4000, max(200, math.ceil(2 * cores * 1000 / submit_ms * SCENARIO_SECONDS)))
    preparers = math.ceil((needed + 1) / len(fx["topics"]))
    readers = [learner(10 + n) for n in range(READ_LEARNERS)]
    takers = [learner(100 + n) for n in range(preparers)]
    rest_learners = [learner(100 + preparers + 50 + n) for n in range(max(REST_LEARNERS))]
    cookies = sessions(readers)
    taker_cookies = sessions(takers)
    instructor_cookies = sessions(sorted({who for _, who in fx["cohorts"]}))
    tokens = api_tokens(rest_learners)
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(redis_version),
        "load": {"learners": learners, "seed_seconds": seed_seconds,
                 "responses": Response.objects.count(), "wrk_threads": WRK_THREADS,
                 "wrk_connections": WRK_CONNECTIONS, "seconds": SCENARIO_SECONDS,
                 "read_learners": READ_LEARNERS, "rest_learners": list(REST_LEARNERS),
                 "rest_seconds": REST_SECONDS,
                 "wave": args.wave},
        "inprocess": cpu,
    }
    from django.db import connections

    connections.close_all()
    pages = read_lines(fx, cookies, instructor_cookies)
    mix = pages["lesson"] + pages["outline"] + pages["dashboard"] + pages["quiz page"]
    trials = {}
    workers = args.workers
    if workers is None:
        print("Picking gunicorn workers ...", flush=True)
        workers, trials = pick_workers(env, mix)
    report["load"]["gunicorn_workers"] = workers
    report["load"]["worker_trials"] = trials
    gunicorn = start_gunicorn(env, workers)
    try:
        check_sessions(cookies, taker_cookies, instructor_cookies)
        print(f"wrk with {workers} workers ...", flush=True)
        wrk("warm-up", mix, seconds=4)
        results = {}

        def measure(name, lines, **kwargs):
            # The machine's speed drifts within a run (its neighbours share the
            # host): each row also gets a short /healthz run just before it.
            beside = wrk("healthz", pages["healthz"], seconds=BESIDE_SECONDS)["rps"]
            row = wrk(name, lines, **kwargs)
            row["healthz_beside_rps"] = beside
            row["ratio_to_healthz_beside"] = round(row["rps"] / (beside or 1), 3)
            return row

        for name, lines in pages.items():
            preflight(lines, 200)
            results[name] = wrk(name, lines) if name == "healthz" else measure(name, lines)
        # Attempts the last run's HTML submit row did not reach are still open,
        # and their cached questions went with the flushed cache: a start would
        # resume them, and their first page would be built, not read. Gone, as
        # never graded: every attempt of these rows starts now, from its quiz page.
        from quizzes.models import Attempt

        Attempt.objects.filter(user__username__in=takers,
                               state=Attempt.State.IN_PROGRESS).delete()
        attempts = open_attempts(fx, taker_cookies, needed + 1)
        if len(attempts) > WRK_CONNECTIONS:
            results["attempt page"] = measure(
                "attempt page", [("GET", f"/attempts/{pk}/", c, "") for pk, c, _ in attempts]
            )
            submits = [("POST", f"/attempts/{pk}/", c, body) for pk, c, body in attempts]
            preflight(submits, 302)
            results["HTML submit"] = measure("HTML submit", submits[1:], mode="once")
        else:
            print("warning: too few open attempts: no attempt page and HTML submit rows",
                  file=sys.stderr)
        floor = results["healthz"]["rps"] or 1
        for row in results.values():
            row["ratio_to_healthz"] = round(row["rps"] / floor, 3 if row["rps"] < floor / 100
                                            else 2)
        report["pages"] = {key: results[key] for key, _, _ in PAGE_ROWS if key in results}

        common = {
            "BENCH_PASSWORD": PASSWORD,
            "BENCH_LEARNERS": str(learners),
            "BENCH_TOPIC_QUIZZES": json.dumps([pk for pk, _ in fx["topics"]]),
            "BENCH_TOKENS": json.dumps(tokens),
        }
        report["rest"] = {}
        for users in REST_LEARNERS:
            print(f"REST loop, {users} learners ...", flush=True)
            with CpuByProcess() as cpu_use:
                rows = run_locust(f"rest-{users}", "RestLoopUser", users, users, REST_SECONDS,
                                  common)
            report["rest"][str(users)] = block = rest_block(rows)
            block["cpu"] = {"seconds": cpu_use.seconds, "cpu_seconds": cpu_use.cpu_seconds,
                            "shares": cpu_use.shares, "ended_uncounted": cpu_use.ended}

        print(f"Wave of {args.wave} learners ...", flush=True)
        wave_log = RESULTS / "wave.jsonl"
        wave_log.unlink(missing_ok=True)
        from django.utils import timezone

        wave_started = timezone.now()
        rows = run_locust("wave", "WaveUser", args.wave, 3, args.wave // 3 + 300,
                          {**common, "BENCH_QUIZ_ID": str(fx["wave_quiz"]),
                           "BENCH_WAVE": str(args.wave), "BENCH_WAVE_LOG": str(wave_log)})
        report["wave"] = {
            "learners": args.wave,
            "steps": {step: figures(rows[f"wave: {step}"])
                      for step in ("login", *STEPS) if f"wave: {step}" in rows},
            "check": check_wave(wave_log, wave_started, fx["wave_quiz"]),
        }
        print("CSV and item analysis ...", flush=True)
        report["csv_http"] = csv_over_http(fx["program"], gunicorn.pid)
        try:
            report["item_analysis"] = item_analysis_over_http(fx["program"], fx["quiz"],
                                                              database_url)
        except Exception as exc:  # noqa: BLE001 (recorded; the other figures still count)
            report["item_analysis"] = {
                "error": str(exc), "after_s": getattr(exc, "seconds", None),
                "activity": database_activity(), "during": getattr(exc, "activity", None),
            }
    finally:
        stop(gunicorn)
    memory = subprocess.run(
        [sys.executable, __file__, "--csv-memory", str(fx["program"])],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    report["csv_memory"] = json.loads(memory.stdout.strip().splitlines()[-1])
    report["run_seconds"] = round(time.perf_counter() - began_run)
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print()
    print(table(report))
    print(f"\nReport: {RESULTS / 'latest.json'} (the run took {report['run_seconds']} s)")


if __name__ == "__main__":
    main()
