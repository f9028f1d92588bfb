"""Many sources, one record: the same paper from every source, imported in every order.

The paper is Twins (arXiv 2104.13840) as the real OpenAlex sample has it; its arXiv snapshot
record is a real snapshot line carrying the paper's id, title, authors and abstract, its
BibTeX entry a real entry of the VIPA list rewritten for the paper, as a lab's README cites
it: the NeurIPS version, with the code link and the year its proceedings give. A fourth
source joins the matrix by adding one builder to SOURCES.
"""

from __future__ import annotations

import copy
import gzip
import itertools
import json
from pathlib import Path

import pytest

from works.imports import merge
from works.imports.batches import import_batch_run
from works.imports.registry import importer_for
from works.imports.undo import import_batch_undo
from works.models import (
    Author,
    Authorship,
    DuplicateWorkCandidate,
    ImportBatch,
    Institution,
    Topic,
    Venue,
    Work,
    WorkTopic,
)

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TWINS = "W3157528469"
ARXIV_ID = "2104.13840"


def _openalex_twins() -> dict:
    with gzip.open(ROOT / "works/fixtures/openalex/rag_works_sample.json.gz", "rt") as fh:
        work = next(w for w in json.load(fh) if w["id"].endswith(TWINS))
    # the sample was cut without publication dates; OpenAlex gives the arXiv v1 date
    return work | {"publication_date": "2021-04-28"}


def _abstract(work: dict) -> str:
    words = {i: word for word, places in work["abstract_inverted_index"].items() for i in places}
    return " ".join(words[i] for i in sorted(words))


def _openalex_file(tmp_path: Path) -> Path:
    path = tmp_path / "openalex.jsonl"
    path.write_text(json.dumps(_openalex_twins()) + "\n", encoding="utf-8")
    return path


def _arxiv_file(tmp_path: Path) -> Path:
    """A real snapshot line (0704.0001) carrying the paper, as the snapshot would."""
    template = json.loads((FIXTURES / "arxiv/arxiv_snapshot_head.jsonl").open().readline())
    openalex = _openalex_twins()
    names = [a["author"]["display_name"] for a in openalex["authorships"]]
    record = copy.deepcopy(template) | {
        "id": ARXIV_ID,
        "submitter": "Xiangxiang Chu",
        "title": "Twins: Revisiting the Design of Spatial Attention in Vision\n  Transformers",
        "authors": ", ".join(names),
        "authors_parsed": [[n.split()[-1], " ".join(n.split()[:-1]), ""] for n in names],
        "abstract": "  " + _abstract(openalex) + "\n",
        "categories": "cs.CV",
        "doi": None,
        "journal-ref": "NeurIPS 2021",
        "comments": "Accepted to NeurIPS 2021",
        "report-no": None,
        "versions": [{"version": "v1", "created": "Wed, 28 Apr 2021 17:42:31 GMT"}],
        "update_date": "2021-10-01",
    }
    path = tmp_path / "arxiv.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    return path


def _bibtex_file(tmp_path: Path) -> Path:
    """The first entry of the VIPA list, rewritten for the paper (its NeurIPS version)."""
    text = (FIXTURES / "vipa_mingli_song.bib").read_text(encoding="utf-8")
    start = text.index("@article{fang2019datafree")
    entry = text[start : text.index("\n}", start) + 2] + "\n"
    authors = " and ".join(
        a["raw_author_name"] for a in _openalex_twins()["authorships"]
    )  # "Chu, Xiangxiang and Tian, Zhi and …", as BibTeX writes them
    entry = (
        entry.replace("@article{fang2019datafree", "@inproceedings{chu2021twins")
        .replace(
            "Data-Free Adversarial Distillation",
            "{Twins}: Revisiting the Design of Spatial Attention in Vision Transformers",
        )
        .replace(
            "Gongfan Fang and Jie Song and Chengchao Shen and Xinchao Wang and Da Chen and "
            "Mingli Song",
            authors,
        )
        .replace(
            "journal={arXiv preprint arXiv:1912.11006}",
            "booktitle={Advances in Neural Information Processing Systems},\n"
            f"    eprint={{{ARXIV_ID}}}, archivePrefix={{arXiv}},\n"
            "    url={https://github.com/Meituan-AutoML/Twins}",
        )
        .replace("year={2019}", "year={2022}")
    )
    assert "chu2021twins" in entry and ARXIV_ID in entry and "2022" in entry
    path = tmp_path / "twins.bib"
    path.write_text(entry, encoding="utf-8")
    return path


