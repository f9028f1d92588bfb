"""Import throughput: OpenAlex JSON Lines → works_import, beside raw COPY of the same rows.

The file: the 195 works of the real OpenAlex sample (works/fixtures/openalex/
rag_works_sample.json.gz) replicated to BENCH_IMPORT_WORKS (default 100,000) works in a
temp dir, JSON Lines, uncompressed. Copy 0 is the sample as it is; copy c gets new OpenAlex
work ids (W9…), DOIs (suffix ".c<c>", arXiv DOIs and arXiv landing pages a new arXiv id)
and titles prefixed "Copy <c>:" (otherwise every copy would be a likely duplicate of the
others and the duplicate finder would dominate). Authors are reused across copies with a
fixed scheme: copies c and c' share an author when c // AUTHOR_REUSE == c' // AUTHOR_REUSE,
so every author has about AUTHOR_REUSE times its sample works, with the same co-authors;
authors with an ORCID get a new valid one per group. Institutions, venues and concepts
(→ topics) keep their ids: shared by every copy, as in real data.

Measured in child processes on their own database (BENCH_IMPORT_DATABASE_URL, default
bzpeer_importbench, created and dropped here), every run starting from an empty, migrated
database, with an ImportBatch (so the undo log is written, as in the admin):
- end to end: works_import(path=…, format="openalex", batch=…) — read, parse, load,
  duplicate check, dirty marks, commit — in a fresh process per run; its peak RSS
  (getrusage ru_maxrss) for the full file and for a quarter of it: flat means the import
  streams;
- database stage, in the same run: the time inside load_records minus the time spent
  reading and parsing the records it consumed (the stages interleave chunk by chunk), plus
  the deferred foreign key checks of what it wrote (fired right after it, not at commit);
- database stage alone, when the budget allows: the quarter file's records parsed
  beforehand (untimed) → load_records in one transaction, commit included;
- reference: the work rows the import wrote (every column but the id, read back with
  COPY TO into memory) COPY'd FROM memory into a bare table (`LIKE works_work`: no
  indexes, no constraints but NOT NULL), logged like the real tables, commit included; an
  UNLOGGED one as well, for information;
- beside it, for information: raw COPY of every row of every table the import wrote (about
  25 a work: authors, bylines, their institution links, work topics, the undo log, dirty
  marks) into bare tables, and reading + JSON-decoding the file with nothing else, the
  floor under any importer written in Python.
BENCH_IMPORT_BUDGET (default 210 s) bounds the runs after the first of each size.

The staged pipeline (works.imports.staged), in the same run on the same file: prepare
(the parts: BENCH_IMPORT_PARTS byte ranges, default 8), stage them in BENCH_IMPORT_WORKERS
spawned processes (default 2), merge (commit included), each timed, against raw COPY of
every row it wrote, measured after it; the staging alone with one worker (in process) as
the reference for the workers; its merge process's peak RSS for the full file and a quarter
(and the stage workers', from RUSAGE_CHILDREN). Its own BENCH_IMPORT_BUDGET for more runs.
BENCH_IMPORT_PATHS chooses: loader, staged (default both).
Celery is not eager and has no broker (memory://): the trust kick is enqueued, not run.

Past 500 lines on purpose: the parent and the child processes it starts run the same file
(`child_main`), so the whole protocol (file, children, references, rows) stays one module.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bench.core import ROOT, Context, Row, median

SAMPLE = ROOT / "works" / "fixtures" / "openalex" / "rag_works_sample.json.gz"
DEFAULT_WORKS = 100_000
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/bzpeer_importbench"
AUTHOR_REUSE = 4
# Seconds this measure aims to take after generating the files: fewer runs than --repeat
# when the runs are slow (each row says how many it took the median of).
BUDGET = float(os.environ.get("BENCH_IMPORT_BUDGET", 210))
OA = "https://openalex.org/"
# new ids live far above real OpenAlex ones
WORK_ID_BASE = 9_000_000_000_000
AUTHOR_ID_BASE = 9_500_000_000_000
CHILD_TIMEOUT = 900
# the staged pipeline: parts of the file, and the stage workers (one is the reference)
DEFAULT_PARTS = int(os.environ.get("BENCH_IMPORT_PARTS", 8))
DEFAULT_WORKERS = int(os.environ.get("BENCH_IMPORT_WORKERS", 2))
# which importers to measure: the whole-file loader (works_import), the staged pipeline
PATHS = ("loader", "staged")


# --- the file ------------------------------------------------------------------------------


def _orcid(n: int) -> str:
    """A valid ORCID (ISO 7064 11-2 check character) numbered n, in a range no one holds."""
    base = f"0009{n:011d}"
    total = 0
    for char in base:
        total = (total + int(char)) * 2
    check = (12 - total % 11) % 11
    digits = base + ("X" if check == 10 else str(check))
    return "-".join(digits[i : i + 4] for i in range(0, 16, 4))


class _Template:
    """One sample record as compact JSON split around the values each copy rewrites."""

    def __init__(self, record: dict, index: int, author_numbers: dict[str, int]) -> None:
        from works.imports.sources import ids

        self.index = index
        self.title = record.get("title") or record.get("display_name") or ""
        text = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        slots: dict[str, tuple] = {}  # exact text -> (kind, argument)
        slots[json.dumps(f"{OA}{ids.openalex_id(record['id'])}")] = ("work", None)
        if self.title:
            slots[json.dumps(self.title, ensure_ascii=False)] = ("title", None)
        doi = ids.normalize_doi(record.get("doi"))
        arxiv = None
        location = record.get("primary_location") or {}
        arxiv_doi = bool(doi and doi.startswith("10.48550/arxiv."))
        for candidate in (doi, location.get("landing_page_url")):
            if candidate and (arxiv_doi or "arxiv.org/" in candidate):
                arxiv = arxiv or ids.arxiv_id_from(candidate)
        if arxiv:
            slots[arxiv] = ("arxiv", None)
        if doi and not doi.startswith("10.48550/arxiv."):
            slots[json.dumps(record["doi"])] = ("doi", record["doi"])
        for authorship in record.get("authorships") or []:
            author = authorship.get("author") or {}
            if author.get("id"):
                number = author_numbers.setdefault(author["id"], len(author_numbers))
                slots[json.dumps(author["id"])] = ("author", number)
                if author.get("orcid"):
                    slots[json.dumps(author["orcid"])] = ("orcid", number)
        self.pieces: list[str] = []
        self.kinds: list[tuple] = []
        position = 0
        while True:
            hits = [(text.find(s, position), s) for s in slots]
            hits = [(at, s) for at, s in hits if at >= 0]
            if not hits:
                break
            at, found = min(hits)
            self.pieces.append(text[position:at])
            self.kinds.append((*slots[found], found))
            position = at + len(found)
        self.pieces.append(text[position:])
        self.has_arxiv = bool(arxiv)

    def render(self, copy: int, arxiv_number: int) -> str:
        if copy == 0:
            return (
                "".join(p + k[2] for p, k in zip(self.pieces, self.kinds, strict=False))
                + (self.pieces[-1])
            )
        group = copy // AUTHOR_REUSE
        out = []
        for piece, (kind, argument, original) in zip(self.pieces, self.kinds, strict=False):
            out.append(piece)
            if kind == "work":
                out.append(f'"{OA}W{WORK_ID_BASE + copy * 1000 + self.index}"')
            elif kind == "title":
                out.append(json.dumps(f"Copy {copy}: {self.title}", ensure_ascii=False))
            elif kind == "doi":
                out.append(json.dumps(f"{argument}.c{copy}"))
            elif kind == "arxiv":
                out.append(f"{9000 + copy // 1000:04d}.{(copy % 1000) * 100 + arxiv_number:05d}")
            elif group == 0:
                out.append(original)
            elif kind == "author":
                out.append(f'"{OA}A{AUTHOR_ID_BASE + group * 10_000 + argument}"')
            else:  # orcid
                out.append(f'"https://orcid.org/{_orcid(group * 10_000 + argument)}"')
        out.append(self.pieces[-1])
        return "".join(out)


def file_generate(path: Path, works: int) -> dict:
    """Writes `works` works as JSON Lines; returns facts about the file."""
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as fh:
        sample = json.load(fh)
    author_numbers: dict[str, int] = {}
    templates = [_Template(r, i, author_numbers) for i, r in enumerate(sample)]
    arxiv_numbers = {}
    for t in templates:
        if t.has_arxiv:
            arxiv_numbers[t.index] = len(arxiv_numbers)
    written = 0
    with open(path, "w", encoding="utf-8") as out:
        copy = 0
        while written < works:
            lines = []
            for t in templates[: works - written]:
                lines.append(t.render(copy, arxiv_numbers.get(t.index, 0)))
            out.write("\n".join(lines) + "\n")
            written += len(lines)
            copy += 1
    return {"works": written, "bytes": path.stat().st_size, "copies": copy}


# --- the child process (its own database, its own peak RSS) -------------------------------


def _child_setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    # as a worker runs it: no DEBUG query log (it keeps every statement's text)
    os.environ["DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bzpeer.settings"
    os.environ.setdefault("SECRET_KEY", "bench-imports")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _reset() -> None:
    """Empties every table an import writes (and what refers to them): a fresh database."""
    from django.db import connection

    keep = {"django_migrations", "django_content_type", "auth_permission"}
    tables = connection.introspection.django_table_names(only_existing=True)
    tables = [t for t in tables if t not in keep]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
        )
        cursor.execute("CHECKPOINT")


def _new_batch(path: Path):
    from works.models import ImportBatch

    return ImportBatch.objects.create(
        format="openalex", file_name=path.name, status=ImportBatch.Status.RUNNING
    )


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_e2e(path: Path, copy_repeat: int) -> dict:
    """works_import of the file; the time its loader spent beside the time spent reading and
    parsing (the stages interleave chunk by chunk); then raw COPY of the same work rows."""
    from django.db import connection

    from works.imports import run

    _reset()
    batch = _new_batch(path)
    baseline = _rss_mib()
    stages = {"parse": 0.0, "load": 0.0}
    parsed_records, load_records = run._parsed_records, run.load_records

    def timed_records(*args, **kwargs):
        iterator = parsed_records(*args, **kwargs)
        while True:
            started = time.perf_counter()
            record = next(iterator, None)
            stages["parse"] += time.perf_counter() - started
            if record is None:
                return
            yield record

    def timed_load(*args, **kwargs):
        started = time.perf_counter()
        counts = load_records(*args, **kwargs)
        # the deferred foreign key checks of the rows it wrote belong to the stage too: run
        # them now rather than in the commit (when they run, not what they check)
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        stages["load"] += time.perf_counter() - started
        return counts

    # instrumentation only: the same functions, timed
    run._parsed_records, run.load_records = timed_records, timed_load
    started = time.perf_counter()
    result = run.works_import(path=path, format="openalex", batch=batch)
    seconds = time.perf_counter() - started
    peak = _rss_mib()
    copies, unlogged, copy_bytes, every_row = _copy_references(copy_repeat)
    return {
        "seconds": seconds,
        "parse_seconds": stages["parse"],
        "db_seconds": stages["load"] - stages["parse"],
        "after_load_seconds": seconds - stages["load"],
        "works": result.counts.created["works"],
        "summary": result.summary(),
        "rss_baseline_mib": baseline,
        "rss_peak_mib": peak,
        "copy_seconds": copies,
        "copy_unlogged_seconds": unlogged,
        "copy_bytes": copy_bytes,
        "copy_every_row_seconds": every_row,
        "rows_written": _rows_written(),
        "decode_seconds": _decode_only(path) if copy_repeat else None,
    }


def _rows_written() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = []
        for table in IMPORTED_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts.append(cursor.fetchone()[0])
    return sum(counts)


def _decode_only(path: Path) -> float:
    """Reading and decoding every line of the file, nothing else: what any Python importer of
    it costs at least (json as the reader uses it; the collector off, as the loader runs)."""
    import gc

    decode = json.JSONDecoder().decode
    gc.disable()
    try:
        started = time.perf_counter()
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                decode(line)
        return time.perf_counter() - started
    finally:
        gc.enable()


def _copy_references(repeat: int) -> tuple[list[float], list[float], int, list[float]]:
    """Raw COPY of the work rows now in the database (every column but the id, read into
    memory with COPY TO), into a bare logged table and a bare unlogged one, `repeat` times;
    and of every row of every table the import wrote, into bare logged tables, as often."""
    if not repeat:
        return [], [], 0, []
    rows = {table: _table_text(table) for table in IMPORTED_TABLES}
    works, columns = rows["works_work"]
    copies = [_copy_reference(works, columns, "works_work", unlogged=False) for _ in range(repeat)]
    unlogged = [_copy_reference(works, columns, "works_work", unlogged=True) for _ in range(repeat)]
    every_row = [
        sum(
            _copy_reference(text, cols, table, unlogged=False)
            for table, (text, cols) in rows.items()
        )
        for _ in range(repeat)
    ]
    return copies, unlogged, len(works), every_row


# Every table an OpenAlex works import writes rows to (ImportBatch aside: one row).
IMPORTED_TABLES = (
    "works_work",
    "profiles_author",
    "works_authorship",
    "works_authorship_institutions",
    "works_worktopic",
    "works_batchchange",
    "profiles_dirtyauthor",
)

COLUMNS_SQL = """
    SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
    WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped AND attname <> 'id'
