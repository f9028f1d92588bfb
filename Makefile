# BZPEER developer commands. `make run` needs nothing but Python; `make test` needs the
# PostgreSQL and Redis servers named below (bin/check_services.py says how to start them).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall when the pinned dependencies change, not on every command.
STAMP := $(VENV)/.installed-stamp

TEST_DATABASE_URL := postgres://postgres@127.0.0.1:5432/bzpeer
TEST_REDIS_URL := redis://127.0.0.1:6379/1
WORKER_REDIS_URL := redis://127.0.0.1:6379/0
QUEUES := default,imports,scores,graph

.DEFAULT_GOAL := help
.PHONY: help install run test test-sqlite worker beat lint bench deploy-check

help:
	@echo "make run           install, migrate the SQLite default, load the demo, serve on :8000"
	@echo "make test          the whole suite against PostgreSQL and Redis"
	@echo "make test-sqlite   the tests marked sqlite on the make run default: SQLite, no Redis"
	@echo "make worker|beat   a Celery worker (queues $(QUEUES)) or the scheduler"
	@echo "make lint          ruff check, ruff format --check, import contracts, makemigrations --check"
	@echo "make bench         the benchmarks (bench/run.py)"
	@echo "make deploy-check  manage.py check --deploy with production-like settings"

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev]'
	touch $@

# The embedded default: SQLite, no Redis (tasks run eagerly), DEBUG on.
run: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py migrate --no-input
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py load_demo
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py runserver 127.0.0.1:8000

# Redis serves as cache and broker, but tasks run in the test process (nothing consumes the
# queue) except in the worker tests, which start a real worker (tests/integration/).
test: $(STAMP)
	export DATABASE_URL="$${DATABASE_URL:-$(TEST_DATABASE_URL)}" \
	       REDIS_URL="$${REDIS_URL:-$(TEST_REDIS_URL)}" \
	       CELERY_TASK_ALWAYS_EAGER="$${CELERY_TASK_ALWAYS_EAGER:-1}" && \
	$(PY) bin/check_services.py && \
	$(PY) -m pytest --create-db $(PYTEST_ARGS)

# The suite's fast part on `make run`'s embedded default: SQLite (in memory for the tests)
# and no Redis (eager tasks, local-memory cache). Selected by marker, never skipped inside:
# tests marked sqlite, less those marked postgresql. pytest exits 5 when the selection is
# empty, and make fails on any non-zero exit, so an empty run fails CI.
test-sqlite: $(STAMP)
	env -u DATABASE_URL -u REDIS_URL -u CELERY_TASK_ALWAYS_EAGER \
	  $(PY) -m pytest --create-db -m "sqlite and not postgresql" $(PYTEST_ARGS)

worker: $(STAMP)
	REDIS_URL="$${REDIS_URL:-$(WORKER_REDIS_URL)}" \
	  $(VENV)/bin/celery -A bzpeer worker -Q $(QUEUES) --loglevel INFO

beat: $(STAMP)
	REDIS_URL="$${REDIS_URL:-$(WORKER_REDIS_URL)}" \
	  $(VENV)/bin/celery -A bzpeer beat --loglevel INFO

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	env -u DATABASE_URL -u REDIS_URL $(PY) manage.py makemigrations --check --dry-run

bench: $(STAMP)
	$(PY) bench/run.py $(BENCH_ARGS)

deploy-check: $(STAMP)
	DEBUG=0 \
	SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=bzpeer.example \
	SITE_URL=https://bzpeer.example \
	DATABASE_URL="$(TEST_DATABASE_URL)" \
	  $(PY) manage.py check --deploy --fail-level WARNING
