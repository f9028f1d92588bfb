"""Import services: a file of one format → one atomic, re-runnable upsert."""

from __future__ import annotations

import difflib
import logging
import re
import time
import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.locks import import_lock
from bzpeer.lib.names import normalize_name

from .importers import arxiv, arxiv_oai, bibtex, crossref, openalex
from .importers.readers import GZIP_MAGIC, BadRecord
from .importers.records import ParsedRecord, ParseError, RawRecord, parse_warnings_collected
from .loader import LoadCounts, load_records
from .models import Authorship, DuplicateWorkCandidate, ImportBatch, Work, WorkTopic
from .undo import UndoResult, undo_apply, undo_conflicts, undo_plan

logger = logging.getLogger(__name__)

IMPORTERS: dict[str, ModuleType] = {
    "openalex": openalex,
    "arxiv": arxiv,
    "arxiv-oai": arxiv_oai,
    "bibtex": bibtex,
    "crossref": crossref,
}
AUTO = "auto"


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
            error = RecordError(raw.line, raw.index, raw.message, raw.record)
            if raw.fatal or not skip_bad:
                raise ImportFailed([*result.skipped, error])
            result.skipped.append(error)
            continue
        try:
            with parse_warnings_collected() as warnings:
                record = importer.parse(raw)
        except ParseError as exc:
            error = _error_for(importer, raw, exc)
            if not skip_bad:
                raise ImportFailed([error]) from exc
            result.skipped.append(error)
            continue
        except Exception as exc:  # a parser bug must still name the record it choked on
            logger.exception("parsing %s record %s failed", importer.FORMAT, raw.index)
            error = _error_for(importer, raw, ParseError(f"cannot be read ({exc!r})"))
            if not skip_bad:
                raise ImportFailed([error]) from exc
            result.skipped.append(error)
            continue
        label = importer.record_label(raw) if warnings else ""
        result.warnings.extend(RecordError(raw.line, raw.index, w, label) for w in warnings)
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

    `format` "auto" detects the format from the file's first bytes. Imports that write are
    serialised by a PostgreSQL advisory lock taken first thing in the transaction, so two at
    once end as if run one after the other. Works the file created are then checked against
    the others for likely duplicates (`work_duplicates_find`), in the same transaction.
    On success the authors it touched get their trust scores recomputed once it commits.
    """
    path = Path(path)
    if format == AUTO:
        format = _detected_format(path)
    importer = IMPORTERS.get(format)
    if importer is None:
        raise ValueError(f"unknown format {format!r}; choose one of {', '.join(IMPORTERS)}")
    result = ImportResult(counts=LoadCounts())
    with transaction.atomic():
        import_lock()
        started = timezone.now()
        records = _parsed_records(
            importer, path, skip_bad=skip_bad, result=result, progress=progress
        )
        load_records(records, source=importer.FORMAT, batch=batch, counts=result.counts)
        _refuse_empty_result(result, format)
        created = Work.objects.filter(created_at__gte=started).values_list("pk", flat=True)
        result.duplicates = work_duplicates_find(work_ids=created.iterator(chunk_size=2000))
        authors_changed_announce(
            result.counts.touched_author_ids, why=Why.WORKS, sender=works_import
        )
    return result


def _refuse_empty_result(result: ImportResult, format: str) -> None:
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


# --- format detection --------------------------------------------------------------------------

SNIFF_BYTES = 64 << 10
_OPENALEX_ID = re.compile(r'"id"\s*:\s*"https://openalex\.org/[WAISTCPF]\d+"')
# keys only Crossref's works API writes (OpenAlex spells its DOI "doi", and has none of them)
_CROSSREF_KEY = re.compile(
    r'"(?:message-type|container-title|is-referenced-by-count|reference-count|'
    r'short-container-title|published-print|content-domain)"\s*:'
)
_BIBTEX_ENTRY = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.MULTILINE)


class FormatUnknown(ValueError):
    """The file's first bytes match none of the formats IMPORTERS reads."""


def detect_format(path: str | Path) -> str:
    """The IMPORTERS key for a file, from its first 64 KiB (decompressed when gzipped).

    '[' or '{' with OpenAlex ids → openalex; '{' with "authors_parsed" → arxiv (the
    snapshot); '[' or '{' with Crossref's keys ("DOI" with "container-title",
    "message-type", …) → crossref; '<' with an OAI-PMH root → arxiv-oai; '@' (or a BibTeX
    entry after leading comments) → bibtex. Raises FormatUnknown saying what the file looked like.
    """
    with open(path, "rb") as fh:
        head = fh.read(SNIFF_BYTES)
    return sniff_format(head)


