"""Per-author data versions: one cache key an author whose cached renderings expire together.

Everything cached about an author's public data (the anonymous profile page, graph slices)
puts the author's version in its key. Changing the data bumps the version (events announce
it), so the next read misses and rebuilds; old entries are never read again and expire.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from django.core.cache import cache

from .cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

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
    except CACHE_ERRORS:
        logger.warning("could not bump the data versions of %d authors", len(ids))
        return False
    return True
