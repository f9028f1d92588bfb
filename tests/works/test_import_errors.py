"""Issue 11, "What was seen", import errors: every one names its record, none is unhandled."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from works.imports.records import RawRecord
from works.imports.run import ImportFailed, works_import
from works.imports.sources import openalex
from works.models import Author, ImportBatch, Institution, Topic, Venue, Work

ROOT = Path(__file__).resolve().parents[2]
WORKS_SAMPLE = ROOT / "works" / "fixtures" / "openalex" / "rag_works_sample.json.gz"
SNAPSHOT = Path(__file__).resolve().parent / "fixtures" / "arxiv" / "arxiv_snapshot_head.jsonl"
CROSSREF = (
    Path(__file__).resolve().parent / "fixtures" / "crossref" / "commonmeta_crossref_work.json"
)
BIB = Path(__file__).resolve().parent / "fixtures" / "vipa_mingli_song.bib"


def _works() -> list[dict]:
    return json.loads(gzip.decompress(WORKS_SAMPLE.read_bytes()))


def _array(works: list[dict]) -> str:
    return json.dumps(works, indent=2, ensure_ascii=False)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# --- NUL characters ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("layout", ["array", "json lines"])
def test_a_nul_inside_a_json_string_names_its_record_and_can_be_skipped(tmp_path, layout):
    works = _works()[:5]
    works[2]["title"] = "Machine\u0000 learning"
    works[3]["authorships"][0]["raw_author_name"] = "Nul\u0000Name"
    lines = "\n".join(json.dumps(w) for w in works) + "\n"
    text = _array(works) if layout == "array" else lines
    assert "\\u0000" in text
    path = tmp_path / "works.json"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(ImportFailed) as failed:
        works_import(path=path, format="openalex")
    (error,) = failed.value.errors
    # where the record's object opens: its own line, or the "{" above its "id" in the array
    first_line = 3 if layout == "json lines" else _line_of(text, '"id": "' + works[2]["id"]) - 1
    assert (error.line, error.index) == (first_line, 3)
    assert error.record == works[2]["id"]
    assert error.message == "a NUL character (\\u0000) in title: not allowed in text"
    assert Work.objects.count() == 0

    result = works_import(path=path, format="openalex", skip_bad=True)
    assert [(e.index, e.record) for e in result.skipped] == [
        (3, works[2]["id"]),
        (4, works[3]["id"]),
    ]
    assert "authorships[0].raw_author_name" in result.skipped[1].message
    assert result.counts.created["works"] == 3


@pytest.mark.django_db
def test_half_a_surrogate_pair_names_its_record_and_a_whole_pair_is_fine(tmp_path):
    works = _works()[:3]
    works[0]["title"] = "Emoji \U0001f600 whole"  # written as a \ud83d\ude00 pair: fine
    works[1]["title"] = "Emoji \ud83d half"  # a lone surrogate: no UTF-8 for it
    path = tmp_path / "works.jsonl"
    path.write_text("\n".join(json.dumps(w) for w in works) + "\n", encoding="utf-8")
    result = works_import(path=path, format="openalex", skip_bad=True)
    (skipped,) = result.skipped
    assert (skipped.line, skipped.index, skipped.record) == (2, 2, works[1]["id"])
    assert skipped.message == (
        "half of a UTF-16 surrogate pair (\\ud800-\\udfff escape) in title: not allowed in text"
    )
    assert Work.objects.filter(title="Emoji \U0001f600 whole").exists()


@pytest.mark.django_db
def test_a_nul_in_a_bibtex_entry_is_that_entry_only(tmp_path):
    path = tmp_path / "nul.bib"
    path.write_bytes(
        b"@article{good, title={Good}, year=2020}\n\n@article{bad,\n  title={N\x00L},\n"
        b"  year=2020}\n"
    )
    with pytest.raises(ImportFailed) as failed:
        works_import(path=path, format="bibtex")
    assert [(e.line, e.index, e.record) for e in failed.value.errors] == [(4, 2, "bad")]
    result = works_import(path=path, format="bibtex", skip_bad=True)
    assert result.counts.created["works"] == 1 and len(result.skipped) == 1


# --- invalid UTF-8 -----------------------------------------------------------------------------


def _corrupt(data: bytes, line: int) -> bytes:
    """The file with one byte of line `line` (1-based) replaced by 0xff (never UTF-8)."""
    lines = data.split(b"\n")
    target = lines[line - 1]
    at = target.index(b'"title":"') + len(b'"title":"') + 2
    lines[line - 1] = target[:at] + b"\xff" + target[at + 1 :]
    return b"\n".join(lines)


@pytest.mark.django_db
def test_invalid_utf8_is_reported_on_its_own_line_and_can_be_skipped(tmp_path):
    path = tmp_path / "snapshot.jsonl.gz"
    path.write_bytes(gzip.compress(_corrupt(SNAPSHOT.read_bytes(), 30)))

    with pytest.raises(ImportFailed) as failed:
        works_import(path=path, format="arxiv")
    (error,) = failed.value.errors
    assert (error.line, error.index) == (30, 30)
    assert error.message.startswith("invalid UTF-8: byte 0xff at column ")

    result = works_import(path=path, format="arxiv", skip_bad=True)
    assert [(e.line, e.index) for e in result.skipped] == [(30, 30)]
    assert result.counts.created["works"] == 199


@pytest.mark.django_db
def test_invalid_utf8_in_a_json_array_names_the_line_of_the_byte(tmp_path):
    works = _works()[:4]
    text = _array(works).encode()
    needle = json.dumps(works[2]["title"]).encode()
    at = text.index(needle) + 3
    path = tmp_path / "works.json"
    path.write_bytes(text[:at] + b"\xc3\x28" + text[at + 2 :])  # a broken two-byte sequence
    result = works_import(path=path, format="openalex", skip_bad=True)
    (skipped,) = result.skipped
    assert skipped.line == text[:at].count(b"\n") + 1
    assert (skipped.index, skipped.record) == (3, works[2]["id"])
    assert result.counts.created["works"] == 3


@pytest.mark.django_db
def test_invalid_utf8_in_bibtex_names_the_entry_and_its_line(tmp_path):
    source = BIB.read_bytes()
    at = source.index(b"Depgraph") + 2
    path = tmp_path / "bad.bib"
    path.write_bytes(source[:at] + b"\xff" + source[at + 1 :])
    with pytest.raises(ImportFailed) as failed:
        works_import(path=path, format="bibtex")
    (error,) = failed.value.errors
    assert error.line == source[:at].count(b"\n") + 1
    assert error.record == "fang2023depgraph"
    result = works_import(path=path, format="bibtex", skip_bad=True)
    assert [e.record for e in result.skipped] == ["fang2023depgraph"]


# --- a byte order mark -------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("layout", ["array", "json lines", "crossref", "bibtex"])
def test_a_utf8_bom_is_accepted(tmp_path, layout):
    bom = b"\xef\xbb\xbf"
    if layout == "array":
        data, fmt, expected = _array(_works()[:3]).encode(), "openalex", 3
    elif layout == "json lines":
        data, fmt, expected = b"\n".join(SNAPSHOT.read_bytes().split(b"\n")[:3]), "arxiv", 3
    elif layout == "crossref":
        data, fmt, expected = CROSSREF.read_bytes(), "crossref", 1
    else:
        data, fmt, expected = BIB.read_bytes(), "bibtex", None
    path = tmp_path / "bom"
    path.write_bytes(bom + data)
    plain = tmp_path / "plain"
    plain.write_bytes(data)

    without = works_import(path=plain, format=fmt)
    titles = set(Work.objects.values_list("title", flat=True))
    for model in (Work, Author, Venue, Institution, Topic):
        model.objects.all().delete()

    result = works_import(path=path, format="auto")  # detected through the BOM too
    assert not result.skipped
    assert result.counts.as_dict() == without.counts.as_dict()
    assert set(Work.objects.values_list("title", flat=True)) == titles
    if expected is not None:
        assert result.counts.created["works"] == expected


# --- ORCIDs and author ids ---------------------------------------------------------------------


@pytest.mark.django_db
def test_a_bad_orcid_and_a_malformed_author_id_are_warnings_on_the_record(tmp_path, capsys):
    works = _works()[:3]
    author = works[2]["authorships"][0]["author"]
    assert author["orcid"] == "https://orcid.org/0000-0002-8050-123X"
    author["orcid"] = "https://orcid.org/0000-0002-8050-1231"  # wrong check digit
    works[2]["authorships"][1]["author"]["id"] = "https://openalex.org/I4210164937"
    path = tmp_path / "works.json"
    text = _array(works)
    path.write_text(text, encoding="utf-8")

    call_command("import_works", str(path))

    err = capsys.readouterr().err
    record = works[2]["id"].removeprefix("https://openalex.org/")
    batch = ImportBatch.objects.get()
    warnings = batch.counts["warnings"]
    assert [(w["index"], w["record"], w["message"]) for w in warnings] == [
        (3, works[2]["id"], "ORCID iD 0000-0002-8050-1231 fails its check digit: dropped"),
        (
            3,
            works[2]["id"],
            f"authorship 2 ({works[2]['authorships'][1]['raw_author_name']}): author id "
            "'https://openalex.org/I4210164937' is not an OpenAlex author id: kept as a name only",
        ),
    ]
    assert batch.counts["warnings_total"] == 2
    assert f"warning: line {warnings[0]['line']}, record 3 (https://openalex.org/{record})" in err
    assert "fails its check digit" in err and "not an OpenAlex author id" in err
    # the record itself was imported, without the ORCID
    assert Work.objects.filter(openalex_id=record).exists()
    first = Author.objects.get(openalex_id=author["id"].removeprefix("https://openalex.org/"))
    assert first.orcid is None


def test_openalex_parse_warns_only_inside_an_import():
    # outside the import service nothing collects warnings: parsing still works, silently
    works = _works()
    works[2]["authorships"][0]["author"]["orcid"] = "0000-0002-8050-1231"
    record = openalex.parse(RawRecord(line=1, index=1, data=works[2]))
    assert record.authorships[0].author.orcid is None


# --- a format that finds nothing, a run where everything failed --------------------------------


@pytest.mark.django_db
def test_bibtex_format_on_a_json_file_fails_saying_no_records_were_found():
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_works", str(CROSSREF), "--format", "bibtex")
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors[0]["message"].startswith("no bibtex records were found in the file")


@pytest.mark.django_db
def test_skip_bad_exits_non_zero_when_every_record_failed(tmp_path, capsys):
    path = tmp_path / "all_bad.jsonl"
    path.write_text('{"id": "0704.0001"}\n{"id": "0704.0002"}\nnot json\n')
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_works", str(path), "--format", "arxiv", "--skip-bad")
    err = capsys.readouterr().err
    assert "every record failed (3 of them)" in err
    assert "line 1, record 1 (0704.0001)" in err and "line 3, record 3" in err
    assert ImportBatch.objects.get().status == ImportBatch.Status.FAILED

    # one good record is enough for a run with --skip-bad to succeed
    good = SNAPSHOT.read_text(encoding="utf-8").splitlines()[0]
    path.write_text(f"{good}\nnot json\n")
    call_command("import_works", str(path), "--format", "arxiv", "--skip-bad")
    assert Work.objects.count() == 1


@pytest.mark.django_db
def test_a_record_that_trips_a_parser_is_reported_with_its_record_not_raised(tmp_path):
    works = _works()[:2]
    works[0]["topics"] = 5  # the parser iterates it: a TypeError, not a ParseError
    path = tmp_path / "works.json"
    path.write_text(_array(works), encoding="utf-8")
    with pytest.raises(ImportFailed) as failed:
        works_import(path=path, format="openalex")
    (error,) = failed.value.errors
    assert (error.line, error.index, error.record) == (2, 1, works[0]["id"])
    assert error.message.startswith("cannot be read (TypeError(")
    result = works_import(path=path, format="openalex", skip_bad=True)
    assert result.counts.created["works"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["openalex", "crossref", "bibtex"])
def test_a_damaged_gzip_file_is_an_import_error_not_a_crash(tmp_path, fmt):
    source = {
        "openalex": WORKS_SAMPLE.read_bytes(),
        "crossref": gzip.compress(CROSSREF.read_bytes()),
        "bibtex": gzip.compress(BIB.read_bytes()),
    }[fmt]
    path = tmp_path / "cut.gz"
    path.write_bytes(source[: len(source) // 2])  # cut short
    with pytest.raises(ImportFailed) as failed:
        works_import(path=path, format=fmt, skip_bad=True)
    assert (
        "the compressed file is damaged or cut short (EOFError" in failed.value.errors[-1].message
    )
    assert Work.objects.count() == 0