def sniff_format(head: bytes) -> str:
    if head.startswith(GZIP_MAGIC):
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, SNIFF_BYTES)
        except zlib.error as exc:
            raise FormatUnknown(f"the file looks gzipped but does not decompress ({exc})") from exc
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff \t\r\n")
    first = text[:1]
    if first in ("[", "{"):
        if first == "{" and '"authors_parsed"' in text:
            return "arxiv"
        if _CROSSREF_KEY.search(text) and ('"DOI"' in text or '"message-type"' in text):
            return "crossref"
        if _OPENALEX_ID.search(text):
            return "openalex"
        raise FormatUnknown(
            "JSON, but neither OpenAlex records (ids https://openalex.org/…), Crossref works "
            '("DOI", "container-title", …) nor the arXiv snapshot (authors_parsed) in its '
            "first records"
        )
    if first == "<":
        if "OAI-PMH" in text[:4096]:
            return "arxiv-oai"
        raise FormatUnknown("XML, but not an OAI-PMH response")
    if first == "@" or _BIBTEX_ENTRY.search(text):
        return "bibtex"
    if "\x00" in text:
        raise FormatUnknown("binary data (NUL bytes), not a text format")
    raise FormatUnknown(
        f"unrecognised content starting {text[:40]!r}; expected JSON, JSON Lines, "
        "OAI-PMH XML or BibTeX"
    )


def _detected_format(path: Path) -> str:
    try:
        return detect_format(path)
    except FormatUnknown as exc:
        raise ImportFailed(
            [RecordError(1, 0, f"cannot tell the format: {exc}", field="format")]
        ) from exc


# --- batches -------------------------------------------------------------------------------

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
    return {
        "records_read": live["records_read"] if live else batch.records_read,
        "running": batch.status in (ImportBatch.Status.PENDING, ImportBatch.Status.RUNNING),
    }


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
    fields = ["status", "format", "records_read", "counts", "errors", "finished_at"]
    try:
        if batch.format == AUTO:
            batch.format = _detected_format(path)
        result = works_import(
            path=path,
            format=batch.format,
            skip_bad=batch.skip_bad,
            batch=batch,
            progress=reporter,
        )
    except ImportFailed as exc:
        batch.status, batch.errors = ImportBatch.Status.FAILED, [e.as_dict() for e in exc.errors]
        batch.records_read, batch.finished_at = reporter.records, timezone.now()
        batch.save(update_fields=fields)
        raise
    except Exception as exc:
        # Not the file's fault (a lost database, a missing upload): still never left "running".
        message = f"the import stopped: {type(exc).__name__}: {exc}"
        batch.status, batch.errors = (
            ImportBatch.Status.FAILED,
            [RecordError(0, 0, message).as_dict()],
        )
        batch.records_read, batch.finished_at = reporter.records, timezone.now()
        batch.save(update_fields=fields)
        raise
    finally:
        cache.delete(_progress_key(batch.pk))
    batch.status = ImportBatch.Status.SUCCEEDED
    batch.records_read = result.records_read
    batch.counts = result.counts.as_dict() | {
        "skipped": len(result.skipped),
        "duplicates_found": result.duplicates,
        "warnings": [w.as_dict() for w in result.warnings[:WARNINGS_KEPT]],
        "warnings_total": len(result.warnings),
    }
    batch.errors = [e.as_dict() for e in result.skipped]
    batch.finished_at = timezone.now()
    batch.save(update_fields=fields)
    return result


# --- likely duplicate works ----------------------------------------------------------------

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