"""


def _table_text(table: str) -> tuple[bytes, str]:
    """A table's rows (every column but the id) as COPY text in memory, and the columns."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(COLUMNS_SQL, [table])
        columns = cursor.fetchone()[0]
        buffer = bytearray()
        with cursor.copy(f"COPY (SELECT {columns} FROM {table}) TO STDOUT") as copy:
            for block in copy:
                buffer += block
    return bytes(buffer), columns


def _copy_reference(rows: bytes, columns: str, table: str, *, unlogged: bool) -> float:
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_copy")
        kind = "UNLOGGED TABLE" if unlogged else "TABLE"
        cursor.execute(
            f"CREATE {kind} bench_copy (LIKE {table} INCLUDING DEFAULTS INCLUDING IDENTITY)"
        )
        cursor.execute("CHECKPOINT")
        started = time.perf_counter()
        with (
            transaction.atomic(),
            cursor.copy(f"COPY bench_copy ({columns}) FROM STDIN") as copy,
        ):
            view = memoryview(rows)
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start : start + (1 << 20)])
        seconds = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_copy")
    return seconds


def child_db(path: Path, repeat: int, budget: float) -> dict:
    from django.db import transaction

    from works.imports.loader import load_records
    from works.imports.sources import openalex

    started = time.perf_counter()
    records = [openalex.parse(raw) for raw in openalex.read(path)]
    parse_seconds = time.perf_counter() - started
    loads = []
    deadline = time.monotonic() + budget
    for _ in range(repeat):
        if loads and time.monotonic() + loads[-1] * 1.2 > deadline:
            break  # out of budget: fewer runs (the row says how many)
        _reset()
        batch = _new_batch(path)
        started = time.perf_counter()
        with transaction.atomic():
            counts = load_records(records, source=openalex.FORMAT, batch=batch)
        loads.append(time.perf_counter() - started)
    copies, unlogged, copy_bytes, _ = _copy_references(len(loads))
    return {
        "works": len(records),
        "created": counts.created["works"],
        "summary": counts.summary(),
        "parse_seconds": parse_seconds,
        "load_seconds": loads,
        "copy_seconds": copies,
        "copy_unlogged_seconds": unlogged,
        "copy_bytes": copy_bytes,
    }