# source (the ImportBatch format) → writes its file; a fourth source is one more line
SOURCES = {"openalex": _openalex_file, "arxiv": _arxiv_file, "bibtex": _bibtex_file}
FIELDS = (
    "title",
    "type",
    "year",
    "publication_date",
    "abstract",
    "code_url",
    "cited_by_count",
    "language",
    "doi",
    "arxiv_id",
    "openalex_id",
)


def _files(tmp_path: Path) -> dict[str, Path]:
    return {name: build(tmp_path) for name, build in SOURCES.items()}


def _run(path: Path, format: str) -> ImportBatch:
    batch = ImportBatch.objects.create(format=format, file_name=path.name)
    import_batch_run(batch=batch, path=path)
    batch.refresh_from_db()
    return batch


def _parsed(path: Path, format: str):
    importer = importer_for(format)
    return next(importer.parse(raw) for raw in importer.read(path))


def _offered(record) -> dict:
    values = {name: getattr(record, name) for name in FIELDS}
    values["venue"] = record.venue.name if record.venue else None
    return values


def _expected(files: dict[str, Path]) -> dict:
    """The record the precedence table says: each field from the highest source giving it,
    and what the others gave that differs, as conflicts."""
    offered = {name: _offered(_parsed(path, name)) for name, path in files.items()}
    by_rank = sorted(offered, key=merge.source_rank)
    fields, sources, conflicts = {}, {}, {}
    for name in [*FIELDS, "venue"]:
        winner = next((s for s in by_rank if not merge.is_absent(offered[s][name])), None)
        fields[name] = offered[winner][name] if winner else None
        if winner:
            sources[name] = winner
        column = "venue_id" if name == "venue" else name
        if column in merge.CONFLICT_FIELDS and winner:
            kept = fields[name]
            same = merge.SAME.get(name, lambda v: v)
            others = {
                s: offered[s][name]
                for s in by_rank
                if not merge.is_absent(offered[s][name]) and same(offered[s][name]) != same(kept)
            }
            if others:
                conflicts[column] = {
                    s: v.isoformat() if hasattr(v, "isoformat") else v for s, v in others.items()
                }
    return {"fields": fields, "sources": sources, "conflicts": conflicts}


def _state() -> dict:
    """The one work as a curator sees it, plus who set what and the authors that exist."""
    work = Work.objects.select_related("venue").get()
    venues = dict(Venue.objects.values_list("pk", "name"))
    fields = {name: getattr(work, name) for name in FIELDS}
    fields["venue"] = work.venue.name if work.venue else None
    conflicts = {
        name: {s: venues.get(v, v) if name == "venue_id" else v for s, v in values.items()}
        for name, values in work.conflicts.items()
    }
    sources = {
        ("venue" if name == "venue_id" else name): stamp[0]
        for name, stamp in work.field_sources.items()
    }
    return {
        "fields": fields,
        "sources": {k: v for k, v in sources.items() if k in [*FIELDS, "venue"]},
        "conflicts": conflicts,
        "byline": list(
            work.authorships.order_by("position").values_list(
                "position", "raw_author_name", "author__openalex_id", "author__orcid"
            )
        ),
        "topics": sorted(work.work_topics.values_list("topic__source", "topic__external_id")),
        "authors": sorted(
            Author.objects.values_list("openalex_id", "name_key"), key=lambda a: (a[0] or "", a[1])
        ),
    }


def _dump() -> dict[str, list[dict]]:
    """Every row of every table an import writes, all columns, in pk order."""
    through = Authorship.institutions.through
    models = (Work, Author, Authorship, through, WorkTopic, Topic, Institution, Venue)
    return {m.__name__: list(m.objects.order_by("pk").values()) for m in models}


