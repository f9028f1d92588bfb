"""/search/: researchers and works together, ranked, with why each matched (PostgreSQL)."""

from __future__ import annotations

import re

import pytest

from tests.html import visible_text
from works import search
from works.models import Author, Work
from works.search import SearchFilters

pytestmark = pytest.mark.django_db


def _first(results: search.SearchResults, kind: str) -> search.Hit:
    return next(h for h in results.hits if h.kind == kind)


def test_seed_researcher_found_by_initials_and_by_a_typo(demo):
    by_initials = search.search("M. Song")
    top = by_initials.hits[0]
    assert (top.kind, top.pk) == ("researcher", demo.pk)
    assert top.why == ["initials match Mingli Song"]
    # every other "Song" matched only by spelling ranks below the initials match
    assert all(h.relevance < top.relevance for h in by_initials.hits[1:])

    by_typo = search.search("Mingli Sng")
    assert (by_typo.hits[0].kind, by_typo.hits[0].pk) == ("researcher", demo.pk)
    assert by_typo.hits[0].why == ["similar spelling to Mingli Song"]


def test_a_phrase_from_a_seed_abstract_finds_that_work_first(demo):
    work = Work.objects.filter(source="seed").exclude(abstract="").order_by("pk").first()
    words = re.findall(r"[A-Za-z]+", work.abstract)[10:18]
    results = search.search(f'"{" ".join(words)}"')
    hit = results.hits[0]
    assert (hit.kind, hit.pk) == ("work", work.pk)
    assert "abstract" in hit.why[0]


def test_surname_search_ranks_the_prolific_researcher_first(demo, make_author):
    make_author("Zhiyuan Song")  # same kind of match, no works
    results = search.search("Song", SearchFilters(kind="researcher"))
    assert results.hits[0].pk == demo.pk
    works = [h.weight for h in results.hits if h.why == ["words of the name match"]]
    assert works == sorted(works, reverse=True)


def test_accents_aliases_and_web_search_syntax(make_author, make_work):
    jose = make_author("José Álvarez")
    alias = make_author("Wei Zhang", name_variants=["Zhang Wei-Lun"])
    a = make_work(title="Graph neural networks for molecules", abstract="We study proteína folds.")
    b = make_work(title="Graph neural networks: a survey")
    results = search.search("Jose Alvarez")
    assert (results.hits[0].pk, results.hits[0].why) == (jose.pk, ["name matches"])
    assert _first(search.search("wei-lun"), "researcher").why == ["also known as Zhang Wei-Lun"]
    assert _first(search.search("wei-lun"), "researcher").pk == alias.pk

    found = {h.pk for h in search.search('"graph neural" -survey').hits if h.kind == "work"}
    assert found == {a.pk}
    assert {h.pk for h in search.search("molecules or survey").hits} == {a.pk, b.pk}
    # unaccent on both sides: "proteina" finds "proteína"
    assert [h.pk for h in search.search("proteina").hits] == [a.pk]
    assert search.search("proteina").hits[0].why == ["in the abstract"]


def test_title_outranks_abstract_and_citations_break_ties(make_work):
    in_abstract = make_work(title="Other things", abstract="On the transformer architecture.")
    in_title = make_work(title="The transformer architecture", abstract="Nothing more.")
    results = search.search("transformer architecture")
    assert [h.pk for h in results.hits] == [in_title.pk, in_abstract.pk]
    assert results.hits[0].why == ["in the title"]

    low = make_work(title="Sparse attention", cited_by_count=3)
    high = make_work(title="Sparse attention", cited_by_count=300)
    assert [h.pk for h in search.search("sparse attention").hits] == [high.pk, low.pk]


def test_hidden_and_merged_researchers_are_never_found(make_author):
    kept = make_author("Ada Lovelace")
    make_author("Ada Lovelace", hidden=True)
    make_author("Ada Lovelace", merged_into=kept)
    assert [h.pk for h in search.search("Ada Lovelace").hits] == [kept.pk]


