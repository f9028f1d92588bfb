"""Import services: a file of one format → one atomic, re-runnable upsert."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .importers import openalex
from .importers.readers import BadRecord
from .importers.records import ParsedRecord, ParseError, RawRecord
from .loader import LoadCounts, load_records
from .models import ImportBatch

logger = logging.getLogger(__name__)

IMPORTERS: dict[str, ModuleType] = {"openalex": openalex}


@dataclass(frozen=True)
class RecordError:
    line: int
    index: int
    message: str
    record: str = ""
    field: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}, record {self.index}"
        if self.record:
            where += f" ({self.record})"
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.message}"

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "index": self.index,
            "record": self.record,
            "field": self.field,
            "message": self.message,
        }


class ImportFailed(Exception):
    """The file had bad records and skipping was off: nothing was written."""

    def __init__(self, errors: list[RecordError]) -> None:
        self.errors = errors
        super().__init__(f"{errors[0]}" + (f" (and {len(errors) - 1} more)" if errors[1:] else ""))


@dataclass
class ImportResult:
    counts: LoadCounts
    records_read: int = 0
    skipped: list[RecordError] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.records_read} records read; {self.counts.summary()}"
        if self.skipped:
            text += f"; {len(self.skipped)} bad records skipped"
        return text


def _parsed_records(
    importer: ModuleType,
    path: Path,
    *,
    skip_bad: bool,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> Iterator[ParsedRecord]:
    for raw in importer.read(path, max_bytes=settings.IMPORT_MAX_DECOMPRESSED_BYTES):
        result.records_read += 1
        if progress:
            progress(1)
        if isinstance(raw, BadRecord):
            error = RecordError(raw.line, raw.index, raw.message)
            if raw.fatal or not skip_bad:
                raise ImportFailed([*result.skipped, error])
            result.skipped.append(error)
            continue
        try:
            record = importer.parse(raw)
        except ParseError as exc:
            error = _error_for(importer, raw, exc)
            if not skip_bad:
                raise ImportFailed([error]) from exc
            result.skipped.append(error)
            continue
        if record is None:
            result.counts.ignored += 1
        else:
            yield record


def _error_for(importer: ModuleType, raw: RawRecord, exc: ParseError) -> RecordError:
    return RecordError(raw.line, raw.index, str(exc), importer.record_label(raw), exc.field)


def works_import(
    *,
    path: str | Path,
    format: str,
    skip_bad: bool = False,
    batch: ImportBatch | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Imports a whole file in one transaction: all of it, or (without skip_bad) nothing.

    On success the authors it touched get their trust scores recomputed once it commits.
    """
    importer = IMPORTERS.get(format)
    if importer is None:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(IMPORTERS)}")
    path = Path(path)
    result = ImportResult(counts=LoadCounts())
    with transaction.atomic():
        records = _parsed_records(
            importer, path, skip_bad=skip_bad, result=result, progress=progress
        )
        load_records(records, source=importer.FORMAT, batch=batch, counts=result.counts)
        trust_recompute_on_commit(result.counts.touched_author_ids)
    return result


def trust_recompute_on_commit(author_ids: set[int]) -> None:
    from profiles.tasks import trust_scores_enqueue

    if author_ids:
        ids = sorted(author_ids)
        transaction.on_commit(lambda: trust_scores_enqueue(ids))


def import_batch_run(*, batch: ImportBatch, path: str | Path, progress=None) -> ImportResult:
    """Runs an ImportBatch and records its outcome, failure included, on the batch."""
    batch.status, batch.started_at = ImportBatch.Status.RUNNING, timezone.now()
    batch.save(update_fields=["status", "started_at"])
    try:
        result = works_import(
            path=path, format=batch.format, skip_bad=batch.skip_bad, batch=batch, progress=progress
        )
    except ImportFailed as exc:
        batch.status = ImportBatch.Status.FAILED
        batch.errors = [e.as_dict() for e in exc.errors]
        batch.finished_at = timezone.now()
        batch.save(update_fields=["status", "errors", "finished_at"])
        raise
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.records_read = result.records_read
    batch.counts = result.counts.as_dict()
    batch.errors = [e.as_dict() for e in result.skipped]
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "records_read", "counts", "errors", "finished_at"])
    return result
