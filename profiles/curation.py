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


# The persistent ids two records cannot both carry for one person.
CONFLICTING_IDS = ("orcid", "openalex_id")
PERSISTENT_IDS = ("openalex_id", "orcid", "dblp_pid")


def author_identity(author: Author, *, owner=None) -> dict:
    """The identity facts of an author as the audit log keeps them (before / after)."""
    return {
        "pk": author.pk,
        "display_name": author.display_name,
        "slug": author.slug,
        "verification_level": f"L{author.verification_level}",
        "verification_evidence": author.verification_evidence,
        "orcid": author.orcid,
        "openalex_id": author.openalex_id,
        "dblp_pid": author.dblp_pid,
        "merged_into": author.merged_into_id,
        "name_variants": list(author.name_variants),
        "owner": f"{owner} (user #{owner.pk})" if owner is not None else None,
    }


def owners_of(author_ids: Iterable[int]) -> dict[int, object]:
    """{author pk: the user who owns it through an approved claim}: one query."""
    rows = Claim.objects.filter(author_id__in=list(author_ids), status=Claim.Status.APPROVED)
    return {claim.author_id: claim.user for claim in rows.select_related("user")}


def id_conflicts(authors: Iterable[Author]) -> dict[str, list[str]]:
    """{id name: the different values} where the authors carry more than one ORCID iD or
    OpenAlex id: two such records are two people unless an admin says otherwise."""
    conflicts = {}
    for name in CONFLICTING_IDS:
        values = sorted({v for a in authors if (v := getattr(a, name))})
        if len(values) > 1:
            conflicts[name] = values
    return conflicts


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise CurationError("give a reason: it goes into the audit log")
    return reason[:255]


@transaction.atomic
def authors_merge(
    *, keep: Author, others: Iterable[Author], user, reason: str, override_ids: bool = False
) -> CurationResult:
    """Merges `others` into `keep`; a fixed number of queries however much moves.

    Authorships, follows (one per user) and claims move to `keep`; names become variants.
    Two different ORCID iDs or OpenAlex ids refuse the merge unless `override_ids` (the
    reason says why). `keep` takes the persistent ids it lacks and every merged row is left
    with none, so imports that name those ids reach `keep` and no one else. Merged authors
    keep their row with merged_into = keep (their URLs answer 301; chains are flattened so
    one redirect reaches `keep`). The moved bylines are recorded as AuthorshipOverride so no
    import undoes the merge. One AuthorAuditLog row per merged author, with what moved and
    both records before and after: authors_unmerge restores from it.
    """
    reason = _require_reason(reason)
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
    if (conflicts := id_conflicts(authors.values())) and not override_ids:
        said = "; ".join(f"{name} {' / '.join(values)}" for name, values in conflicts.items())
        raise CurationError(
            f"these records carry different persistent ids ({said}): they look like different "
            "people. Tick the override and say why if they are one person."
        )
    owners = owners_of(authors)
    if len(owners) > 1:
        raise CurationError("more than one of these authors is claimed; release a claim first")
    before = {pk: author_identity(a, owner=owners.get(pk)) for pk, a in authors.items()}

    moved = list(
        Authorship.objects.filter(author_id__in=other_ids).values_list(
            "pk", "author_id", "work_id", "position", "raw_author_name"
        )
    )
    repointed = list(
        AuthorshipOverride.objects.filter(author_id__in=other_ids).values_list("pk", "author_id")
    )
    _decisions_record([m[2:] for m in moved], author_id=keep.pk, user=user, reason=reason)
    Authorship.objects.filter(author_id__in=other_ids).update(author=keep)
    # earlier decisions for the merged authors now mean the kept one
    AuthorshipOverride.objects.filter(author_id__in=other_ids).update(author=keep)

    # follows: one per user; a user who followed several of them keeps one follow
    follows = Follow.objects.filter(author_id__in=other_ids)
    follows_before = list(follows.values_list("pk", "user_id", "author_id"))
    follows.filter(user_id__in=Follow.objects.filter(author=keep).values("user_id")).delete()
    first = follows.values("user_id").annotate(first=Min("pk")).values("first")
    follows.exclude(pk__in=first).delete()
    follows_kept = set(follows.values_list("pk", flat=True))
    follows_moved = follows.update(author=keep)
    claims_before = list(
        Claim.objects.filter(author_id__in=other_ids).values_list("pk", "author_id")
    )
    claims_moved = Claim.objects.filter(author_id__in=other_ids).update(author=keep)
    chained = list(
        Author.objects.filter(merged_into_id__in=other_ids).values_list("pk", "merged_into_id")
    )

    names = set(keep.name_variants)
    for author in merged:
        names |= {author.display_name, *author.name_variants}
    names.discard(keep.display_name)
    added_names = sorted(names - set(keep.name_variants))
    keep.name_variants = sorted(names)
    ids_moved: dict[int, dict[str, str]] = defaultdict(dict)
    for name in PERSISTENT_IDS:
        donor = next((a for a in merged if getattr(a, name)), None)
        if not getattr(keep, name) and donor is not None:
            ids_moved[donor.pk][name] = getattr(donor, name)
            setattr(keep, name, getattr(donor, name))
        for author in merged:  # the merged-away rows carry no id: imports find `keep`
            setattr(author, name, None)
    filled: dict[int, dict[str, object]] = defaultdict(dict)  # {donor: {field: kept's value}}
    for name in ("arxiv_name", "bio", "last_known_institution_id"):
        donor = next((a for a in merged if getattr(a, name)), None)
        if not getattr(keep, name) and donor is not None:
            filled[donor.pk][name] = getattr(keep, name)
            setattr(keep, name, getattr(donor, name))
    keep.last_known_institution_id = keep.last_known_institution_id or None
    best = max(authors.values(), key=lambda a: a.verification_level)
    if best.pk != keep.pk and best.verification_level > keep.verification_level:
        keep.verification_level = best.verification_level
        keep.verification_evidence = best.verification_evidence
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

    owner = next(iter(owners.values()), None)
    after_keep = author_identity(keep, owner=owner)
    AuthorAuditLog.objects.bulk_create(
        AuthorAuditLog(
            action=AuthorAuditLog.Action.MERGE,
            actor=user,
            author=keep,
            other_author=author,
            reason=reason,
            before={"author": before[keep.pk], "other_author": before[author.pk]},
            after={"author": after_keep, "other_author": author_identity(author)},
            details={
                "override_ids": bool(conflicts),
                "merged_slug": author.slug,
                "authorships": [m[0] for m in moved if m[1] == author.pk],
                "works": sorted({m[2] for m in moved if m[1] == author.pk}),
                "overrides": [pk for pk, was in repointed if was == author.pk],
                "follows_moved": [
                    pk for pk, _, was in follows_before if was == author.pk and pk in follows_kept
                ],
                "follows_dropped": [
                    user_id
                    for pk, user_id, was in follows_before
                    if was == author.pk and pk not in follows_kept
                ],
                "claims": [pk for pk, was in claims_before if was == author.pk],
                "chained": [pk for pk, was in chained if was == author.pk],
                "ids_moved": ids_moved.get(author.pk, {}),
                "names_added": sorted(
                    {author.display_name, *author.name_variants} & set(added_names)
                ),
                "fields_filled": filled.get(author.pk, {}),
            },
        )
        for author in merged
    )
    _works_changed([keep.pk, *other_ids])
    return CurationResult(
        author=keep, authorships=len(moved), follows=follows_moved, claims=claims_moved
    )