def child_staged(path: Path, parts: int, workers: int, copy_repeat: int, merge: bool) -> dict:
    """The staged pipeline on the file: prepare (plan the parts), stage them in `workers`
    processes, merge (commit included); each stage timed; the merge's load_records timed
    with the deferred foreign key checks of what it wrote, as in child_e2e. Then, when
    copy_repeat, raw COPY of every row it wrote. merge=False: prepare and stage only."""
    from django.db import connection

    from works.imports.staged import (
        merge as merge_module,
    )
    from works.imports.staged import (
        parts_stage_local,
        staged_batch_merge,
        staged_batch_prepare,
    )
    from works.models import ImportBatch, ImportPart

    _reset()
    batch = ImportBatch.objects.create(format="openalex", file_name=path.name)
    baseline = _rss_mib()
    started = time.perf_counter()
    planned = staged_batch_prepare(batch, path, parts=parts)
    prepared = time.perf_counter()
    rss_prepare = _rss_mib()
    cpu = _cpu_seconds()
    with _ChildrenPeak() as workers_peak:
        parts_stage_local(batch, workers=workers)
    staged = time.perf_counter()
    cpu = [after - before for after, before in zip(_cpu_seconds(), cpu, strict=True)]
    statuses = set(batch.parts.values_list("status", flat=True))
    if statuses != {ImportPart.Status.STAGED}:
        raise RuntimeError(f"staged bench: parts not all staged: {statuses}")
    out = {
        "parts": len(planned),
        "workers": workers,
        "prepare_seconds": prepared - started,
        "stage_seconds": staged - prepared,
        "rss_baseline_mib": baseline,
        "rss_prepare_mib": rss_prepare,
        # CPU seconds of the staging: this process (one worker), its workers, its backend
        "stage_cpu_seconds": cpu,  # peak so far: after planning the parts
        "rss_workers_peak_mib": workers_peak.mib,  # 0 with one worker: staged here
        "works": sum(batch.parts.values_list("records", flat=True)),
    }
    if not merge:
        out["rss_peak_mib"] = _rss_mib()
        return out
    load = {"seconds": 0.0}
    load_records = merge_module.load_records

    def timed_load(*args, **kwargs):
        began = time.perf_counter()
        counts = load_records(*args, **kwargs)
        with connection.cursor() as cursor:  # the deferred FK checks, now (see child_e2e)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        load["seconds"] += time.perf_counter() - began
        load["rss_mib"] = _rss_mib()
        return counts

    merge_module.load_records = timed_load  # instrumentation only: the same function, timed
    began = time.perf_counter()
    result = staged_batch_merge(batch)
    finished = time.perf_counter()
    peak = _rss_mib()  # before the references read every row into memory
    copies, unlogged, copy_bytes, every_row = _copy_references(copy_repeat)
    return out | {
        "merge_seconds": finished - began,
        "merge_load_seconds": load["seconds"],
        "seconds": finished - started,
        "works": result.counts.created["works"],
        "summary": result.summary(),
        "rss_peak_mib": peak,
        "rss_load_mib": load["rss_mib"],  # peak after load_records (before the rest)
        "copy_seconds": copies,
        "copy_every_row_seconds": every_row,
        "rows_written": _rows_written(),
    }


