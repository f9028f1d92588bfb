"""How the trust engine follows changes announced by any app (bzpeer.lib.events)."""

from __future__ import annotations

from django.db import transaction

from bzpeer.lib.events import Why

from .services import authors_mark_dirty
from .tasks import trust_dirty_kick


def trust_follows_authors_changed(sender, *, author_ids: frozenset[int], why: Why, **_) -> None:
    """Marks the authors dirty in the announcing transaction (a rollback takes the marks
    back) and kicks the engine once it commits; the beat task catches a lost kick."""
    if why is Why.PROFILE:  # names and visibility are no factor of the score
        return
    authors_mark_dirty(author_ids=author_ids)
    transaction.on_commit(trust_dirty_kick)
