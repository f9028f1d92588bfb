"""How the trust engine follows changes announced by any app (bzpeer.lib.events)."""

from __future__ import annotations

from django.db import transaction

from bzpeer.lib.events import Why

from .models import Claim, Follow
from .tasks import trust_dirty_kick
from .trust_engine import authors_mark_dirty


def trust_follows_authors_changed(sender, *, author_ids: frozenset[int], why: Why, **_) -> None:
    """Marks the authors dirty in the announcing transaction (a rollback takes the marks
    back) and kicks the engine once it commits; the beat task catches a lost kick."""
    if why is Why.PROFILE:  # names and visibility are no factor of the score
        return
    authors_mark_dirty(author_ids=author_ids)
    transaction.on_commit(trust_dirty_kick)


def authors_held_by_people(sender, *, author_ids: set[int], **_) -> list[str]:
    """An import's undo may not delete authors people follow or claimed."""
    reasons = []
    if Follow.objects.filter(author_id__in=author_ids).exists():
        reasons.append("authors it created have followers")
    if Claim.objects.filter(author_id__in=author_ids).exists():
        reasons.append("authors it created have claims")
    return reasons
