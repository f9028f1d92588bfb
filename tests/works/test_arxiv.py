"""arXiv importers on the real snapshot sample and hand-written OAI-PMH responses."""

from __future__ import annotations

import gzip
import json
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest

from works.imports import keyword_topics
from works.imports.batches import import_batch_run
from works.imports.records import ParseError, RawRecord
from works.imports.run import ImportFailed, works_import
from works.imports.sources import arxiv, arxiv_oai
from works.imports.sources.arxiv_taxonomy import CATEGORIES, category_topic
from works.models import Author, Authorship, ImportBatch, Topic, Venue, Work, WorkTopic

pytestmark = pytest.mark.sqlite

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arxiv"
SNAPSHOT = FIXTURES / "arxiv_snapshot_head.jsonl"
OAI_ARXIV = FIXTURES / "oai_arxiv.xml"
OAI_RAW = FIXTURES / "oai_arxivraw.xml"


def _snapshot() -> list[dict]:
    return [json.loads(line) for line in SNAPSHOT.read_text(encoding="utf-8").splitlines()]


def _tables() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in (Work, Author, Authorship, Topic, WorkTopic)}


def _key(name: str) -> str:
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", plain.casefold()).split())


def _expected_people(papers: list[dict]) -> int:
    """People by the name-only rule: one name is one person across papers with a co-author in
    common (or the same paper); otherwise each paper's bearer is someone new."""
    people: dict[str, list[set[str]]] = defaultdict(list)
    for paper in papers:
        names = [_key(f"{p[1]} {p[0]} {p[2]}") for p in paper["authors_parsed"]]
        for name in names:
            others = set(names) - {name}
            person = next((p for p in people[name] if p & others), None)
            if person is None:
                people[name].append(person := set())
            person |= others
    return sum(len(p) for p in people.values())


@pytest.mark.django_db
def test_arxiv_snapshot_import_counts_match_the_file():
    papers = _snapshot()
    result = works_import(path=SNAPSHOT, format="arxiv")

    categories = {c for p in papers for c in p["categories"].split()}
    archives = {c.split(".")[0] for c in categories}
    assert result.records_read == len(papers) == 200
    assert Work.objects.count() == 200
    assert Work.objects.filter(type="preprint", venue__name="arXiv").count() == 200
    assert Venue.objects.get().type == "repository"
    assert Authorship.objects.count() == sum(len(p["authors_parsed"]) for p in papers) == 537
    assert Author.objects.count() == _expected_people(papers)
    assert Work.objects.exclude(doi=None).count() == sum(1 for p in papers if p["doi"]) == 117
    assert len(categories) == 72
    # categories with a dot hang under their archive; "hep-ph" style ones are archives
    assert Topic.objects.filter(source="arxiv").count() == len(categories | archives)
    assert WorkTopic.objects.count() == sum(len(set(p["categories"].split())) for p in papers)


@pytest.mark.django_db
def test_arxiv_snapshot_fields_are_normalised():
    works_import(path=SNAPSHOT, format="arxiv")

    work = Work.objects.get(arxiv_id="0704.0001")
    assert work.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert work.doi == "10.1103/physrevd.76.013009"
    assert (work.year, str(work.publication_date)) == (2007, "2007-04-02")
    assert work.abstract.startswith("A fully differential calculation in perturbative")
    byline = list(work.authorships.order_by("position").values_list("raw_author_name", flat=True))
    assert byline == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert Author.objects.get(display_name="C. Balázs").arxiv_name == "Balázs, C."
    # LaTeX stays as written: pages render it
    assert Work.objects.get(arxiv_id="0704.0005").title == (
        r"From dyadic $\Lambda_{\alpha}$ to $\Lambda_{\alpha}$"
    )
    cg = Topic.objects.get(source="arxiv", external_id="cs.CG")
    assert (cg.name, cg.level, cg.parent.external_id, cg.parent.name) == (
        "Computational Geometry",
        "category",
        "cs",
        "Computer Science",
    )
    hep = Topic.objects.get(source="arxiv", external_id="hep-ph")
    assert (hep.name, hep.level, hep.parent) == (
        "High Energy Physics - Phenomenology",
        "archive",
        None,
    )
    assert set(
        Work.objects.get(arxiv_id="0704.0002").work_topics.values_list(
            "topic__external_id", flat=True
        )
    ) == {"math.CO", "cs.CG"}


