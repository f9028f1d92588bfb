"""Crossref: the real API responses in ../shared/data/crossref (copied under fixtures/crossref),
every shape the reader accepts, detection, and the import through the shared service."""

from __future__ import annotations

import datetime
import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from works.imports.detect import detect_format
from works.imports.readers import BadRecord
from works.imports.records import ParseError, RawRecord
from works.imports.run import ImportFailed, works_import
from works.imports.sources import crossref
from works.models import Author, Authorship, ImportBatch, Venue, Work

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "crossref"
LIST = FIXTURES / "commonmeta_crossref_list.json"
LIST_MISSING_DOI = FIXTURES / "commonmeta_crossref_list_missing_doi.json"
ELIFE = FIXTURES / "commonmeta_crossref_work.json"


def _work(name: str):
    (raw,) = list(crossref.read(FIXTURES / name))
    return crossref.parse(raw)


def _items(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))["items"]


def _deleted(item: dict) -> bool:
    return item["container-title"] == ["CrossRef Listing of Deleted DOIs"]


# --- exact counts for every file ---------------------------------------------------------------

# file: (records read, works created, ignored deleted-DOI tombstones, authors created,
#        authorships written, records skipped)
COUNTS = {
    "abbotsbury_work_1.json": (1, 1, 0, 5, 5, 0),
    "abbotsbury_work_2.json": (1, 1, 0, 5, 5, 0),
    "abbotsbury_work_3.json": (1, 1, 0, 2, 2, 0),
    "abbotsbury_work_4.json": (1, 1, 0, 1, 1, 0),
    "abbotsbury_work_5.json": (1, 1, 0, 1, 1, 0),
    "abbotsbury_work_6.json": (1, 1, 0, 4, 4, 0),
    "abbotsbury_work_7.json": (1, 1, 0, 0, 0, 0),
    "commonmeta_crossref_work.json": (1, 1, 0, 5, 5, 0),
    "commonmeta_crossref_list.json": (20, 13, 7, 12, 12, 0),
    "commonmeta_crossref_list_missing_doi.json": (20, 12, 7, 11, 11, 1),
}


def test_every_crossref_file_has_its_counts():
    assert set(COUNTS) == {p.name for p in FIXTURES.glob("*.json")}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(COUNTS))
def test_crossref_import_counts_are_exact(name):
    read, works, ignored, authors, authorships, skipped = COUNTS[name]
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    items = data.get("items") or [data.get("message", data)]
    # the expected numbers, also from the file itself
    kept = [i for i in items if i.get("DOI") and not _deleted(i)]
    assert (len(items), len(kept), len(items) - len(kept) - skipped) == (read, works, ignored)
    assert sum(len(i.get("author", [])) for i in kept) == authorships

    result = works_import(path=FIXTURES / name, format="crossref", skip_bad=True)

    assert result.records_read == read
    assert result.counts.created["works"] == works == Work.objects.count()
    assert result.counts.ignored == ignored
    assert result.counts.created["authors"] == authors == Author.objects.count()
    assert Authorship.objects.count() == authorships == result.counts.authorships_written
    assert len(result.skipped) == skipped
    assert set(Work.objects.values_list("doi", flat=True)) == {i["DOI"].lower() for i in kept}
    assert set(Work.objects.values_list("source", flat=True)) == {"crossref"}

    again = works_import(path=FIXTURES / name, format="crossref", skip_bad=True)
    assert again.counts.unchanged["works"] == works
    assert again.counts.created == dict.fromkeys(again.counts.created, 0)


@pytest.mark.django_db
def test_the_record_without_a_doi_is_named_with_its_line_not_crashed_on():
    with pytest.raises(ImportFailed) as failed:
        works_import(path=LIST_MISSING_DOI, format="crossref")
    (error,) = failed.value.errors
    text = LIST_MISSING_DOI.read_text(encoding="utf-8").splitlines()
    assert (error.line, error.index, error.field) == (3, 1, "DOI")
    assert text[error.line - 1].strip() == "{"  # the line the record's object opens on
    assert error.message == "the work has no DOI"
    assert error.record == "“Hydrocarbon Potential of Columbia Plateau--an Overview: ABSTRACT”"
    assert Work.objects.count() == 0

    result = works_import(path=LIST_MISSING_DOI, format="crossref", skip_bad=True)
    assert [str(e) for e in result.skipped] == [
        "line 3, record 1 (“Hydrocarbon Potential of Columbia Plateau--an Overview: "
        "ABSTRACT”) [DOI]: the work has no DOI"
    ]