def test_facets_count_and_filter(make_work, make_topic):
    optics = make_topic("Optics")
    older = make_work(title="Laser cooling one", year=1999, type="article", topics=[optics])
    make_work(title="Laser cooling two", year=2021, type="article")
    make_work(title="Laser cooling three", year=2022, type="preprint", topics=[optics])

    results = search.search("laser cooling")
    facets = {name: {f.label: f.count for f in fs} for name, fs in results.facets.items()}
    assert facets["kind"] == {"Researchers": 0, "Works": 3}
    assert facets["type"] == {"article": 2, "preprint": 1}
    assert facets["decade"] == {"2020s": 2, "1990s": 1}
    assert facets["topic"] == {"Optics": 2}

    assert search.search("laser cooling", SearchFilters(work_type="preprint")).works_total == 1
    assert search.search("laser cooling", SearchFilters(topic_id=optics.pk)).works_total == 2
    only_old = search.search("laser cooling", SearchFilters(year_from=1990, year_to=1999))
    assert [h.pk for h in only_old.hits] == [older.pk]


def test_pages_of_twenty(make_work):
    for n in range(25):
        make_work(title=f"Quantum walk number {n}")
    first, second = search.search("quantum walk"), search.search("quantum walk", page=2)
    assert (len(first.hits), len(second.hits), first.num_pages) == (20, 5, 2)
    assert not {h.pk for h in first.hits} & {h.pk for h in second.hits}


def test_simple_search_used_on_sqlite_matches_every_word_anywhere(make_work):
    a = make_work(title="Knowledge distillation", abstract="with a teacher")
    make_work(title="Knowledge graphs")
    papers = search._work_candidates_simple("knowledge teacher", SearchFilters())
    assert [(p.pk, p.in_title, p.in_abstract) for p in papers] == [(a.pk, False, False)]


def test_search_page_plain_and_htmx(client, demo, django_assert_max_num_queries):
    # researchers (1), venues, works, topic counts (3), the page's researchers (1) and works
    # with bylines (3); plus the session/user lookups a page may make
    with django_assert_max_num_queries(10):
        response = client.get("/search/", {"q": "M. Song"})
    assert response.status_code == 200
    text = visible_text(response.content)
    assert "Mingli Song" in text and "initials match Mingli Song" in text
    assert 'action="/search/"' in response.content.decode()  # works without JavaScript

    partial = client.get("/search/", {"q": "knowledge distillation"}, HTTP_HX_REQUEST="true")
    body = partial.content.decode()
    assert body.lstrip().startswith('<div id="search-results"')
    assert "<html" not in body
    assert "Works 7" in visible_text(body)
    # facet links keep the query and the other filters
    assert 'href="/search/?q=knowledge+distillation&amp;type=preprint"' in body


def test_search_narrowed_to_a_topic_links_its_page(client, make_work, make_topic):
    optics = make_topic("Optics")
    make_work(title="Laser cooling", topics=[optics])
    body = client.get("/search/", {"q": "laser", "topic": optics.pk}).content.decode()
    assert f'in <a href="{optics.get_absolute_url()}">Optics</a>' in body


def test_search_page_reports_bad_filters_and_still_answers(client, make_work):
    make_work(title="Photonic crystals")
    response = client.get("/search/", {"q": "photonic", "year_from": "soon", "topic": "x"})
    assert response.status_code == 200
    text = visible_text(response.content)
    assert "year_from: Enter a whole number." in text
    assert "Photonic crystals" in text


def test_search_page_escapes_imported_text(client, make_author):
    make_author("<script>alert(1)</script> Evil")
    body = client.get("/search/", {"q": "evil"}).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Evil" in body


def test_header_search_box_points_to_search(client):
    body = client.get("/").content.decode()
    assert 'class="site-search" action="/search/"' in body


def test_no_query_shows_the_empty_form(client, django_assert_max_num_queries):
    with django_assert_max_num_queries(0):
        response = client.get("/search/")
    assert response.status_code == 200
    assert Author.objects.count() == 0
