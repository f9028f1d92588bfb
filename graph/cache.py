"""Where graph slices are kept: one cache entry per author, format, data version and filters.

A slice lives in the Django cache (Redis in production) under
graph:slice:<format>:<author>:<created>:<version>:<params>, the version being the author's
data version (bzpeer.lib.versions); the profile slice's HTML also lives alone, with the
version it was made at, under graph:fragment:<format>:<author>:<created>. Whatever changes
an author's neighbourhood announces it (bzpeer.lib.events), which bumps the version on
commit, so the next read misses and rebuilds; old entries expire (SLICE_TIMEOUT), which
also bounds how long a neighbour's
renamed or merged node can linger in someone else's slice. A cache that does not answer
(Redis down) is not an error here: writes are skipped, reads raise CACHE_ERRORS for
graph.services to decide.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

from bzpeer.lib.cache import CACHE_ERRORS
from bzpeer.lib.outbox.services import enqueue_on_commit, send_now
from bzpeer.lib.versions import author_version, author_version_key, author_versions_bump
from works.models import Author, Authorship

from .slice import GraphSlice, SliceParams

logger = logging.getLogger(__name__)

# Bump when the slice's shape or drawing changes: every cached slice is then rebuilt.
# 7: labels placed for every node drawn, cropped drawing (issue 12); 8: topic and
# institution nodes carry their page's URL (issue 13)
SLICE_FORMAT = 8
SLICE_TIMEOUT = 6 * 60 * 60
# While a worker builds a large slice, requests do not enqueue it again.
BUILD_LOCK_TIMEOUT = 120
PRECOMPUTE_CHUNK = 200


def slice_key(author: Author, params: SliceParams, version: int) -> str:
    # The creation time tells apart two authors with the same id in two databases that
    # share one cache (a reset development or test database).
    created = int(author.created_at.timestamp() * 1_000_000) if author.created_at else 0
    return f"graph:slice:{SLICE_FORMAT}:{author.pk}:{created}:{version}:{params.key}"


def slice_key_now(author: Author, params: SliceParams) -> str:
    """The key at the author's current data version (one cache read). Raises CACHE_ERRORS."""
    return slice_key(author, params, author_version(author.pk))


def graph_slice_cached(*, author: Author, params: SliceParams) -> GraphSlice | None:
    """The cached slice, or None. No database query; raises the cache's errors."""
    return slice_cache_get(slice_key_now(author, params))


def _fragment_key(author: Author) -> str:
    created = int(author.created_at.timestamp() * 1_000_000) if author.created_at else 0
    return f"graph:fragment:{SLICE_FORMAT}:{author.pk}:{created}"


def profile_fragment_cached(author: Author) -> tuple[int, str | None]:
    """(the author's data version, the profile slice's HTML cached at that version or
    None), in one round trip: the profile's graph section asks for nothing else, and the
    version then the whole slice were two round trips and an unpickling of every node.
    Raises CACHE_ERRORS."""
    version_key, key = author_version_key(author.pk), _fragment_key(author)
    found = cache.get_many([version_key, key])
    version = found.get(version_key) or author_version(author.pk)
    entry = found.get(key)
    return version, (entry[1] if entry is not None and entry[0] == version else None)


def profile_fragment_set(author: Author, version: int, html: str) -> None:
    """Keeps the HTML of the profile slice, with the version read before it was looked up
    or built: a change committed meanwhile has a newer version, and the entry is not read."""
    try:
        cache.set(_fragment_key(author), (version, html), timeout=SLICE_TIMEOUT)
    except CACHE_ERRORS:
        logger.warning("graph: could not cache a profile fragment")


def slice_cache_get(key: str) -> GraphSlice | None:
    """Raises CACHE_ERRORS."""
    return cache.get(key)


def slice_cache_set(key: str, value: GraphSlice) -> None:
    try:
        cache.set(key, value, timeout=SLICE_TIMEOUT)
    except CACHE_ERRORS:
        logger.warning("graph: could not cache a slice")


def build_lock_take(key: str) -> bool:
    """True for the one request that should have the slice under `key` built by a worker;
    the others wait for it. Raises CACHE_ERRORS."""
    return cache.add(f"{key}:building", 1, timeout=BUILD_LOCK_TIMEOUT)


def build_lock_release(key: str) -> None:
    cache.delete(f"{key}:building")


def precompute_enqueue(
    author_ids: list[int], *, large_only: bool, explore: dict | None = None
) -> bool:
    """Hands the slices of these authors to a worker (queue "graph"), best effort and never
    waiting on the broker: the page that asked polls, and asks again once the build lock
    expires. False when the broker did not take the task."""
    # Imported here: graph.tasks calls graph.services, which calls this module.
    from .tasks import graph_slices_precompute

    return send_now(graph_slices_precompute, author_ids, large_only=large_only, explore=explore)


def slices_precompute_on_commit(author_ids: Iterable[int]) -> None:
    """Once the caller's transaction commits, a worker precomputes the slices of the large
    authors among these (the small ones are built on demand when next read). Through the
    outbox: with the broker away the precompute waits in PostgreSQL."""
    from .tasks import graph_slices_precompute

    ids = sorted({pk for pk in author_ids if pk})
    for start in range(0, len(ids), PRECOMPUTE_CHUNK):
        enqueue_on_commit(
            graph_slices_precompute, ids[start : start + PRECOMPUTE_CHUNK], large_only=True
        )


def coauthors_versions_bump_on_commit(author_ids: Iterable[int]) -> None:
    """These authors' names or visibility changed: they show in their co-authors' slices
    too, whose versions are bumped on commit (one query for the co-author ids, one cache
    round trip per few thousand of them)."""
    ids = set(
        Authorship.objects.filter(work__authorships__author_id__in=list(author_ids))
        .filter(author__isnull=False)
        .values_list("author_id", flat=True)
        .distinct()
    )
    transaction.on_commit(lambda: author_versions_bump(ids))
