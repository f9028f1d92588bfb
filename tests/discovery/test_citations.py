"""Citations out: BibTeX that parses and re-imports losing nothing, RIS, CSL-JSON against the
CSL schema, and the Cite control's formatted references."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import jsonschema
import pytest

from bzpeer.lib.text import latex_to_text
from tests.html import visible_text
from works.citations import bibtex_value
from works.imports.run import works_import
from works.models import Author, Venue, Work

pytestmark = pytest.mark.django_db

CSL_SCHEMA = json.loads((Path(__file__).parent / "fixtures" / "csl-data.schema.json").read_text())
# What BibTeX has no entry type for comes back as the nearest one.
BIBTEX_TYPE = {"review": "article"}


def _carried(work: Work) -> tuple:
    """What a BibTeX file carries of a work, as the importer reads it back."""
    return (
        " ".join(latex_to_text(work.title).split()),
        BIBTEX_TYPE.get(work.type, work.type),
        work.year,
        work.doi,
        work.arxiv_id,
        work.venue.name if work.venue else None,
        work.abstract.strip(),
        work.code_url,
        tuple(a.raw_author_name for a in work.authorships.order_by("position")),
    )


def test_researcher_bibtex_parses_and_reimports_with_nothing_lost(
    client, demo, tmp_path, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    works = Work.objects.filter(authorships__author=demo).distinct()
    before = sorted(_carried(w) for w in works)
    assert len(before) == demo.works_count == 24
    with django_assert_max_num_queries(4):  # the author, the works, the bylines
        response = client.get(f"/researchers/{demo.slug}/works.bib")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-bibtex")
    bib = response.content.decode()

    library = bibtexparser.parse_string(bib)
    assert not library.failed_blocks
    assert len(library.entries) == 24
    assert len({e.key for e in library.entries}) == 24

    Work.objects.all().delete()
    Author.objects.all().delete()
    Venue.objects.all().delete()
    path = tmp_path / "exported.bib"
    path.write_text(bib, encoding="utf-8")
    with django_capture_on_commit_callbacks(execute=True):
        result = works_import(path=path, format="bibtex")
    assert result.counts.created["works"] == 24
    assert sorted(_carried(w) for w in Work.objects.all()) == before


def test_bibtex_values_survive_braces_and_backslashes(make_work, client):
    work = make_work(title="Sets {A} and a lone } brace\\", abstract="50% of {x")
    bib = client.get(f"/works/{work.pk}.bib").content.decode()
    entry = bibtexparser.parse_string(bib).entries[0]
    assert entry["title"].startswith("Sets")
    assert entry["abstract"] == r"50% of \{x"
    assert bibtex_value("a {b} c") == "{a {b} c}"
    assert bibtex_value("a } b") == r"{a \} b}"


def test_work_csl_json_and_ris(client, make_author, make_work):
    author = make_author("Jie Song")
    work = make_work(
        [author],
        title="Spot-adaptive Knowledge Distillation",
        doi="10.1109/tip.2022.3170728",
        type="article",
        year=2022,
        abstract="We distil $\\times$ 2.",
    )
    items = json.loads(client.get(f"/works/{work.pk}.json").content)
    jsonschema.validate(items, CSL_SCHEMA)
    assert items[0]["author"] == [{"family": "Song", "given": "Jie"}]
    assert items[0]["issued"] == {"date-parts": [[2022]]}
    assert items[0]["DOI"] == "10.1109/tip.2022.3170728"
    assert items[0]["abstract"] == "We distil × 2."

    ris = client.get(f"/works/{work.pk}.ris").content.decode()
    lines = ris.split("\r\n")
    assert lines[0] == "TY  - JOUR"
    assert "AU  - Song, Jie" in lines and "DO  - 10.1109/tip.2022.3170728" in lines
    assert lines[-2] == "ER  - "


def test_researcher_csl_json_validates(client, demo):
    items = json.loads(client.get(f"/researchers/{demo.slug}/works.json").content)
    jsonschema.validate(items, CSL_SCHEMA)
    assert len(items) == 24
    # and a broken item would not: the schema check can fail
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate([{**items[0], "type": "journal-paper"}], CSL_SCHEMA)


def test_unknown_format_and_hidden_or_merged_researchers(client, make_author, make_work):
    kept = make_author("Kept One")
    merged = make_author("Merged One", merged_into=kept)
    hidden = make_author("Hidden One", hidden=True)
    work = make_work([kept])
    assert client.get(f"/works/{work.pk}.pdf").status_code == 404
    assert client.get(f"/researchers/{hidden.slug}/works.bib").status_code == 404
    response = client.get(f"/researchers/{merged.slug}/works.ris")
    assert (response.status_code, response["Location"]) == (
        301,
        f"/researchers/{kept.slug}/works.ris",
    )


def test_work_page_cite_control(client, make_author, make_work, django_assert_max_num_queries):
    work = make_work(
        [make_author("Jie Song"), make_author("Mingli Song")],
        title="Spot-adaptive Knowledge Distillation",
        type="article",
        year=2022,
    )
    with django_assert_max_num_queries(5):
        response = client.get(work.get_absolute_url())
    body = response.content.decode()
    text = visible_text(body)
    assert "Song, J., & Song, M. (2022). Spot-adaptive Knowledge Distillation." in text
    assert "Chicago (author-date)" in text
    assert 'data-copy-target="cite-1"' in body
    assert "/static/js/cite.js" in body
    assert f'href="/works/{work.pk}.bib"' in body
    assert "<script>" not in body  # no inline script: the CSP allows 'self' only