class _ChildrenPeak:
    """The largest peak RSS (VmHWM) of this process's children while it is entered, polled
    from /proc. Not RUSAGE_CHILDREN: a spawned child's ru_maxrss keeps the RSS of the fork
    it was exec'd from, this process's own peak."""

    def __init__(self, every: float = 0.2) -> None:
        import threading

        self.every, self.mib, self.peaks = every, 0.0, {}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._poll, daemon=True)

    def __enter__(self) -> _ChildrenPeak:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.done.set()
        self.thread.join()
        self.mib = max(self.peaks.values(), default=0) / 1024

    def _poll(self) -> None:
        me = str(os.getpid())
        while not self.done.wait(self.every):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] != me:
                        continue
                    status = (stat.parent / "status").read_text()
                except (OSError, IndexError):
                    continue  # gone meanwhile
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        kib = int(line.split()[1])
                        self.peaks[stat.parent.name] = max(self.peaks.get(stat.parent.name, 0), kib)


def _cpu_seconds() -> tuple[float, float, float]:
    """User + system CPU seconds of this process, of its reaped children, and of its
    database backend (/proc: the server is on this machine)."""
    from django.db import connection

    me, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        backend = 0.0
    return me.ru_utime + me.ru_stime, children.ru_utime + children.ru_stime, backend


