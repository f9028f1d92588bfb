"""Likely duplicate works: found after each import, merged or dismissed by a curator.

Works that share a persistent id are one work already (the loader's identity rules); this
catches the same paper under different ids or none, by title and year.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.names import normalize_name
from works.models import Authorship, DuplicateWorkCandidate, Work, WorkTopic

DUPLICATE_TITLE_RATIO = 0.93
DUPLICATE_PREFIX_WORDS = 3
# Works sharing a year and the first title words beyond this many ("a survey of" 2020) are
# too common a start to compare pairwise; only exact title matches are looked for there.
DUPLICATE_GROUP_LIMIT = 100
DUPLICATE_CHUNK = 500


def _title_prefix(key: str) -> str:
    return " ".join(key.split(" ")[:DUPLICATE_PREFIX_WORDS])


def work_duplicates_find(*, work_ids: Iterable[int]) -> int:
    """Queues likely duplicates of the given works for review; returns how many pairs it added.

    A pair is two works of the same year with the same normalised title (`title_key`), or
    with near-identical titles (difflib ratio ≥ DUPLICATE_TITLE_RATIO) that share their
    first three title words. Works that share a persistent id are one work already, so
    every pair has different (or missing) ids. A pair already queued, merged or dismissed
    is not queued again. A fixed number of queries per chunk of DUPLICATE_CHUNK works.
    """
    added = 0
    iterator = iter(work_ids)
    while chunk := [pk for _, pk in zip(range(DUPLICATE_CHUNK), iterator, strict=False)]:
        added += _duplicates_in_chunk(chunk)
    return added


def _duplicates_in_chunk(work_ids: list[int]) -> int:
    mine = list(
        Work.objects.filter(pk__in=work_ids)
        .exclude(title_key="")
        .values_list("pk", "title_key", "year")
    )
    if not mine:
        return 0
    groups: dict[tuple[str, int | None], list[tuple[int, str]]] = defaultdict(list)
    for pk, key, year in _works_with_prefixes({(_title_prefix(k), y) for _, k, y in mine}):
        groups[(_title_prefix(key), year)].append((pk, key))

    pairs: dict[tuple[int, int], tuple[str, float]] = {}
    for pk, key, year in mine:
        group = groups[(_title_prefix(key), year)]
        compare = len(group) <= DUPLICATE_GROUP_LIMIT
        for other_pk, other_key in group:
            if other_pk == pk:
                continue
            pair = (min(pk, other_pk), max(pk, other_pk))
            if other_key == key:
                pairs[pair] = (DuplicateWorkCandidate.Reason.SAME_TITLE, 1.0)
            elif compare and pair not in pairs:
                ratio = _title_ratio(key, other_key)
                if ratio >= DUPLICATE_TITLE_RATIO:
                    pairs[pair] = (DuplicateWorkCandidate.Reason.SIMILAR_TITLE, round(ratio, 3))
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


def _works_with_prefixes(prefixes: set[tuple[str, int | None]]) -> Iterable[tuple]:
    """(pk, title_key, year) of the works whose title_key starts with one of the prefixes and
    whose year is that prefix's year.

    On PostgreSQL one index range scan per prefix (title_key's varchar_pattern_ops index,
    byte order), in one statement: the OR of one LIKE per prefix that the ORM builds costs
    far more to plan than to run at a chunk's few hundred prefixes.
    """
    if connection.vendor != "postgresql":
        condition = Q()
        for prefix, year in prefixes:
            condition |= Q(year=year, title_key__startswith=prefix)
        return Work.objects.filter(condition).values_list("pk", "title_key", "year")
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT DISTINCT w.id, w.title_key, w.year
            FROM unnest(%s::text[], %s::integer[]) AS p (prefix, year)
            CROSS JOIN LATERAL (
                SELECT id, title_key, year FROM works_work
                WHERE title_key ~>=~ p.prefix AND title_key ~<~ (p.prefix || chr(1114111))
                  AND starts_with(title_key, p.prefix) AND year IS NOT DISTINCT FROM p.year
                OFFSET 0  -- run per prefix, on the index: never flattened into a seq scan join
            ) w
            """,
            [[prefix for prefix, _ in prefixes], [year for _, year in prefixes]],
        )
        return cursor.fetchall()


