"""A file of one format → one atomic, re-runnable upsert (works_import).

Reading, parsing and loading interleave chunk by chunk, so memory holds one chunk whatever
the file's size; bad records either stop the file before anything is written or are skipped
and listed (skip_bad), never half-written.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.locks import import_lock
from works.models import ImportBatch, Work

from .detect import FormatUnknown, detect_format
from .duplicates import work_duplicates_find
from .keyword_topics import assign_topics
from .loader import LoadCounts, load_records
from .readers import BadRecord
from .records import ParsedRecord, ParseError, RawRecord, WorkRecord, parse_warnings_collected
from .registry import Importer, importer_for

AUTO = ImportBatch.Format.AUTO.value
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordError:
    line: int
    index: int
    message: str
    record: str = ""
    field: str = ""
    file: str = ""  # which file, when an import has several (works.imports.staged)

    def __str__(self) -> str:
        where = f"line {self.line}, record {self.index}"
        if self.file:
            where = f"{self.file}: {where}"
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
        } | ({"file": self.file} if self.file else {})


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
    # what parsers dropped from records they imported (a bad ORCID, a malformed author id)
    warnings: list[RecordError] = field(default_factory=list)
    duplicates: int = 0

    def summary(self) -> str:
        text = f"{self.records_read} records read; {self.counts.summary()}"
        if self.skipped:
            text += f"; {len(self.skipped)} bad records skipped"
        if self.warnings:
            text += f"; {len(self.warnings)} warnings"
        if self.duplicates:
            text += f"; {self.duplicates} likely duplicate works queued for review"
        return text


def _parsed_records(
    importer: Importer,
    path: Path,
    *,
    skip_bad: bool,
    result: ImportResult,
    progress: Callable[[int], None] | None,
) -> Iterator[ParsedRecord]:
    raws = importer.read(path, max_bytes=settings.IMPORT_MAX_DECOMPRESSED_BYTES)
    return parsed_records(raws, importer, skip_bad=skip_bad, result=result, progress=progress)


def parsed_records(
    raws: Iterable[RawRecord | BadRecord],
    importer: Importer,
    *,
    skip_bad: bool,
    result: ImportResult,
    progress: Callable[[int], None] | None = None,
    file: str = "",
) -> Iterator[ParsedRecord]:
    """The records `raws` parse to; bad ones stop the import (ImportFailed) or, with
    skip_bad, are listed in result.skipped, each named by `file` (a part of a multi-file
    import), line and record."""
    for raw in raws:
        result.records_read += 1
        if progress:
            progress(1)
        if isinstance(raw, BadRecord):
            error = RecordError(raw.line, raw.index, raw.message, raw.record, file=file)
            if raw.fatal or not skip_bad:
                raise ImportFailed([*result.skipped, error])
            result.skipped.append(error)
            continue
        try:
            with parse_warnings_collected() as warnings:
                record = importer.parse(raw)
        except ParseError as exc:
            error = _error_for(importer, raw, exc, file)
            if not skip_bad:
                raise ImportFailed([error]) from exc
            result.skipped.append(error)
            continue
        except Exception as exc:  # a parser bug must still name the record it choked on
            logger.exception("parsing %s record %s failed", importer.format, raw.index)
            error = _error_for(importer, raw, ParseError(f"cannot be read ({exc!r})"), file)
            if not skip_bad:
                raise ImportFailed([error]) from exc
            result.skipped.append(error)
            continue
        label = importer.record_label(raw) if warnings else ""
        result.warnings.extend(
            RecordError(raw.line, raw.index, w, label, file=file) for w in warnings
        )
        if record is None:
            result.counts.ignored += 1
        else:
            yield with_keyword_topics(record)


def with_keyword_topics(record: ParsedRecord) -> ParsedRecord:
    """A work whose source names no topic (BibTeX, curated lists) gets them from the keyword
    taxonomy (keyword_topics), as the demo's works do; sources with topics keep theirs."""
    if isinstance(record, WorkRecord) and not record.topics:
        topics = assign_topics(record.title, record.abstract)
        if topics:
            guessed = tuple(dataclasses.replace(t, inferred=True) for t in topics)
            return dataclasses.replace(record, topics=guessed)
    return record


def _error_for(importer: Importer, raw: RawRecord, exc: ParseError, file: str) -> RecordError:
    label = importer.record_label(raw)
    return RecordError(raw.line, raw.index, str(exc), label, exc.field, file=file)


def works_import(
    *,
    path: str | Path,
    format: str,
    skip_bad: bool = False,
    batch: ImportBatch | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Imports a whole file in one transaction: all of it, or (without skip_bad) nothing.

    `format` "auto" detects the format from the file's first bytes. Imports that write are
    serialised by a PostgreSQL advisory lock taken first thing in the transaction, so two at
    once end as if run one after the other. Works the file created are then checked against
    the others for likely duplicates (`work_duplicates_find`), in the same transaction.
    On success the authors it touched get their trust scores recomputed once it commits.
    """
    path = Path(path)
    if format == AUTO:
        format = detected_format(path)
    importer = importer_for(format)
    result = ImportResult(counts=LoadCounts())
    with transaction.atomic():
        import_lock()
        started = timezone.now()
        records = _parsed_records(
            importer, path, skip_bad=skip_bad, result=result, progress=progress
        )
        load_records(records, source=importer.source, batch=batch, counts=result.counts)
        refuse_empty_result(result, format)
        created = Work.objects.filter(created_at__gte=started).values_list("pk", flat=True)
        result.duplicates = work_duplicates_find(work_ids=created.iterator(chunk_size=2000))
        authors_changed_announce(
            result.counts.touched_author_ids, why=Why.WORKS, sender=works_import
        )
    return result


def refuse_empty_result(result: ImportResult, format: str) -> None:
    """A file in which the format found no record, or every record failed, is a failed
    import (and a non-zero exit), not a success with nothing in it."""
    if result.records_read == 0:
        message = (
            f"no {format} records were found in the file; is it in another format? "
            "(--format auto detects it)"
        )
        raise ImportFailed([RecordError(0, 0, message, field="format")])
    if result.skipped and len(result.skipped) == result.records_read:
        every = RecordError(0, 0, f"every record failed ({len(result.skipped)} of them)")
        raise ImportFailed([*result.skipped, every])


def detected_format(path: Path) -> str:
    """The file's format, or ImportFailed saying why it cannot be told (as a bad record)."""
    try:
        return detect_format(path)
    except FormatUnknown as exc:
        raise ImportFailed(
            [RecordError(1, 0, f"cannot tell the format: {exc}", field="format")]
        ) from exc
