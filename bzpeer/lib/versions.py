"""Data versions: cache keys whose change expires every rendering built from older data.

- Per author: everything cached about an author's public data (the anonymous profile page,
  graph slices) puts the author's version in its key. Changing the data bumps the version
  (events announce it), so the next read misses and rebuilds; old entries are never read
  again and expire.
- Works data (one for the whole site): search results and API answers that may show any
  work or researcher (works.search_cache) are stored with it. Every author bump moves it
  too, and so does any save or delete of a record search shows (works.apps connects the
  model signals, on commit) and a trust recompute that changed scores.

A version is read before the data it guards and bumped only after the change commits, so
an entry built from older data is always stored under an older version.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import TypeVar

from django.core.cache import cache
from django.db import connection, transaction

from .cache import CACHE_ERRORS

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Authors whose versions one cache round trip sets (a large import bumps many).
VERSION_BUMP_CHUNK = 5000


def author_version_key(author_id: int) -> str:
    # The key's text predates this module (graph slices were its first user): kept, so a
    # deployment keeps its cached entries valid across the move.
    return f"graph:version:{author_id}"


def author_version(author_id: int) -> int:
    """The author's data version. A missing key (never bumped, or evicted) starts a new one,
    so an entry cached under an older version is never read again. Raises CACHE_ERRORS."""
    key = author_version_key(author_id)
    version = cache.get(key)
    if version is None:
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key)
    return version


def author_versions_bump(author_ids: Iterable[int]) -> bool:
    """Gives each author a new data version. Versions move forward with the clock, so many
    authors are bumped in one round trip per VERSION_BUMP_CHUNK. Never raises: with the
    cache down there is nothing to invalidate now. Returns whether the bump reached it."""
    ids = sorted({pk for pk in author_ids if pk})
    if not ids:
        return True
    version = time.time_ns()
    try:
        for start in range(0, len(ids), VERSION_BUMP_CHUNK):
            chunk = ids[start : start + VERSION_BUMP_CHUNK]
            cache.set_many({author_version_key(pk): version for pk in chunk}, timeout=None)
        # what search shows of these authors (names, counts, scores) changed with them
        cache.set(WORKS_VERSION_KEY, version, timeout=None)
    except CACHE_ERRORS:
        logger.warning("could not bump the data versions of %d authors", len(ids))
        return False
    return True


WORKS_VERSION_KEY = "works:data-version"


def works_data_version() -> int:
    """The works data version (see the module's docstring). Raises CACHE_ERRORS."""
    version = cache.get(WORKS_VERSION_KEY)
    if version is None:
        cache.add(WORKS_VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(WORKS_VERSION_KEY)
    return version


def works_data_version_bump() -> bool:
    """A new works data version now. Never raises; returns whether the bump reached it."""
    try:
        cache.set(WORKS_VERSION_KEY, time.time_ns(), timeout=None)
    except CACHE_ERRORS:
        logger.warning("could not bump the works data version")
        return False
    return True


class WorksVersionBump:
    """The on-commit callback of works_data_version_bump_on_commit; knows whether it ran
    (the test helpers that run on-commit callbacks leave them in the connection's list)."""

    ran = False

    def __call__(self) -> None:
        self.ran = True
        works_data_version_bump()


def works_data_version_bump_on_commit() -> None:
    """Bumps the works data version once the current transaction commits (at once outside
    one). Registered once per transaction however many rows it writes: a loop saving
    10,000 works makes one cache call, not 10,000."""
    if not connection.in_atomic_block:
        works_data_version_bump()
        return
    pending = connection.run_on_commit
    if any(isinstance(cb, WorksVersionBump) and not cb.ran for _, cb, _ in pending):
        return
    transaction.on_commit(WorksVersionBump())


def versioned_get_or_build(
    key: str, version_key: str, version_start: Callable[[], int], build: Callable[[], T],
    *, timeout: int, what: str,
) -> T:  # fmt: skip
    """build()'s value from the cache when it was stored at the current data version (read
    with the entry in one round trip; version_start() when the version key is missing), else
    build() stored under the version read before it. With the cache down, build() every time."""
    try:
        found = cache.get_many([version_key, key])
        version = found.get(version_key) or version_start()
    except CACHE_ERRORS:
        logger.warning("%s cache unavailable; %s built without it", what, key)
        return build()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = build()
    try:
        cache.set(key, (version, value), timeout=timeout)
    except CACHE_ERRORS:
        logger.warning("%s cache unavailable; %s not stored", what, key)
    return value
