"""Bylines: a work's authorships, rewritten only when they differ, admins' decisions first.

Admin decisions (works.AuthorshipOverride, written by merge / split / remove authorship)
are read once per chunk and win over the file: a byline slot (work, normalised printed
name, position) decided for an author is written with that author, a removed one is left
out, so re-importing a file never undoes a split or re-adds a removed authorship.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef, Q

from bzpeer.lib.names import normalize_name
from works.models import (
    Author,
    Authorship,
    AuthorshipOverride,
    BatchChange,
    VerificationLevel,
    Work,
)
from works.signals import authors_deletion_blockers

from .. import merge
from ..records import WorkRecord
from ..undo import rows_delete
from .authors import name_only_resolve
from .backends import AUTHORSHIP_COLUMNS

if TYPE_CHECKING:
    from .chunk import ChunkLoader


def decisions(loader: ChunkLoader, works: list[WorkRecord], work_ids: list[int]) -> dict:
    """{(work index, position): author pk, or None for removed} from the admins'
    AuthorshipOverride rows of these works (one query).

    A decision matches the slot whose printed name normalises to its name_key; when the
    byline prints that name more than once, only the slot at the decided position.
    """
    slots: dict[int, dict[str, dict[int, int | None]]] = defaultdict(dict)
    # works this chunk created have no decisions yet
    for work_id, name_key, position, author_id in AuthorshipOverride.objects.filter(
        work_id__any=set(work_ids) - loader.created_work_pks
    ).values_list("work_id", "name_key", "position", "author_id"):
        slots[work_id].setdefault(name_key, {})[position] = author_id
    decided: dict[tuple[int, int], int | None] = {}
    if not slots:
        return decided
    for w_index, (record, work_pk) in enumerate(zip(works, work_ids, strict=True)):
        if work_pk not in slots:
            continue
        keys = [normalize_name(a.raw_author_name) for a in record.authorships]
        for position, key in enumerate(keys):
            choices = slots[work_pk].get(key)
            if not choices:
                continue
            if position in choices:
                decided[(w_index, position)] = choices[position]
            elif len(choices) == 1 and keys.count(key) == 1:
                decided[(w_index, position)] = next(iter(choices.values()))
    return decided


def authorships_replace(loader: ChunkLoader, works: list[WorkRecord], work_ids: list[int]) -> None:
    """Rewrites a work's byline only when it differs from what is stored, and only when the
    record's byline may replace the stored one (merge.byline_outranks: a byline with
    persistent ids is never replaced by a name-only one, a lower source never replaces a
    higher one's). A byline that may not replace is left as it is, and its name-only
    authors are not created.

    Admins' decisions win over the file (see `decisions`): a decided slot gets the decided
    author, a removed one is left out (its position stays free).
    """
    if not works:
        return
    # the stored bylines, whole rows: compared with the desired ones, and kept for undo
    # (works this chunk created have none yet)
    through = Authorship.institutions.through
    links: dict[int, list[tuple[int, int]]] = defaultdict(list)
    rows: dict[int, list[dict]] = defaultdict(list)
    stored: dict[int, dict[int, tuple]] = defaultdict(dict)
    existing = [pk for pk in work_ids if pk not in loader.created_work_pks]
    for link_pk, authorship_id, institution_id in through.objects.filter(
        authorship__work_id__any=existing
    ).values_list("pk", "authorship_id", "institution_id"):
        links[authorship_id].append((link_pk, institution_id))
    for row in Authorship.objects.filter(work_id__any=existing).values(*AUTHORSHIP_COLUMNS):
        row["institutions"] = sorted(links[row["id"]])
        rows[row["work_id"]].append(row)
        stored[row["work_id"]][row["position"]] = (
            row["position"],
            row["author_id"],
            row["raw_author_name"],
            row["is_corresponding"],
            tuple(sorted(i for _, i in row["institutions"])),
        )
    works, work_ids = _bylines_that_may_replace(loader, works, work_ids, rows)
    if not works:
        return

    decided = decisions(loader, works, work_ids)
    name_only = name_only_resolve(loader, works, work_ids, decided)
    desired: dict[int, dict[int, tuple]] = {}
    record_of: dict[int, WorkRecord] = {}
    for w_index, (record, work_pk) in enumerate(zip(works, work_ids, strict=True)):
        byline = {}
        for position, authorship in enumerate(record.authorships):
            author_pk = None
            if (w_index, position) in decided:
                author_pk = decided[(w_index, position)]
                if author_pk is None:
                    continue  # removed by an admin: never re-added
            elif authorship.author is not None:
                author_pk = name_only.get((w_index, position))
                if author_pk is None:
                    ref = authorship.author
                    key = ref.openalex_id or ref.orcid or ref.dblp_pid
                    author_pk = loader.author_ids.get(key)
            institution_pks = tuple(
                sorted(
                    {
                        loader.institution_ids[k]
                        for i in authorship.institutions
                        if (k := i.openalex_id or i.ror) in loader.institution_ids
                    }
                )
            )
            byline[position] = (
                position,
                author_pk,
                authorship.raw_author_name,
                authorship.is_corresponding,
                institution_pks,
            )
        desired[work_pk] = byline
        record_of[work_pk] = record

    stale = [work_pk for work_pk, byline in desired.items() if stored[work_pk] != byline]
    if not stale:
        return
    previous_authors = {
        row["author_id"] for pk in stale for row in rows[pk] if row["author_id"] is not None
    }
    for work_pk in stale:
        if work_pk not in loader.created_work_pks:
            previous = sorted(rows[work_pk], key=lambda r: r["position"])
            loader.record(Work, work_pk, BatchChange.Action.AUTHORSHIPS_REPLACED, previous)
    if replaced := [pk for pk in stale if pk not in loader.created_work_pks]:
        loader.backend.bylines_delete(replaced)
    new_rows = [
        (work_pk, author_pk, position, name, corresponding, record_of[work_pk].source_record)
        for work_pk in stale
        for position, author_pk, name, corresponding, _ in desired[work_pk].values()
    ]
    institution_pks = [pks for work_pk in stale for *_, pks in desired[work_pk].values()]
    loader.backend.bylines_insert(
        new_rows, institution_pks, source=loader.source, batch=loader.batch
    )
    loader.counts.authorships_written += len(new_rows)
    current_authors = {row[1] for row in new_rows if row[1]}
    removed = placeholders_remove(loader, previous_authors - current_authors)
    touched = (previous_authors - removed) | current_authors
    loader.counts.touched_author_ids.update(touched)
    affiliations_fill_missing(loader, current_authors)


def placeholders_remove(loader: ChunkLoader, dropped: set[int]) -> set[int]:
    """Deletes the name-only authors a replaced byline leaves with nothing: created by an
    import, no persistent id, not claimed or curated (level ≤ L1), no work, no admin
    decision, nobody merged into them, no follower or claim. They stood for a byline slot
    a better byline now fills (a BibTeX "Charles R Qi" beside OpenAlex's A5027357870), so
    the record ends the same whatever the import order. Each is kept whole in the change
    log (`deleted`): undo puts it back. Returns their pks; two queries when none qualify.
    """
    if not dropped:
        return set()
    candidates = (
        Author.objects.filter(
            pk__any=dropped,
            openalex_id__isnull=True,
            orcid__isnull=True,
            dblp_pid__isnull=True,
            merged_into__isnull=True,
            verification_level__lte=VerificationLevel.L1,
        )
        .exclude(source="")
        .exclude(Exists(Authorship.objects.filter(author_id=OuterRef("pk"))))
        .exclude(Exists(AuthorshipOverride.objects.filter(author_id=OuterRef("pk"))))
        .exclude(Exists(Author.objects.filter(merged_into_id=OuterRef("pk"))))
    )
    rows = list(candidates.values())
    if not rows:
        return set()
    pks = {row["id"] for row in rows}
    for _, reasons in authors_deletion_blockers.send(sender=placeholders_remove, author_ids=pks):
        if reasons:
            return set()  # people hold one of them: keep them all, as undo would
    for row in rows:
        loader.record(Author, row["id"], BatchChange.Action.DELETED, row)
    rows_delete(Author, Author.objects.filter(pk__any=pks))
    loader.counts.removed_placeholders += len(pks)
    return pks


def affiliations_fill_missing(loader: ChunkLoader, author_pks: set[int]) -> None:
    """Authors known only from works get the institution of their latest authorship.

    Latest: the newest year (works without one last), then the earliest byline position,
    the newest work, the first link (the backend's affiliations_fill).
    """
    latest = loader.backend.affiliations_fill(author_pks)
    # the rows matched only while the column was empty: that is its previous value
    loader.record_updated(
        Author,
        {
            pk: {"last_known_institution_id": None}
            for pk in latest
            if pk not in loader.created_author_pks
        },
    )


def _bylines_that_may_replace(
    loader: ChunkLoader, works: list[WorkRecord], work_ids: list[int], rows: dict[int, list]
) -> tuple[list[WorkRecord], list[int]]:
    """The records (and their works) whose byline may replace the stored one; one query for
    which stored authors carry a persistent id."""
    stored_authors = {r["author_id"] for pk in work_ids for r in rows[pk] if r["author_id"]}
    persistent = (
        set(
            Author.objects.filter(pk__any=stored_authors)
            .filter(
                Q(openalex_id__isnull=False) | Q(orcid__isnull=False) | Q(dblp_pid__isnull=False)
            )
            .values_list("pk", flat=True)
        )
        if stored_authors
        else set()
    )
    kept_records, kept_ids = [], []
    for record, work_pk in zip(works, work_ids, strict=True):
        current = rows[work_pk]
        if current and not merge.byline_outranks(
            record,
            loader.source,
            stored_persistent=any(r["author_id"] in persistent for r in current),
            stored_source=current[0]["source"],
        ):
            continue
        kept_records.append(record)
        kept_ids.append(work_pk)
    return kept_records, kept_ids
