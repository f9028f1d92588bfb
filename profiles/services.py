"""Writes about authors that touch many rows: the set-based trust engine.

Scale rules: every function here takes a chunk of author ids and costs a fixed number of
queries whatever the chunk's size; nothing loops over authors with a query inside. Changes
(imports, follows, claims, merges) call authors_mark_dirty; the beat task
profiles.tasks.trust_dirty_recompute drains the dirty set in chunks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.locks import import_lock
from bzpeer.lib.names import normalize_name
from works.imports.loader import assign_slugs
from works.models import Author, Authorship, AuthorshipOverride, VerificationLevel, WorkTopic

from . import hooks
from .models import AuthorAuditLog, Claim, DirtyAuthor, Follow, TrustSnapshot
from .trust import AuthorFacts, trust_score

# A co-author on at least this many shared works is a "close collaborator".
CLOSE_COLLABORATOR_MIN_SHARED_WORKS = 2
TRUST_CHUNK_WORK_MEM = "64MB"

AUTHORSHIP = Authorship._meta.db_table
WORK_TOPIC = WorkTopic._meta.db_table
FOLLOW = Follow._meta.db_table


def _author_in(column: str, author_ids: Sequence[int]) -> tuple[str, list]:
    """`column IN (ids)` as one array parameter on PostgreSQL (one plan for every size)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(author_ids)]
    return f"{column} IN ({', '.join(['%s'] * len(author_ids))})", list(author_ids)


def _counts(sql: str, params: list) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def close_collaborator_counts(author_ids: Sequence[int]) -> dict[int, int]:
    """Per author, how many co-authors share at least two works with them (one query).

    A self-join of authorships on work: the chunk's side comes from the (author, work)
    index, the co-author side from the (work, author) index, both index-only on
    PostgreSQL; the pairs are counted in the database, only one row per author comes back.
    "At least two distinct shared works" is MIN(work) <> MAX(work): unlike
    COUNT(DISTINCT work) >= 2 it hashes (no sort of every pair row), and an author listed
    twice on one work still counts that work once.
    """
    assert CLOSE_COLLABORATOR_MIN_SHARED_WORKS == 2, "the MIN <> MAX test means 'at least 2'"
    if not author_ids:
        return {}
    where, params = _author_in("mine.author_id", author_ids)
    sql = f"""
        SELECT pairs.author_id, COUNT(*) FROM (
            SELECT mine.author_id
            FROM {AUTHORSHIP} mine
            JOIN {AUTHORSHIP} theirs ON theirs.work_id = mine.work_id
            WHERE {where}
              AND theirs.author_id IS NOT NULL AND theirs.author_id <> mine.author_id
            GROUP BY mine.author_id, theirs.author_id
            HAVING MIN(mine.work_id) <> MAX(mine.work_id)
        ) pairs
        GROUP BY pairs.author_id
    """
    return _counts(sql, params)


def topic_counts(author_ids: Sequence[int]) -> dict[int, int]:
    """Per author, how many distinct topics their works are about (one query).

    The profile's "topics" count; the graph slice (graph.services) shows the same number.
    """
    if not author_ids:
        return {}
    where, params = _author_in("a.author_id", author_ids)
    return _counts(
        f"SELECT a.author_id, COUNT(DISTINCT wt.topic_id) FROM {AUTHORSHIP} a"
        f" JOIN {WORK_TOPIC} wt ON wt.work_id = a.work_id WHERE {where} GROUP BY a.author_id",
        params,
    )


def _facts_counts(author_ids: Sequence[int]) -> tuple[dict, dict, dict, dict]:
    """works, followers, topics, close collaborators per author: four queries."""
    if not author_ids:
        return {}, {}, {}, {}
    where, params = _author_in("author_id", author_ids)
    works = _counts(
        f"SELECT author_id, COUNT(DISTINCT work_id) FROM {AUTHORSHIP} WHERE {where}"
        " GROUP BY author_id",
        params,
    )
    followers = _counts(
        f"SELECT author_id, COUNT(*) FROM {FOLLOW} WHERE {where} GROUP BY author_id", params
    )
    topics = topic_counts(author_ids)
    return works, followers, topics, close_collaborator_counts(author_ids)


def _facts(levels: dict[int, int]) -> list[AuthorFacts]:
    works, followers, topics, close = _facts_counts(list(levels))
    return [
        AuthorFacts(
            author_id=pk,
            level=level,
            works=works.get(pk, 0),
            followers=followers.get(pk, 0),
            topics=topics.get(pk, 0),
            close_collaborators=close.get(pk, 0),
        )
        for pk, level in levels.items()
    ]


def trust_facts(author_ids: Sequence[int]) -> list[AuthorFacts]:
    """The facts behind every score, for a chunk of authors, in five queries."""
    levels = dict(
        Author.objects.filter(pk__in=author_ids)
        .order_by("pk")
        .values_list("pk", "verification_level")
    )
    return _facts(levels)


CACHED_FIELDS = (
    "trust_score",
    "trust_band",
    "works_count",
    "followers_count",
    "topics_count",
    "close_collaborators_count",
)


