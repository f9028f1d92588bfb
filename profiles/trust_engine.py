"""The set-based trust engine: the facts behind every score, the recompute, the dirty queue.

profiles.trust is the formula for one author; this applies it to chunks of authors. Every
function here takes a chunk of ids and costs a fixed number of queries whatever the chunk's
size; nothing loops over authors with a query inside, because an import dirties hundreds of
thousands of authors at once. Changes announced by any app (bzpeer.lib.events) mark authors
dirty (profiles.receivers); the beat task profiles.tasks.trust_dirty_recompute drains the
dirty set in chunks.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from bzpeer.lib.lookups import sql_any
from bzpeer.lib.versions import works_data_version_bump_on_commit
from works.models import Author, Authorship, WorkTopic

from .models import DirtyAuthor, Follow, TrustSnapshot
from .signals import trust_chunk_midway
from .trust import AuthorFacts, trust_score

# A co-author on at least this many shared works is a "close collaborator".
CLOSE_COLLABORATOR_MIN_SHARED_WORKS = 2
TRUST_CHUNK_WORK_MEM = "64MB"

AUTHORSHIP = Authorship._meta.db_table
WORK_TOPIC = WorkTopic._meta.db_table
FOLLOW = Follow._meta.db_table


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
    where, params = sql_any("mine.author_id", author_ids)
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

    The profile's "topics" count; the graph slice (graph.neighbourhood) shows the same number.
    """
    if not author_ids:
        return {}
    where, params = sql_any("a.author_id", author_ids)
    return _counts(
        f"SELECT a.author_id, COUNT(DISTINCT wt.topic_id) FROM {AUTHORSHIP} a"
        f" JOIN {WORK_TOPIC} wt ON wt.work_id = a.work_id WHERE {where} GROUP BY a.author_id",
        params,
    )


def _facts_counts(author_ids: Sequence[int]) -> tuple[dict, dict, dict, dict]:
    """works, followers, topics, close collaborators per author: four queries."""
    if not author_ids:
        return {}, {}, {}, {}
    where, params = sql_any("author_id", author_ids)
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
    trust_chunk_midway.send(sender=trust_scores_recompute, author_ids=ids)
    TrustSnapshot.objects.bulk_create(snapshots, batch_size=1000)
    return len(facts)


def _authors_write_cached(authors: list[Author]) -> None:
    """One UPDATE for the chunk: FROM unnest(arrays) on PostgreSQL.

    Django's bulk_update writes a CASE with one branch per row for every column, which
    PostgreSQL evaluates row by row (quadratic in the batch size); unnest joins instead.
    """
    if not authors:
        return
    works_data_version_bump_on_commit()  # search shows the scores and counts
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