def work_duplicates_merge(*, candidate: DuplicateWorkCandidate, user) -> Work:
    """Merges a likely duplicate pair into the older work (the lower pk, created first).

    The newer work's authorships move to the older one unless the same author (or, for a
    byline slot without an author, the same normalised name) is already on it, where they
    only fill in a missing author link; its topics move unless already there; its DOI, arXiv
    and OpenAlex ids go to the kept work where that has none, so a later import of the
    removed record finds the kept work. The removed work is then deleted, and the candidate
    records what it was.
    """
    with transaction.atomic():
        candidate = DuplicateWorkCandidate.objects.select_for_update().get(pk=candidate.pk)
        if candidate.status != DuplicateWorkCandidate.Status.OPEN or candidate.work_b_id is None:
            raise DuplicateDecided(f"duplicate candidate {candidate.pk} is {candidate.status}")
        works = {
            w.pk: w
            for w in Work.objects.select_for_update().filter(
                pk__in=[candidate.work_a_id, candidate.work_b_id]
            )
        }
        kept, removed = works[min(works)], works[max(works)]
        touched = _move_authorships(kept, removed)
        kept_topics = set(kept.work_topics.values_list("topic_id", flat=True))
        WorkTopic.objects.filter(work=removed).exclude(topic_id__in=kept_topics).update(work=kept)
        taken = {
            f: getattr(removed, f)
            for f in _WORK_IDS
            if getattr(removed, f) and not getattr(kept, f)
        }
        candidate.removed_work = {
            "pk": removed.pk,
            "title": removed.title,
            "year": removed.year,
            "source": removed.source,
            **{f: getattr(removed, f) for f in _WORK_IDS},
        }
        candidate.work_b = None  # keeps the decision when the removed work is deleted
        candidate.status = DuplicateWorkCandidate.Status.MERGED
        candidate.decided_by, candidate.decided_at = user, timezone.now()
        candidate.save()
        removed.delete()
        if taken:
            for name, value in taken.items():
                setattr(kept, name, value)
            kept.save(update_fields=[*taken, "updated_at"])
        authors_changed_announce(touched, why=Why.WORKS, sender=work_duplicates_merge)
    return kept


def _byline_key(row: Authorship) -> str:
    return normalize_name(row.author.display_name if row.author else row.raw_author_name)


def _move_authorships(kept: Work, removed: Work) -> set[int]:
    rows = list(kept.authorships.select_related("author"))
    by_author = {r.author_id for r in rows if r.author_id}
    by_name = {_byline_key(r): r for r in rows}
    position = max((r.position for r in rows), default=-1) + 1
    touched = set(by_author)
    for row in removed.authorships.select_related("author").order_by("position"):
        if row.author_id:
            touched.add(row.author_id)
        same = by_name.get(_byline_key(row))
        if row.author_id in by_author or same is not None:
            if same is not None and same.author_id is None and row.author_id not in by_author:
                same.author_id = row.author_id
                same.save(update_fields=["author"])
                by_author.add(row.author_id)
            continue
        Authorship.objects.filter(pk=row.pk).update(work=kept, position=position)
        position += 1
        if row.author_id:
            by_author.add(row.author_id)
    return touched


def work_duplicates_dismiss(*, candidate: DuplicateWorkCandidate, user) -> None:
    """Marks a pair as not duplicates; it is never queued again."""
    updated = DuplicateWorkCandidate.objects.filter(
        pk=candidate.pk, status=DuplicateWorkCandidate.Status.OPEN
    ).update(
        status=DuplicateWorkCandidate.Status.DISMISSED, decided_by=user, decided_at=timezone.now()
    )
    if not updated:
        raise DuplicateDecided(f"duplicate candidate {candidate.pk} was decided already")


class BatchUndoRefused(Exception):
    """The batch cannot be undone (not finished, already undone, or later changes)."""


@transaction.atomic
def import_batch_undo(*, batch: ImportBatch, user) -> UndoResult:
    """Rolls a finished batch back in one transaction (the rules: works/undo.py).

    Rows it created are deleted, fields it changed get their previous values, bylines and
    topic lists it replaced come back with their original rows. Refused when a later batch
    changed the same rows or something outside the batch uses a row it created. The batch
    is marked undone; the authors it touched get their trust recomputed after commit.
    """
    import_lock()  # no import writes while the batch is taken apart
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status != ImportBatch.Status.SUCCEEDED:
        raise BatchUndoRefused(
            f"only a succeeded batch can be undone; this one is {batch.get_status_display()}"
        )
    plan = undo_plan(batch)
    if problems := undo_conflicts(batch, plan):
        raise BatchUndoRefused("cannot undo this batch: " + "; ".join(problems))
    result = undo_apply(plan)
    batch.status = ImportBatch.Status.UNDONE
    batch.undone_at = timezone.now()
    batch.undone_by = user
    batch.save(update_fields=["status", "undone_at", "undone_by"])
    logger.info("import batch %s undone by %s: %s", batch.pk, user, result.summary())
    authors_changed_announce(result.touched_author_ids, why=Why.WORKS, sender=import_batch_undo)
    return result