@transaction.atomic
def trust_scores_recompute(*, author_ids: Sequence[int]) -> int:
    """Recomputes scores and cached counts; stores a snapshot when score, band or level move.

    Eight statements per chunk at most, whatever its size: SET LOCAL work_mem (PostgreSQL),
    lock the authors (with their latest snapshot's level), four fact counts, one UPDATE of
    the rows that changed, one INSERT of the snapshots (per 1,000). The authors are locked
    first, in id order, so two runs over the same chunk (a retry, a redelivered task, the
    beat task and an explicit recompute) serialise: the second sees the first's values,
    finds nothing changed and writes nothing.
    trust_computed_at is when the stored values last changed.
    """
    ids = sorted(set(author_ids))
    if not ids:
        return 0
    if connection.vendor == "postgresql":
        # The co-author pairs of a chunk with hub authors run to a million rows: hash them
        # in memory, not in batches on disk (this transaction only).
        with connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL work_mem = '{TRUST_CHUNK_WORK_MEM}'")
    latest = TrustSnapshot.objects.filter(author=OuterRef("pk")).order_by("-computed_at", "-pk")
    authors = {
        a.pk: a
        for a in Author.objects.filter(pk__in=ids)
        .annotate(last_level=Subquery(latest.values("level")[:1]))
        .select_for_update(of=("self",))
        .order_by("pk")
        .only("pk", "verification_level", *CACHED_FIELDS)
    }
    if not authors:
        return 0
    facts = _facts({pk: a.verification_level for pk, a in authors.items()})
    now = timezone.now()
    snapshots, changed = [], []
    for fact in facts:
        author = authors[fact.author_id]
        result = trust_score(fact)
        if (author.trust_score, author.trust_band, author.last_level) != (
            result.score,
            result.band,
            fact.level,
        ):
            snapshots.append(
                TrustSnapshot(
                    author_id=fact.author_id,
                    score=result.score,
                    band=result.band,
                    level=fact.level,
                    factors=result.factors_as_dicts(),
                )
            )
        values = (
            result.score,
            result.band,
            fact.works,
            fact.followers,
            fact.topics,
            fact.close_collaborators,
        )
        if tuple(getattr(author, f) for f in CACHED_FIELDS) != values:
            for name, value in zip(CACHED_FIELDS, values, strict=True):
                setattr(author, name, value)
            author.trust_computed_at = now
            changed.append(author)
    _authors_write_cached(changed)
    # Mid-chunk, rows written but not committed: where the worker-kill test strikes.
    hooks.pause_point("trust-chunk")
    TrustSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    return len(facts)


def _authors_write_cached(authors: list[Author]) -> None:
    """One UPDATE for the chunk: FROM unnest(arrays) on PostgreSQL.

    Django's bulk_update writes a CASE with one branch per row for every column, which
    PostgreSQL evaluates row by row (quadratic in the batch size); unnest joins instead.
    """
    if not authors:
        return
    fields = [*CACHED_FIELDS, "trust_computed_at"]
    if connection.vendor != "postgresql":
        Author.objects.bulk_update(authors, fields, batch_size=500)
        return
    table = Author._meta.db_table
    types = {
        "trust_score": "smallint",
        "trust_band": "text",
        "works_count": "integer",
        "followers_count": "integer",
        "topics_count": "integer",
        "close_collaborators_count": "integer",
        "trust_computed_at": "timestamptz",
    }
    sets = ", ".join(f"{f} = v.{f}" for f in fields)
    arrays = ", ".join(f"%s::{types[f]}[]" for f in fields)
    sql = (
        f"UPDATE {table} AS a SET {sets} FROM unnest(%s::bigint[], {arrays})"
        f" AS v(id, {', '.join(fields)}) WHERE a.id = v.id"
    )
    params = [[a.pk for a in authors]] + [[getattr(a, f) for a in authors] for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def authors_mark_dirty(*, author_ids: Iterable[int]) -> int:
    """Queues authors for the trust engine, inside the caller's transaction.

    An upsert (ON CONFLICT DO UPDATE) in id order: it locks each dirty row it touches until
    the caller commits, so the beat task (FOR UPDATE SKIP LOCKED) cannot claim an author
    and read its facts before the change that dirtied it is visible; and an author claimed
    by a running recompute is marked again once that recompute commits, never lost.
    """
    ids = sorted(set(author_ids))
    if not ids:
        return 0
    now = timezone.now()
    DirtyAuthor.objects.bulk_create(
        [DirtyAuthor(author_id=pk, marked_at=now) for pk in ids],
        update_conflicts=True,
        unique_fields=["author"],
        update_fields=["marked_at"],
        batch_size=5000,
    )
    return len(ids)


def trust_dirty_recompute_chunk(*, limit: int) -> int:
    """Claims up to `limit` dirty authors, recomputes them and clears them, atomically.

    FOR UPDATE SKIP LOCKED (PostgreSQL): concurrent workers claim disjoint chunks and never
    wait on each other or on an import still holding its marks. The claim is deleted in the
    recompute's transaction: a worker killed mid-chunk rolls both back and the authors stay
    dirty for the next run. Returns how many authors were recomputed (0: nothing left).
    """
    with transaction.atomic():
        ids = list(
            DirtyAuthor.objects.order_by("author_id")
            .select_for_update(skip_locked=True)
            .values_list("author_id", flat=True)[:limit]
        )
        if not ids:
            return 0
        DirtyAuthor.objects.filter(author_id__in=ids).delete()
        trust_scores_recompute(author_ids=ids)
    return len(ids)


def trust_dirty_recompute(*, chunk: int, max_chunks: int) -> tuple[int, bool]:
    """Drains the dirty set, chunk by chunk, each its own transaction.

    Returns (authors recomputed, whether dirty authors may remain after max_chunks).
    """
    done = 0
    for _ in range(max_chunks):
        n = trust_dirty_recompute_chunk(limit=chunk)
        done += n
        if n < chunk:
            return done, False
    return done, True


# --- curation: merge, split, remove (admin decisions that stick) -------------------------


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
