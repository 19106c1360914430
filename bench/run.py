#!/usr/bin/env python
"""`make bench`: load and scale benchmarks on PostgreSQL behind gunicorn.

1. A PostgreSQL database (BENCH_DATABASE_URL, default .../bench) is migrated,
   the klonopin course loaded and seed_demo run (skipped when already seeded).
2. gunicorn serves the site on 127.0.0.1; locust, in a second process, runs
   each scenario bounded in time and in requests per user.
3. The report (bench/results/latest.json and a table) gives requests/s,
   p50/p95/p99 and errors per scenario, throughput as a ratio of /healthz in
   the same run, SQL queries per request, the CSV export's rate and peak
   memory, the item-analysis time, and the wave's answer check.
"""

import argparse
import csv
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results"
PORT = int(os.environ.get("BENCH_PORT", "8765"))
URL = f"http://127.0.0.1:{PORT}"
PASSWORD = "demo-password"
SCENARIO_SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))


def django_env(database_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
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


def setup_django(env):
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def fixtures():
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
    quiz = Quiz.objects.get(course=course, slug="final-assessment")
    return {"lessons": lessons, "cohorts": cohorts, "program": program.pk, "quiz": quiz.pk}


def queries_per_request(fx):
    """SQL queries for one request of each scenario, counted in-process."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    User = get_user_model()
    learner = User.objects.get(username="learner000000")
    director = User.objects.get(username="director")
    cohort_id, instructor = fx["cohorts"][0]
    teacher = User.objects.get(username=instructor)
    client = Client()

    def count(user, method, url, **kwargs):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            response = getattr(client, method)(url, **kwargs)
        assert response.status_code < 400, (url, response.status_code)
        return len(queries), response

    counts = {
        "healthz": count(learner, "get", "/healthz")[0],
        "lesson": count(learner, "get", fx["lessons"][2])[0],
        "dashboard": count(learner, "get", "/dashboard/")[0],
        "gradebook": count(teacher, "get", f"/teach/cohorts/{cohort_id}/")[0],
        "item analysis": count(
            director, "get", f"/teach/cohorts/{fx['program']}/quizzes/{fx['quiz']}/analysis/"
        )[0],
    }
    with transaction.atomic():
        n, response = count(learner, "post", f"/api/v1/quizzes/{fx['quiz']}/attempts/")
        counts["wave: start"] = n
        attempt = response.json()
        question = attempt["questions"][0]
        body = {"answers": [{"question": question["id"],
                             "options": [question["options"][0]["token"]]}]}
        counts["wave: answer"] = count(
            learner, "post", f"/api/v1/attempts/{attempt['id']}/answers/",
            data=json.dumps(body), content_type="application/json",
        )[0]
        counts["wave: submit"] = count(
            learner, "post", f"/api/v1/attempts/{attempt['id']}/submit/"
        )[0]
        transaction.set_rollback(True)
    return counts


def start_gunicorn(env, workers):
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "edu.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env,
    )
    import requests

    for _ in range(100):
        try:
            if requests.get(f"{URL}/healthz", timeout=1).status_code == 200:
                return process
        except requests.RequestException:
            pass  # still booting
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def run_locust(name, user_class, users, spawn_rate, seconds, extra_env):
    prefix = RESULTS / f"locust-{name}"
    command = [
        str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
        "-H", URL, "-u", str(users), "-r", str(spawn_rate), "-t", f"{seconds}s",
        "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", user_class,
    ]
    subprocess.run(command, cwd=ROOT, env={**os.environ, **extra_env}, check=False,
                   stdout=subprocess.DEVNULL)
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


def check_wave(log_path, started):
    """Every answer the wave sent is in the database once, as sent; no extra attempts."""
    from django.db.models import Count

    from quizzes.models import Attempt, Response

    sent = [json.loads(line) for line in Path(log_path).read_text().splitlines()]
    attempts = {entry["attempt"]: entry["answers"] for entry in sent}
    stored = {}
    for r in Response.objects.filter(attempt_id__in=attempts):
        tokens = {c["id"]: c["token"] for c in r.snapshot["choices"]}
        stored[(r.attempt_id, r.pk)] = sorted(tokens[i] for i in r.selected)
    lost = sum(
        1
        for attempt_id, answers in attempts.items()
        for response_id, choices in answers
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
            user__username__in=[e["user"] for e in sent], started_at__gte=started
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


def worker_peak_rss_mb(master_pid):
    peaks = []
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                peaks.append(int(line.split()[1]) / 1024)
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
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    began = time.perf_counter()
    rows = sum(1 for _ in gradebook.csv_lines(cohort)) - 1
    seconds = time.perf_counter() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "process_peak_mb": round(peak, 1), "growth_mb": round(peak - before, 1)}


def item_analysis_over_http(program_id, quiz_id):
    session = logged_in_session("director")
    timings = []
    for _ in range(3):
        began = time.perf_counter()
        response = session.get(f"{URL}/teach/cohorts/{program_id}/quizzes/{quiz_id}/analysis/")
        response.raise_for_status()
        timings.append(time.perf_counter() - began)
    from quizzes.models import Response

    responses = Response.objects.filter(attempt__quiz_id=quiz_id).count()
    return {"responses_in_quiz": responses, "seconds_each": [round(t, 3) for t in timings],
            "median_s": round(statistics.median(timings), 3)}


def machine(database_url):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        version = cursor.fetchone()[0].split(" on ")[0]
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {"cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
            "database": version, "python": platform.python_version(),
            "platform": platform.platform()}


def table(report):
    lines = [
        f"Benchmark {report['date']} · {report['machine']['cores']} cores · "
        f"{report['machine']['database']} · {report['seed']['learners']} learners",
        "",
        f"{'scenario':<16}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'errors':>8}{'x healthz':>11}{'queries':>9}",
    ]
    for name, row in report["scenarios"].items():
        lines.append(
            f"{name:<16}{row['rps']:>8}{row['p50_ms']:>9.0f}{row['p95_ms']:>9.0f}"
            f"{row['p99_ms']:>9.0f}{row['errors']:>8}{row.get('ratio_to_healthz', ''):>11}"
            f"{report['queries_per_request'].get(name, ''):>9}"
        )
    wave, csv_http, csv_mem = report["wave_check"], report["csv_http"], report["csv_memory"]
    lines += [
        "",
        f"wave: {wave['learners_finished']} learners, {wave['answers_sent']} answers sent, "
        f"{wave['answers_lost']} lost, {wave['answers_doubled']} doubled, "
        f"{wave['attempts_submitted']} attempts submitted",
        f"CSV over HTTP: {csv_http['rows']} rows in {csv_http['seconds']} s = "
        f"{csv_http['rows_per_s']} rows/s; worker peak RSS {csv_http['worker_peak_rss_mb']} MB",
        f"CSV in one process: {csv_mem['rows_per_s']} rows/s; process peak "
        f"{csv_mem['process_peak_mb']} MB (+{csv_mem['growth_mb']} MB while exporting)",
        f"item analysis over {report['item_analysis']['responses_in_quiz']} responses: "
        f"median {report['item_analysis']['median_s']} s",
    ]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--cohorts", type=int, default=100)
    parser.add_argument("--attempts-per-learner", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--wave", type=int, default=300)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1) + 1)
    parser.add_argument("--fresh", action="store_true", help="drop and re-seed the database")
    parser.add_argument("--csv-memory", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    database_url = os.environ.get(
        "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench"
    )
    env = django_env(database_url)

    if args.csv_memory:
        setup_django(env)
        print(json.dumps(csv_memory(args.csv_memory)))
        return

    RESULTS.mkdir(parents=True, exist_ok=True)
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
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # fresh planner statistics, as after any bulk load
    from quizzes.models import Response

    fx = fixtures()
    report = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(database_url),
        "seed": {"learners": max(seeded, args.learners), "seconds": seed_seconds,
                 "responses": Response.objects.count()},
        "gunicorn_workers": args.workers,
        "queries_per_request": queries_per_request(fx),
    }
    from django.db import connections

    connections.close_all()
    gunicorn = start_gunicorn(env, args.workers)
    try:
        common = {
            "BENCH_PASSWORD": PASSWORD,
            "BENCH_LEARNERS": str(args.learners),
            "BENCH_LESSONS": json.dumps(fx["lessons"]),
            "BENCH_COHORTS": json.dumps(fx["cohorts"]),
            "BENCH_QUIZ_ID": str(fx["quiz"]),
            "BENCH_MAX_REQUESTS": "5000",
        }
        scenarios = {}
        for name, user_class in [("healthz", "HealthUser"), ("lesson", "LessonUser"),
                                 ("dashboard", "DashboardUser"), ("gradebook", "GradebookUser")]:
            rows = run_locust(name, user_class, 20, 20, SCENARIO_SECONDS, common)
            scenarios[name] = figures(rows[name])
        wave_log = RESULTS / "wave.jsonl"
        wave_log.unlink(missing_ok=True)
        from django.utils import timezone

        wave_started = timezone.now()
        rows = run_locust("wave", "WaveUser", args.wave, 3, 400,
                          {**common, "BENCH_WAVE": str(args.wave),
                           "BENCH_WAVE_LOG": str(wave_log)})
        for name in ("wave: login", "wave: start", "wave: answer", "wave: submit"):
            if name in rows:
                scenarios[name] = figures(rows[name])
        floor = scenarios["healthz"]["rps"] or 1
        for name in ("lesson", "dashboard", "gradebook"):
            scenarios[name]["ratio_to_healthz"] = round(scenarios[name]["rps"] / floor, 2)
        report["scenarios"] = scenarios
        report["wave_check"] = check_wave(wave_log, wave_started)
        report["csv_http"] = csv_over_http(fx["program"], gunicorn.pid)
        report["item_analysis"] = item_analysis_over_http(fx["program"], fx["quiz"])
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)
    memory = subprocess.run(
        [sys.executable, __file__, "--csv-memory", str(fx["program"])],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    report["csv_memory"] = json.loads(memory.stdout.strip().splitlines()[-1])
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2))
    print(table(report))
    print(f"\nReport: {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
