# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

FONT ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf

.PHONY: run test lint bench browser fonts clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements-dev.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# The browser tests use the system Chromium (Playwright's own download cannot
# be fetched on our machines). Install it from Debian when missing and root.
browser:
	@if [ -x "$(CHROMIUM)" ]; then echo "Chromium: $(CHROMIUM)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
		$(BIN)/python -m playwright install chromium; \
	fi

# Certificates print names in any script with DejaVu Sans (Debian's fonts-dejavu-core).
fonts:
	@if [ -f "$(FONT)" ]; then echo "Certificate font: $(FONT)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core; \
	else \
		echo "warning: $(FONT) is missing; certificates will print Latin letters only"; \
	fi

# The local site: SQLite, the klonopin course, demo users, the dev server.
run: $(VENV)/.runtime fonts
	DJANGO_DEBUG=1 $(BIN)/python manage.py migrate --no-input
	DJANGO_DEBUG=1 $(BIN)/python manage.py load_course content/klonopin
	DJANGO_DEBUG=1 $(BIN)/python manage.py create_demo_users
	DJANGO_DEBUG=1 $(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite, browser tests included. DATABASE_URL picks the database.
test: $(VENV)/.dev browser fonts
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest

$(VENV)/.bench: requirements-bench.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

# Load and scale benchmarks on PostgreSQL (BENCH_DATABASE_URL) behind gunicorn.
# Not a test: it prints a table and writes bench/results/latest.json.
bench: $(VENV)/.bench fonts
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# Code style, and the item-writing rules over every course's question bank.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	DJANGO_DEBUG=1 $(BIN)/python manage.py lint_bank --strict --summary content/*/questions.gift

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
