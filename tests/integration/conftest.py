"""Real Celery worker processes for tests that must cross the broker.

`celery_worker_process`: one `celery worker` subprocess for the session, on pytest-django's
test database and a Redis database claimed for this run; during a test that asks for it, this
process's Celery app sends to the same broker with eager mode off, so `.delay()` really goes
through Redis. `celery_worker_factory`: workers a test may start and kill itself. Tests need
`@pytest.mark.django_db(transaction=True)`: a worker only sees committed rows.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import redis

from tests.integration.waiting import wait_for

# Accounts for the tests that log in and send things (test_redis_down.py).
from tests.profiles.conftest import fast_passwords, make_account, make_owned  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
QUEUES = "default,imports,scores,graph"
# Each run claims a Redis database of its own (make test uses 1, make worker 0), so two
# suites running at once on one machine neither share a worker nor flush each other's queues.
WORKER_REDIS_DBS = range(15, 1, -1)
CLAIM_KEY = "bzpeer:worker-tests:owner"


def claim_worker_redis() -> tuple[str, redis.Redis]:
    """A Redis URL whose database this run owns until teardown flushes it, and its client."""
    if url := os.environ.get("WORKER_TEST_REDIS_URL"):
        client = redis.Redis.from_url(url)
        client.flushdb()
        return url, client
    base = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/1")
    for db in WORKER_REDIS_DBS:
        url = urlunsplit(base._replace(path=f"/{db}"))
        client = redis.Redis.from_url(url)
        # The claim expires, so a crashed run's database is taken over (and cleared) later.
        if client.set(CLAIM_KEY, os.getpid(), nx=True, ex=60 * 60):
            for key in client.scan_iter():
                if key != CLAIM_KEY.encode():
                    client.delete(key)
            return url, client
    pytest.fail(f"Every Redis database in {list(WORKER_REDIS_DBS)} is claimed by another run.")


def database_url(settings_dict: dict) -> str:
    user = quote(settings_dict.get("USER") or "")
    if password := settings_dict.get("PASSWORD"):
        user += ":" + quote(password)
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{user}@{host}:{port}/{quote(settings_dict['NAME'])}"


def log_tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def forget_broker_connections(app) -> None:
    """Drops the connection and producer pools Celery built on first use, so that a changed
    broker_url takes effect. Celery does the same after a fork; Celery.close() forgets only
    the first, and the producers would go on sending to the previous broker.
    """
    app._pool = None
    app.amqp._producer_pool = None


@contextlib.contextmanager
def sending_to(app, broker_url: str):
    """This process's Celery app sends to `broker_url` for real, eager mode off, meanwhile."""
    overrides = {"broker_url": broker_url, "task_always_eager": False}
    saved = {key: app.conf[key] for key in overrides}
    forget_broker_connections(app)
    app.conf.update(overrides)
    try:
        yield
    finally:
        forget_broker_connections(app)
        app.conf.update(saved)


def start_worker(app, *, name: str, redis_url: str, log_path: Path, **extra_env: str):
    """Starts `celery worker` on the test database and `redis_url`; returns its Popen once it
    answers a ping. `app` must be sending to `redis_url` (see `sending_to`).
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.fail(
            "The worker tests share the test database with another process: "
            "run them on PostgreSQL (make test sets DATABASE_URL)."
        )
    hostname = f"{name}@{socket.gethostname()}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bzpeer.settings",
        # pytest-django renamed the database when it created it: the worker must use that one.
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        # No idle connection left behind to stop pytest-django dropping the test database.
        "DB_CONN_MAX_AGE": "0",
        **extra_env,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "tests.integration.worker_app", "worker",
        "-Q", QUEUES, "-P", "solo", "-c", "1", "-n", hostname,
        "--without-heartbeat", "--without-gossip", "--without-mingle",
        "--loglevel", "INFO",
    ]  # fmt: skip
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def answers_ping() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"celery worker exited with {process.returncode}")
        return bool(app.control.ping(destination=[hostname], timeout=0.5))

    try:
        wait_for(answers_ping, timeout=60, what=f"celery worker {hostname} to answer a ping")
    except AssertionError as exc:
        stop_worker(process)
        raise AssertionError(f"{exc}; its log ends:\n{log_tail(log_path)}") from None
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # warm shutdown: the current task finishes
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def _celery_worker(django_db_setup, django_db_blocker, tmp_path_factory):
    """One worker for the whole session, started by the first test that asks for it."""
    from bzpeer.celery import app

    redis_url, broker = claim_worker_redis()
    process = None
    try:
        with sending_to(app, redis_url):
            process = start_worker(
                app,
                name=f"bzpeer-test-{os.getpid()}",
                redis_url=redis_url,
                log_path=tmp_path_factory.mktemp("celery") / "worker.log",
            )
        yield process, redis_url
    finally:
        if process is not None:
            stop_worker(process)
        broker.flushdb()  # also releases the claim on the database


@pytest.fixture
def celery_worker_process(_celery_worker):
    """The running worker; during the test, `.delay()` here sends to it through Redis.

    Other tests keep the suite's settings (eager tasks), whatever order they run in.
    """
    from bzpeer.celery import app

    process, redis_url = _celery_worker
    with sending_to(app, redis_url):
        yield process
        _until_idle(app, redis_url)


def _until_idle(app, redis_url: str, timeout: float = 60) -> None:
    """Waits until the worker runs nothing and its queues are empty: the tasks a test's
    last task queued (a merge queues score and graph work) would otherwise still hold
    locks when the test's tables are flushed (a deadlock seen in CI). Gives up quietly
    after `timeout`: the flush then reports what is still running."""
    broker = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        queued = sum(broker.llen(queue) for queue in QUEUES.split(","))
        inspect = app.control.inspect(timeout=1.0)
        busy = [t for tasks in (inspect.active() or {}).values() for t in tasks]
        busy += [t for tasks in (inspect.reserved() or {}).values() for t in tasks]
        if not queued and not busy:
            return
        time.sleep(0.2)  # polling, bounded by the deadline


# --- workers a test may kill: tests/integration/test_worker_kill.py ----------------------


@pytest.fixture
def celery_worker_factory(django_db_setup, tmp_path):
    """Starts real `celery worker` processes (solo pool) that the test may SIGKILL.

    `start(**env)` returns the Popen of a worker that answers pings, with `env` added to
    its environment; every worker still running at teardown is stopped. A Redis database
    of its own (so the session worker above never takes these tasks); `start.redis` is a
    client of it. During the test, `.delay()` here sends to it.
    """
    from bzpeer.celery import app

    redis_url, broker = claim_worker_redis()
    started: list[subprocess.Popen] = []

    def start(**extra_env: str) -> subprocess.Popen:
        n = len(started) + 1
        process = start_worker(
            app,
            name=f"bzpeer-kill-{os.getpid()}-{n}",
            redis_url=redis_url,
            log_path=tmp_path / f"worker-{n}.log",
            **extra_env,
        )
        started.append(process)
        return process

    start.redis = broker
    try:
        with sending_to(app, redis_url):
            yield start
    finally:
        for process in started:
            stop_worker(process)
        broker.flushdb()  # also releases the claim on the database
