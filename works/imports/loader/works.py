"""Works and their topic lists: matched on OpenAlex id, DOI or arXiv id, else title and year.

A work with none of the persistent ids matches a stored work with the same normalised title
and year. Its fields merge by source precedence (works.imports.merge: a lower source fills
empty fields only, an absent value erases nothing); its topic list keeps the topics of other
kinds (OpenAlex topics and arXiv categories side by side) and is rewritten only when it
differs from the stored one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Q

from bzpeer.lib.text import title_key
from works.models import Authorship, BatchChange, Work, WorkTopic

from .. import merge
from ..records import VenueRecord, WorkRecord
from .rows import apply_changes, field_names, new

if TYPE_CHECKING:
    from .chunk import ChunkLoader


def works_upsert(loader: ChunkLoader, records: list[WorkRecord]) -> list[int]:
    if not records:
        return []
    openalex_ids = {r.openalex_id for r in records if r.openalex_id}
    dois = {r.doi for r in records if r.doi}
    arxiv_ids = {r.arxiv_id for r in records if r.arxiv_id}
    keys = {title_key(r.title) for r in records if not r.has_persistent_id}
    existing = Work.objects.filter(
        Q(openalex_id__any=openalex_ids)
        | Q(doi__any=dois)
        | Q(arxiv_id__any=arxiv_ids)
        | Q(title_key__any=keys)
    )
    index: dict[tuple[str, object], Work] = {}
    for work in existing:
        for kind in ("openalex_id", "doi", "arxiv_id"):
            if value := getattr(work, kind):
                index[(kind, value)] = work
        index[("title", (work.title_key, work.year))] = work

    result: list[Work] = []
    to_create: list[Work] = []
    updated: dict[int, Work] = {}
    previous: dict[int, dict] = {}
    fields: set[str] = set()
    batch_id = loader.batch.pk if loader.batch else None
    for record in records:
        lookups = [
            (kind, getattr(record, kind))
            for kind in ("openalex_id", "doi", "arxiv_id")
            if getattr(record, kind)
        ]
        if not lookups:
            lookups = [("title", (title_key(record.title), record.year))]
        work = next((index[k] for k in lookups if k in index), None)
        vector = loader.search_documents.pop(id(record), None)
        offered = {
            "title": record.title,
            "type": record.type,
            "year": record.year,
            "publication_date": record.publication_date,
            "venue_id": venue_pk(loader, record.venue),
            "abstract": record.abstract,
            "code_url": record.code_url,
            "cited_by_count": record.cited_by_count,
            "language": record.language,
        }
        if work is None:
            ids = {k: getattr(record, k) for k in ("openalex_id", "doi", "arxiv_id")}
            work = new(
                Work,
                {
                    **ids,
                    "source_record": record.source_record,
                    **loader.provenance,
                    **offered,
                    "title_key": title_key(record.title),
                    "field_sources": merge.new_row_sources(
                        offered | ids, source=loader.source, batch_id=batch_id
                    ),
                    "conflicts": {},
                },
            )
            if vector is not None:
                # written with the row while title and abstract are still the record's
                work.search_document_given = (record.title, record.abstract, vector)
            to_create.append(work)
        else:
            # an id fills an empty field only, never one another work holds, and is never
            # replaced; offered when it agrees, so its provenance follows the precedence
            for kind, value in lookups:
                if kind == "title" or getattr(work, kind) not in (None, value):
                    continue
                if index.get((kind, value), work) is work:
                    offered[kind] = value
            merged = merge.fields_merge(
                {name: getattr(work, name) for name in offered},
                offered,
                sources=work.field_sources,
                conflicts=work.conflicts,
                source=loader.source,
                batch_id=batch_id,
                row_source=work.source,
            )
            values = dict(merged.values)
            if "title" in values:
                values["title_key"] = title_key(values["title"])
            values["field_sources"] = merged.sources
            values["conflicts"] = merged.conflicts
            loader.conflicts_note(work, record, merged.rejected)
            if (changed := apply_changes(work, values)) and work.pk:
                fields.update(changed)
                updated[work.pk] = work
                # a work two records of the chunk change keeps its value before the first
                before = previous.setdefault(work.pk, {"updated_at": work.updated_at})
                for name, value in changed.items():
                    before.setdefault(name, value)
                work.updated_at = loader.now
        for key in lookups:
            index[key] = work
        result.append(work)
    loader.backend.insert(Work, to_create)
    loader.record_created(Work, to_create)
    loader.created_work_pks.update(w.pk for w in to_create)
    if updated:
        loader.backend.update(
            Work,
            list(updated.values()),
            field_names(Work, fields | {"updated_at"}),
        )
        loader.record_updated(Work, previous)
    loader.counts.created["works"] += len(to_create)
    loader.counts.updated["works"] += len(updated)
    loader.counts.unchanged["works"] += len({w.pk for w in result}) - len(to_create) - len(updated)
    return [w.pk for w in result]


def venue_pk(loader: ChunkLoader, venue: VenueRecord | None) -> int | None:
    if venue is None:
        return None
    return loader.venue_ids.get(venue.openalex_id or f"name:{venue.name}")


def work_topics_replace(loader: ChunkLoader, works: list[WorkRecord], work_ids: list[int]) -> None:
    """A record's topics replace the stored topics of the same kinds (Topic.source) only:
    arXiv categories and OpenAlex topics sit side by side, and a record without topics of
    its own (BibTeX: keyword guesses at most) leaves them all."""
    offered = {pk: r for r, pk in zip(works, work_ids, strict=True) if r.topics}
    if not offered:
        return
    stored: dict[int, dict[int, float]] = defaultdict(dict)
    rows: dict[int, list[list]] = defaultdict(list)
    kind_of: dict[int, str] = {}
    existing = [pk for pk in offered if pk not in loader.created_work_pks]
    for pk, work_id, topic_id, score, kind in WorkTopic.objects.filter(
        work_id__any=existing
    ).values_list("pk", "work_id", "topic_id", "score", "topic__source"):
        stored[work_id][topic_id] = round(score, 4)
        rows[work_id].append([pk, topic_id, score])
        kind_of[topic_id] = kind
    desired: dict[int, dict[int, float]] = {}
    for work_pk, record in offered.items():
        if stored[work_pk] and all(t.inferred for t in record.topics):
            # keyword guesses only fill a work that has no topics: a source's own stay
            desired[work_pk] = stored[work_pk]
            continue
        kinds = {t.topic.source for t in record.topics}
        desired[work_pk] = {
            topic: score for topic, score in stored[work_pk].items() if kind_of[topic] not in kinds
        } | {
            loader.topic_ids[(t.topic.source, t.topic.external_id)]: round(t.score, 4)
            for t in record.topics
        }
    stale = [pk for pk, topics in desired.items() if stored[pk] != topics]
    if not stale:
        return
    for work_pk in stale:
        if work_pk not in loader.created_work_pks:
            previous = sorted(rows[work_pk])
            loader.record(Work, work_pk, BatchChange.Action.TOPICS_REPLACED, previous)
    if replaced := [pk for pk in stale if pk not in loader.created_work_pks]:
        WorkTopic.objects.filter(work_id__any=replaced).delete()
    new_rows = ((pk, topic, score) for pk in stale for topic, score in desired[pk].items())
    loader.backend.work_topics_insert(new_rows)
    # (the bylines of works this chunk created are touched already: bylines.authorships_replace)
    loader.counts.touched_author_ids.update(
        Authorship.objects.filter(work_id__any=replaced, author__isnull=False).values_list(
            "author_id", flat=True
        )
    )
