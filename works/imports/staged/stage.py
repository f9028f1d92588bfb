"""Staging one part: read and parse it, COPY its records into the UNLOGGED staging table.

Runs in any process (a Celery task on the "imports" queue, a worker of the local pool); parts
stage independently and in parallel. A part is staged in one transaction: its rows and its
ImportPart row become visible together, so a crash in the middle leaves nothing but a part
still pending. Staging again replaces what an earlier attempt staged (idempotent).

Beside each work, the part computes its search vector in PostgreSQL (the expression of
works_work's trigger, bz_work_search_document): that is most of what inserting a work costs
the database, and here it runs in parallel with the other parts instead of in the merge.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from bzpeer.lib import pgcopy
from works.models import ImportPart, StagedRecord

from ..loader import LoadCounts
from ..records import WorkRecord
from ..registry import importer_for
from ..run import ImportFailed, ImportResult, RecordError, parsed_records
from . import codec
from .parts import PartPlan, part_raw_records

logger = logging.getLogger(__name__)
# records COPY'd per round trip to the temporary table, and a part's errors kept
ROWS_PER_COPY = 5000
ERRORS_KEPT = 1000

_INCOMING = "_bz_staged_incoming"


def part_stage(part_id: int, *, then: Callable[[ImportPart], None] | None = None) -> ImportPart:
    """Stages one part (again, if it was); returns it, staged or failed with its errors.

    `then(part)` runs in the transaction that saves the part's outcome, before it commits:
    the fan-out (fanout.py) decides there, under the batch's row lock, whether this part
    was the last one.
    """
    part = ImportPart.objects.select_related("batch").get(pk=part_id)
    importer = importer_for(part.batch.format)
    plan = PartPlan(part.path, part.start, part.end, part.first_line, part.first_index)
    result = ImportResult(counts=LoadCounts())
    raws = part_raw_records(plan, importer, max_bytes=settings.IMPORT_MAX_DECOMPRESSED_BYTES)
    # every bad record is listed here; whether they fail the batch is the merge's call
    records = parsed_records(raws, importer, skip_bad=True, result=result, file=part.path)
    try:
        with transaction.atomic():
            staged = _records_copy(part, records)
            part.status = ImportPart.Status.STAGED
            _outcome_set(part, result, staged)
            part.save()
            if then is not None:
                then(part)
    except ImportFailed as exc:  # a fatal record (a corrupt gzip stream): the part is lost
        part.status = ImportPart.Status.FAILED
        _outcome_set(part, result, 0)
        part.errors = [e.as_dict() for e in exc.errors[-ERRORS_KEPT:]]
        with transaction.atomic():
            part.save()
            if then is not None:
                then(part)
    return part


def _outcome_set(part: ImportPart, result: ImportResult, staged: int) -> None:
    part.records = staged
    part.records_read = result.records_read
    part.ignored = result.counts.ignored
    part.errors = [e.as_dict() for e in result.skipped[:ERRORS_KEPT]]
    part.warnings = [w.as_dict() for w in result.warnings[:ERRORS_KEPT]]
    part.staged_at = timezone.now()


def _records_copy(part: ImportPart, records) -> int:
    """COPY the records (encoded, with each work's title and abstract) into a temporary
    table, then into the staging table with the works' search vectors; returns how many."""
    StagedRecord.objects.filter(batch_id=part.batch_id, part=part.number).delete()
    staged = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_INCOMING} "
            "(seq integer, record bytea, title text, abstract text) ON COMMIT DROP"
        )
        numbered = enumerate(records, start=1)
        while rows := list(itertools.islice(numbered, ROWS_PER_COPY)):
            pgcopy.copy_rows(_INCOMING, ("seq", "record", "title", "abstract"), map(_row, rows))
            cursor.execute(
                f"""
                INSERT INTO works_stagedrecord (batch_id, part, seq, record, search_document)
                SELECT %s, %s, seq, record,
                       CASE WHEN title IS NOT NULL
                            THEN bz_work_search_document(title, abstract) END
                FROM {_INCOMING}
                """,
                [part.batch_id, part.number],
            )
            cursor.execute(f"TRUNCATE {_INCOMING}")
            staged += len(rows)
    return staged


def _row(numbered) -> tuple:
    seq, record = numbered
    if isinstance(record, WorkRecord):
        return seq, codec.encode(record), record.title, record.abstract
    return seq, codec.encode(record), None, None


def part_errors(part: ImportPart) -> list[RecordError]:
    return [RecordError(**error) for error in part.errors]
