"""Test-only pause points, so a test can kill a worker at a known place in a task.

Off unless settings.TRUST_TEST_HOOKS (DEBUG on and TRUST_TEST_HOOKS=1 in the worker's
environment): production never pauses. A test sets the Redis key `<name>:hold`, waits for
`<name>:reached` (the pid of the process that reached the point), then acts on that
process; deleting the hold key lets the task go on. The wait is bounded.
"""

from __future__ import annotations

import os
import time

from django.conf import settings

PREFIX = "bzpeer:test-hook:"
MAX_PAUSE_SECONDS = 60


def hold_key(name: str) -> str:
    return f"{PREFIX}{name}:hold"


def reached_key(name: str) -> str:
    return f"{PREFIX}{name}:reached"


def pause_point(name: str) -> None:
    if not settings.TRUST_TEST_HOOKS or not settings.REDIS_URL:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    if not client.exists(hold_key(name)):
        return
    client.set(reached_key(name), os.getpid())
    deadline = time.monotonic() + MAX_PAUSE_SECONDS
    while client.exists(hold_key(name)) and time.monotonic() < deadline:
        time.sleep(0.05)
