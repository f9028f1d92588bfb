"""One chunk of parsed records → set-based upserts, a fixed number of queries whatever its size.

ChunkLoader holds what a load shares across chunks (source, batch, counts, the write backend)
and what one chunk resolves (the pks of its institutions, venues, topics and authors); the
entity modules beside it do the matching and diffing, in the order `load` calls them.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db.models import Model
from django.utils import timezone

from works.models import Author, BatchChange, ImportBatch, VerificationLevel, Work

from .. import merge
from ..records import (
    AuthorRecord,
    InstitutionRecord,
    ParsedRecord,
    TopicRecord,
    VenueRecord,
    WorkRecord,
)
from .authors import authors_upsert
from .backends import WriteBackend, backend_choose
from .bylines import authorships_replace
from .institutions import institutions_upsert
from .rows import field_names
from .venues_topics import topics_upsert, venues_upsert
from .works import work_topics_replace, works_upsert

ENTITY_KINDS = ("works", "authors", "institutions", "venues", "topics")
# A batch report lists this many conflicts and merged records; the counts say how many more.
REPORT_LIMIT = 1000


@dataclass
class LoadCounts:
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITY_KINDS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITY_KINDS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ENTITY_KINDS, 0))
    authorships_written: int = 0
    ignored: int = 0
    touched_author_ids: set[int] = field(default_factory=set)
    # values a higher source's kept out, and records of the file that were one work
    # (works.imports.merge); the first REPORT_LIMIT of each, and how many in all
    conflicts: list[dict] = field(default_factory=list)
    conflicts_total: int = 0
    merged_records: list[str] = field(default_factory=list)
    merged_total: int = 0
    # name-only authors a better byline left without work, deleted (bylines.placeholders_remove)
    removed_placeholders: int = 0

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "authorships_written": self.authorships_written,
            "ignored": self.ignored,
            "conflicts": self.conflicts_total,
            "merged_records": self.merged_total,
            "removed_placeholders": self.removed_placeholders,
        }

    def summary(self) -> str:
        parts = []
        for kind in ENTITY_KINDS:
            c, u, n = self.created[kind], self.updated[kind], self.unchanged[kind]
            if c or u or n:
                parts.append(f"{kind}: {c} created, {u} updated, {n} unchanged")
        if self.ignored:
            parts.append(f"{self.ignored} ignored")
        parts += self.merged_records[:20]
        if self.merged_total > 20:
            parts.append(f"and {self.merged_total - 20} more works given twice, merged")
        if self.conflicts_total:
            parts.append(
                f"{self.conflicts_total} values not applied: a higher source set them "
                "(listed in the batch report)"
            )
        return "; ".join(parts) or "nothing to import"


class ChunkLoader:
    """One import's loader: `load` runs a chunk through the entity modules in order."""

    def __init__(
        self,
        *,
        source: str,
        batch: ImportBatch | None,
        counts: LoadCounts,
        owner: Author | None = None,
        backend: WriteBackend | None = None,
        search_documents: dict[int, str] | None = None,
    ) -> None:
        # A publication list of one person (a researcher's own BibTeX, the seed page): every
        # name-only authorship under the owner's name is the owner, co-authors or not.
        self.owner = owner
        self.source = source
        self.batch = batch
        self.counts = counts
        self.now = timezone.now()
        self.backend = backend or backend_choose()
        # columns every row this loader creates shares
        self.provenance = {"source": source, "import_batch_id": batch.pk if batch else None}
        self.imported_author = {
            "verification_level": VerificationLevel.L1,
            "verification_evidence": f"Imported from {source}",
        }
        # BatchChange rows of the current chunk, (model label, pk, action, previous), written
        # by changes_flush
        self.changes: list[tuple[str, int, str, object]] = []
        # search vectors computed ahead (a staged import), {id(work record): tsvector text}:
        # works_upsert takes each record's out as it meets it
        self.search_documents = search_documents if search_documents is not None else {}

    def load(self, records: Sequence[ParsedRecord]) -> None:
        # rows created in this chunk: their later updates and bylines need no undo record
        self.created_work_pks: set[int] = set()
        self.created_author_pks: set[int] = set()
        works = [r for r in records if isinstance(r, WorkRecord)]
        authors = [r for r in records if isinstance(r, AuthorRecord)]
        venues = [r for r in records if isinstance(r, VenueRecord)]
        topics = [r for r in records if isinstance(r, TopicRecord)]
        institutions = [r for r in records if isinstance(r, InstitutionRecord)]
        standalone = len(institutions)
        institutions += [i for a in authors for i in a.institutions]
        institutions += [
            i for w in works for authorship in w.authorships for i in authorship.institutions
        ]
        self.institution_ids = institutions_upsert(self, institutions, standalone=standalone)
        self.venue_ids = venues_upsert(self, venues + [w.venue for w in works if w.venue])
        self.topic_ids = topics_upsert(self, topics + [t.topic for w in works for t in w.topics])
        embedded = [a.author for w in works for a in w.authorships if a.author]
        # an author first seen on a work's byline comes from that work's record
        self.embedded_source = {
            id(a.author): w.source_record for w in works for a in w.authorships if a.author
        }
        self.author_ids = authors_upsert(self, authors, embedded)
        work_ids = works_upsert(self, works)
        # one work given by several records: its byline and topics come from one of them
        works, work_ids = self.same_work_merge(works, work_ids)
        authorships_replace(self, works, work_ids)
        work_topics_replace(self, works, work_ids)
        self.changes_flush()

    def same_work_merge(
        self, works: list[WorkRecord], work_ids: list[int]
    ) -> tuple[list[WorkRecord], list[int]]:
        """One record per work for the bylines and topics, reporting the works given twice.

        works_upsert merged their fields already (records later in the file over earlier
        ones, by the precedence rules). The byline is the one `merge.byline_outranks`
        prefers (persistent ids first, then the later record), the topics the later
        non-empty list: no author is created for a byline that is not kept.
        """
        records_of: dict[int, list[WorkRecord]] = {}
        for record, pk in zip(works, work_ids, strict=True):
            records_of.setdefault(pk, []).append(record)
        if len(records_of) == len(works):
            return works, work_ids
        kept: list[WorkRecord] = []
        for group in records_of.values():
            byline = group[0]
            for record in group[1:]:
                if (
                    merge.byline_outranks(
                        record,
                        self.source,
                        stored_persistent=merge.byline_has_persistent_ids(byline),
                        stored_source=self.source,
                    )
                    or not byline.authorships
                ):
                    byline = record
            topics = next((r.topics for r in reversed(group) if r.topics), ())
            kept.append(dataclasses.replace(byline, topics=topics))
            if len(group) > 1:
                labels = [r.source_record or f"{r.title!r}" for r in group]
                self.merged_note(
                    f"records {', '.join(labels[:-1])} and {labels[-1]} are the same work "
                    f"{merge.identity_label(group[0])}: merged"
                )
        return kept, list(records_of)

    # -- the batch report --------------------------------------------------------------------

    def merged_note(self, message: str) -> None:
        self.counts.merged_total += 1
        if len(self.counts.merged_records) < REPORT_LIMIT:
            self.counts.merged_records.append(message)

    def conflicts_note(self, work: Work, record: WorkRecord, rejected: list) -> None:
        """Values of `record` a higher source kept out, for the batch report."""
        for name, kept, kept_by, offered in rejected:
            self.counts.conflicts_total += 1
            if len(self.counts.conflicts) < REPORT_LIMIT:
                self.counts.conflicts.append(
                    {
                        "work": work.pk,
                        "record": record.source_record or merge.identity_label(record),
                        "field": name,
                        "kept": kept,
                        "kept_by": kept_by,
                        "offered": offered,
                    }
                )

    # -- change log for undo (see the package docstring) ---------------------------------

    def record(self, model: type[Model], pk: int, action: str, previous=None) -> None:
        if self.batch is not None:
            self.changes.append((model._meta.label_lower, pk, action, previous))

    def write_few(
        self,
        model: type[Model],
        kind: str,
        to_create: list,
        to_update: list,
        fields: set[str],
        previous: dict[int, dict],
    ) -> None:
        """Venues and topics: a few rows a chunk, written by the ORM on every database."""
        model.objects.bulk_create(to_create)
        self.record_created(model, to_create)
        self.record_updated(model, previous)
        if to_update:
            model.objects.bulk_update(to_update, field_names(model, fields))
        self.counts.created[kind] += len(to_create)
        self.counts.updated[kind] += len(to_update)

    def record_created(self, model: type[Model], instances) -> None:
        for instance in instances:
            self.record(model, instance.pk, BatchChange.Action.CREATED)

    def record_updated(self, model: type[Model], previous: dict[int, dict]) -> None:
        for pk, values in previous.items():
            self.record(model, pk, BatchChange.Action.UPDATED, values)

    def changes_flush(self) -> None:
        if self.changes:
            self.backend.changes_write(self.batch, self.changes)
        self.changes = []


