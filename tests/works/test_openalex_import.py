"""The OpenAlex importer on the real sample files, and on broken ones."""

from __future__ import annotations

import gc
import gzip
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from profiles.models import TrustSnapshot
from works.imports.loader import load_records
from works.imports.records import RawRecord
from works.imports.run import ImportFailed, works_import
from works.imports.sources import openalex
from works.imports.sources.ids import normalize_orcid
from works.models import (
    Author,
    Authorship,
    ImportBatch,
    Institution,
    Topic,
    Venue,
    VerificationLevel,
    Work,
    WorkTopic,
)

pytestmark = pytest.mark.sqlite

SAMPLES = Path(__file__).resolve().parents[2] / "works" / "fixtures" / "openalex"
ENTITIES = Path(__file__).resolve().parent / "fixtures" / "openalex" / "entities"
WORKS = SAMPLES / "rag_works_sample.json.gz"
AUTHORS = SAMPLES / "rag_authors_sample.json.gz"
INSTITUTIONS = SAMPLES / "rag_institutions_sample.json.gz"


def _load(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)


def _table_counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in (Work, Author, Authorship, Institution, Venue, Topic, WorkTopic)
    }


def _import_samples() -> None:
    for path in (INSTITUTIONS, AUTHORS, WORKS):
        works_import(path=path, format="openalex")


@pytest.mark.django_db
def test_import_samples_counts_match_the_files():
    works, authors, institutions = _load(WORKS), _load(AUTHORS), _load(INSTITUTIONS)
    _import_samples()

    author_ids = {a["id"] for a in authors} | {
        s["author"]["id"] for w in works for s in w["authorships"] if s["author"]["id"]
    }
    institution_ids = (
        {i["id"] for i in institutions}
        | {i["id"] for a in authors for i in a.get("last_known_institutions") or []}
        | {i["id"] for w in works for s in w["authorships"] for i in s["institutions"]}
    )
    assert Work.objects.count() == len(works) == 195
    assert Authorship.objects.count() == sum(len(w["authorships"]) for w in works) == 1049
    assert Author.objects.count() == len(author_ids) == 933
    assert Institution.objects.count() == len(institution_ids)
    # authorships without an author id keep the name as printed and link to nobody
    nameless = sum(1 for w in works for s in w["authorships"] if s["author"]["id"] is None)
    assert Authorship.objects.filter(author__isnull=True).count() == nameless == 71


@pytest.mark.django_db
def test_import_samples_keep_real_world_quirks():
    _import_samples()
    widest = Work.objects.get(authorships__position=68)
    assert widest.authorships.count() == 69
    # two OpenAlex author records share one ORCID: they stay two authors, only one holds it
    orcid = "0000-0002-0240-6210"
    assert Author.objects.filter(openalex_id__in=["A5109196469", "A5000850685"]).count() == 2
    assert Author.objects.filter(orcid=orcid).count() == 1
    # the older schema: concepts stand in for topics, only those OpenAlex tagged (≥ 0.3)
    assert Topic.objects.filter(source=Topic.Source.OPENALEX_CONCEPT).exists()
    assert not WorkTopic.objects.filter(score__lt=openalex.MIN_CONCEPT_SCORE).exists()
    # institutions linked to their parents through lineage where both are known
    assert Institution.objects.filter(parent__isnull=False).exists()
    review = Work.objects.get(openalex_id="W3140854437")
    assert review.doi == "10.1186/s40537-021-00444-8"
    assert review.abstract.startswith("In the last few years, the deep learning (DL)")
    assert review.venue.name == "Journal Of Big Data"
    imported = Author.objects.get(openalex_id="A5102889969")
    assert imported.orcid == "0000-0002-7296-5413"
    assert imported.verification_level == VerificationLevel.L1
    assert imported.slug == "laith-alzubaidi"


