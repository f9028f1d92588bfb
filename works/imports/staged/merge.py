"""The merge: every staged record of a batch through the loader, in one transaction.

The staged records go through the same loader as a whole-file import (works.imports.loader),
in file order and in the same chunks, so they leave the same rows, undo log and report
(tests/works/test_staged_import.py compares them row for row): identity rules, field-level
precedence, admins' decisions and undo are the loader's, written once. What staging saved
the merge is the reading and parsing, done in parallel, and the works' search vectors,
written as the parts computed them.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.locks import import_lock
from works.models import ImportBatch, ImportPart, StagedRecord, Work

from ..batches import batch_succeeded
from ..duplicates import work_duplicates_find
from ..loader import LoadCounts, load_records
from ..records import ParsedRecord
from ..registry import importer_for
from ..run import ImportFailed, ImportResult, RecordError, refuse_empty_result
from . import codec
from .stage import part_errors

ROWS_PER_READ = 5000


class NotRunning(Exception):
    """The batch is not running (any more): merged or discarded already."""


class PartsNotStaged(Exception):
    """Some parts are not staged (yet, or any more: a server crash empties UNLOGGED tables)."""

    def __init__(self, numbers: list[int]) -> None:
        self.numbers = numbers
        super().__init__(f"parts {', '.join(map(str, numbers))} are not staged")


def staged_merge(batch: ImportBatch) -> ImportResult:
    """Loads every staged part of `batch`, all or nothing, deletes the staged rows and
    records the outcome on the batch.

    Bad records listed by the parts fail the batch (ImportFailed, nothing written) unless
    it skips them; a failed part (a corrupt file) fails it whatever. PartsNotStaged when a
    part must be staged (again) first.
    """
    parts = list(batch.parts.order_by("number"))
    result = ImportResult(counts=LoadCounts())
    for part in parts:
        result.records_read += part.records_read
        result.counts.ignored += part.ignored
        result.warnings += [RecordError(**w) for w in part.warnings]
        result.skipped += part_errors(part)
    if failed := [p for p in parts if p.status == ImportPart.Status.FAILED]:
        raise ImportFailed([e for p in failed for e in part_errors(p)])
    if result.skipped and not batch.skip_bad:
        raise ImportFailed(result.skipped)
    importer = importer_for(batch.format)
    with transaction.atomic():
        import_lock()
        # under the import lock: a merge task delivered twice runs once
        status = ImportBatch.objects.values_list("status", flat=True).get(pk=batch.pk)
        if status != ImportBatch.Status.RUNNING:
            raise NotRunning(f"import batch {batch.pk} is {status}")
        _parts_check(batch, parts)
        started = timezone.now()
        vectors: dict[int, str] = {}
        records = _staged_records(batch, vectors)
        load_records(
            records,
            source=importer.source,
            batch=batch,
            counts=result.counts,
            search_documents=vectors,
        )
        refuse_empty_result(result, batch.format)
        created = Work.objects.filter(created_at__gte=started).values_list("pk", flat=True)
        result.duplicates = work_duplicates_find(work_ids=created.iterator(chunk_size=2000))
        authors_changed_announce(
            result.counts.touched_author_ids, why=Why.WORKS, sender=staged_merge
        )
        StagedRecord.objects.filter(batch_id=batch.pk).delete()
        batch_succeeded(batch, result)  # in the transaction: merged and marked at once
    return result


def _parts_check(batch: ImportBatch, parts: list[ImportPart]) -> None:
    """Every part staged, with as many staged rows as it staged (a crash of the database
    server empties UNLOGGED tables: those parts are staged again)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT part, count(*) FROM works_stagedrecord WHERE batch_id = %s GROUP BY part",
            [batch.pk],
        )
        counted = dict(cursor.fetchall())
    missing = [
        p.number
        for p in parts
        if p.status != ImportPart.Status.STAGED or counted.get(p.number, 0) != p.records
    ]
    if missing or not parts:
        raise PartsNotStaged(missing)


def _staged_records(batch: ImportBatch, vectors: dict[int, str]) -> Iterator[ParsedRecord]:
    """The staged records in part and file order, read ROWS_PER_READ at a time (keyset
    pagination on the primary key); each work's search vector is left in `vectors` under
    the id of its record, for the loader to write with the work."""
    after = (0, 0)
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                """
                SELECT part, seq, record, search_document::text FROM works_stagedrecord
                WHERE batch_id = %s AND (part, seq) > (%s, %s)
                ORDER BY part, seq LIMIT %s
                """,
                [batch.pk, *after, ROWS_PER_READ],
            )
            rows = cursor.fetchall()
        if not rows:
            return
        for *_, data, vector in rows:
            record = codec.decode(data)
            if vector is not None:
                vectors[id(record)] = vector
            yield record
        after = rows[-1][:2]
