"""The profile's works list as researchers use it: sort, filters, per-year chart, pager,
with the state in the URL, a bounded number of queries, and the cache kept right."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache

from bzpeer.lib.versions import author_versions_bump
from tests.html import visible_text
from works.models import Work

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield


@pytest.fixture
def shelf(make_author, make_work, make_topic):
    """An author with works of two types over three years, cited differently, two topics."""
    author = make_author("Ada Shelf", works_count=6)
    graphs, vision = make_topic("Graph learning"), make_topic("Computer vision")
    specs = [
        ("Beta graphs", 2019, Work.Type.ARTICLE, 5, [graphs]),
        ("Alpha graphs", 2021, Work.Type.PREPRINT, 50, [graphs]),
        ("Gamma vision", 2020, Work.Type.ARTICLE, 0, [vision]),
        ("Delta vision", 2021, Work.Type.ARTICLE, 7, [vision, graphs]),
        ("Epsilon misc", 2018, Work.Type.DATASET, 1, []),
        ("Zeta undated", None, Work.Type.ARTICLE, 2, []),
    ]
    for title, year, kind, cited, topics in specs:
        make_work(
            authors=[author], title=title, year=year, type=kind, cited_by_count=cited, topics=topics
        )
    return author, graphs, vision


def _titles(html: str) -> list[str]:
    return re.findall(r'class="work-item__title"[^>]*><a [^>]*>(?:<bdi>)?([^<]+)<', html)


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("", ["Alpha graphs", "Delta vision", "Gamma vision", "Beta graphs", "Epsilon misc",
              "Zeta undated"]),
        ("oldest", ["Epsilon misc", "Beta graphs", "Gamma vision", "Alpha graphs",
                    "Delta vision", "Zeta undated"]),
        ("cited", ["Alpha graphs", "Delta vision", "Beta graphs", "Zeta undated",
                   "Epsilon misc", "Gamma vision"]),
        ("title", ["Alpha graphs", "Beta graphs", "Delta vision", "Epsilon misc",
                   "Gamma vision", "Zeta undated"]),
    ],
)  # fmt: skip
def test_works_list_sorts(client, shelf, sort, expected):
    author, _, _ = shelf
    html = client.get(author.get_absolute_url(), {"sort": sort} if sort else {}).content.decode()

    assert _titles(html) == expected


def test_works_list_filters_by_type_years_and_topic(client, shelf):
    author, graphs, _ = shelf
    url = author.get_absolute_url()

    by_type = client.get(url, {"type": "article"}).content.decode()
    years = client.get(url, {"from": "2020", "to": "2021"}).content.decode()
    topic = client.get(url, {"topic": graphs.pk, "sort": "title"}).content.decode()
    reversed_years = client.get(url, {"from": "2021", "to": "2020"}).content.decode()

    assert sorted(_titles(by_type)) == ["Beta graphs", "Delta vision", "Gamma vision",
                                        "Zeta undated"]  # fmt: skip
    assert "4 works match these filters." in visible_text(by_type)
    assert sorted(_titles(years)) == ["Alpha graphs", "Delta vision", "Gamma vision"]
    assert _titles(topic) == ["Alpha graphs", "Beta graphs", "Delta vision"]
    assert sorted(_titles(reversed_years)) == sorted(_titles(years))


def test_works_list_bad_parameters_fall_back_to_the_defaults(client, shelf):
    author, _, _ = shelf
    html = client.get(
        author.get_absolute_url(),
        {"sort": "'; drop", "type": "<b>", "from": "abc", "to": "99999", "topic": "-3"},
    ).content.decode()

    assert len(_titles(html)) == 6
    assert "match these filters" not in html


def test_works_list_no_match_says_so_and_offers_to_clear(client, shelf):
    author, _, _ = shelf
    text = visible_text(client.get(author.get_absolute_url(), {"type": "book"}).content.decode())

    assert "No work matches these filters." in text
    assert "Clear filters" in text
    assert "No published work has been imported" not in text


def test_works_list_sort_links_and_pager_keep_the_state_in_the_url(
    client, make_author, make_work, settings
):
    settings.WORKS_PER_PAGE = 2
    author = make_author(works_count=5)
    for i in range(5):
        make_work(authors=[author], title=f"Paper {i}", year=2000 + i, type=Work.Type.ARTICLE)

    html = client.get(
        author.get_absolute_url(), {"sort": "oldest", "type": "article", "page": 2}
    ).content.decode()

    assert _titles(html) == ["Paper 2", "Paper 3"]
    assert 'rel="prev" href="?sort=oldest&amp;type=article#published-work"' in html
    assert 'rel="next" href="?sort=oldest&amp;type=article&amp;page=3#published-work"' in html
    assert 'hx-get="?sort=oldest&amp;type=article&amp;page=3"' in html  # More works
    # a new sort keeps the filters and starts again at page 1
    assert 'href="?sort=title&amp;type=article#published-work"' in html
    assert '<input type="hidden" name="sort" value="oldest">' in html


def test_works_list_htmx_sort_returns_only_the_list(client, shelf):
    author, _, _ = shelf
    response = client.get(
        author.get_absolute_url(),
        {"sort": "title"},
        headers={"HX-Request": "true", "HX-Target": "works-list"},
    )
    html = response.content.decode()

    assert "<html" not in html
    assert html.strip().startswith('<div class="works-list" id="works-list">')
    assert _titles(html)[0] == "Alpha graphs"
    assert 'aria-current="true"' in html


def test_works_list_per_year_chart_counts_in_svg_and_text(client, shelf):
    author, _, _ = shelf
    html = client.get(author.get_absolute_url()).content.decode()

    chart = html.split('<figure class="year-chart">', 1)[1].split("</figure>", 1)[0]
    assert chart.count("<rect ") == 4  # 2018 to 2021, one bar a year
    assert "<title>2021: 2 works</title>" in chart
    assert "<title>2018: 1 work</title>" in chart
    text = visible_text(chart)
    assert "2018: 1" in text and "2019: 1" in text and "2020: 1" in text and "2021: 2" in text


def test_works_list_queries_do_not_grow_with_works_or_filters(
    client, make_author, make_work, make_topic, django_assert_max_num_queries
):
    """Guards against N+1 in the new controls: topics, types and the per-year counts are one
    query each whatever the number of works, filtered or not."""
    topics = [make_topic() for _ in range(15)]
    small, large = make_author(works_count=1), make_author(works_count=80)
    make_work(authors=[small], topics=topics[3:4], year=2000, type=Work.Type.ARTICLE)
    for i in range(80):
        make_work(
            authors=[large, make_author()],
            topics=topics[i % 15 : i % 15 + 2],
            year=1990 + i % 30,
            type=[Work.Type.ARTICLE, Work.Type.PREPRINT][i % 2],
        )
    filters = {"type": "article", "from": "1995", "to": "2015", "topic": topics[3].pk}

    counts = []
    for author, params in ((small, {}), (large, {}), (small, filters), (large, filters)):
        cache.clear()
        # anonymous: author state, author, works, bylines, facets, topics, trust (+ count)
        with django_assert_max_num_queries(8) as queries:
            assert client.get(author.get_absolute_url(), params).status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1]
    assert counts[2] == counts[3] == counts[0] + 1  # the filtered list's COUNT


def test_works_list_shared_parts_show_a_data_change_at_once(
    client, make_author, make_work, make_user
):
    """Signed-in pages reuse the parts every viewer shares; a new version shows at once."""
    author = make_author(works_count=1)
    work = make_work(authors=[author], title="Before the import")
    client.force_login(make_user())
    assert "Before the import" in client.get(author.get_absolute_url()).content.decode()

    Work.objects.filter(pk=work.pk).update(title="After the import")
    assert "Before the import" in client.get(author.get_absolute_url()).content.decode()
    author_versions_bump([author.pk])  # what imports, merges and claims do after commit

    assert "After the import" in client.get(author.get_absolute_url()).content.decode()


def test_works_list_shared_parts_never_carry_the_viewer(client, make_author, make_work, make_user):
    author = make_author(works_count=1)
    make_work(authors=[author])
    first, second = make_user("first-viewer"), make_user("second-viewer")

    client.force_login(first)
    client.post(f"/researchers/{author.slug}/follow/")
    first_page = client.get(author.get_absolute_url()).content.decode()
    client.force_login(second)
    second_page = client.get(author.get_absolute_url()).content.decode()

    def follow_button(page: str) -> str:
        return visible_text(re.search(r'id="follow-button"[^>]*>(.*?)</button>', page, re.S)[1])

    assert follow_button(first_page).startswith("Following")
    assert follow_button(second_page).startswith("Follow researcher")
    assert "first-viewer" not in second_page


def test_signed_in_profile_404s_unknown_and_redirects_merged(client, make_author, make_user):
    kept = make_author("Kept Person")
    merged = make_author("Merged Person", merged_into=kept)
    client.force_login(make_user())

    assert client.get("/researchers/nobody-at-all/").status_code == 404
    response = client.get(merged.get_absolute_url() + "?sort=title")
    assert response.status_code == 301
    assert response["Location"] == kept.get_absolute_url() + "?sort=title"


def test_shared_parts_escape_the_owner_bio_signed_in(client, make_author, make_user):
    author = make_author(bio='<script>alert("bio")</script> Works on graphs.')
    client.force_login(make_user())

    html = client.get(author.get_absolute_url()).content.decode()

    assert '<script>alert("bio")' not in html
    assert "&lt;script&gt;alert(&quot;bio&quot;)&lt;/script&gt; Works on graphs." in html
