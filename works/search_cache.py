"""Search answers served from the cache: a repeated search is one cache round trip.

What is stored is the finished answer (the rendered results of the /search/ page, the JSON
body of an API search or researcher), keyed by everything it depends on (the normalised
query, filters and page; the host, for the API's absolute URLs) and stored together with
the works data version read before it was built (bzpeer.lib.versions). One get_many reads
the version and the entry; an entry built under another version is stale and rebuilt. Any
change to what search shows moves the version once it commits, so the next search shows it.

The cache is a helper only: when Redis does not answer, the answer is computed and
returned as if there were no cache (the breaker in bzpeer.lib.cache makes that fast).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache

from bzpeer.lib.cache import CACHE_ERRORS
from bzpeer.lib.versions import WORKS_VERSION_KEY, works_data_version

logger = logging.getLogger(__name__)

T = TypeVar("T")


def answer_key(namespace: str, parts: object) -> str:
    """A short key for any JSON-able description of the question."""
    text = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return f"search:{namespace}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def answer_cached(namespace: str, parts: object, build: Callable[[], T]) -> T:
    """The stored answer to `parts` if built from the current data, else build() (stored)."""
    seconds = settings.SEARCH_CACHE_SECONDS
    if not seconds:
        return build()
    key = answer_key(namespace, parts)
    try:
        found = cache.get_many([WORKS_VERSION_KEY, key])
        version = found.get(WORKS_VERSION_KEY)
        if version is None:  # never bumped, or evicted: a new version starts
            version = works_data_version()
    except CACHE_ERRORS:
        logger.warning("search cache unavailable; %s answered without it", namespace)
        return build()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        return entry[1]
    value = build()
    try:
        cache.set(key, (version, value), timeout=seconds)
    except CACHE_ERRORS:
        logger.warning("search cache unavailable; %s answer not stored", namespace)
    return value