def load_records(
    records: Iterable[ParsedRecord],
    *,
    source: str,
    batch: ImportBatch | None = None,
    counts: LoadCounts | None = None,
    chunk_size: int | None = None,
    owner: Author | None = None,
    search_documents: dict[int, str] | None = None,
) -> LoadCounts:
    """Loads records chunk by chunk; the caller owns the transaction.

    Chunks hold settings.IMPORT_COPY_CHUNK_SIZE records on the COPY path, else
    settings.IMPORT_CHUNK_SIZE (backends.COPY_CHUNK_SIZE, CHUNK_SIZE by default), unless given.
    `search_documents`: works' search vectors computed ahead, see ChunkLoader.
    """
    counts = counts or LoadCounts()
    loader = ChunkLoader(
        source=source,
        batch=batch,
        counts=counts,
        owner=owner,
        search_documents=search_documents,
    )
    if chunk_size is None:
        chunk_size = loader.backend.chunk_size
    iterator = iter(records)
    with _one_collection_per_chunk():
        while chunk := list(itertools.islice(iterator, chunk_size)):
            loader.load(chunk)
            del chunk
            gc.collect()  # the chunk's cycles, if any, once its records are gone
    return counts


@contextmanager
def _one_collection_per_chunk() -> Iterator[None]:
    """Python's cyclic garbage collector off while chunks load, one full collection after
    each instead.

    Decoding and parsing a chunk allocates millions of objects (an OpenAlex abstract is an
    inverted index: a dict of lists), and the collector, run every 700 allocations, kept
    walking the chunk's live records: a quarter of an import's time. Cycles are freed after
    each chunk instead, so memory stays bounded.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
