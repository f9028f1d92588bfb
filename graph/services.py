"""Graph slices for a request or a worker: bounded queries -> pure slice -> SVG, cached.

graph.neighbourhood reads the rows, graph.slice (pure) builds, ranks, cuts and lays them
out, graph.rendering draws and renders them, graph.cache keeps them per author and data
version. This module decides when each runs.

Large neighbourhoods (LARGE_WORKS, LARGE_CLOSE_COLLABORATORS, from the author's cached
counts) are never built in a request: the request enqueues graph.tasks.graph_slices_precompute
once and the page polls. A cache that does not answer (Redis down) is not an error: small
slices are built uncached, large ones report that they will retry.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from bzpeer.lib.cache import CACHE_ERRORS
from profiles.trust_engine import CLOSE_COLLABORATOR_MIN_SHARED_WORKS
from works.models import Author

from . import cache as slices
from .neighbourhood import author_neighbourhood
from .presets import PROFILE, explorer_params, params_as_task_args
from .rendering import graph_slice_render
from .slice import GraphSlice, SliceParams, slice_from

logger = logging.getLogger(__name__)

# Cached counts above which a slice is built by a worker, never in a request. Measured on the
# 1M-work synthetic set (2 cores): 100 works, 1,352 co-authors: 260 ms cold; 400 works: 490 ms.
LARGE_WORKS = 250
LARGE_CLOSE_COLLABORATORS = 150


def author_is_large(author: Author) -> bool:
    """From the counts cached on the row: no query."""
    return (
        author.works_count >= LARGE_WORKS
        or author.close_collaborators_count >= LARGE_CLOSE_COLLABORATORS
    )


def graph_slice_build(*, author: Author, params: SliceParams) -> GraphSlice:
    """Queries, then pure code: built, ranked, cut, laid out and drawn. Not cached."""
    hood = author_neighbourhood(author, params)
    built = slice_from(hood, params, close_min_shared=CLOSE_COLLABORATOR_MIN_SHARED_WORKS)
    return graph_slice_render(built, params)


@dataclass(frozen=True)
class SliceState:
    slice: GraphSlice | None = None
    pending: bool = False  # a worker is building it: poll
    unavailable: bool = False  # the cache did not answer


# What graph_slice_get reads of the author when the slice is cached (the key, whether it is
# large) and what the waiting section shows: a view may load only these. A slice built here
# loads the whole row first.
SLICE_AUTHOR_FIELDS = (
    "slug",
    "display_name",
    "created_at",
    "works_count",
    "close_collaborators_count",
)


def _whole(author: Author) -> Author:
    if author.get_deferred_fields():
        return Author.objects.for_profile().get(pk=author.pk)
    return author


def graph_slice_get(*, author: Author, params: SliceParams) -> SliceState:
    """The slice for a request: cached, built now (small neighbourhoods), or pending.

    A large neighbourhood on a cache miss enqueues the precompute task once (a lock in the
    cache) and answers pending. With the cache down: small slices are built uncached, large
    ones are unavailable (the page says it will retry; nothing is enqueued, the broker is
    the same Redis).
    """
    try:
        key = slices.slice_key_now(author, params)
        cached = slices.slice_cache_get(key)
    except CACHE_ERRORS:
        logger.warning("graph: cache unavailable for the slice of author %s", author.pk)
        if author_is_large(author):
            return SliceState(unavailable=True)
        built = graph_slice_build(author=_whole(author), params=params)
        return SliceState(slice=built, unavailable=True)
    if cached is not None:
        return SliceState(slice=cached)
    if author_is_large(author):
        try:
            first = slices.build_lock_take(key)
        except CACHE_ERRORS:
            return SliceState(unavailable=True)
        if first:
            explore = params_as_task_args(params)
            transaction.on_commit(
                lambda: slices.precompute_enqueue([author.pk], large_only=False, explore=explore)
            )
        return SliceState(pending=True)
    built = graph_slice_build(author=_whole(author), params=params)
    slices.slice_cache_set(key, built)
    return SliceState(slice=built)


def graph_slices_precompute(
    *, author_ids: Sequence[int], large_only: bool = False, explore: dict | None = None
) -> int:
    """Builds and caches the profile slice and one explorer slice (`explore`: its filters,
    else the defaults) of each author; one query for the authors, then a slice's queries
    each. `large_only`: only the authors whose slices are not built in requests. Returns
    how many authors were done."""
    ids = sorted(set(author_ids))[: slices.PRECOMPUTE_CHUNK]
    authors = Author.objects.public().filter(pk__in=ids)
    if large_only:
        authors = authors.filter(
            Q(works_count__gte=LARGE_WORKS)
            | Q(close_collaborators_count__gte=LARGE_CLOSE_COLLABORATORS)
        )
    authors = authors.only(
        "pk",
        "slug",
        "display_name",
        "last_known_institution_id",
        "works_count",
        "close_collaborators_count",
        "created_at",
    ).order_by("pk")
    explore_params = explorer_params(**(explore or {}))
    done = 0
    for author in authors:
        for params in (PROFILE, explore_params):
            # The key is read before the build: a change committed meanwhile bumps the
            # version, and this (older) slice lands under a key nobody reads.
            key = slices.slice_key_now(author, params)
            slices.slice_cache_set(key, graph_slice_build(author=author, params=params))
            slices.build_lock_release(key)
        done += 1
    return done
