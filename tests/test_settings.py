"""Settings come from the environment, with safe defaults."""

import os
import subprocess
import sys

from .conftest import ROOT

PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "edu.settings",
    "DJANGO_SECRET_KEY": "a-production-secret-that-is-long-and-random-enough-0123456789abcdef",
    "DJANGO_ALLOWED_HOSTS": "learn.example.edu",
    "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
    "REDIS_URL": "redis://127.0.0.1:6379/15",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.pop("DATABASE_URL", None)
    clean.pop("REDIS_URL", None)
    # A developer's .env must not change the defaults under test.
    env = {"DJANGO_ENV_FILE": os.devnull, **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_values():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_the_cache_is_one_process_own():
    env = {k: v for k, v in PRODUCTION.items() if k != "REDIS_URL"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "courses.W001" in result.stderr + result.stdout
    assert "Set REDIS_URL" in result.stderr + result.stdout


def test_secret_key_is_required_when_debug_is_off():
    env = {k: v for k, v in PRODUCTION.items() if k != "DJANGO_SECRET_KEY"}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off" in result.stderr


def test_debug_is_off_by_default_and_sqlite_is_the_default_database():
    probe = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.EMAIL_BACKEND)"
    )
    result = manage("shell", "--no-imports", "-c", probe, env={"DJANGO_SECRET_KEY": "x" * 60})
    assert result.stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
        "django.core.mail.backends.console.EmailBackend",
    ], result.stderr


def test_database_url_selects_postgresql():
    probe = "from django.conf import settings as s; print(s.DATABASES['default']['ENGINE'])"
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        probe,
        env={"DJANGO_SECRET_KEY": "x" * 60, "DATABASE_URL": "postgres://u@127.0.0.1:5432/db"},
    )
    assert result.stdout.strip() == "django.db.backends.postgresql", result.stderr


def test_a_dot_env_file_makes_the_readme_commands_work(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text("DJANGO_DEBUG=1\n")
    result = manage("check", env={"DJANGO_ENV_FILE": str(dotenv),
                                  "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
    # Without it (and without a secret key) the site refuses to start.
    refused = manage("check", env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"})
    assert refused.returncode != 0 and "DJANGO_SECRET_KEY must be set" in refused.stderr
