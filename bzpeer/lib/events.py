"""The one announcement of "these authors changed", and who listens.

A service that changes what an author's public record shows calls
`authors_changed_announce(...)` inside its transaction. It is the only way such a change
reaches the apps that react to it; no service imports another app's reactions:

- the data versions of the authors (bzpeer.lib.versions) are bumped once the transaction
  commits, so their cached pages and graph slices are rebuilt;
- receivers of the `authors_changed` signal run at once, inside the transaction: the trust
  engine marks the authors dirty there (profiles, so a rollback takes the marks back) and
  kicks a recompute on commit; the graph app redraws co-authors' slices and precomputes
  large ones on commit. Receivers connect in their app's `AppConfig.ready()`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable

from django.db import transaction
from django.dispatch import Signal

from .versions import author_versions_bump


class Why(enum.StrEnum):
    """What changed, so that each receiver reacts only to what concerns it."""

    WORKS = "works"  # works, bylines, merges, splits, undo: counts, topics, collaborators
    CLAIM = "claim"  # verification level, evidence, owner
    PROFILE = "profile"  # name or visibility: shows in co-authors' graph slices too
    FOLLOWERS = "followers"  # the follower count (trust's community factor) only


# Sent with author_ids (frozenset[int]) and why (Why), inside the writer's transaction.
authors_changed = Signal()


def authors_changed_announce(author_ids: Iterable[int | None], *, why: Why, sender) -> None:
    """Inside the caller's transaction: tells every listener these authors changed."""
    ids = frozenset(pk for pk in author_ids if pk)
    if not ids:
        return
    authors_changed.send(sender=sender, author_ids=ids, why=why)
    if why is not Why.FOLLOWERS:  # the page cache keys the follower count itself
        transaction.on_commit(lambda: author_versions_bump(ids))
