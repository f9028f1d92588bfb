"""Likely duplicate works: found after each import, merged or dismissed by a curator.

Works that share a persistent id are one work already (the loader's identity rules); this
catches the same paper under different ids or none, by title and year (typos included: a
trigram index on PostgreSQL), and a preprint beside its published version.
"""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.locks import import_lock
from bzpeer.lib.names import normalize_name
from works.models import (
    Authorship,
    AuthorshipOverride,
    DuplicateWorkCandidate,
    ExactJSONEncoder,
    Work,
    WorkRedirect,
    WorkTopic,
)

# A pair is queued when its normalised titles (title_key) have a difflib ratio of at least
# DUPLICATE_TITLE_RATIO (a typo in a 40-letter title is ~0.97, "…All You Need" / "…All You
# Want" 0.89), and its years are the same or adjacent; a preprint and a published version
# (an arXiv id on one, a DOI on the other) need DUPLICATE_PREPRINT_RATIO, their years at
# most DUPLICATE_PREPRINT_YEARS apart (journals take time).
DUPLICATE_TITLE_RATIO = 0.93
DUPLICATE_PREPRINT_RATIO = 0.9
DUPLICATE_YEARS = 1
DUPLICATE_PREPRINT_YEARS = 2
# PostgreSQL finds the candidates with pg_trgm's `%` on the trigram GIN index of title_key
# (migration 0011_record_fidelity): a typo anywhere in the title keeps most trigrams (~0.8
# for one typo in a 25-letter title, more in longer ones), so this threshold finds every pair
# the ratio above accepts in practice.
DUPLICATE_TRGM_THRESHOLD = 0.6
# Titles whose numbers differ are different works ("Part 1" / "Part 2", "PVT v2", a report
# of 2020 and of 2021), however alike the rest: a typo seldom changes a number.
_NOT_DIGITS = re.compile(r"[^0-9]+")
# Larger imports (a bulk OpenAlex load) compare by the first title words, as SQLite does:
# a trigram search costs ~10 ms a work on titles that share many trigrams (measured on the
# import benchmark's 20,000 works). settings.IMPORT_DUPLICATES_TRGM_MAX_WORKS overrides.
DUPLICATE_TRGM_MAX_WORKS = 5_000
# At most this many candidates per work (the most common titles: "Introduction", "Preface").
DUPLICATE_GROUP_LIMIT = 100
DUPLICATE_CHUNK = 500
# SQLite has no trigram index: candidates there share the first title words (a typo in
# them is missed), compared with difflib as on PostgreSQL.
DUPLICATE_PREFIX_WORDS = 3

ARXIV_DOI_PREFIX = "10.48550/"


def _title_prefix(key: str) -> str:
    return " ".join(key.split(" ")[:DUPLICATE_PREFIX_WORDS])


def work_duplicates_find(*, work_ids: Iterable[int]) -> int:
    """Queues likely duplicates of the given works for review; returns how many pairs it added.

    A pair is two works of the same or adjacent year with the same normalised title
    (`title_key`) or near-identical ones (difflib ratio ≥ DUPLICATE_TITLE_RATIO), or a
    preprint and a published version (arXiv id on one, a non-arXiv DOI on the other; ratio
    ≥ DUPLICATE_PREPRINT_RATIO, years ≤ DUPLICATE_PREPRINT_YEARS apart). Candidates come
    from the pg_trgm index on PostgreSQL, from the first title words on SQLite. Works that
    share a persistent id are one work already, so every pair has different (or missing)
    ids. A pair already queued, merged or dismissed is not queued again. A fixed number of
    queries per chunk of DUPLICATE_CHUNK works.
    """
    ids = list(work_ids)
    trigram = connection.vendor == "postgresql" and len(ids) <= getattr(
        settings, "IMPORT_DUPLICATES_TRGM_MAX_WORKS", DUPLICATE_TRGM_MAX_WORKS
    )
    added = 0
    for start in range(0, len(ids), DUPLICATE_CHUNK):
        added += _duplicates_in_chunk(ids[start : start + DUPLICATE_CHUNK], trigram=trigram)
    return added


# (pk, title_key, year, doi, arxiv_id)
WorkKey = tuple[int, str, int | None, str | None, str | None]


