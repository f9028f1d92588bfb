"""Likely duplicate works: found after each import, merged or dismissed by a curator.

Works that share a persistent id are one work already (the loader's identity rules); this
catches the same paper under different ids or none, by title and year.
"""

from __future__ import annotations

import difflib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

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