def child_main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["migrate", "e2e", "db", "staged"])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--budget", type=float, default=float("inf"), help="seconds (db)")
    parser.add_argument("--parts", type=int, default=DEFAULT_PARTS, help="(staged)")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, help="(staged)")
    parser.add_argument("--stage-only", action="store_true", help="(staged) no merge")
    args = parser.parse_args(argv)
    _child_setup(args.database_url)
    if args.mode == "migrate":
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        out = {}
    elif args.mode == "e2e":
        out = child_e2e(args.file, args.repeat)
    elif args.mode == "staged":
        out = child_staged(
            args.file, args.parts, args.workers, args.repeat, merge=not args.stage_only
        )
    else:
        out = child_db(args.file, args.repeat, args.budget)
    print(json.dumps(out))


def _child(mode: str, database_url: str, *args: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    process = subprocess.run(
        [sys.executable, "-m", "bench.measures.imports", mode, "--database-url", database_url,
         *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT,
    )  # fmt: skip
    if process.returncode != 0:
        raise RuntimeError(f"imports bench child {mode} failed:\n{process.stderr[-4000:]}")
    return json.loads(process.stdout.strip().splitlines()[-1])


# --- the database ------------------------------------------------------------------------


def _admin(url: str):
    import psycopg

    parts = urlsplit(url)
    return psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True)


def database_create(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_drop(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    with _admin(url) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


# --- the measure ---------------------------------------------------------------------------


class Imports:
    name = "imports"
    order = 50

    def run(self, ctx: Context) -> list[Row]:
        works = int(os.environ.get("BENCH_IMPORT_WORKS", DEFAULT_WORKS))
        small_works = works // 4
        database_url = os.environ.get("BENCH_IMPORT_DATABASE_URL", DEFAULT_DATABASE_URL)
        if urlsplit(database_url).path.lstrip("/") in ("bzpeer_bench", "bzpeer"):
            raise RuntimeError("the import bench drops its database: give it its own")
        paths = os.environ.get("BENCH_IMPORT_PATHS", ",".join(PATHS)).split(",")
        if unknown := set(paths) - set(PATHS):
            raise ValueError(f"BENCH_IMPORT_PATHS: unknown {sorted(unknown)}; known {PATHS}")
        tmp = Path(tempfile.mkdtemp(prefix="bzpeer-importbench-"))
        rows: list[Row] = []
        try:
            big, small = tmp / f"works-{works}.jsonl", tmp / f"works-{small_works}.jsonl"
            started = time.perf_counter()
            facts = file_generate(big, works)
            file_generate(small, small_works)
            ctx.log(
                f"  generated {facts['works']:,} works ({facts['bytes'] / 2**20:,.0f} MiB) "
                f"in {time.perf_counter() - started:.0f} s"
            )
            database_create(database_url)
            _child("migrate", database_url)
            if "loader" in paths:
                rows += self.loader_rows(ctx, database_url, big, small, facts)
            if "staged" in paths:
                rows += self.staged_rows(ctx, database_url, big, small, facts)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            database_drop(database_url)
        return rows

    def loader_rows(self, ctx, database_url, big, small, facts) -> list[Row]:
        deadline = time.monotonic() + BUDGET
        copies = str(ctx.repeat)
        e2e = [_child("e2e", database_url, "--file", str(big), "--repeat", copies)]
        quarter = _child("e2e", database_url, "--file", str(small), "--repeat", "0")
        while len(e2e) < ctx.repeat and time.monotonic() + e2e[0]["seconds"] < deadline:
            e2e.append(_child("e2e", database_url, "--file", str(big), "--repeat", "0"))
        ctx.log(f"  end to end: {[round(r['seconds'], 1) for r in e2e]} s")
        db = None
        # the database stage alone, on pre-parsed records (the quarter file): when the
        # budget allows (it costs a parse and a load)
        if time.monotonic() + quarter["seconds"] * 1.5 < deadline:
            budget = max(deadline - time.monotonic(), 0)
            db = _child(
                "db", database_url, "--file", str(small), "--repeat", str(ctx.repeat),
                "--budget", str(budget),
            )  # fmt: skip
            ctx.log(f"  database stage alone: {[round(s, 1) for s in db['load_seconds']]} s")
        return rows_from(facts["works"], facts["works"] // 4, facts, e2e, quarter, db)

    def staged_rows(self, ctx, database_url, big, small, facts) -> list[Row]:
        """The staged pipeline: W workers end to end (with its own COPY references), the
        staging alone with one worker (the reference for W), the quarter file for memory;
        more runs of the first two, in turn, while BENCH_IMPORT_BUDGET allows."""
        deadline = time.monotonic() + BUDGET

        def staged(path: Path, *args: str) -> dict:
            return _child(
                "staged", database_url, "--file", str(path), "--parts", str(DEFAULT_PARTS),
                *args,
            )  # fmt: skip

        workers = str(DEFAULT_WORKERS)
        runs = [staged(big, "--workers", workers, "--repeat", str(ctx.repeat))]
        ones = [staged(big, "--workers", "1", "--stage-only")]
        quarter = staged(small, "--workers", workers, "--repeat", "0")
        while len(runs) < ctx.repeat and time.monotonic() + runs[0]["seconds"] * 1.5 < deadline:
            runs.append(staged(big, "--workers", workers, "--repeat", "0"))
            ones.append(staged(big, "--workers", "1", "--stage-only"))
        ctx.log(
            f"  staged end to end: {[round(r['seconds'], 1) for r in runs]} s; staging with "
            f"1 worker {[round(r['stage_seconds'], 1) for r in ones]} s, with {workers} "
            f"{[round(r['stage_seconds'], 1) for r in runs]} s"
        )
        return staged_rows_from(facts, runs, ones, quarter)


def rows_from(works, small_works, facts, e2e, quarter, db) -> list[Row]:
    first = e2e[0]
    n = first["works"]
    copy_rate = median([n / s for s in first["copy_seconds"]])
    unlogged_rate = median([n / s for s in first["copy_unlogged_seconds"]])
    e2e_rate = median([r["works"] / r["seconds"] for r in e2e])
    db_rate = median([r["works"] / r["db_seconds"] for r in e2e])
    parse_rate = median([r["works"] / r["parse_seconds"] for r in e2e])
    peak_big = median([r["rss_peak_mib"] for r in e2e])
    peak_small = quarter["rss_peak_mib"]
    name = "imports"
    mib = facts["bytes"] / 2**20
    reference = "raw COPY of the same work rows, bare logged table"
    runs = f"median of {len(e2e)} run{'s' if len(e2e) > 1 else ''}"
    after = median([r["after_load_seconds"] for r in e2e])
    every_row_rate = median([n / s for s in first["copy_every_row_seconds"]])
    per_work = first["rows_written"] / n
    every_row_label = f"raw COPY of every row it wrote ({per_work:.0f} a work), bare tables"
    decode_rate = n / first["decode_seconds"]
    rows = [
        Row(name, f"end to end: {works:,}-work JSON Lines ({mib:,.0f} MiB) → works_import",
            e2e_rate, "works/s", reference=copy_rate, reference_label=reference,
            goal="≥ 0.25×", ok=e2e_rate / copy_rate >= 0.25,
            note=f"{runs}; duplicate check + dirty marks + commit {after:.0f} s"),
        Row(name, "database stage of that import (load_records minus read + parse)", db_rate,
            "works/s", reference=copy_rate, reference_label=reference, goal="≥ 0.50×",
            ok=db_rate / copy_rate >= 0.5, note=runs),
        Row(name, "read + parse stage of that import", parse_rate, "works/s", note=runs),
        Row(name, "end to end, against every row the import wrote", e2e_rate, "works/s",
            reference=every_row_rate, reference_label=every_row_label, note=runs),
        Row(name, "database stage, against every row the import wrote", db_rate, "works/s",
            reference=every_row_rate, reference_label=every_row_label, note=runs),
        Row(name, "read + JSON decode of the file alone (no parse, no database)", decode_rate,
            "works/s", reference=copy_rate, reference_label=reference,
            note="the floor under any Python importer of this file, on one core"),
        Row(name, "raw COPY of the work rows into a bare UNLOGGED table", unlogged_rate,
            "works/s", note=f"{first['copy_bytes'] / 2**20:,.0f} MiB of COPY text; median of "
            f"{len(first['copy_seconds'])}"),
        Row(name, f"end to end: {small_works:,} works", quarter["works"] / quarter["seconds"],
            "works/s", note="one run"),
        Row(name, f"end to end peak RSS, {works:,} works", peak_big, "MiB",
            reference=peak_small, reference_label=f"{small_works:,} works",
            goal="≤ 1.25× (flat)", ok=peak_big / peak_small <= 1.25,
            note=f"ru_maxrss of the import's process; {first['rss_baseline_mib']:.0f} MiB "
            "after setup"),
    ]  # fmt: skip
    if db:
        load_rate = median([db["works"] / s for s in db["load_seconds"]])
        small_copy = median([db["works"] / s for s in db["copy_seconds"]])
        rows.append(
            Row(name, f"database stage alone: {db['works']:,} pre-parsed works → load_records",
                load_rate, "works/s", reference=small_copy, reference_label=reference,
                goal="≥ 0.50×", ok=load_rate / small_copy >= 0.5,
                note=f"median of {len(db['load_seconds'])}")
        )  # fmt: skip
    return rows


def staged_rows_from(facts, runs, ones, quarter) -> list[Row]:
    first = runs[0]
    n, parts, workers = first["works"], first["parts"], first["workers"]
    name = "imports"
    mib = facts["bytes"] / 2**20
    every_row_rate = median([n / s for s in first["copy_every_row_seconds"]])
    per_work = first["rows_written"] / n
    every_row_label = f"raw COPY of every row it wrote ({per_work:.0f} a work), bare tables"
    runs_note = f"median of {len(runs)} run{'s' if len(runs) > 1 else ''}"
    e2e_rate = median([r["works"] / r["seconds"] for r in runs])
    merge_rate = median([r["works"] / r["merge_seconds"] for r in runs])
    stage_rate = median([r["works"] / r["stage_seconds"] for r in runs])
    one_rate = median([r["works"] / r["stage_seconds"] for r in ones])
    split = "prepare {:.1f} s / stage {:.1f} s / merge {:.1f} s".format(
        *(median([r[k] for r in runs]) for k in ("prepare_seconds", "stage_seconds",
                                                  "merge_seconds"))
    )  # fmt: skip
    load = median([r["merge_load_seconds"] for r in runs])
    after = median([r["merge_seconds"] - r["merge_load_seconds"] for r in runs])
    peak_big = median([r["rss_peak_mib"] for r in runs])
    peak_small = quarter["rss_peak_mib"]
    workers_big = max(r["rss_workers_peak_mib"] for r in runs)
    return [
        Row(name, f"staged end to end: {n:,} works ({mib:,.0f} MiB), {parts} parts, "
            f"{workers} workers", e2e_rate, "works/s", reference=every_row_rate,
            reference_label=every_row_label, goal="≥ 0.20×", ok=e2e_rate / every_row_rate >= 0.2,
            note=f"{runs_note}; {split}"),
        Row(name, "staged database stage (merge: staged rows → tables, commit incl. FK "
            "checks)", merge_rate, "works/s", reference=every_row_rate,
            reference_label=every_row_label, goal="≥ 0.30×", ok=merge_rate / every_row_rate >= 0.3,
            note=f"{runs_note}; load_records + FK checks {load:.1f} s, duplicate check + "
            f"staged rows deleted + commit {after:.1f} s"),
        Row(name, f"staging, {workers} workers ({parts} parts: read, parse, COPY + search "
            "vectors)", stage_rate, "works/s", reference=one_rate,
            reference_label="staging, 1 worker (in process)", goal="≥ 1.6×",
            ok=stage_rate / one_rate >= 1.6,
            note=f"{runs_note}; spawn + Django setup of the workers included; {_cores(ones)}"),
        Row(name, f"staged merge process peak RSS, {n:,} works", peak_big, "MiB",
            reference=peak_small, reference_label=f"{quarter['works']:,} works",
            goal="≤ 1.25× (flat)", ok=peak_big / peak_small <= 1.25,
            note=f"ru_maxrss of prepare + merge's process; peak after setup / prepare / "
            f"merge's load_records: {_peaks(first)} ({_peaks(quarter)} at "
            f"{quarter['works']:,}); stage workers' peak (VmHWM) {workers_big:.0f} MiB ("
            f"{quarter['rss_workers_peak_mib']:.0f} MiB at {quarter['works']:,})"),
    ]  # fmt: skip


def _cores(ones: list[dict]) -> str:
    """How many cores the one-worker staging kept busy: the most two workers can gain on a
    machine of os.cpu_count() cores is that many cores over it."""
    run = ones[0]
    python, _, backend = run["stage_cpu_seconds"]
    busy = (python + backend) / run["stage_seconds"]
    return (
        f"1 worker: Python {python:.0f} s + its PostgreSQL backend {backend:.0f} s CPU in "
        f"{run['stage_seconds']:.0f} s = {busy:.2f} cores busy of {os.cpu_count()}"
    )


def _peaks(run: dict) -> str:
    keys = ("rss_baseline_mib", "rss_prepare_mib", "rss_load_mib")
    return " / ".join(f"{run[k]:.0f}" for k in keys) + " MiB"


MEASURE = Imports()


if __name__ == "__main__":
    child_main(sys.argv[1:])