@pytest.mark.django_db
def test_arxiv_snapshot_reimport_changes_nothing():
    works_import(path=SNAPSHOT, format="arxiv")
    before = _tables()
    result = works_import(path=SNAPSHOT, format="arxiv")
    assert _tables() == before
    assert result.counts.created["works"] == 0
    assert result.counts.unchanged["works"] == 200
    assert result.counts.authorships_written == 0


def test_arxiv_category_names_agree_with_the_keyword_taxonomy():
    # one taxonomy: a class the keywords assign is named as an arXiv import names it
    for class_id in keyword_topics.KEYWORDS:
        assert class_id in CATEGORIES
        assert category_topic(class_id) == keyword_topics.topic_for(class_id)
    assert category_topic("stat.ML").name != category_topic("cs.LG").name


def test_arxiv_first_version_gives_the_date_whatever_the_order():
    raw = RawRecord(
        3,
        1,
        {
            "id": "0704.0001v2",
            "title": "T",
            "authors_parsed": [["Doe", "Jane", "Jr"]],
            "versions": [
                {"version": "v2", "created": "Tue, 24 Jul 2007 20:10:27 GMT"},
                {"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"},
            ],
        },
    )
    record = arxiv.parse(raw)
    assert (record.arxiv_id, str(record.publication_date)) == ("0704.0001", "2007-04-02")
    assert record.authorships[0].author.display_name == "Jane Doe Jr"
    assert record.source_record == "0704.0001 (line 3)"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"id": "nonsense", "title": "T", "authors_parsed": []}, "id"),
        ({"id": "0704.0001", "title": "  ", "authors_parsed": []}, "title"),
        ({"id": "0704.0001", "title": "T"}, "authors_parsed"),
        ({"id": "0704.0001", "title": "T", "authors_parsed": [[1, 2]]}, "authors_parsed"),
        (
            {"id": "0704.0001", "title": "T", "authors_parsed": [], "categories": "cs.LG,stat.ML"},
            "categories",
        ),
        (
            {"id": "0704.0001", "title": "T", "authors_parsed": [], "versions": [{"created": "x"}]},
            "versions",
        ),
    ],
)
def test_arxiv_parse_names_the_broken_field(data, field):
    with pytest.raises(ParseError) as caught:
        arxiv.parse(RawRecord(1, 1, data))
    assert caught.value.field == field


@pytest.mark.django_db
def test_arxiv_snapshot_bad_json_line_fails_with_its_line_and_writes_nothing(tmp_path):
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    lines[41] = lines[41][:-20]  # cut line 42 short
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    with pytest.raises(ImportFailed) as caught:
        works_import(path=broken, format="arxiv")

    assert [(e.line, e.index) for e in caught.value.errors] == [(42, 42)]
    assert "invalid JSON" in caught.value.errors[0].message
    assert _tables() == dict.fromkeys(_tables(), 0)


@pytest.mark.django_db
def test_arxiv_snapshot_skip_bad_lists_the_skipped_line(tmp_path):
    lines = SNAPSHOT.read_text(encoding="utf-8").splitlines()
    lines[9] = json.dumps({**json.loads(lines[9]), "title": ""})
    broken = tmp_path / "broken.jsonl"
    broken.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = works_import(path=broken, format="arxiv", skip_bad=True)

    assert Work.objects.count() == 199
    assert [(e.line, e.record, e.field) for e in result.skipped] == [(10, "0704.0010", "title")]


@pytest.mark.django_db
def test_arxiv_snapshot_invalid_utf8_nul_bytes_and_gzip_bomb_are_refused(tmp_path, settings):
    data = SNAPSHOT.read_bytes()
    bad_utf8 = tmp_path / "latin1.jsonl"
    bad_utf8.write_bytes(data.replace(b"Bal\\u00e1zs", "Balázs".encode("latin-1")))
    nul = tmp_path / "nul.jsonl"
    nul.write_bytes(data.replace(b"Sparsity", b"Spar\x00sity"))
    settings.IMPORT_MAX_DECOMPRESSED_BYTES = 1_000_000
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(data + b" " * 10_000_000))

    with pytest.raises(ImportFailed, match="invalid UTF-8"):
        works_import(path=bad_utf8, format="arxiv")
    with pytest.raises(ImportFailed, match="line 2.*(control character|invalid JSON)"):
        works_import(path=nul, format="arxiv")
    with pytest.raises(ImportFailed, match="larger than 1,000,000 bytes"):
        works_import(path=bomb, format="arxiv")
    assert Work.objects.count() == 0