def _duplicates_in_chunk(work_ids: list[int], *, trigram: bool) -> int:
    mine: list[WorkKey] = list(
        Work.objects.filter(pk__in=work_ids)
        .exclude(title_key="")
        .values_list("pk", "title_key", "year", "doi", "arxiv_id")
    )
    if not mine:
        return 0
    pairs: dict[tuple[int, int], tuple[str, float]] = {}
    candidates = _candidates_trigram(mine) if trigram else _candidates_prefix(mine)
    for work, other in candidates:
        if other[0] == work[0]:
            continue
        pair = (min(work[0], other[0]), max(work[0], other[0]))
        if pair not in pairs and (found := pair_reason(work, other)):
            pairs[pair] = found
    if not pairs:
        return 0
    involved = {pk for pair in pairs for pk in pair}
    known = set(
        DuplicateWorkCandidate.objects.filter(
            work_a_id__in=involved, work_b_id__in=involved
        ).values_list("work_a_id", "work_b_id")
    )
    new = [
        DuplicateWorkCandidate(work_a_id=a, work_b_id=b, reason=reason, similarity=similarity)
        for (a, b), (reason, similarity) in sorted(pairs.items())
        if (a, b) not in known
    ]
    DuplicateWorkCandidate.objects.bulk_create(new)
    return len(new)


def _is_preprint(work: WorkKey) -> bool:
    doi = work[3]
    return bool(work[4]) and (not doi or doi.startswith(ARXIV_DOI_PREFIX))


def _is_published(work: WorkKey) -> bool:
    doi = work[3]
    return bool(doi) and not doi.startswith(ARXIV_DOI_PREFIX) and not work[4]


def _years_apart(a: int | None, b: int | None) -> int | None:
    if a is None or b is None:
        return 0 if a == b else None
    return abs(a - b)


def pair_reason(work: WorkKey, other: WorkKey) -> tuple[str, float] | None:
    """Why two works look like one (reason, similarity), or None."""
    apart = _years_apart(work[2], other[2])
    if apart is None or _numbers(work[1]) != _numbers(other[1]):
        return None
    Reason = DuplicateWorkCandidate.Reason
    preprint_pair = (_is_preprint(work) and _is_published(other)) or (
        _is_published(work) and _is_preprint(other)
    )
    if preprint_pair and apart <= DUPLICATE_PREPRINT_YEARS:
        ratio = _title_ratio(work[1], other[1], DUPLICATE_PREPRINT_RATIO)
        if ratio >= DUPLICATE_PREPRINT_RATIO:
            return Reason.PREPRINT_PUBLISHED, round(ratio, 3)
    if work[1] == other[1] and apart <= DUPLICATE_YEARS:
        return Reason.SAME_TITLE, 1.0
    if apart <= DUPLICATE_YEARS:
        ratio = _title_ratio(work[1], other[1], DUPLICATE_TITLE_RATIO)
        if ratio >= DUPLICATE_TITLE_RATIO:
            return Reason.SIMILAR_TITLE, round(ratio, 3)
    return None


def _numbers(key: str) -> str:
    return _NOT_DIGITS.sub(" ", key).strip()


def _candidates_trigram(mine: list[WorkKey]) -> list[tuple[WorkKey, WorkKey]]:
    """pg_trgm's `%` on the GIN index, per work of the chunk, in one statement."""
    by_pk = {w[0]: w for w in mine}
    # The threshold `%` uses, and the index: for this transaction only. Without statistics
    # on the rows an import just wrote, the planner chose a sequential scan per work (every
    # work compared with every other: minutes at 20,000 works); on the index it is a
    # bitmap scan per work.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), "
            "set_config('pg_trgm.similarity_threshold', %s, true), "
            "set_config('enable_seqscan', 'off', true)",
            [str(DUPLICATE_TRGM_THRESHOLD)],
        )
        seqscan = cursor.fetchone()[0]
        cursor.execute(
            """
            SELECT m.id, w.id, w.title_key, w.year, w.doi, w.arxiv_id
            FROM unnest(%s::integer[], %s::text[], %s::integer[]) AS m (id, title_key, year)
            CROSS JOIN LATERAL (
                SELECT id, title_key, year, doi, arxiv_id FROM works_work
                WHERE title_key %% m.title_key AND id <> m.id
                  AND btrim(regexp_replace(title_key, '[^0-9]+', ' ', 'g'))
                      = btrim(regexp_replace(m.title_key, '[^0-9]+', ' ', 'g'))
                  AND (year IS NOT DISTINCT FROM m.year
                       OR year BETWEEN m.year - %s AND m.year + %s)
                LIMIT %s
            ) w
            """,
            [
                [w[0] for w in mine],
                [w[1] for w in mine],
                [w[2] for w in mine],
                DUPLICATE_PREPRINT_YEARS,
                DUPLICATE_PREPRINT_YEARS,
                DUPLICATE_GROUP_LIMIT,
            ],
        )
        rows = cursor.fetchall()
        cursor.execute("SELECT set_config('enable_seqscan', %s, true)", [seqscan])
    return [(by_pk[row[0]], tuple(row[1:])) for row in rows]


