"""Following an author: idempotent writes that keep Author.followers_count in step.

The count is kept with F() updates, not recounted here: the trust engine
(profiles.trust_engine) recounts followers from Follow rows, so a drifted cached count heals
on its next run.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest

from bzpeer.lib.events import Why, authors_changed_announce
from works.models import Author

from .models import Follow


@transaction.atomic
def author_follow(*, author: Author, user) -> bool:
    """Follow once: a second call (double click, replayed POST) changes nothing."""
    _, created = Follow.objects.get_or_create(author=author, user=user)
    if created:
        # F(): concurrent follows each add one, none is lost to a read-modify-write race.
        Author.objects.filter(pk=author.pk).update(followers_count=F("followers_count") + 1)
        _trust_dirty(author)
    return created


@transaction.atomic
def author_unfollow(*, author: Author, user) -> bool:
    deleted, _ = Follow.objects.filter(author=author, user=user).delete()
    if deleted:
        # Greatest(): a stale cached 0 must not fail the column's >= 0 check.
        Author.objects.filter(pk=author.pk).update(
            followers_count=Greatest(F("followers_count") - 1, 0)
        )
        _trust_dirty(author)
    return bool(deleted)


def _trust_dirty(author: Author) -> None:
    """The community factor moved: the trust engine recomputes this author (beat or kick)."""
    authors_changed_announce([author.pk], why=Why.FOLLOWERS, sender=_trust_dirty)
