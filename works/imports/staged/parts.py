"""Where a staged import's parts come from, and how a part's records are read.

- A directory, a manifest (a text file listing one path a line, relative to it) or several
  files: one part per file, in name order (an OpenAlex snapshot's `part_*.gz` files), any
  format the batch has, gzip or not.
- One plain JSON Lines file of a format read line by line (OpenAlex, the arXiv snapshot):
  cut into byte ranges at line ends, so parts parse in parallel; each part knows the number
  of its first line and record, so messages name the same line as a whole-file import.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..readers import (
    GZIP_MAGIC,
    BadRecord,
    json_lines_records,
    record_cap,
)
from ..records import RawRecord
from ..registry import Importer

# formats whose reader is read_json_records: a JSON Lines file of theirs can be cut anywhere
# between lines
SPLITTABLE = ("openalex", "arxiv")
MANIFEST_SUFFIXES = (".txt", ".manifest")
# a range-split part holds at least this much of the file, and at most MAX_PART_BYTES (more
# parts than asked for, if need be): a stage worker's memory grows with its part (measured
# 135 MiB at 36 MiB parts, 222 MiB at 145 MiB parts), so parts are capped, not counted
MIN_PART_BYTES = 1 << 20
MAX_PART_BYTES = 64 << 20
_BLOCK = 1 << 22
_BLANK_LINE = re.compile(rb"(?m)^[ \t\r\f\v]*\n")
_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class PartPlan:
    path: str
    start: int = 0
    end: int | None = None  # None: the whole file
    first_line: int = 1
    first_index: int = 1


def files_of(path: Path) -> list[Path]:
    """The files a path stands for: a directory's files (hidden ones aside) in name order,
    a manifest's listed files, or the file itself."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    if path.suffix in MANIFEST_SUFFIXES:
        lines = path.read_text(encoding="utf-8").splitlines()
        listed = [path.parent / line.strip() for line in lines if line.strip()]
        if missing := [str(p) for p in listed if not p.is_file()]:
            raise FileNotFoundError(f"{path} lists files that do not exist: {missing[:5]}")
        return listed
    return [path]


def parts_plan(paths: list[Path], *, format: str, parts: int) -> list[PartPlan]:
    """The parts of an import: one per file when there are several, else byte ranges of a
    splittable JSON Lines file (about `parts` of them), else the file whole."""
    if len(paths) != 1:
        return [PartPlan(str(p)) for p in paths]
    path = paths[0]
    if parts <= 1 or format not in SPLITTABLE or not _plain_json_lines(path):
        return [PartPlan(str(path))]
    return ranges_plan(path, parts)


def _plain_json_lines(path: Path) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if head.startswith(GZIP_MAGIC):
        return False
    return head.removeprefix(_BOM).lstrip()[:1] == b"{"


def ranges_plan(path: Path, parts: int) -> list[PartPlan]:
    """About `parts` byte ranges (more when parts would exceed MAX_PART_BYTES), each cut at a
    line end, with the numbers of the line and the record each starts at (one pass over the
    file, counting lines, not decoding them)."""
    size = path.stat().st_size
    parts = max(parts, -(-size // MAX_PART_BYTES))
    step = max(size // parts, MIN_PART_BYTES)
    cuts: list[int] = []
    with open(path, "rb") as fh:
        for target in range(step, size, step):
            fh.seek(target - 1)
            fh.readline()  # the rest of the line holding byte target - 1
            if (cut := fh.tell()) >= size or len(cuts) == parts - 1:
                break
            if not cuts or cut > cuts[-1]:
                cuts.append(cut)
    bounds = [0, *cuts, size]
    plans: list[PartPlan] = []
    lines = records = 0
    with open(path, "rb") as fh:
        for start, end in itertools.pairwise(bounds):
            plans.append(PartPlan(str(path), start, end, lines + 1, records + 1))
            while fh.tell() < end:
                block = fh.read(min(_BLOCK, end - fh.tell()))
                if fh.tell() < end:
                    block += fh.readline()  # blocks end at a line end too
                newlines = block.count(b"\n")
                lines += newlines
                records += newlines - len(_BLANK_LINE.findall(block))
    return plans


def part_raw_records(
    part: PartPlan, importer: Importer, *, max_bytes: int | None
) -> Iterator[RawRecord | BadRecord]:
    """The raw records of one part: the format's own reader for a whole file, the JSON Lines
    reader over the byte range otherwise (numbered from the part's first line)."""
    if part.end is None:
        yield from importer.read(Path(part.path), max_bytes=max_bytes)
        return
    yield from json_lines_records(
        _range_lines(part, record_cap()),
        first_line=part.first_line,
        first_index=part.first_index,
    )


def _range_lines(part: PartPlan, limit: int) -> Iterator[str | None]:
    """Lines of bytes [start, end) as text (bytes that are not UTF-8 kept as surrogates,
    which the reader reports with the line); None for a line over `limit`, skipped."""
    with open(part.path, "rb") as fh:
        fh.seek(part.start)
        position = part.start
        while position < part.end:
            line = fh.readline(limit + 2)
            if not line:
                return
            position += len(line)
            if len(line) > limit + 1 or (len(line) > limit and not line.endswith(b"\n")):
                while line and not line.endswith(b"\n"):
                    line = fh.readline(1 << 20)
                    position += len(line)
                yield None
                continue
            if part.start == 0 and position == len(line):
                line = line.removeprefix(_BOM)
            yield line.decode("utf-8", errors="surrogateescape")
