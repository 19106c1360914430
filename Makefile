# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
CHROMIUM ?= /usr/bin/chromium

# Certificate fonts (TrueType, as ReportLab needs) and the Debian packages that
# install them: DejaVu Sans for Latin, Greek, Cyrillic, Arabic and Hebrew;
# WenQuanYi Zen Hei for Chinese, Japanese and Korean. Keep DJANGO_CERTIFICATE_FONT's
# default (edu/settings.py) in step.
FONT ?= /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf
FONT_CJK ?= /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc
FONT_PACKAGES := $(FONT)=fonts-dejavu-core $(FONT_CJK)=fonts-wqy-zenhei

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

# Certificates print names in many scripts with the fonts above: install the
# missing ones from Debian when root, or warn (names in those scripts then print
# as empty boxes).
fonts:
	@missing=""; for pair in $(FONT_PACKAGES); do \
		[ -f "$${pair%%=*}" ] || missing="$$missing $${pair#*=}"; \
	done; \
	if [ -z "$$missing" ]; then echo "Certificate fonts: $(FONT) $(FONT_CJK)"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "warning: certificate fonts missing (Debian packages:$$missing); names in their scripts will print as empty boxes"; \
	fi

# A local .env (never committed) so that the README's manage.py commands work
# as written on this checkout; production sets its own environment.
.env:
	printf '# Local development only (written by make run).\nDJANGO_DEBUG=1\n' > $@

# The local site: SQLite, the klonopin course, demo users, the dev server.
run: $(VENV)/.runtime fonts .env
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py load_course content/klonopin
	$(BIN)/python manage.py create_demo_users
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

# The whole suite, browser tests included. DATABASE_URL picks the database.
test: $(VENV)/.dev browser fonts
	CHROMIUM=$(CHROMIUM) $(BIN)/pytest

$(VENV)/.bench: requirements-bench.txt requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-bench.txt
	touch $@

# Load and scale benchmarks on PostgreSQL (BENCH_DATABASE_URL) and Redis
# (BENCH_REDIS_URL, db 3) behind gunicorn, with wrk and locust. Installs wrk
# from Debian when missing and root; starts PostgreSQL and Redis when down.
# Not a test: it prints a table and writes bench/results/latest.json.
WRK ?= /usr/bin/wrk
bench: $(VENV)/.bench fonts
	@if [ ! -x "$(WRK)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
		else echo "wrk is missing: install the Debian package wrk (as root)"; exit 1; fi; \
	fi
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --save '' --appendonly no
	WRK=$(WRK) $(BIN)/python bench/run.py $(BENCH_ARGS)

# Code style, and the item-writing rules over every course's question bank.
lint: $(VENV)/.dev
	$(BIN)/ruff check .
	DJANGO_DEBUG=1 $(BIN)/python manage.py lint_bank --strict --summary content/*/questions.gift

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
