"""Who is looking at a profile: their claim, the owner's, whether they follow (one query,
or none when the author row carries the columns)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models.expressions import RawSQL

from works.models import Author

from .models import Claim, Follow


@dataclass(frozen=True)
class Viewer:
    """What the profile page needs to know about the person looking at it."""

    user_id: int | None = None
    is_staff: bool = False
    owner_claim_id: int | None = None
    owner_user_id: int | None = None
    pending_claim_id: int | None = None
    is_following: bool = False

    @property
    def is_owner(self) -> bool:
        return self.owner_user_id is not None and self.owner_user_id == self.user_id

    @property
    def sees_hidden(self) -> bool:
        return self.is_owner or self.is_staff


# Every signed-in profile view asks this, as columns of the author's own row (no extra
# round trip). Plain SQL: the same subqueries through the ORM cost 1.3 ms to compile for
# 0.07 ms in PostgreSQL.
_VIEWER_COLUMNS = {
    "viewer_owner_claim_id": (
        "SELECT c.id FROM {claim} c WHERE c.author_id = {author}.id AND c.status = %s LIMIT 1"
    ),
    "viewer_owner_user_id": (
        "SELECT c.user_id FROM {claim} c WHERE c.author_id = {author}.id AND c.status = %s LIMIT 1"
    ),
    "viewer_pending_claim_id": (
        "SELECT c.id FROM {claim} c WHERE c.author_id = {author}.id AND c.user_id = %s"
        " AND c.status = %s LIMIT 1"
    ),
    "viewer_is_following": (
        "EXISTS (SELECT 1 FROM {follow} f WHERE f.author_id = {author}.id AND f.user_id = %s)"
    ),
}


def viewer_annotations(user) -> dict[str, RawSQL]:
    """Annotations for an Author queryset that carry what author_viewer() needs about
    `user`: `Author.objects.annotate(**viewer_annotations(user))`. Nothing when anonymous."""
    if not user.is_authenticated:
        return {}
    tables = {
        "claim": Claim._meta.db_table,
        "follow": Follow._meta.db_table,
        "author": Author._meta.db_table,
    }
    params = {
        "viewer_owner_claim_id": (Claim.Status.APPROVED,),
        "viewer_owner_user_id": (Claim.Status.APPROVED,),
        "viewer_pending_claim_id": (user.pk, Claim.Status.PENDING),
        "viewer_is_following": (user.pk,),
    }
    return {
        name: RawSQL(f"({sql.format(**tables)})", params[name])
        for name, sql in _VIEWER_COLUMNS.items()
    }


def author_viewer(author: Author, user) -> Viewer:
    """No query for anonymous visitors, nor for an author loaded with viewer_annotations();
    otherwise one: the owner's claim, the user's pending claim and whether they follow."""
    if not user.is_authenticated:
        return Viewer()
    if not hasattr(author, "viewer_is_following"):
        author = Author.objects.annotate(**viewer_annotations(user)).get(pk=author.pk)
    return Viewer(
        user_id=user.pk,
        is_staff=user.is_staff,
        owner_claim_id=author.viewer_owner_claim_id,
        owner_user_id=author.viewer_owner_user_id,
        pending_claim_id=author.viewer_pending_claim_id,
        is_following=bool(author.viewer_is_following),
    )
