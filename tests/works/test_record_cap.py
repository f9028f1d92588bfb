"""Every import format caps the size of one record (settings.IMPORT_MAX_RECORD_BYTES): a
bigger record is named by line and index and never held whole, so a 1 GiB title in a small
gzip costs the reader no more than the cap."""

from __future__ import annotations

import gzip
import json
import tracemalloc
from pathlib import Path

import pytest

from works.imports.readers import BadRecord
from works.imports.run import ImportFailed, works_import
from works.imports.sources import arxiv_oai, bibtex, openalex
from works.models import Work

FIXTURES = Path(__file__).resolve().parent / "fixtures"
WORKS = Path(__file__).resolve().parents[2] / "works" / "fixtures" / "openalex"
CAP = 64 << 10  # 64 KiB, so a test's "huge" record stays cheap to build


@pytest.fixture(autouse=True)
def small_cap(settings):
    settings.IMPORT_MAX_RECORD_BYTES = CAP


def _works(n: int) -> list[dict]:
    with gzip.open(WORKS / "rag_works_sample.json.gz", "rt", encoding="utf-8") as fh:
        return json.load(fh)[:n]


def _huge_title_gzip_lines(path: Path, works: list[dict], huge_at: int, size: int) -> None:
    """JSON Lines, gzipped, written in pieces: record `huge_at` (1-based) has a title of
    `size` characters, which gzip shrinks to almost nothing."""
    with gzip.open(path, "wt", encoding="utf-8") as out:
        for number, work in enumerate(works, start=1):
            if number == huge_at:
                head = json.dumps({**work, "title": "@@"})
                before, after = head.split('"@@"')
                out.write(before + '"')
                for _ in range(size // (1 << 20)):
                    out.write("A" * (1 << 20))
                out.write('"' + after + "\n")
            else:
                out.write(json.dumps(work) + "\n")


def _read_all(read, path: Path) -> tuple[list, int]:
    """Everything a reader yields, and the peak of Python memory it allocated meanwhile."""
    tracemalloc.start()
    try:
        out = list(read(path, max_bytes=None))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return out, peak


def test_json_lines_record_over_the_cap_is_named_and_never_held_whole(tmp_path):
    path = tmp_path / "works.jsonl.gz"
    _huge_title_gzip_lines(path, _works(4), huge_at=2, size=64 << 20)  # a 64 MiB title

    records, peak = _read_all(openalex.read, path)

    bad = [r for r in records if isinstance(r, BadRecord)]
    assert [(b.line, b.index, b.fatal) for b in bad] == [(2, 2, False)]
    assert "IMPORT_MAX_RECORD_BYTES" in bad[0].message
    assert [r.index for r in records if not isinstance(r, BadRecord)] == [1, 3, 4]
    assert peak < 16 << 20  # a quarter of the one record's size: it was skipped, not read


@pytest.mark.django_db
def test_json_lines_record_over_the_cap_fails_the_import_or_is_skipped(tmp_path):
    path = tmp_path / "works.jsonl.gz"
    _huge_title_gzip_lines(path, _works(3), huge_at=3, size=2 << 20)

    with pytest.raises(ImportFailed) as failure:
        works_import(path=path, format="openalex")
    error = failure.value.errors[0]
    assert (error.line, error.index) == (3, 3)
    assert "larger than 65,536 characters" in str(error)
    assert not Work.objects.exists()

    result = works_import(path=path, format="openalex", skip_bad=True)
    assert result.counts.created["works"] == 2
    assert [(e.line, e.index) for e in result.skipped] == [(3, 3)]


def test_json_array_record_over_the_cap_stops_the_file_with_its_line(tmp_path):
    works = _works(3)
    works[1] = {**works[1], "title": "B" * (CAP * 4)}
    path = tmp_path / "works.json"
    path.write_text(json.dumps(works, indent=1), encoding="utf-8")

    records, _ = _read_all(openalex.read, path)

    assert [r.index for r in records if not isinstance(r, BadRecord)] == [1]
    bad = records[-1]
    assert isinstance(bad, BadRecord) and bad.fatal and bad.index == 2
    assert "IMPORT_MAX_RECORD_BYTES" in bad.message and "invalid JSON" not in bad.message


def test_oai_xml_record_over_the_cap_is_skipped_and_the_next_one_read(tmp_path):
    xml = (FIXTURES / "arxiv" / "oai_arxiv.xml").read_text(encoding="utf-8")
    first_abstract = xml.index("<abstract>") + len("<abstract>")
    path = tmp_path / "oai.xml"
    path.write_text(xml[:first_abstract] + "C" * (CAP * 2) + xml[first_abstract:], "utf-8")
    expected = [r.index for r in arxiv_oai.read(FIXTURES / "arxiv" / "oai_arxiv.xml")]

    records, _ = _read_all(arxiv_oai.read, path)

    bad = [r for r in records if isinstance(r, BadRecord)]
    assert [(b.index, b.line, b.fatal) for b in bad] == [(1, 6, False)]
    assert "IMPORT_MAX_RECORD_BYTES" in bad[0].message
    assert [r.index for r in records if not isinstance(r, BadRecord)] == expected[1:]


def test_bibtex_entry_over_the_cap_is_named(tmp_path):
    source = (FIXTURES / "vipa_mingli_song.bib").read_text(encoding="utf-8")
    huge = "@article{huge2020,\n  title = {" + "D" * (CAP * 2) + "},\n  year = {2020}\n}\n\n"
    path = tmp_path / "refs.bib"
    path.write_text(huge + source, encoding="utf-8")

    records, _ = _read_all(bibtex.read, path)

    assert isinstance(records[0], BadRecord) and (records[0].line, records[0].index) == (1, 1)
    assert "IMPORT_MAX_RECORD_BYTES" in records[0].message
    assert not any(isinstance(r, BadRecord) for r in records[1:])