# --- what a work maps to -------------------------------------------------------------------


def test_the_elife_work_maps_every_field_the_record_holds():
    work = _work("commonmeta_crossref_work.json")
    assert work.doi == "10.7554/elife.01567"
    assert work.title.startswith("Automated quantitative histology reveals vascular")
    assert (work.type, work.year, work.publication_date) == (
        "article",
        2014,
        datetime.date(2014, 2, 11),
    )
    assert (work.venue.name, work.venue.type) == ("eLife", "journal")
    assert work.cited_by_count == 26
    assert work.language == "en"
    assert work.issns == ("2050-084X",)
    assert work.links == (
        "https://cdn.elifesciences.org/articles/01567/elife-01567-v1.pdf",
        "https://cdn.elifesciences.org/articles/01567/elife-01567-v1.xml",
    )
    assert work.license_url == "http://creativecommons.org/licenses/by/3.0/"
    assert work.source_record == "10.7554/elife.01567 (line 1)"
    # the JATS abstract became HTML paragraphs, nothing of JATS left
    assert work.abstract.startswith("<p>Among various advantages, their small size makes")
    assert work.abstract.endswith("</p>")
    assert "jats" not in work.abstract
    names = [a.raw_author_name for a in work.authorships]
    assert names == [
        "Martial Sankar",
        "Kaisa Nieminen",
        "Laura Ragni",
        "Ioannis Xenarios",
        "Christian S Hardtke",
    ]
    first = work.authorships[0]
    assert [i.display_name for i in first.institutions] == [
        "Department of Plant Molecular Biology, University of Lausanne, Lausanne, Switzerland"
    ]
    assert first.author.display_name == "Martial Sankar" and first.author.orcid is None


def test_one_name_authors_suffixes_orcids_books_and_subtitles():
    one_name = _work("abbotsbury_work_3.json")
    assert [a.author.display_name for a in one_name.authorships] == ["Sheherazade", "Ardiantiono"]

    suffixed = _work("abbotsbury_work_5.json")
    assert [a.raw_author_name for a in suffixed.authorships] == ["Amos B. Smith III"]

    unicode_orcid = _work("abbotsbury_work_2.json")
    first = unicode_orcid.authorships[0].author
    assert (first.display_name, first.orcid) == ("Ēriks Kupče", "0000-0002-2366-0269")

    book = _work("abbotsbury_work_6.json")
    assert (book.type, book.year, book.publication_date) == ("book", 2017, None)
    assert book.isbns == ("9783319539218", "9783319539232")
    assert book.venue.name == "Lecture Notes in Chemistry"

    no_authors = _work("abbotsbury_work_7.json")
    assert no_authors.title == "Long-lived Nuclear Spin Order: Theory and Applications"
    assert no_authors.authorships == ()


def test_list_quirks_deleted_dois_names_in_one_field_and_entities():
    records = [crossref.parse(r) for r in crossref.read(LIST)]
    items = _items(LIST)
    assert [r is None for r in records] == [_deleted(i) for i in items]
    by_doi = {r.doi: r for r in records if r}
    browne = by_doi["10.1306/00aa9ad4-1730-11d7-8645000102c1865d"].authorships[0]
    # the whole name in "family", last name first: shown first name first, printed as given
    assert browne.author.display_name == "CAROLYN S. BROWNE"
    assert browne.raw_author_name == "CAROLYN S. BROWNE"
    three_people = by_doi["10.1306/5d25c2ab-16c1-11d7-8645000102c1865d"].authorships[0]
    assert three_people.raw_author_name == "Elton E. Rodgers, Bill B. Belt, Ed"
    # the title is stored as Crossref wrote it (HTML); pages decode "&amp;" once
    assert "&amp; W. G. Tremewan" in by_doi["10.1002/mmnd.4800460214"].title


