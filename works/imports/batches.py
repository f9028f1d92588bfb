"""Import batches: an uploaded file run once by a worker, with live progress and its outcome.

A batch is claimed (pending → running) before it runs, so a task delivered twice runs it
once; whatever happens, the batch ends succeeded or failed with its errors, never running.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.utils import timezone

from works.models import ImportBatch, ImportPart

from .run import AUTO, ImportFailed, ImportResult, RecordError, detected_format, works_import

# Live progress goes to the cache, not the batch row: the import is one transaction on the
# task's connection, so a row update in it is invisible until the end, and an update from a
# second connection would cost a connection per import (and block on SQLite's single writer).
PROGRESS_EVERY = 200
# a batch keeps this many warnings (and their total): enough to act on, bounded in size
WARNINGS_KEPT = 1000
PROGRESS_TIMEOUT = 24 * 60 * 60


def _progress_key(batch_id: int) -> str:
    return f"works:import-batch:{batch_id}:progress"


class BatchProgress:
    """A progress callback: counts records, publishes the count every PROGRESS_EVERY."""

    def __init__(self, batch_id: int, then: Callable[[int], None] | None = None) -> None:
        self.batch_id, self.then = batch_id, then
        self.records = self.published = 0

    def __call__(self, n: int = 1) -> None:
        self.records += n
        if self.then:
            self.then(n)
        if self.records - self.published >= PROGRESS_EVERY:
            self.publish()

    def publish(self) -> None:
        self.published = self.records
        value = {"records_read": self.records, "at": time.time()}
        cache.set(_progress_key(self.batch_id), value, PROGRESS_TIMEOUT)


def import_batch_progress(*, batch: ImportBatch) -> dict:
    """What a batch page shows: live numbers while it runs, the row's once it is done."""
    live = (
        cache.get(_progress_key(batch.pk)) if batch.status == ImportBatch.Status.RUNNING else None
    )
    parts = _parts_progress(batch)
    records_read = live["records_read"] if live else batch.records_read
    if parts and batch.status == ImportBatch.Status.RUNNING:
        records_read = parts["records_read"]  # a staged batch reads in its parts
    return {
        "records_read": records_read,
        "running": batch.status in (ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING),
        "parts": parts,
    }


def _parts_progress(batch: ImportBatch) -> dict | None:
    """A staged import's parts: how many, how many staged or failed, and the records staged
    (from the ImportPart rows, committed as each part is staged); None for a whole-file one."""
    staged = Q(status=ImportPart.Status.STAGED)
    counts = ImportPart.objects.filter(batch_id=batch.pk).aggregate(
        total=Count("pk"),
        staged=Count("pk", filter=staged),
        failed=Count("pk", filter=Q(status=ImportPart.Status.FAILED)),
        records=Sum("records", filter=staged, default=0),
        records_read=Sum("records_read", filter=staged, default=0),
    )
    return counts if counts["total"] else None


def import_batch_claim(*, batch_id: int) -> ImportBatch | None:
    """Marks a pending batch running; None when another worker (or a rerun) got it first."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportBatch.Status.PENDING).update(
        status=ImportBatch.Status.RUNNING, started_at=timezone.now()
    )
    return ImportBatch.objects.get(pk=batch_id) if claimed == 1 else None


def import_batch_run(
    *, batch: ImportBatch, path: str | Path | None = None, progress=None
) -> ImportResult:
    """Runs an ImportBatch and records its outcome, failure included, on the batch.

    A pending batch is claimed here; a batch claimed by `import_batch_claim` (the Celery
    task) runs as it is. `path` defaults to the batch's uploaded file.
    """
    if batch.status == ImportBatch.Status.PENDING:
        if import_batch_claim(batch_id=batch.pk) is None:
            raise ValueError(f"import batch {batch.pk} is already running or done")
        batch.refresh_from_db(fields=["status", "started_at"])
    elif batch.status != ImportBatch.Status.RUNNING:
        raise ValueError(f"import batch {batch.pk} is {batch.status}, not pending")
    path = Path(path if path is not None else batch.file.path)
    reporter = BatchProgress(batch.pk, then=progress)
    try:
        if batch.format == AUTO:
            batch.format = detected_format(path)
        result = works_import(
            path=path,
            format=batch.format,
            skip_bad=batch.skip_bad,
            batch=batch,
            progress=reporter,
        )
    except ImportFailed as exc:
        batch_failed(batch, exc.errors, records_read=reporter.records)
        raise
    except Exception as exc:
        batch_stopped(batch, exc, records_read=reporter.records)
        raise
    finally:
        cache.delete(_progress_key(batch.pk))
    batch_succeeded(batch, result)
    return result


OUTCOME_FIELDS = [
    "status",
    "format",
    "records_read",
    "counts",
    "errors",
    "conflicts",
    "merged_records",
    "finished_at",
]


def batch_failed(batch: ImportBatch, errors: list[RecordError], *, records_read: int) -> None:
    batch.status, batch.errors = ImportBatch.Status.FAILED, [e.as_dict() for e in errors]
    batch.records_read, batch.finished_at = records_read, timezone.now()
    batch.save(update_fields=OUTCOME_FIELDS)


def batch_stopped(batch: ImportBatch, exc: Exception, *, records_read: int) -> None:
    """Not the file's fault (a lost database, a missing upload): still never left running."""
    message = f"the import stopped: {type(exc).__name__}: {exc}"
    batch_failed(batch, [RecordError(0, 0, message)], records_read=records_read)


def batch_succeeded(batch: ImportBatch, result: ImportResult) -> None:
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.records_read = result.records_read
    batch.counts = result.counts.as_dict() | {
        "skipped": len(result.skipped),
        "duplicates_found": result.duplicates,
        "warnings": [w.as_dict() for w in result.warnings[:WARNINGS_KEPT]],
        "warnings_total": len(result.warnings),
    }
    batch.errors = [e.as_dict() for e in result.skipped]
    batch.conflicts = result.counts.conflicts
    batch.merged_records = result.counts.merged_records
    batch.finished_at = timezone.now()
    batch.save(update_fields=OUTCOME_FIELDS)