@pytest.mark.django_db
def test_reimport_changes_nothing():
    _import_samples()
    before = _table_counts()
    rows_before = list(Work.objects.order_by("pk").values())
    result = works_import(path=WORKS, format="openalex")
    assert _table_counts() == before
    assert list(Work.objects.order_by("pk").values()) == rows_before
    assert result.counts.created == dict.fromkeys(result.counts.created, 0)
    assert result.counts.updated == dict.fromkeys(result.counts.updated, 0)
    assert result.counts.unchanged["works"] == 195


@pytest.mark.django_db
@pytest.mark.parametrize("entity", sorted(p.name for p in ENTITIES.glob("*.json")))
def test_every_entity_file_imports(entity):
    result = works_import(path=ENTITIES / entity, format="openalex")
    assert result.records_read == 1
    kinds_kept = {"W", "A", "I", "S", "T", "C"}
    kept = entity[0] in kinds_kept and entity != "A5317838346.json"
    assert result.counts.ignored == (0 if kept else 1)


@pytest.mark.django_db
def test_entity_records_fill_in_the_author_and_topic_hierarchy():
    works_import(path=ENTITIES / "A5023888391.json", format="openalex")
    works_import(path=ENTITIES / "T11636.json", format="openalex")
    author = Author.objects.get(openalex_id="A5023888391")
    assert author.display_name == "Jason Priem"
    assert author.last_known_institution.display_name == "OurResearch"
    topic = Topic.objects.get(external_id="T11636")
    assert [topic.parent.level, topic.parent.parent.level] == ["subfield", "field"]
    # the deleted author tombstone creates no profile
    works_import(path=ENTITIES / "A5317838346.json", format="openalex")
    assert not Author.objects.filter(openalex_id="A5317838346").exists()


@pytest.mark.django_db
def test_json_lines_and_gzip_read_the_same_records(tmp_path):
    works = _load(WORKS)[:20]
    plain = tmp_path / "works.jsonl"
    plain.write_text("".join(json.dumps(w) + "\n" for w in works), encoding="utf-8")
    zipped = tmp_path / "works.jsonl.gz"
    zipped.write_bytes(gzip.compress(plain.read_bytes()))
    assert works_import(path=plain, format="openalex").counts.created["works"] == 20
    assert works_import(path=zipped, format="openalex").counts.unchanged["works"] == 20


@pytest.mark.django_db
def test_truncated_json_array_names_the_line_and_writes_nothing(tmp_path):
    works_import(path=INSTITUTIONS, format="openalex")
    before = _table_counts()
    text = json.dumps(_load(WORKS)[:5], indent=1)
    broken = tmp_path / "truncated.json"
    broken.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(ImportFailed) as failure:
        works_import(path=broken, format="openalex")
    error = failure.value.errors[0]
    assert error.index == 3  # the record that is cut off
    assert error.line == text[: text.index('"id": "' + _load(WORKS)[2]["id"])].count("\n")
    assert "the file ends at line" in error.message
    assert _table_counts() == before


@pytest.mark.django_db
def test_json_lines_with_one_bad_line_fails_with_its_line_number(tmp_path):
    lines = [json.dumps(w) for w in _load(WORKS)[:6]]
    lines[3] = lines[3][:-40]  # line 4 loses its end
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = _table_counts()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_works", str(bad), format="openalex", verbosity=0)
    assert _table_counts() == before
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors[0]["line"] == 4
    assert "invalid JSON" in batch.errors[0]["message"]


@pytest.mark.django_db
def test_skip_bad_imports_the_rest_and_lists_each_skipped_record(tmp_path):
    records = _load(WORKS)[:6]
    records[1] = {**records[1], "publication_year": "two thousand"}
    lines = [json.dumps(w) for w in records]
    lines[4] = "{not json"
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = works_import(path=bad, format="openalex", skip_bad=True)
    assert result.counts.created["works"] == 4
    assert [(e.line, e.field) for e in result.skipped] == [(2, "publication_year"), (5, "")]
    assert result.skipped[0].record == records[1]["id"]