class UnmergeRefused(CurationError):
    """The merge cannot be undone as it was recorded; the message says what changed since."""


@transaction.atomic
def authors_unmerge(*, entry: AuthorAuditLog, user, reason: str) -> CurationResult:
    """Undoes one merge from its audit entry: the merged author is a record of its own again,
    with its authorships, follows, claims, persistent ids and name back; the kept author
    loses what it took from it. Byline decisions for those authorships now name the
    restored author, so imports keep them apart. Writes an UNMERGE entry linked to the merge.
    """
    reason = _require_reason(reason)
    import_lock()
    entry = AuthorAuditLog.objects.select_for_update().get(pk=entry.pk)
    if entry.action != AuthorAuditLog.Action.MERGE:
        raise UnmergeRefused("only a merge can be unmerged")
    if entry.undone_by_id:
        raise UnmergeRefused("this merge was unmerged already")
    if entry.author_id is None or entry.other_author_id is None:
        raise UnmergeRefused("one of the two authors no longer exists")
    authors = Author.objects.select_for_update().in_bulk([entry.author_id, entry.other_author_id])
    keep, merged = authors[entry.author_id], authors[entry.other_author_id]
    if merged.merged_into_id != keep.pk:
        raise UnmergeRefused(f"{merged} is no longer merged into {keep}")
    if keep.merged_into_id:
        raise UnmergeRefused(f"{keep} was merged into another author since: unmerge that first")
    owners = owners_of([keep.pk, merged.pk])
    before = {pk: author_identity(a, owner=owners.get(pk)) for pk, a in authors.items()}
    details, was = entry.details, entry.before.get("other_author") or {}
    was_kept = entry.before.get("author") or {}

    authorships = details.get("authorships", [])
    rows = list(
        Authorship.objects.filter(pk__in=authorships, author=keep).values_list(
            "work_id", "position", "raw_author_name"
        )
    )
    Authorship.objects.filter(pk__in=authorships, author=keep).update(author=merged)
    _decisions_record(rows, author_id=merged.pk, user=user, reason=reason)
    AuthorshipOverride.objects.filter(pk__in=details.get("overrides", []), author=keep).update(
        author=merged
    )
    Follow.objects.filter(pk__in=details.get("follows_moved", []), author=keep).update(
        author=merged
    )
    Follow.objects.bulk_create(
        [Follow(user_id=pk, author=merged) for pk in details.get("follows_dropped", [])],
        ignore_conflicts=True,
    )
    claims_back = Claim.objects.filter(pk__in=details.get("claims", []), author=keep).update(
        author=merged
    )
    Author.objects.filter(pk__in=details.get("chained", []), merged_into=keep).update(
        merged_into=merged
    )

    # the kept author gives back what it took; the merged one gets its ids and name back
    for name, value in details.get("ids_moved", {}).items():
        if getattr(keep, name) == value:
            setattr(keep, name, None)
    names_added = set(details.get("names_added", []))
    keep.name_variants = [n for n in keep.name_variants if n not in names_added]
    for name, value in details.get("fields_filled", {}).items():
        if getattr(keep, name) == getattr(merged, name):  # not edited since the merge
            setattr(keep, name, value or ("" if name != "last_known_institution_id" else None))
    kept_owned = Claim.objects.filter(author=keep, status=Claim.Status.APPROVED).exists()
    if not kept_owned and was_kept.get("verification_level"):
        keep.verification_level = int(was_kept["verification_level"][1:])
        keep.verification_evidence = was_kept.get("verification_evidence", "")
    keep.save()
    Author.objects.filter(pk=keep.pk).update(followers_count=keep.follows.count())
    merged.merged_into = None
    for name in PERSISTENT_IDS:
        setattr(merged, name, was.get(name))
    merged.name_variants = was.get("name_variants", merged.name_variants)
    if was.get("verification_level"):
        merged.verification_level = int(was["verification_level"][1:])
        merged.verification_evidence = was.get("verification_evidence", "")
    merged.save()
    Author.objects.filter(pk=merged.pk).update(followers_count=merged.follows.count())

    owners = owners_of([keep.pk, merged.pk])
    undo = AuthorAuditLog.objects.create(
        action=AuthorAuditLog.Action.UNMERGE,
        actor=user,
        author=keep,
        other_author=merged,
        reason=reason,
        before={"author": before[keep.pk], "other_author": before[merged.pk]},
        after={
            "author": author_identity(keep, owner=owners.get(keep.pk)),
            "other_author": author_identity(merged, owner=owners.get(merged.pk)),
        },
        details={"merge": entry.pk, "authorships": authorships, "claims_back": claims_back},
    )
    entry.undone_by = undo
    entry.save(update_fields=["undone_by"])
    _works_changed([keep.pk, merged.pk])
    return CurationResult(author=merged, authorships=len(rows), claims=claims_back)