def test_parse_refuses_what_is_not_a_work():
    with pytest.raises(ParseError, match="expected a Crossref work"):
        crossref.parse(RawRecord(line=1, index=1, data=[1, 2]))
    with pytest.raises(ParseError, match="is not a DOI") as bad:
        crossref.parse(RawRecord(line=1, index=1, data={"DOI": "nonsense", "title": ["T"]}))
    assert bad.value.field == "DOI"
    long_doi = {"DOI": "10.1234/" + "x" * 250, "title": ["T"]}
    with pytest.raises(ParseError, match="longer than 255"):
        crossref.parse(RawRecord(line=1, index=1, data=long_doi))
    with pytest.raises(ParseError, match="no title"):
        crossref.parse(RawRecord(line=1, index=1, data={"DOI": "10.1234/x", "title": []}))


# --- every shape the reader accepts ----------------------------------------------------------


def _shapes(tmp_path: Path) -> dict[str, Path]:
    items = _items(LIST)
    message = json.loads(ELIFE.read_text(encoding="utf-8"))
    shapes = {
        "work response": FIXTURES / "abbotsbury_work_1.json",
        "bare message": ELIFE,
        "items list": LIST,
    }
    envelope = {"status": "ok", "message-type": "work-list", "message": {"items": items}}
    (tmp_path / "message_items.json").write_text(json.dumps(envelope, indent=2))
    shapes["message.items"] = tmp_path / "message_items.json"
    lines = "\n".join(json.dumps(i) for i in [*items, message]) + "\n"
    (tmp_path / "works.jsonl").write_text(lines, encoding="utf-8")
    shapes["JSON Lines"] = tmp_path / "works.jsonl"
    (tmp_path / "works.jsonl.gz").write_bytes(gzip.compress(lines.encode()))
    shapes["gzipped JSON Lines"] = tmp_path / "works.jsonl.gz"
    (tmp_path / "list.bin").write_bytes(gzip.compress(LIST.read_bytes()))
    shapes["gzipped list, no .gz"] = tmp_path / "list.bin"
    return shapes


def test_every_shape_is_detected_and_read_with_the_line_each_work_starts_on(tmp_path):
    for shape, path in _shapes(tmp_path).items():
        assert detect_format(path) == "crossref", shape
        records = list(crossref.read(path))
        assert not [r for r in records if isinstance(r, BadRecord)], shape
        assert [r.index for r in records] == list(range(1, len(records) + 1)), shape
        if path.suffix in (".gz", ".bin"):
            text = gzip.decompress(path.read_bytes()).decode()
        else:
            text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        bounds = [r.line for r in records] + [len(lines) + 1]
        for record, end in zip(records, bounds[1:], strict=True):
            # the record's DOI is written between its first line and the next record's
            chunk = "\n".join(lines[record.line - 1 : end - 1]).replace("\\/", "/")
            assert json.dumps(record.data["DOI"]) in chunk, (shape, record.line)
            assert "{" in lines[record.line - 1], (shape, record.line)
    counts = {shape: len(list(crossref.read(p))) for shape, p in _shapes(tmp_path).items()}
    assert counts == {
        "work response": 1,
        "bare message": 1,
        "items list": 20,
        "message.items": 20,
        "JSON Lines": 21,
        "gzipped JSON Lines": 21,
        "gzipped list, no .gz": 20,
    }


def test_a_broken_line_in_json_lines_loses_that_line_only(tmp_path):
    items = _items(LIST)[:3]
    path = tmp_path / "works.jsonl"
    path.write_text(f"{json.dumps(items[0])}\n{{broken\n{json.dumps(items[1])}\n")
    records = list(crossref.read(path))
    assert isinstance(records[1], BadRecord) and records[1].line == 2
    assert not records[1].fatal
    assert [r.data["DOI"] for r in records if isinstance(r, RawRecord)] == [
        items[0]["DOI"],
        items[1]["DOI"],
    ]


# --- through the command -------------------------------------------------------------------


@pytest.mark.django_db
def test_import_works_command_reads_crossref_by_name_and_by_detection(capsys):
    call_command("import_works", str(ELIFE), "--format", "crossref")
    out = capsys.readouterr().out
    assert "crossref: 1 records read; works: 1 created" in out
    call_command("import_works", str(LIST))
    assert ImportBatch.objects.order_by("pk").last().format == "crossref"
    assert Work.objects.count() == 14
    assert Venue.objects.filter(name="AAPG Bulletin").count() == 1
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_works", str(LIST_MISSING_DOI), "--format", "crossref")
    err = capsys.readouterr().err
    assert "line 3, record 1" in err and "the work has no DOI" in err