def _candidates_prefix(mine: list[WorkKey]) -> list[tuple[WorkKey, WorkKey]]:
    """Works whose title starts with the same words, in a year close enough (SQLite, and
    PostgreSQL imports of more than IMPORT_DUPLICATES_TRGM_MAX_WORKS works). One query."""
    years = range(-DUPLICATE_PREPRINT_YEARS, DUPLICATE_PREPRINT_YEARS + 1)
    wanted = {(_title_prefix(key), year) for _, key, year, _, _ in mine}
    groups: dict[str, list[WorkKey]] = defaultdict(list)
    for row in _works_with_prefixes(wanted):
        groups[_title_prefix(row[1])].append(row)
    found = []
    for work in mine:
        group = groups[_title_prefix(work[1])]
        close = [
            other
            for other in group
            if (work[2] is None and other[2] is None)
            or (work[2] is not None and other[2] is not None and other[2] - work[2] in years)
        ]
        found += [(work, other) for other in close[: DUPLICATE_GROUP_LIMIT + 1]]
    return found


def _works_with_prefixes(prefixes: set[tuple[str, int | None]]) -> Iterable[WorkKey]:
    """The works whose title_key starts with one of the prefixes and whose year is at most
    DUPLICATE_PREPRINT_YEARS from that prefix's year (on SQLite: any year).

    On PostgreSQL one index range scan per prefix (title_key's varchar_pattern_ops index,
    byte order), in one statement: the OR of one LIKE per prefix that the ORM builds costs
    far more to plan than to run at a chunk's few hundred prefixes.
    """
    if connection.vendor != "postgresql":
        # by prefix alone (the caller keeps the close years): fewer terms for SQLite's
        # expression depth limit
        condition = Q()
        for prefix in {prefix for prefix, _ in prefixes}:
            condition |= Q(title_key__startswith=prefix)
        return Work.objects.filter(condition).values_list(
            "pk", "title_key", "year", "doi", "arxiv_id"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT w.id, w.title_key, w.year, w.doi, w.arxiv_id
            FROM unnest(%s::text[], %s::integer[]) AS p (prefix, year)
            CROSS JOIN LATERAL (
                SELECT id, title_key, year, doi, arxiv_id FROM works_work
                WHERE title_key ~>=~ p.prefix AND title_key ~<~ (p.prefix || chr(1114111))
                  AND starts_with(title_key, p.prefix)
                  AND (year IS NOT DISTINCT FROM p.year
                       OR year BETWEEN p.year - %s AND p.year + %s)
                OFFSET 0  -- run per prefix, on the index: never flattened into a seq scan join
            ) w
            """,
            [
                [prefix for prefix, _ in prefixes],
                [year for _, year in prefixes],
                DUPLICATE_PREPRINT_YEARS,
                DUPLICATE_PREPRINT_YEARS,
            ],
        )
        return cursor.fetchall()


def _title_ratio(a: str, b: str, threshold: float) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < threshold:
        return 0.0
    if matcher.quick_ratio() < threshold:
        return 0.0
    return matcher.ratio()


class DuplicateDecided(ValueError):
    """The candidate was merged or dismissed already (or one of its works is gone)."""


_WORK_IDS = ("doi", "arxiv_id", "openalex_id")


def _json(value):
    """Dates and datetimes as ISO strings, exactly: the snapshot restores them as they were."""
    return json.loads(json.dumps(value, cls=ExactJSONEncoder))


def _work_snapshot(work: Work) -> dict:
    """Every stored field of a work, its byline (with institution links) and its topics."""
    fields = {f.attname: getattr(work, f.attname) for f in Work._meta.concrete_fields}
    institutions = defaultdict(list)
    for authorship_id, institution_id in Authorship.institutions.through.objects.filter(
        authorship__work=work
    ).values_list("authorship_id", "institution_id"):
        institutions[authorship_id].append(institution_id)
    byline = [
        {
            **{f.attname: getattr(row, f.attname) for f in Authorship._meta.concrete_fields},
            "institutions": institutions[row.pk],
        }
        for row in work.authorships.order_by("position")
    ]
    topics = list(work.work_topics.values("topic_id", "score"))
    overrides = list(
        AuthorshipOverride.objects.filter(work=work).values(
            "position", "name_key", "author_id", "decided_by_id", "reason"
        )
    )
    return _json({"fields": fields, "byline": byline, "topics": topics, "overrides": overrides})


def work_duplicates_merge(
    *, candidate: DuplicateWorkCandidate, user, keep: Work | None = None, reason: str = ""
) -> Work:
    """Merges a likely duplicate pair into `keep` (by default the older work, created first).

    The other work's authorships move to the kept one unless the same author (or, for a
    byline slot without an author, the same normalised name) is already on it, where they
    only fill in a missing author link; its topics move unless already there; its DOI, arXiv
    and OpenAlex ids go to the kept work where that has none, so a later import of the
    removed record finds the kept work. The removed work is then deleted and its id answers
    301 to the kept work (WorkRedirect). The candidate keeps a snapshot of the removed work
    and of what moved, from which work_duplicates_unmerge rebuilds it.
    """
    with transaction.atomic():
        import_lock()
        candidate = DuplicateWorkCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status != DuplicateWorkCandidate.Status.OPEN or candidate.work_b_id is None:
            raise DuplicateDecided(f"duplicate candidate {candidate.pk} is {candidate.status}")
        works = {
            w.pk: w
            for w in Work.objects.select_for_update().filter(
                pk__in=[candidate.work_a_id, candidate.work_b_id]
            )
        }
        if len(works) != 2:
            raise DuplicateDecided("one of the two works no longer exists")
        keep_pk = keep.pk if keep is not None else min(works)
        if keep_pk not in works:
            raise DuplicateDecided("the work to keep must be one of the pair")
        kept = works[keep_pk]
        removed = next(w for pk, w in works.items() if pk != keep_pk)
        snapshot = _work_snapshot(removed)
        moves = _move_authorships(kept, removed)
        kept_topics = set(kept.work_topics.values_list("topic_id", flat=True))
        topics_moved = sorted(
            set(removed.work_topics.values_list("topic_id", flat=True)) - kept_topics
        )
        WorkTopic.objects.filter(work=removed, topic_id__in=topics_moved).update(work=kept)
        taken = {
            f: getattr(removed, f)
            for f in _WORK_IDS
            if getattr(removed, f) and not getattr(kept, f)
        }
        repointed = list(WorkRedirect.objects.filter(work=removed).values_list("old_id", flat=True))
        candidate.removed_work = {
            "pk": removed.pk,
            "title": removed.title,
            "year": removed.year,
            "source": removed.source,
            **{f: getattr(removed, f) for f in _WORK_IDS},
            "kept": kept.pk,
            "reason": reason[:255],
            "snapshot": snapshot,
            "moved": moves.moved,
            "filled": moves.filled,
            "topics_moved": topics_moved,
            "taken": taken,
            "redirects": repointed,
        }
        # keeps the decision when the removed work is deleted: work_a is the kept one
        candidate.work_a, candidate.work_b = kept, None
        candidate.status = DuplicateWorkCandidate.Status.MERGED
        candidate.decided_by, candidate.decided_at = user, timezone.now()
        candidate.save()
        WorkRedirect.objects.filter(work=removed).update(work=kept)
        removed_pk = removed.pk  # delete() forgets it
        removed.delete()
        WorkRedirect.objects.create(old_id=removed_pk, work=kept)
        if taken:
            for name, value in taken.items():
                setattr(kept, name, value)
            kept.save(update_fields=[*taken, "updated_at"])
        authors_changed_announce(moves.touched, why=Why.WORKS, sender=work_duplicates_merge)
    return kept


def work_duplicates_unmerge(*, candidate: DuplicateWorkCandidate, user) -> Work:
    """Undoes a merge from the candidate's snapshot: the removed work is back with its id,
    fields, persistent ids, byline (author links, institutions), topics and byline decisions;
    the kept work gives back what it took; the 301 goes; the pair is open for review again.
    """
    with transaction.atomic():
        import_lock()
        candidate = DuplicateWorkCandidate.objects.select_for_update().get(pk=candidate.pk)
        record = candidate.removed_work or {}
        if candidate.status != DuplicateWorkCandidate.Status.MERGED:
            raise DuplicateDecided(f"duplicate candidate {candidate.pk} is {candidate.status}")
        if "snapshot" not in record:
            raise DuplicateDecided("this merge predates undo: nothing recorded to rebuild from")
        kept = Work.objects.select_for_update().get(pk=candidate.work_a_id)
        snapshot = record["snapshot"]
        if Work.objects.filter(pk=record["pk"]).exists():
            raise DuplicateDecided(f"a work with id {record['pk']} exists again")
        given_back = [f for f, v in record["taken"].items() if getattr(kept, f) == v]
        for name in given_back:
            setattr(kept, name, None)
        if given_back:
            kept.save(update_fields=[*given_back, "updated_at"])
        WorkRedirect.objects.filter(old_id=record["pk"]).delete()
        removed = Work(**snapshot["fields"])
        removed.save(force_insert=True)
        # auto_now(_add) stamped the insert: the work's own times come back too
        Work.objects.filter(pk=removed.pk).update(
            created_at=snapshot["fields"]["created_at"],
            updated_at=snapshot["fields"]["updated_at"],
        )
        WorkRedirect.objects.filter(old_id__in=record["redirects"]).update(work=removed)

        touched = {kept_author for _, kept_author in record["filled"] if kept_author}
        Authorship.objects.filter(pk__in=[pk for pk, _ in record["filled"]]).update(author=None)
        moved = dict(record["moved"])
        through = Authorship.institutions.through
        links = []
        for row in snapshot["byline"]:
            institutions = row.pop("institutions")
            touched.add(row["author_id"])
            if row["id"] in moved:
                Authorship.objects.filter(pk=row["id"]).update(
                    work=removed, position=row["position"]
                )
                continue
            Authorship(**row).save(force_insert=True)
            links += [through(authorship_id=row["id"], institution_id=i) for i in institutions]
        through.objects.bulk_create(links, ignore_conflicts=True)
        WorkTopic.objects.filter(work=kept, topic_id__in=record["topics_moved"]).update(
            work=removed
        )
        WorkTopic.objects.bulk_create(
            [
                WorkTopic(work=removed, topic_id=t["topic_id"], score=t["score"])
                for t in snapshot["topics"]
                if t["topic_id"] not in record["topics_moved"]
            ],
            ignore_conflicts=True,
        )
        AuthorshipOverride.objects.bulk_create(
            [AuthorshipOverride(work=removed, **o) for o in snapshot["overrides"]],
            ignore_conflicts=True,
        )
        a, b = sorted([kept, removed], key=lambda w: w.pk)
        candidate.work_a, candidate.work_b = a, b
        candidate.status = DuplicateWorkCandidate.Status.OPEN
        candidate.removed_work = {}
        candidate.decided_by, candidate.decided_at = user, timezone.now()
        candidate.save()
        authors_changed_announce(touched, why=Why.WORKS, sender=work_duplicates_unmerge)
    return removed


def _byline_key(row: Authorship) -> str:
    return normalize_name(row.author.display_name if row.author else row.raw_author_name)


@dataclass
class BylineMoves:
    touched: set[int] = field(default_factory=set)
    moved: list[tuple[int, int]] = field(default_factory=list)  # (authorship, old position)
    filled: list[tuple[int, int]] = field(default_factory=list)  # (kept authorship, author)


def _move_authorships(kept: Work, removed: Work) -> BylineMoves:
    rows = list(kept.authorships.select_related("author"))
    by_author = {r.author_id for r in rows if r.author_id}
    by_name = {_byline_key(r): r for r in rows}
    position = max((r.position for r in rows), default=-1) + 1
    moves = BylineMoves(touched=set(by_author))
    for row in removed.authorships.select_related("author").order_by("position"):
        if row.author_id:
            moves.touched.add(row.author_id)
        same = by_name.get(_byline_key(row))
        if row.author_id in by_author or same is not None:
            if same is not None and same.author_id is None and row.author_id not in by_author:
                same.author_id = row.author_id
                same.save(update_fields=["author"])
                moves.filled.append((same.pk, row.author_id))
                by_author.add(row.author_id)
            continue
        Authorship.objects.filter(pk=row.pk).update(work=kept, position=position)
        moves.moved.append((row.pk, row.position))
        position += 1
        if row.author_id:
            by_author.add(row.author_id)
    return moves


def work_duplicates_dismiss(*, candidate: DuplicateWorkCandidate, user) -> None:
    """Marks a pair as not duplicates; it is never queued again."""
    updated = DuplicateWorkCandidate.objects.filter(
        pk=candidate.pk, status=DuplicateWorkCandidate.Status.OPEN
    ).update(
        status=DuplicateWorkCandidate.Status.DISMISSED, decided_by=user, decided_at=timezone.now()
    )
    if not updated:
        raise DuplicateDecided(f"duplicate candidate {candidate.pk} was decided already")