# --- OAI-PMH ---------------------------------------------------------------------------------


def test_oai_reader_gives_each_record_its_start_line():
    raws = list(arxiv_oai.read(OAI_ARXIV))
    assert [(r.line, r.index) for r in raws] == [(6, 1), (29, 2), (35, 3), (51, 4)]
    assert raws[1].data["deleted"] is True


@pytest.mark.django_db
def test_oai_arxiv_format_imports_like_the_snapshot():
    works_import(path=SNAPSHOT, format="arxiv")
    before = _tables()

    result = works_import(path=OAI_ARXIV, format="arxiv-oai")

    # three papers the snapshot already has, read from XML, change nothing; one was deleted
    assert result.records_read == 4
    assert result.counts.ignored == 1
    assert result.counts.unchanged["works"] == 3
    assert (result.counts.created["works"], result.counts.updated["works"]) == (0, 0)
    assert result.counts.authorships_written == 0
    assert _tables() == before


@pytest.mark.django_db
def test_oai_arxiv_format_counts_on_an_empty_database():
    result = works_import(path=OAI_ARXIV, format="arxiv-oai")

    assert result.records_read == 4
    assert Work.objects.count() == 3
    assert Authorship.objects.count() == 5
    assert Author.objects.count() == 5
    work = Work.objects.get(arxiv_id="0704.0006")
    assert (work.doi, str(work.publication_date), work.source) == (
        "10.1103/physreva.75.043613",
        "2007-03-31",
        "arxiv",
    )
    assert Topic.objects.filter(source="arxiv", level="category").count() == 3


@pytest.mark.django_db
def test_oai_arxivraw_splits_author_lines_and_takes_v1():
    works_import(path=OAI_RAW, format="arxiv-oai")

    work = Work.objects.get(arxiv_id="0704.0001")
    assert str(work.publication_date) == "2007-04-02"  # v1, listed after v2
    byline = list(work.authorships.order_by("position").values_list("raw_author_name", flat=True))
    # LaTeX accent decoded, the parenthesised affiliation dropped
    assert byline == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"]
    other = Work.objects.get(arxiv_id="0704.0005")
    assert [a.author.arxiv_name for a in other.authorships.order_by("position")] == [
        "Abu-Shammala, Wael",
        "Torchinsky, Alberto",
    ]


def test_split_author_names_handles_particles_suffixes_and_affiliations():
    assert arxiv_oai.split_author_names(
        "Jan van der Berg (1), John Smith Jr. and A. B. Cee; D. E & F. G ((1) Leiden)"
    ) == [
        ["van der Berg", "Jan", ""],
        ["Smith", "John", "Jr."],
        ["Cee", "A. B.", ""],
        ["E", "D.", ""],
        ["G", "F.", ""],
    ]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords>&lol3;</ListRecords></OAI-PMH>
"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE OAI-PMH [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record>
<metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>0704.0001</id>
<title>&xxe;</title></arXiv></metadata></record></ListRecords></OAI-PMH>
"""

EXTERNAL_DTD_ENTITY = """<?xml version="1.0"?>
<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><ListRecords><record><metadata>
<arXiv xmlns="http://arxiv.org/OAI/arXiv/"><id>0704.0001</id><title>&undeclared;</title>
</arXiv></metadata></record></ListRecords></OAI-PMH>
"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (BILLION_LAUGHS, r"line 2.*refused: the XML contains a document type declaration"),
        (EXTERNAL_ENTITY, r"line 2.*refused: the XML contains a document type declaration"),
        (EXTERNAL_DTD_ENTITY, r"line 3.*invalid XML: undefined entity"),
    ],
    ids=["billion-laughs", "external-entity", "undeclared-entity"],
)
def test_oai_entities_and_dtds_are_refused_and_nothing_is_written(tmp_path, xml, message):
    works_import(path=OAI_ARXIV, format="arxiv-oai")
    before = _tables()
    path = tmp_path / "evil.xml"
    path.write_text(xml, encoding="utf-8")

    with pytest.raises(ImportFailed, match=message):
        works_import(path=path, format="arxiv-oai")
    assert _tables() == before


