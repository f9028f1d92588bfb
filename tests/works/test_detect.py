"""Format detection, the importer registry, and BibTeX through the shared import service."""

from __future__ import annotations

import gzip
import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from works.imports.detect import FormatUnknown, detect_format, sniff_format
from works.imports.registry import FORMATS, IMPORTERS, Importer, importer_for
from works.imports.run import ImportFailed, works_import
from works.models import Author, Authorship, ImportBatch, Work

pytestmark = pytest.mark.sqlite

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent / "fixtures"
OPENALEX_ARRAY = ROOT / "works" / "fixtures" / "openalex" / "rag_works_sample.json.gz"
OPENALEX_ENTITY = HERE / "openalex" / "entities" / "W2741809807.json"
SNAPSHOT = HERE / "arxiv" / "arxiv_snapshot_head.jsonl"
OAI_ARXIV = HERE / "arxiv" / "oai_arxiv.xml"
OAI_RAW = HERE / "arxiv" / "oai_arxivraw.xml"
BIB = HERE / "vipa_mingli_song.bib"


def test_registry_matches_the_batch_format_choices():
    assert set(FORMATS) == set(ImportBatch.Format.values) - {"auto"}
    assert len(set(FORMATS)) == len(IMPORTERS)
    labels = dict(ImportBatch.Format.choices)
    for importer in IMPORTERS:
        assert isinstance(importer, Importer)
        assert importer.label == labels[importer.format]
        assert len(importer.format) <= 20 and len(importer.source) <= 20
        assert importer_for(importer.format) is importer


def test_registry_refuses_an_unknown_format_naming_the_known_ones():
    with pytest.raises(ValueError, match="unknown format 'csv'; choose one of arxiv, "):
        importer_for("csv")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (OPENALEX_ARRAY, "openalex"),
        (OPENALEX_ENTITY, "openalex"),
        (SNAPSHOT, "arxiv"),
        (OAI_ARXIV, "arxiv-oai"),
        (OAI_RAW, "arxiv-oai"),
        (BIB, "bibtex"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else v,
)
def test_detect_format_on_the_real_files(path, expected):
    assert detect_format(path) == expected


def test_detect_format_reads_through_gzip_and_json_lines(tmp_path):
    snapshot = tmp_path / "snapshot.gz"
    snapshot.write_bytes(gzip.compress(SNAPSHOT.read_bytes()))
    lines = tmp_path / "works.jsonl"
    entity = OPENALEX_ENTITY.read_text(encoding="utf-8")
    lines.write_text(" ".join(entity.split()) + "\n", encoding="utf-8")
    bom_bib = tmp_path / "bom.bib"
    bom_bib.write_bytes(b"\xef\xbb\xbf@article{a, title={T}}")
    assert detect_format(snapshot) == "arxiv"
    assert detect_format(lines) == "openalex"
    assert detect_format(bom_bib) == "bibtex"


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b'{"title": "no ids"}', "neither OpenAlex"),
        (b"<html><body/></html>", "not an OAI-PMH"),
        (b"id,title\n1,x\n", "unrecognised content"),
        (b"\x00\x01binary", "NUL"),
        (b"\x1f\x8bnot really gzip", "does not decompress"),
    ],
)
def test_sniff_format_says_what_it_saw(head, message):
    with pytest.raises(FormatUnknown, match=message):
        sniff_format(head)


@pytest.mark.django_db
def test_works_import_auto_detects_and_refuses_unknown(tmp_path):
    result = works_import(path=OAI_ARXIV, format="auto")
    assert result.counts.created["works"] == 3
    csv = tmp_path / "works.csv"
    csv.write_text("id,title\n1,x\n", encoding="utf-8")
    with pytest.raises(ImportFailed, match="cannot tell the format"):
        works_import(path=csv, format="auto")


# --- BibTeX through the service and the command ---------------------------------------------


@pytest.mark.django_db
def test_bibtex_import_counts_match_the_file():
    text = BIB.read_text(encoding="utf-8")
    entries = re.findall(r"^@\w+\{", text, re.MULTILINE)
    bylines = re.findall(r"^\s*author\s*=\s*\{(.*)\},?\s*$", text, re.MULTILINE)

    result = works_import(path=BIB, format="bibtex")

    assert len(entries) == result.records_read == 30
    assert Work.objects.count() == 30
    # "others" is BibTeX's et al., not a person
    names = [n for b in bylines for n in re.split(r"\s+and\s+", b) if n.strip() != "others"]
    assert Authorship.objects.count() == len(names)
    assert Author.objects.filter(source="bibtex").count() >= 58  # 58 distinct names
    again = works_import(path=BIB, format="bibtex")
    assert again.counts.created["works"] == 0 and again.counts.authorships_written == 0


@pytest.mark.django_db
def test_import_command_auto_detects_bibtex():
    out = io.StringIO()
    call_command("import_works", str(BIB), stdout=out, verbosity=0)
    assert "bibtex: 30 records read" in out.getvalue()
    assert ImportBatch.objects.get().format == "bibtex"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"@article{a,\n  title={Open {brace},\n  year={2020}\n}\n", "unbalanced braces"),
        ("@article{a, title={Caf\xe9}}".encode("latin-1"), "invalid UTF-8"),
        (b"@article{a, title={T}, year={20x0}}", "not a four-digit year"),
    ],
    ids=["unbalanced-braces", "invalid-utf8", "bad-year"],
)
def test_bibtex_malformed_files_fail_clearly_and_write_nothing(tmp_path, content, message):
    works_import(path=BIB, format="bibtex")
    before = (Work.objects.count(), Author.objects.count(), Authorship.objects.count())
    path = tmp_path / "bad.bib"
    path.write_bytes(BIB.read_bytes() + b"\n" + content)

    with pytest.raises(ImportFailed, match=message):
        works_import(path=path, format="bibtex")
    assert (Work.objects.count(), Author.objects.count(), Authorship.objects.count()) == before


@pytest.mark.django_db
def test_bibtex_nul_byte_fails_clearly(tmp_path):
    path = tmp_path / "nul.bib"
    path.write_bytes(b"@article{a, title={T\x00}, year={2020}}\n")
    with pytest.raises(ImportFailed, match="NUL"):
        works_import(path=path, format="bibtex")
    assert Work.objects.count() == 0


@pytest.mark.django_db
def test_bibtex_gzip_bomb_stops_at_the_cap(tmp_path, settings):
    settings.IMPORT_MAX_DECOMPRESSED_BYTES = 100_000
    bomb = tmp_path / "bomb.bib.gz"
    bomb.write_bytes(gzip.compress(BIB.read_bytes() + b"%" * 5_000_000))
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_works", str(bomb), format="bibtex", verbosity=0)
    assert Work.objects.count() == 0
    assert "larger than 100,000 bytes" in ImportBatch.objects.get().errors[0]["message"]
