"""Staged imports: big files and split snapshots, parsed in parallel, merged set-based.

    plan → parts (ImportPart rows) → stage each part (any process, in parallel) → merge

1. `staged_batch_prepare` plans the parts of a path (parts.py): one per file of a directory
   or manifest, or byte ranges of one large JSON Lines file.
2. Each part is staged on its own (stage.py): read, parsed by the format's own parser,
   encoded (codec.py) and COPY'd into the UNLOGGED staging table, with its works' search
   vectors; here by a local process pool (`parts_stage_local`), or by Celery tasks on the
   "imports" queue across machines (works.tasks.import_part_stage, fanout.py), the last
   of which queues the merge (works.tasks.import_batch_merge).
3. The merge (merge.py) runs the staged records through the loader in one transaction:
   all or nothing, the same rows, undo log and report as a whole-file import.

A part that crashed is pending; a batch can be resumed (its pending parts staged again) or
discarded (its staged rows and parts deleted) from the admin or the command line.
PostgreSQL only: the import_works command runs whole-file imports elsewhere.
"""

from __future__ import annotations

from pathlib import Path

from django.db import transaction

from bzpeer.lib.locks import import_lock_try
from bzpeer.lib.processes import map_in_processes
from works.models import ImportBatch, ImportPart, StagedRecord

from ..batches import batch_failed, batch_stopped, import_batch_claim
from ..run import AUTO, ImportFailed, ImportResult, RecordError, detected_format
from .merge import NotRunning, PartsNotStaged, staged_merge
from .parts import files_of, parts_plan
from .stage import part_stage

__all__ = [
    "PartsNotStaged",
    "part_stage",
    "parts_stage_local",
    "staged_batch_discard",
    "staged_batch_merge",
    "staged_batch_prepare",
    "staged_batch_run",
]


def staged_batch_prepare(batch: ImportBatch, path: Path, *, parts: int) -> list[ImportPart]:
    """Claims a pending batch and writes its parts (format detected from the first file)."""
    if import_batch_claim(batch_id=batch.pk) is None:
        raise ValueError(f"import batch {batch.pk} is already running or done")
    batch.refresh_from_db()
    files = files_of(path)
    if not files:
        raise ImportFailed([RecordError(0, 0, f"{path} holds no file to import")])
    if batch.format == AUTO:
        batch.format = detected_format(files[0])
    batch.bytes_total = sum(f.stat().st_size for f in files)
    batch.save(update_fields=["format", "bytes_total"])
    plans = parts_plan(files, format=batch.format, parts=parts)
    return ImportPart.objects.bulk_create(
        ImportPart(
            batch=batch,
            number=number,
            path=plan.path,
            start=plan.start,
            end=plan.end,
            first_line=plan.first_line,
            first_index=plan.first_index,
        )
        for number, plan in enumerate(plans, start=1)
    )


def parts_stage_local(batch: ImportBatch, *, workers: int) -> None:
    """Stages the batch's parts that are not staged, `workers` processes at a time."""
    pending = list(
        batch.parts.exclude(status=ImportPart.Status.STAGED).values_list("pk", flat=True)
    )
    if workers <= 1 or len(pending) <= 1:
        for pk in pending:
            part_stage(pk)
        return
    map_in_processes(
        "works.imports.staged.stage.part_stage", pending, processes=min(workers, len(pending))
    )


def staged_batch_merge(batch: ImportBatch) -> ImportResult | None:
    """Merges a batch whose parts are staged, recording its outcome on it; None when it is
    not running any more (merged already: a task delivered twice)."""
    try:
        return staged_merge(batch)
    except NotRunning:
        return None
    except PartsNotStaged:
        raise
    except ImportFailed as exc:
        _staging_drop(batch)
        batch_failed(batch, exc.errors, records_read=_records_read(batch))
        raise
    except Exception as exc:
        _staging_drop(batch)
        batch_stopped(batch, exc, records_read=_records_read(batch))
        raise


def staged_batch_run(
    batch: ImportBatch, path: Path, *, parts: int, workers: int
) -> ImportResult | None:
    """Plans, stages (locally, in `workers` processes) and merges a batch."""
    try:
        staged_batch_prepare(batch, path, parts=parts)
    except ImportFailed as exc:
        batch_failed(batch, exc.errors, records_read=0)
        raise
    parts_stage_local(batch, workers=workers)
    return staged_batch_merge(batch)


def staged_batch_discard(batch: ImportBatch, *, by: str = "") -> None:
    """Gives up a staged batch that did not finish: its staged rows and parts go, and it
    ends failed (nothing of it was ever in the real tables). Refused (ValueError) while an
    import is merging: that may be this batch, whose staged rows it is reading."""
    _discardable_check(batch.pk, batch.status)
    with transaction.atomic():
        if not import_lock_try():
            raise ValueError("an import is being merged now: discard once it is done")
        # Parts first: a part being staged holds its row, so this waits for it to commit,
        # and the next statement deletes what it staged too. The batch row last, as the
        # staging tasks lock it last (fanout.py): no deadlock with them. A staging task
        # that comes after sees the batch failed and rolls back.
        batch.parts.all().delete()
        _staging_drop(batch)
        locked = ImportBatch.objects.select_for_update().values_list("status", flat=True)
        _discardable_check(batch.pk, locked.get(pk=batch.pk))  # a merge finished meanwhile
        message = "discarded" + (f" by {by}" if by else "") + " before its merge"
        batch_failed(batch, [RecordError(0, 0, message)], records_read=0)


def _discardable_check(batch_id: int, status: str) -> None:
    if status not in (ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING):
        raise ValueError(f"import batch {batch_id} is {status}: nothing to discard")


def _staging_drop(batch: ImportBatch) -> None:
    StagedRecord.objects.filter(batch_id=batch.pk).delete()


def _records_read(batch: ImportBatch) -> int:
    return sum(batch.parts.values_list("records_read", flat=True))