def _title_ratio(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < DUPLICATE_TITLE_RATIO:
        return 0.0
    if matcher.quick_ratio() < DUPLICATE_TITLE_RATIO:
        return 0.0
    return matcher.ratio()


class DuplicateDecided(ValueError):
    """The candidate was merged or dismissed already (or one of its works is gone)."""


_WORK_IDS = ("doi", "arxiv_id", "openalex_id")


def work_duplicates_merge(*, candidate: DuplicateWorkCandidate, user) -> Work:
    """Merges a likely duplicate pair into the older work (the lower pk, created first).

    The newer work's authorships move to the older one unless the same author (or, for a
    byline slot without an author, the same normalised name) is already on it, where they
    only fill in a missing author link; its topics move unless already there; its DOI, arXiv
    and OpenAlex ids go to the kept work where that has none, so a later import of the
    removed record finds the kept work. The removed work is then deleted, and the candidate
    records what it was.
    """
    with transaction.atomic():
        candidate = DuplicateWorkCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status != DuplicateWorkCandidate.Status.OPEN or candidate.work_b_id is None:
            raise DuplicateDecided(f"duplicate candidate {candidate.pk} is {candidate.status}")
        works = {
            w.pk: w
            for w in Work.objects.select_for_update().filter(
                pk__in=[candidate.work_a_id, candidate.work_b_id]
            )
        }
        kept, removed = works[min(works)], works[max(works)]
        touched = _move_authorships(kept, removed)
        kept_topics = set(kept.work_topics.values_list("topic_id", flat=True))
        WorkTopic.objects.filter(work=removed).exclude(topic_id__in=kept_topics).update(work=kept)
        taken = {
            f: getattr(removed, f)
            for f in _WORK_IDS
            if getattr(removed, f) and not getattr(kept, f)
        }
        candidate.removed_work = {
            "pk": removed.pk,
            "title": removed.title,
            "year": removed.year,
            "source": removed.source,
            **{f: getattr(removed, f) for f in _WORK_IDS},
        }
        candidate.work_b = None  # keeps the decision when the removed work is deleted
        candidate.status = DuplicateWorkCandidate.Status.MERGED
        candidate.decided_by, candidate.decided_at = user, timezone.now()
        candidate.save()
        removed.delete()
        if taken:
            for name, value in taken.items():
                setattr(kept, name, value)
            kept.save(update_fields=[*taken, "updated_at"])
        authors_changed_announce(touched, why=Why.WORKS, sender=work_duplicates_merge)
    return kept


def _byline_key(row: Authorship) -> str:
    return normalize_name(row.author.display_name if row.author else row.raw_author_name)


def _move_authorships(kept: Work, removed: Work) -> set[int]:
    rows = list(kept.authorships.select_related("author"))
    by_author = {r.author_id for r in rows if r.author_id}
    by_name = {_byline_key(r): r for r in rows}
    position = max((r.position for r in rows), default=-1) + 1
    touched = set(by_author)
    for row in removed.authorships.select_related("author").order_by("position"):
        if row.author_id:
            touched.add(row.author_id)
        same = by_name.get(_byline_key(row))
        if row.author_id in by_author or same is not None:
            if same is not None and same.author_id is None and row.author_id not in by_author:
                same.author_id = row.author_id
                same.save(update_fields=["author"])
                by_author.add(row.author_id)
            continue
        Authorship.objects.filter(pk=row.pk).update(work=kept, position=position)
        position += 1
        if row.author_id:
            by_author.add(row.author_id)
    return touched


def work_duplicates_dismiss(*, candidate: DuplicateWorkCandidate, user) -> None:
    """Marks a pair as not duplicates; it is never queued again."""
    updated = DuplicateWorkCandidate.objects.filter(
        pk=candidate.pk, status=DuplicateWorkCandidate.Status.OPEN
    ).update(
        status=DuplicateWorkCandidate.Status.DISMISSED, decided_by=user, decided_at=timezone.now()
    )
    if not updated:
        raise DuplicateDecided(f"duplicate candidate {candidate.pk} was decided already")