ORDERS = list(itertools.permutations(SOURCES))


@pytest.mark.django_db
@pytest.mark.parametrize("order", ORDERS, ids=["-".join(o) for o in ORDERS])
def test_merge_matrix_every_order_gives_the_record_the_precedence_table_says(tmp_path, order):
    files = _files(tmp_path)
    for name in order[:-1]:
        _run(files[name], name)
    before_last = _dump()
    last = _run(files[order[-1]], order[-1])
    assert last.status == ImportBatch.Status.SUCCEEDED

    state = _state()
    expected = _expected(files)
    assert state["fields"] == expected["fields"]
    assert state["sources"] == expected["sources"]
    assert state["conflicts"] == expected["conflicts"]
    # the OpenAlex byline (authors with OpenAlex ids and ORCIDs) whatever came before or after
    openalex = _openalex_twins()["authorships"]
    assert [(p, name, oa) for p, name, oa, _ in state["byline"]] == [
        (i, a["raw_author_name"], a["author"]["id"].rsplit("/", 1)[1])
        for i, a in enumerate(openalex)
    ]
    # OpenAlex concepts and the arXiv category side by side
    assert {source for source, _ in state["topics"]} == {"openalex-concept", "arxiv"}
    # no name-only author is left over from a byline that lost: one author per person
    assert state["authors"] == sorted(
        (a["author"]["id"].rsplit("/", 1)[1], a["author"]["display_name"].lower()) for a in openalex
    )
    # undoing the last batch gives back exactly what was there before it
    import_batch_undo(batch=last, user=None)
    assert _dump() == before_last


@pytest.mark.django_db
def test_merge_matrix_orders_agree_on_everything_the_record_holds(tmp_path):
    """The whole record (fields, who set them, conflicts, byline, topics, authors) compared
    across orders directly, beyond what the table predicts."""
    files = _files(tmp_path)
    states = []
    for order in ORDERS:
        batches = [_run(files[name], name) for name in order]
        states.append(_state())
        for batch in reversed(batches):
            import_batch_undo(batch=batch, user=None)
        assert not Work.objects.exists()
    assert all(state == states[0] for state in states[1:])


@pytest.mark.django_db
def test_merge_no_non_empty_field_of_any_source_is_lost(tmp_path):
    files = _files(tmp_path)
    for name in SOURCES:
        _run(files[name], name)
    state = _state()
    for name, path in files.items():
        for field, value in _offered(_parsed(path, name)).items():
            if merge.is_absent(value):
                continue
            kept = state["fields"][field]
            column = "venue_id" if field == "venue" else field
            listed = state["conflicts"].get(column, {}).get(name)
            same = merge.SAME.get(field, lambda v: v)
            assert not merge.is_absent(kept), f"{name}'s {field} was lost"
            if column in merge.CONFLICT_FIELDS and same(kept) != same(value):
                as_json = value.isoformat() if hasattr(value, "isoformat") else value
                assert listed == as_json, f"{name}'s {field} {value!r} is not listed"


@pytest.mark.django_db
def test_bibtex_over_openalex_erases_nothing_and_keeps_the_byline(tmp_path):
    """ "What was seen": a BibTeX entry matching an OpenAlex work took its place."""
    files = _files(tmp_path)
    _run(files["openalex"], "openalex")
    work = Work.objects.get()
    topics = set(work.work_topics.values_list("topic_id", flat=True))
    byline = list(work.authorships.values_list("position", "author_id", "raw_author_name"))
    authors = set(Author.objects.values_list("pk", flat=True))

    batch = _run(files["bibtex"], "bibtex")

    after = Work.objects.get()
    for field in (
        "title",
        "abstract",
        "code_url",
        "cited_by_count",
        "publication_date",
        "language",
        "type",
        "year",
        "venue_id",
    ):
        assert getattr(after, field) == getattr(work, field), field
    assert after.abstract and after.code_url and after.cited_by_count == 616
    assert set(after.work_topics.values_list("topic_id", flat=True)) == topics
    assert list(after.authorships.values_list("position", "author_id", "raw_author_name")) == (
        byline
    )
    assert set(Author.objects.values_list("pk", flat=True)) == authors  # no name-only copies
    # what BibTeX said differently is listed for a curator, on the work and the batch
    assert after.conflicts["year"] == {"bibtex": 2022}
    assert after.conflicts["type"] == {"bibtex": "proceedings-article"}
    assert set(after.conflicts["venue_id"]) == {"bibtex"}
    reported = {(c["field"], c["kept_by"], str(c["offered"])) for c in batch.conflicts}
    assert ("year", "openalex", "2022") in reported
    assert ("type", "openalex", "proceedings-article") in reported
    assert batch.counts["conflicts"] == 3


