"""Curation by admins: merge authors, split authorships off, remove them; decisions that stick.

Each is one transaction under the import lock (so an import sees the decision whole or not
at all), records the bylines it moved as AuthorshipOverride rows that later imports obey,
writes an AuthorAuditLog entry and announces the authors it changed (bzpeer.lib.events).
Called from the admin's actions (profiles/admin/curation.py) and from an approved "not
mine" request (profiles.claims).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.locks import import_lock
from bzpeer.lib.names import normalize_name
from works.imports.loader import assign_slugs
from works.models import Author, Authorship, AuthorshipOverride, VerificationLevel

from .models import AuthorAuditLog, Claim, Follow


class CurationError(ValueError):
    """A merge, split or removal that cannot be done as asked; the message says why."""


@dataclass(frozen=True)
class CurationResult:
    author: Author  # merge: the kept author; split: the author the authorships went to
    authorships: int = 0
    follows: int = 0
    claims: int = 0
    created: bool = False


def _works_changed(author_ids: Iterable[int | None]) -> None:
    authors_changed_announce(author_ids, why=Why.WORKS, sender=_works_changed)


def _decisions_record(rows: Iterable[tuple], *, author_id: int | None, user, reason: str) -> None:
    """Upserts one AuthorshipOverride per (work, position, raw name) row: one query."""
    AuthorshipOverride.objects.bulk_create(
        [
            AuthorshipOverride(
                work_id=work_id,
                position=position,
                name_key=normalize_name(raw_name)[:500],
                author_id=author_id,
                decided_by=user,
                reason=reason[:255],
            )
            for work_id, position, raw_name in rows
        ],
        update_conflicts=True,
        unique_fields=["work", "name_key", "position"],
        update_fields=["author", "decided_by", "reason", "updated_at"],
        batch_size=2000,
    )


@transaction.atomic
def authors_merge(
    *, keep: Author, others: Iterable[Author], user, reason: str = ""
) -> CurationResult:
    """Merges `others` into `keep`; a fixed number of queries however much moves.

    Authorships, follows (one per user) and claims move to `keep`; names become variants;
    persistent ids `keep` lacks move over, the rest stay on the merged rows, whose ids the
    loader maps to `keep`. Merged authors keep their row with merged_into = keep (their URLs
    redirect for ever; chains are flattened so one redirect reaches `keep`). The moved
    bylines are recorded as AuthorshipOverride so no import undoes the merge. One
    AuthorAuditLog row per merged author; trust recomputed for all after commit.
    """
    import_lock()
    other_ids = sorted({a.pk for a in others} - {keep.pk})
    if not other_ids:
        raise CurationError("choose at least one author to merge into the kept one")
    locked = Author.objects.select_for_update().filter(pk__in=[keep.pk, *other_ids])
    authors = {a.pk: a for a in locked.order_by("pk")}
    if len(authors) != len(other_ids) + 1:
        raise CurationError("some of these authors no longer exist")
    keep, merged = authors[keep.pk], [authors[pk] for pk in other_ids]
    if keep.merged_into_id:
        raise CurationError(f"{keep} was itself merged into another author; keep that one")
    if done := [str(a) for a in merged if a.merged_into_id]:
        raise CurationError(f"already merged: {', '.join(done)}")
    approved = set(
        Claim.objects.filter(author_id__in=authors, status=Claim.Status.APPROVED).values_list(
            "author_id", flat=True
        )
    )
    if len(approved) > 1:
        raise CurationError("more than one of these authors is claimed; release a claim first")

    moved = list(
        Authorship.objects.filter(author_id__in=other_ids).values_list(
            "author_id", "work_id", "position", "raw_author_name"
        )
    )
    _decisions_record([m[1:] for m in moved], author_id=keep.pk, user=user, reason=reason)
    Authorship.objects.filter(author_id__in=other_ids).update(author=keep)
    # earlier decisions for the merged authors now mean the kept one
    AuthorshipOverride.objects.filter(author_id__in=other_ids).update(author=keep)

    # follows: one per user; a user who followed several of them keeps one follow
    follows = Follow.objects.filter(author_id__in=other_ids)
    follows.filter(user_id__in=Follow.objects.filter(author=keep).values("user_id")).delete()
    first = follows.values("user_id").annotate(first=Min("pk")).values("first")
    follows.exclude(pk__in=first).delete()
    follows_moved = follows.update(author=keep)
    claims_moved = Claim.objects.filter(author_id__in=other_ids).update(author=keep)

    names = set(keep.name_variants)
    for author in merged:
        names |= {author.display_name, *author.name_variants}
    names.discard(keep.display_name)
    added_names = sorted(names - set(keep.name_variants))
    keep.name_variants = sorted(names)
    ids_moved: dict[int, dict[str, str]] = defaultdict(dict)
    for name in ("openalex_id", "orcid", "dblp_pid"):
        donor = next((a for a in merged if getattr(a, name)), None)
        if not getattr(keep, name) and donor is not None:
            ids_moved[donor.pk][name] = getattr(donor, name)
            setattr(keep, name, getattr(donor, name))
            setattr(donor, name, None)
    for name in ("arxiv_name", "bio", "last_known_institution_id"):
        if not getattr(keep, name):
            setattr(keep, name, next((v for a in merged if (v := getattr(a, name))), None) or "")
    keep.last_known_institution_id = keep.last_known_institution_id or None
    keep.verification_level = max(a.verification_level for a in authors.values())
    now = timezone.now()
    for author in merged:
        author.merged_into = keep
        author.updated_at = now
    # the donors give their ids up before the kept author takes them (unique columns)
    Author.objects.bulk_update(
        merged, ["merged_into", "openalex_id", "orcid", "dblp_pid", "updated_at"]
    )
    Author.objects.filter(merged_into_id__in=other_ids).update(merged_into=keep)
    keep.save()

    per_author: dict[int, list[int]] = defaultdict(list)
    for author_id, work_id, _, _ in moved:
        per_author[author_id].append(work_id)
    AuthorAuditLog.objects.bulk_create(
        AuthorAuditLog(
            action=AuthorAuditLog.Action.MERGE,
            actor=user,
            author=keep,
            other_author=author,
            details={
                "reason": reason,
                "merged_slug": author.slug,
                "works": sorted(per_author[author.pk]),
                "ids_moved": ids_moved.get(author.pk, {}),
                "names_added": added_names,
                "follows_moved": follows_moved,
                "claims_moved": claims_moved,
            },
        )
        for author in merged
    )
    _works_changed([keep.pk, *other_ids])
    return CurationResult(
        author=keep, authorships=len(moved), follows=follows_moved, claims=claims_moved
    )


def _authorship_rows(authorships: Iterable) -> list[tuple]:
    """(pk, work, position, raw name, author) of the chosen authorships, locked, in order."""
    ids = list(dict.fromkeys(a.pk if hasattr(a, "pk") else int(a) for a in authorships))
    if not ids:
        raise CurationError("choose at least one authorship")
    rows = {
        row[0]: row
        for row in Authorship.objects.select_for_update()
        .filter(pk__in=ids)
        .values_list("pk", "work_id", "position", "raw_author_name", "author_id")
    }
    if len(rows) != len(ids):
        raise CurationError("some of these authorships no longer exist")
    return [rows[pk] for pk in ids]


@transaction.atomic
def authorships_split(
    *, authorships: Iterable, to_author: Author | None = None, user, reason: str = ""
) -> CurationResult:
    """Moves authorships of one author to `to_author`, or to a new author (L1) named after
    the first authorship's printed name. Sticky (AuthorshipOverride), audit-logged, and a
    fixed number of queries however many authorships move.
    """
    import_lock()
    rows = _authorship_rows(authorships)
    sources = {row[4] for row in rows}
    if len(sources) != 1:
        raise CurationError("choose authorships of one author at a time")
    from_id = sources.pop()
    source = Author.objects.filter(pk=from_id).first() if from_id else None
    created = to_author is None
    if to_author is None:
        to_author = Author(
            display_name=" ".join(rows[0][3].split())[:255] or "Unnamed author",
            verification_level=VerificationLevel.L1,
            verification_evidence="Split from another author by an admin",
            source=source.source if source else "",
        )
        assign_slugs([to_author])
        to_author.save()
    else:
        to_author = Author.objects.select_for_update().get(pk=to_author.pk)
        if to_author.merged_into_id:
            raise CurationError(f"{to_author} was merged into another author; choose that one")
        if to_author.pk == from_id:
            raise CurationError("the authorships already belong to this author")
    Authorship.objects.filter(pk__in=[row[0] for row in rows]).update(author=to_author)
    _decisions_record([row[1:4] for row in rows], author_id=to_author.pk, user=user, reason=reason)
    AuthorAuditLog.objects.create(
        action=AuthorAuditLog.Action.SPLIT,
        actor=user,
        author=source,
        other_author=to_author,
        details={
            "reason": reason,
            "authorships": [row[0] for row in rows],
            "works": sorted({row[1] for row in rows}),
            "new_author": created,
        },
    )
    _works_changed([from_id, to_author.pk])
    return CurationResult(author=to_author, authorships=len(rows), created=created)


@transaction.atomic
def authorships_remove(*, authorships: Iterable, user, reason: str = "") -> int:
    """Deletes authorships for good: a later import does not add them back (the removal is
    an AuthorshipOverride with no author). One audit row per author they credited.
    """
    import_lock()
    rows = _authorship_rows(authorships)
    _decisions_record([row[1:4] for row in rows], author_id=None, user=user, reason=reason)
    Authorship.objects.filter(pk__in=[row[0] for row in rows]).delete()
    by_author: dict[int | None, list[tuple]] = defaultdict(list)
    for row in rows:
        by_author[row[4]].append(row)
    AuthorAuditLog.objects.bulk_create(
        AuthorAuditLog(
            action=AuthorAuditLog.Action.REMOVE,
            actor=user,
            author_id=author_id,
            details={
                "reason": reason,
                "works": sorted({row[1] for row in removed}),
                "names": sorted({row[3] for row in removed}),
            },
        )
        for author_id, removed in by_author.items()
    )
    _works_changed(by_author)
    return len(rows)
