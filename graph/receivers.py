"""How graph slices follow changes announced by other apps (bzpeer.lib.events)."""

from __future__ import annotations

from bzpeer.lib.events import Why

from .cache import coauthors_versions_bump_on_commit, slices_precompute_on_commit


def slices_follow_authors_changed(sender, *, author_ids: frozenset[int], why: Why, **_) -> None:
    if why is Why.FOLLOWERS:  # a slice shows no follower counts
        return
    if why is Why.PROFILE:
        coauthors_versions_bump_on_commit(author_ids)
    slices_precompute_on_commit(author_ids)
