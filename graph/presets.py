"""The two slices the site draws: the profile page's (small, read at a glance) and the
explorer's (the full budget, with the filters a visitor chose)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .kinds import NODE_KINDS
from .slice import SliceParams

PROFILE = SliceParams(
    name="profile",
    max_nodes=44,
    max_edges=240,
    coauthors=16,
    works=8,
    topics=8,
    institutions=6,
    labels=14,
    # shown at its own size on a desktop page column (names at 12px), scaled on phones
    width=880,
    height=360,
)
EXPLORER = SliceParams(
    name="explore",
    max_nodes=200,
    max_edges=1000,
    coauthors=70,
    works=40,
    topics=30,
    institutions=20,
    labels=36,
    width=1200,
    height=860,
    second_from=12,
    second_each=6,
)
# The element the explorer's links load into (htmx).
EXPLORER_TARGET = "#explorer"


def explorer_params(
    *,
    depth: int = 1,
    min_shared: int = 1,
    year_from: int | None = None,
    year_to: int | None = None,
    kinds: Iterable[str] = NODE_KINDS,
) -> SliceParams:
    kinds = frozenset(k for k in kinds if k in NODE_KINDS) or frozenset(NODE_KINDS)
    if year_from and year_to and year_from > year_to:
        year_from, year_to = year_to, year_from
    return dataclasses.replace(
        EXPLORER,
        depth=depth,
        min_shared=min_shared,
        year_from=year_from,
        year_to=year_to,
        kinds=kinds,
    )


def params_as_task_args(params: SliceParams) -> dict | None:
    """The explorer's filters as JSON for a task, the inverse of explorer_params (None: the
    profile slice)."""
    if params.name == PROFILE.name:
        return None
    return {
        "depth": params.depth,
        "min_shared": params.min_shared,
        "year_from": params.year_from,
        "year_to": params.year_to,
        "kinds": sorted(params.kinds),
    }