@pytest.mark.django_db
def test_a_lower_source_fills_empty_fields_and_an_absent_field_erases_nothing(tmp_path):
    files = _files(tmp_path)
    twins = _openalex_twins()
    twins["language"] = None
    twins["abstract_inverted_index"] = None
    path = tmp_path / "thin.jsonl"
    path.write_text(json.dumps(twins) + "\n", encoding="utf-8")
    _run(path, "openalex")
    assert Work.objects.get().abstract == ""

    _run(files["arxiv"], "arxiv")

    work = Work.objects.get()
    assert work.abstract.startswith("Very recently")  # arXiv filled the empty abstract
    assert work.field_sources["abstract"][0] == "arxiv"
    assert work.field_sources["title"][0] == "openalex"

    # OpenAlex again, still without abstract: absent, so arXiv's stays
    _run(path, "openalex")
    assert Work.objects.get().abstract == work.abstract


@pytest.mark.django_db
def test_an_admin_edit_outranks_every_source(tmp_path, client, make_user):
    files = _files(tmp_path)
    _run(files["openalex"], "openalex")
    work = Work.objects.get()
    admin = make_user(is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = f"/admin/works/work/{work.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "title": "Twins: Revisiting Spatial Attention in Vision Transformers",
            "venue": work.venue_id,
            "publication_date": "2021-04-28",
        }
    )
    for prefix in ("authorships", "work_topics"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, {k: v for k, v in data.items() if v != ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    work.refresh_from_db()
    assert work.field_sources["title"][0] == "admin"

    _run(files["openalex"], "openalex")

    work.refresh_from_db()
    assert work.title == "Twins: Revisiting Spatial Attention in Vision Transformers"
    assert work.conflicts["title"] == {
        "openalex": "Twins: Revisiting the Design of Spatial Attention in Vision Transformers"
    }
    page = client.get(url)
    assert "Conflicts from lower sources" in page.content.decode()


# --- the same work twice in one file ---------------------------------------------------------

TWICE = """
@article{first,
  title={Data-Free Adversarial Distillation},
  author={Gongfan Fang and Jie Song},
  journal={arXiv preprint},
  abstract={Knowledge distillation without the data.},
  doi={https://doi.org/10.5555/ABC.Def-123},
  year={2019}
}

@article{second,
  title={Data-Free Adversarial Distillation (extended)},
  author={Fang, Gongfan and Song, Mingli},
  journal={Pattern Recognition},
  doi={10.5555/abc.def-123},
  year={2019}
}
"""


@pytest.mark.django_db
def test_the_same_doi_twice_in_one_file_is_one_work_merged_and_reported(tmp_path):
    path = tmp_path / "twice.bib"
    path.write_text(TWICE, encoding="utf-8")

    batch = _run(path, "bibtex")

    work = Work.objects.get()
    assert work.doi == "10.5555/abc.def-123"
    # the later record over the earlier one, as a later import of the same source would
    assert work.title == "Data-Free Adversarial Distillation (extended)"
    assert work.abstract == "Knowledge distillation without the data."  # only record 1 had it
    names = list(work.authorships.order_by("position").values_list("author__display_name"))
    assert names == [("Gongfan Fang",), ("Mingli Song",)]
    # no author without a work: record 1's "Jie Song" was never created
    assert not Author.objects.filter(authorships__isnull=True).exists()
    assert Author.objects.count() == 2
    assert batch.merged_records == [
        "records first (line 2) and second (line 11) are the same work 10.5555/abc.def-123: merged"
    ]
    assert batch.counts["merged_records"] == 1
    assert batch.counts["created"]["works"] == 1


# --- duplicates that differ by a typo ----------------------------------------------------------

PUBLISHED = """
@article{guo2022attention,
  title={Attention mechanisms in computer vision: A survey},
  author={Guo, Meng-Hao and Xu, Tian-Xing},
  journal={Computational Visual Media},
  doi={10.1007/s41095-022-0271-y},
  year={2022}
}
"""
TYPO = """
@article{guo2022attention_typo,
  title={Attention mechanims in computer vision: A survey},
  author={Guo, Meng-Hao and Xu, Tian-Xing},
  journal={Computational Visual Media},
  doi={10.1007/s41095-022-0271-x},
  year={2022}
}
"""
PREPRINT = """
@article{guo2021preprint,
  title={Attention Mechanisms in Computer Vision: A Survey},
  author={Guo, Meng-Hao and Xu, Tian-Xing},
  journal={arXiv preprint arXiv:2111.07624},
  year={2021}
}
"""


@pytest.mark.django_db
def test_a_typo_in_word_three_is_a_duplicate_candidate(tmp_path):
    for name, text in (("published.bib", PUBLISHED), ("typo.bib", TYPO)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        _run(tmp_path / name, "bibtex")

    candidate = DuplicateWorkCandidate.objects.get()
    assert candidate.reason == DuplicateWorkCandidate.Reason.SIMILAR_TITLE
    assert {candidate.work_a.doi, candidate.work_b.doi} == {
        "10.1007/s41095-022-0271-y",
        "10.1007/s41095-022-0271-x",
    }
    assert 0.93 <= candidate.similarity < 1


@pytest.mark.django_db
def test_a_preprint_and_its_published_version_are_a_duplicate_candidate(tmp_path):
    for name, text in (("published.bib", PUBLISHED), ("preprint.bib", PREPRINT)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        _run(tmp_path / name, "bibtex")

    candidate = DuplicateWorkCandidate.objects.get()
    assert candidate.reason == DuplicateWorkCandidate.Reason.PREPRINT_PUBLISHED
    works = {candidate.work_a.arxiv_id, candidate.work_b.arxiv_id}
    assert works == {None, "2111.07624"}


@pytest.mark.django_db
def test_large_imports_compare_by_first_words_and_miss_only_early_typos(tmp_path, settings):
    """Above IMPORT_DUPLICATES_TRGM_MAX_WORKS works an import compares by the first title
    words (the trigram search costs too much per work): a typo at the end is still found,
    one in word three is not; documented in the README."""
    settings.IMPORT_DUPLICATES_TRGM_MAX_WORKS = 0
    late_typo = PUBLISHED.replace("A survey", "A surevy").replace("0271-y", "0271-z")
    for name, text in (("published.bib", PUBLISHED), ("typo.bib", TYPO), ("late.bib", late_typo)):
        (tmp_path / name).write_text(text, encoding="utf-8")
        _run(tmp_path / name, "bibtex")

    candidate = DuplicateWorkCandidate.objects.get()
    assert {candidate.work_a.doi, candidate.work_b.doi} == {
        "10.1007/s41095-022-0271-y",
        "10.1007/s41095-022-0271-z",
    }


@pytest.mark.django_db
def test_the_batch_page_lists_the_conflicts_and_the_merged_records(tmp_path, client, make_user):
    files = _files(tmp_path)
    _run(files["openalex"], "openalex")
    batch = _run(files["bibtex"], "bibtex")
    client.force_login(make_user(is_staff=True, is_superuser=True))

    page = client.get(f"/admin/works/importbatch/{batch.pk}/change/").content.decode()

    assert "Values not applied: a higher source set them" in page
    assert "proceedings-article" in page and "chu2021twins (line 1)" in page
