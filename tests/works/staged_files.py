"""A split OpenAlex snapshot for the staged import tests: the sample's records in three
JSON Lines part files, the last one gzipped, as a snapshot's part_*.gz files are."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "works" / "fixtures" / "openalex"
SAMPLE = SAMPLE / "rag_works_sample.json.gz"


def openalex_part_files(directory: Path, parts: int = 3) -> int:
    """Writes part_000 … into `directory`; returns how many records they hold in all."""
    records = json.loads(gzip.decompress(SAMPLE.read_bytes()))
    size = -(-len(records) // parts)
    directory.mkdir(parents=True, exist_ok=True)
    for n in range(parts):
        lines = "".join(json.dumps(r) + "\n" for r in records[n * size : (n + 1) * size])
        if n == parts - 1:
            (directory / f"part_{n:03}.gz").write_bytes(gzip.compress(lines.encode()))
        else:
            (directory / f"part_{n:03}").write_text(lines, encoding="utf-8")
    return len(records)
