"""Pause points in a worker, so a test can kill it at a known place in a task.

The product sends a signal where a test may want to strike (profiles.signals); only the test
workers (tests/integration/worker_app.py) connect `pause_here` to it. A test sets the Redis
key `<name>:hold`, waits for `<name>:reached` (the pid of the process that reached the
point), then acts on that process; deleting the hold key lets the task go on. The wait is
bounded.
"""

from __future__ import annotations

import os
import time

import redis

PREFIX = "bzpeer:test-hook:"
MAX_PAUSE_SECONDS = 60
TRUST_CHUNK = "trust-chunk"


def hold_key(name: str) -> str:
    return f"{PREFIX}{name}:hold"


def reached_key(name: str) -> str:
    return f"{PREFIX}{name}:reached"


def pause_here(name: str) -> None:
    """Waits while the hold key exists, after telling the test this process got here."""
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    if not client.exists(hold_key(name)):
        return
    client.set(reached_key(name), os.getpid())
    deadline = time.monotonic() + MAX_PAUSE_SECONDS
    while client.exists(hold_key(name)) and time.monotonic() < deadline:
        time.sleep(0.05)


def pause_in_trust_chunk(sender, **_) -> None:
    pause_here(TRUST_CHUNK)