def test_oai_entity_declaration_is_refused_even_without_dtd_check(tmp_path):
    """The reader's own guard: entities are refused by defusedxml, not by our DTD check."""
    from defusedxml import EntitiesForbidden
    from defusedxml.ElementTree import DefusedXMLParser

    parser = DefusedXMLParser(forbid_dtd=False, forbid_entities=True, forbid_external=True)
    with pytest.raises(EntitiesForbidden):
        parser.feed(BILLION_LAUGHS)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords>\n<record>", "ends"),
        (b"<html><body>not oai</body></html>", "not an OAI-PMH response"),
        ("<OAI-PMH xmlns='x'>é</OAI-PMH>".encode("latin-1"), "invalid UTF-8"),
        (b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'>\n\x00</OAI-PMH>", "line 2.*NUL"),
        (
            b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><error code='badArgument'>"
            b"Illegal argument</error></OAI-PMH>",
            "error: badArgument Illegal argument",
        ),
    ],
    ids=["truncated", "not-oai", "invalid-utf8", "nul-byte", "oai-error"],
)
def test_oai_malformed_files_fail_clearly(tmp_path, content, message):
    path = tmp_path / "bad.xml"
    path.write_bytes(content)
    with pytest.raises(ImportFailed, match=message):
        works_import(path=path, format="arxiv-oai")
    assert Work.objects.count() == 0


@pytest.mark.django_db
def test_oai_gzip_bomb_stops_at_the_cap(tmp_path, settings):
    settings.IMPORT_MAX_DECOMPRESSED_BYTES = 50_000
    head = OAI_ARXIV.read_text(encoding="utf-8").replace("</ListRecords>", "")
    bomb = tmp_path / "bomb.xml.gz"
    bomb.write_bytes(gzip.compress((head + " " * 5_000_000).encode()))
    with pytest.raises(ImportFailed, match="larger than 50,000 bytes"):
        works_import(path=bomb, format="arxiv-oai")
    assert Work.objects.count() == 0


@pytest.mark.django_db
def test_oai_other_metadata_format_is_refused_by_name(tmp_path):
    path = tmp_path / "dc.xml"
    path.write_text(
        "<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><ListRecords><record><header>"
        "<identifier>oai:arXiv.org:0704.0004</identifier></header><metadata>"
        "<oai_dc:dc xmlns:oai_dc='http://www.openarchives.org/OAI/2.0/oai_dc/'/></metadata>"
        "</record></ListRecords></OAI-PMH>",
        encoding="utf-8",
    )
    with pytest.raises(ImportFailed, match="metadataPrefix=arXiv or arXivRaw") as caught:
        works_import(path=path, format="arxiv-oai")
    assert caught.value.errors[0].record == "oai:arXiv.org:0704.0004"


@pytest.mark.django_db
def test_oai_reader_memory_holds_one_record(tmp_path):
    """A long response streams: the target never holds more than the record being read."""
    body = OAI_ARXIV.read_text(encoding="utf-8")
    start, end = body.index("<record>"), body.index("</ListRecords>")
    records = body[start:end]
    path = tmp_path / "long.xml"
    path.write_text(body[:start] + records * 300 + body[end:], encoding="utf-8")
    seen, pending = 0, []
    reader = arxiv_oai.read(path)
    for _raw in reader:
        seen += 1
        frame = reader.gi_frame
        if frame is not None:
            pending.append(len(frame.f_locals["target"].records))
    assert seen == 1200
    assert max(pending) < 100  # one 64 KiB chunk of records at most, never the file


@pytest.mark.django_db
def test_import_batch_run_records_arxiv_failure_on_the_batch(tmp_path):
    path = tmp_path / "evil.xml"
    path.write_text(BILLION_LAUGHS, encoding="utf-8")
    batch = ImportBatch.objects.create(format="arxiv-oai", file_name=str(path))
    with pytest.raises(ImportFailed):
        import_batch_run(batch=batch, path=path)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert "refused" in batch.errors[0]["message"]
