from __future__ import annotations

from profiles.models import Institution
from tests.html import visible_text
from works.models import Authorship

HTMX = {"HX-Request": "true"}


def _slice_url(author) -> str:
    return f"/researchers/{author.slug}/graph/"


def test_author_graph_ranks_coauthors_by_shared_works(client, make_author, make_work):
    center = make_author()
    frequent, occasional = make_author("Frequent Coauthor"), make_author("Occasional Coauthor")
    for _ in range(3):
        make_work(authors=[center, frequent])
    make_work(authors=[center, occasional, frequent])
    make_work(authors=[occasional])  # not shared with center

    response = client.get(_slice_url(center), headers=HTMX)
    html = response.content.decode()
    text = visible_text(html)

    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="graph-slice" id="graph-slice">')
    assert "Building this graph slice" not in text
    assert text.index("Frequent Coauthor 4 shared works") < text.index(
        "Occasional Coauthor 1 shared work"
    )
    assert f'href="/researchers/{frequent.slug}/"' in html
    assert center.display_name not in text.split("Co-authors")[1].split("Topics")[0]


def test_author_graph_lists_topics_and_institutions_with_counts(
    client, make_author, make_work, make_topic
):
    home = Institution.objects.create(display_name="Home University")
    visited = Institution.objects.create(display_name="Visited Institute")
    center = make_author(last_known_institution=home)
    topic = make_topic("Graph learning")
    for _ in range(2):
        work = make_work(authors=[center], topics=[topic])
        Authorship.objects.get(work=work, author=center).institutions.add(visited)

    text = visible_text(client.get(_slice_url(center), headers=HTMX).content)

    assert "Graph learning 2 works" in text
    assert "Home University last known" in text
    assert "Visited Institute 2 works" in text


def test_author_graph_lists_are_bounded(client, make_author, make_work, make_topic):
    center = make_author()
    for _ in range(15):
        make_work(authors=[center, make_author()], topics=[make_topic()])

    response = client.get(_slice_url(center), headers=HTMX)
    slice_ = response.context["slice"]

    assert len(slice_.coauthors) == 12
    assert len(slice_.topics) == 12
    assert len(slice_.papers) == 5


def test_author_graph_queries_do_not_grow_with_neighbourhood(
    client, make_author, make_work, make_topic, django_assert_max_num_queries
):
    """Guards against a query per co-author, topic or institution in the slice."""
    small, large = make_author(), make_author()
    make_work(authors=[small, make_author()], topics=[make_topic()])
    topics = [make_topic() for _ in range(20)]
    for i in range(60):
        make_work(authors=[large, make_author(), make_author()], topics=topics[i % 20 :][:3])

    with django_assert_max_num_queries(6) as small_queries:
        client.get(_slice_url(small), headers=HTMX)
    with django_assert_max_num_queries(6) as large_queries:
        client.get(_slice_url(large), headers=HTMX)

    assert len(large_queries.captured_queries) == len(small_queries.captured_queries)


def test_author_graph_without_htmx_redirects_to_explorer(client, make_author):
    author = make_author()

    response = client.get(_slice_url(author))

    assert response.status_code == 302
    assert response["Location"] == f"/explore/?center={author.slug}"


def test_author_graph_merged_author_redirects(client, make_author):
    kept = make_author()
    merged = make_author(merged_into=kept)

    response = client.get(_slice_url(merged), headers=HTMX)

    assert response.status_code == 301
    assert response["Location"] == _slice_url(kept)


def test_author_graph_unknown_slug_404(client, db):
    assert client.get("/researchers/nobody/graph/", headers=HTMX).status_code == 404


def test_explore_links_recentre_on_coauthors(client, make_author, make_work):
    center, coauthor = make_author("Centre Person"), make_author("Next Person")
    make_work(authors=[center, coauthor])

    response = client.get("/explore/", {"center": center.slug})
    html = response.content.decode()

    assert response.status_code == 200
    assert "Centre Person" in visible_text(html)
    assert f'href="?center={coauthor.slug}">Next Person</a>' in html
    assert f'href="{center.get_absolute_url()}"' in html


def test_explore_unknown_centre_404(client, db):
    assert client.get("/explore/", {"center": "nobody"}).status_code == 404


def test_explore_merged_centre_redirects(client, make_author):
    kept = make_author()
    merged = make_author(merged_into=kept)

    response = client.get("/explore/", {"center": merged.slug})

    assert response.status_code == 301
    assert response["Location"] == f"/explore/?center={kept.slug}"


def test_explore_without_centre_offers_author_picker(client, make_author):
    author = make_author("Ada Lovelace")

    form = client.get("/explore/")
    found = client.get("/explore/", {"q": "lovelace"})

    assert form.status_code == 200
    assert 'name="q"' in form.content.decode()
    assert f'href="?center={author.slug}">Ada Lovelace</a>' in found.content.decode()
