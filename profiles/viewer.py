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

    @property
    def kind(self) -> tuple:
        """Everything the profile page shows about the viewer, but not who they are: viewers
        of one kind see the same page (page_cache.signed_in_page)."""
        return (
            self.is_staff,
            self.is_owner,
            self.owner_claim_id,
            self.pending_claim_id,
            self.is_following,
        )


# Every signed-in profile view asks this, as columns of the author's own row (no extra
# round trip). Plain SQL: the same subqueries through the ORM cost 1.3 ms to compile for
# 0.07 ms in PostgreSQL. {user} is the viewer's id: a parameter, or a column of a join
# (profiles/signed_in.py reads it from the session row in the same query).
_VIEWER_COLUMNS = {
    "viewer_owner_claim_id": (
        "SELECT c.id FROM {claim} c WHERE c.author_id = {author}.id AND c.status = %s LIMIT 1",
        (Claim.Status.APPROVED,),
    ),
    "viewer_owner_user_id": (
        "SELECT c.user_id FROM {claim} c WHERE c.author_id = {author}.id AND c.status = %s LIMIT 1",
        (Claim.Status.APPROVED,),
    ),
    "viewer_pending_claim_id": (
        "SELECT c.id FROM {claim} c WHERE c.author_id = {author}.id AND c.user_id = {user}"
        " AND c.status = %s LIMIT 1",
        (Claim.Status.PENDING,),
    ),
    "viewer_is_following": (
        "EXISTS (SELECT 1 FROM {follow} f WHERE f.author_id = {author}.id AND f.user_id = {user})",
        (),
    ),
}


def viewer_columns(user_sql: str, user_params: tuple = ()) -> list[tuple[str, str, tuple]]:
    """(name, SQL, params) of each viewer column of an author row (table works_author, not
    aliased), for the viewer whose id is the SQL `user_sql` taking `user_params` (in the
    order they appear)."""
    tables = {
        "claim": Claim._meta.db_table,
        "follow": Follow._meta.db_table,
        "author": Author._meta.db_table,
    }
    columns = []
    for name, (sql, params) in _VIEWER_COLUMNS.items():
        uses_user = "{user}" in sql
        text = sql.format(user=user_sql, **tables)
        # {user} comes before the status parameter wherever both appear
        columns.append((name, f"({text})", (*user_params, *params) if uses_user else params))
    return columns


def viewer_annotations(user) -> dict[str, RawSQL]:
    """Annotations for an Author queryset that carry what author_viewer() needs about
    `user`: `Author.objects.annotate(**viewer_annotations(user))`. Nothing when anonymous."""
    if not user.is_authenticated:
        return {}
    return {name: RawSQL(sql, params) for name, sql, params in viewer_columns("%s", (user.pk,))}


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