@pytest.mark.django_db
def test_bad_record_error_names_record_field_and_line(tmp_path, capsys):
    records = _load(WORKS)[:3]
    records[2] = {**records[2], "title": None, "display_name": None}
    path = tmp_path / "untitled.json"
    path.write_text(json.dumps(records, indent=2), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("import_works", str(path), format="openalex", verbosity=0)
    err = capsys.readouterr().err
    assert f"({records[2]['id']}) [title]: the work has no title" in err
    assert "record 3" in err
    assert Work.objects.count() == 0


@pytest.mark.django_db
def test_invalid_utf8_and_nul_bytes_are_refused(tmp_path):
    invalid = tmp_path / "latin1.jsonl"
    invalid.write_bytes(b'{"id": "W1", "title": "caf\xe9"}\n')
    with pytest.raises(ImportFailed, match="invalid UTF-8"):
        works_import(path=invalid, format="openalex")
    nul = tmp_path / "nul.jsonl"
    nul.write_bytes(b'{"id": "W1", "title": "a\x00b"}\n')
    with pytest.raises(ImportFailed, match="line 1"):
        works_import(path=nul, format="openalex")
    assert Work.objects.count() == 0


@pytest.mark.django_db
def test_gzip_bomb_stops_at_the_decompressed_cap(tmp_path, settings):
    settings.IMPORT_MAX_DECOMPRESSED_BYTES = 1 << 20
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(b" " * (20 << 20)))
    with pytest.raises(ImportFailed, match="larger than"):
        works_import(path=bomb, format="openalex")


@pytest.mark.django_db(transaction=True)
def test_import_computes_trust_for_touched_authors_on_commit():
    works_import(path=ENTITIES / "W2741809807.json", format="openalex")
    authors = Author.objects.filter(authorships__work__openalex_id="W2741809807")
    assert authors.count() == 9
    assert TrustSnapshot.objects.filter(author__in=authors).count() == 9
    assert all(a.works_count == 1 and a.trust_band for a in authors)


def test_parse_work_rebuilds_the_abstract_and_normalises_ids():
    raw = RawRecord(
        line=1,
        index=1,
        data={
            "id": "https://openalex.org/W1",
            "title": "Up to 100$\\times$ faster",
            "doi": "https://doi.org/10.48550/arXiv.2112.06253",
            "publication_year": 2022,
            "abstract_inverted_index": {"Code": [0], "at": [1], "https://github.com/a/b.": [2]},
            "authorships": [{"author": {"id": None, "display_name": None}, "raw_author_name": "X"}],
        },
    )
    work = openalex.parse(raw)
    assert work.abstract == "Code at https://github.com/a/b."
    assert work.code_url == "https://github.com/a/b"
    assert work.doi == "10.48550/arxiv.2112.06253"
    assert work.arxiv_id == "2112.06253"
    assert work.authorships[0].author is None
    assert work.authorships[0].raw_author_name == "X"


def test_orcid_checksum_is_validated():
    assert normalize_orcid("https://orcid.org/0000-0002-7296-5413") == "0000-0002-7296-5413"
    assert normalize_orcid("0000-0002-1694-233X") == "0000-0002-1694-233X"
    assert normalize_orcid("0000-0002-7296-5414") is None


@pytest.mark.django_db
def test_load_records_collects_garbage_once_per_chunk_and_restores_the_collector():
    """The cyclic collector is off while chunks load (loader.chunk._one_collection_per_chunk)
    and back on after, even when a record fails."""
    records = [openalex.parse(RawRecord(line=i + 1, index=i + 1, data=d)) for i, d in
               enumerate(_load(WORKS)[:30])]  # fmt: skip
    seen = []

    def watched():
        for record in records:
            seen.append(gc.isenabled())
            yield record

    load_records(watched(), source=openalex.FORMAT, chunk_size=10)
    assert seen and not any(seen)
    assert gc.isenabled()
    assert Work.objects.count() == 30

    def failing():
        yield records[0]
        raise RuntimeError("the file went away")

    with pytest.raises(RuntimeError):
        load_records(failing(), source=openalex.FORMAT)
    assert gc.isenabled()
