"""Bounded polling for tests that watch another process work."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_for(
    predicate: Callable[[], object], timeout: float = 30.0, interval: float = 0.2, what: str = ""
):
    """Calls `predicate` until it returns something truthy, and returns that.

    Fails with AssertionError after `timeout` seconds, saying what it waited for.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"gave up after {timeout:.0f} s waiting for {what or predicate}")
        time.sleep(interval)