# Levels an admin sets by hand: the others come from a claim (profiles.claims).
UNCLAIMED_LEVELS = (VerificationLevel.L0, VerificationLevel.L1)


@transaction.atomic
def author_level_set(*, author: Author, level: int, evidence: str, user, reason: str) -> Author:
    """An admin sets an author's verification level and evidence, with a reason.

    An unclaimed record can only be L0 or L1: L2-L4 promise an owner, so they come from a
    claim decision (or "raise to L4" on an approved claim), never from this action.
    """
    reason = _require_reason(reason)
    author = Author.objects.select_for_update().get(pk=author.pk)
    owner = owners_of([author.pk]).get(author.pk)
    level = VerificationLevel(int(level))
    if owner is None and level not in UNCLAIMED_LEVELS:
        raise CurationError(
            f"{author} has no approved claim: only L0 or L1 can be set here; higher levels "
            "come from a claim decision."
        )
    if owner is not None and level in UNCLAIMED_LEVELS:
        raise CurationError(
            f"{author} is owned through an approved claim: revoke the claim to lower its level."
        )
    before = author_identity(author, owner=owner)
    author.verification_level = level
    author.verification_evidence = (evidence or "").strip()[:255]
    author.save(update_fields=["verification_level", "verification_evidence", "updated_at"])
    if owner is not None:
        Claim.objects.filter(author=author, status=Claim.Status.APPROVED).update(
            level=level, evidence_summary=author.verification_evidence
        )
    AuthorAuditLog.objects.create(
        action=AuthorAuditLog.Action.SET_LEVEL,
        actor=user,
        author=author,
        reason=reason,
        before={"author": before},
        after={"author": author_identity(author, owner=owner)},
    )
    authors_changed_announce([author.pk], why=Why.CLAIM, sender=author_level_set)
    return author


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
        reason=reason[:255],
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
            reason=reason[:255],
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
