from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from bzpeer.lib.versions import author_versions_bump
from graph import cache as slice_cache
from graph import presets, services, tasks
from profiles.trust_engine import trust_scores_recompute
from tests.html import visible_text
from works.models import Author, Institution

pytestmark = pytest.mark.sqlite

HTMX = {"HX-Request": "true"}
REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


def _slice_url(author) -> str:
    return f"/researchers/{author.slug}/graph/"


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)


def _markup(html: str) -> _Markup:
    parsed = _Markup()
    parsed.feed(html)
    return parsed


def test_author_graph_ranks_coauthors_by_shared_works(client, make_author, make_work):
    center = make_author()
    frequent, occasional = make_author("Frequent Coauthor"), make_author("Occasional Coauthor")
    for _ in range(3):
        make_work(authors=[center, frequent])
    make_work(authors=[center, occasional, frequent])
    make_work(authors=[occasional])  # not shared with center

    response = client.get(_slice_url(center), headers=HTMX)
    html = response.content.decode()
    lists = visible_text(html.split('class="graph-slice__grid"')[1])

    assert response.status_code == 200
    assert html.lstrip().startswith('<div class="graph-slice" id="graph-slice">')
    assert "Building this graph slice" not in visible_text(html)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="graph-svg"' in html
    assert lists.index("Frequent Coauthor 4 shared works") < lists.index(
        "Occasional Coauthor 1 shared work"
    )
    assert f'href="/researchers/{frequent.slug}/"' in html
    edges = visible_text(html.split('class="graph-edge-list"')[1])
    assert "Occasional Coauthor Co-authored with: Frequent Coauthor (1 shared work)" in edges


def test_author_graph_explains_every_edge_type_and_counts(
    client, make_author, make_work, make_topic
):
    home = Institution.objects.create(display_name="Home University")
    center = make_author(last_known_institution=home)
    topic = make_topic("Graph learning")
    close = make_author("Close Colleague")
    for _ in range(2):
        make_work(authors=[center, close], topics=[topic])
    trust_scores_recompute(author_ids=[center.pk])

    text = visible_text(client.get(_slice_url(center), headers=HTMX).content)

    assert "Authored A researcher is on the byline of a work." in text
    assert "About A work is classified under a topic." in text
    assert "Co-authored Two researchers share works" in text
    assert "Affiliated A researcher lists the institution" in text
    assert "1 close collaborator (co-authors on at least 2 shared works" in text
    assert "Graph learning 2 works by" in text
    assert "Home University a last known affiliation" in text


def test_author_graph_queries_are_bounded_and_zero_when_cached(
    client, make_author, make_work, make_topic, django_assert_max_num_queries
):
    """Guards against a query per co-author, work, topic or institution in the slice."""
    small, large = make_author(), make_author()
    make_work(authors=[small, make_author(), make_author()], topics=[make_topic()])
    topics = [make_topic() for _ in range(20)]
    for i in range(60):
        make_work(authors=[large, make_author(), make_author()], topics=topics[i % 20 :][:3])

    with django_assert_max_num_queries(13) as few:
        client.get(_slice_url(small), headers=HTMX)
    with django_assert_max_num_queries(13) as many:
        client.get(_slice_url(large), headers=HTMX)
    with django_assert_max_num_queries(1) as cached:  # the author's row only
        client.get(_slice_url(large), headers=HTMX)

    assert len(many.captured_queries) <= len(few.captured_queries)
    sql = cached.captured_queries[0]["sql"]
    assert "profiles_author" in sql
    # the narrow row the fragment reads from the cache (services.SLICE_AUTHOR_FIELDS): no
    # institution joined, no profile columns
    assert "JOIN" not in sql and "orcid" not in sql


def test_author_graph_fragment_is_kept_alone_and_follows_the_data_version(
    client, make_author, make_work
):
    center = make_author()
    make_work(authors=[center, make_author("Early Coauthor")])
    assert "Early Coauthor" in client.get(_slice_url(center), headers=HTMX).content.decode()
    version, html = slice_cache.profile_fragment_cached(center)
    assert html is not None and "Early Coauthor" in html  # the next request needs no slice

    make_work(authors=[center, make_author("Later Coauthor")])
    assert "Later Coauthor" not in client.get(_slice_url(center), headers=HTMX).content.decode()
    author_versions_bump([center.pk])  # as the import's announcement does on commit

    assert "Later Coauthor" in client.get(_slice_url(center), headers=HTMX).content.decode()
    assert slice_cache.profile_fragment_cached(center)[0] != version


EVIL = '<script>alert(1)</script>" hx-get="/evil" hx-trigger="load'


def test_author_graph_names_with_markup_are_inert(client, make_author, make_work, make_topic):
    center = make_author(EVIL)
    make_work(authors=[center, make_author(EVIL)], topics=[make_topic(EVIL)], title=EVIL)
    Institution.objects.create(display_name=EVIL)

    html = client.get(_slice_url(center), headers=HTMX).content.decode()
    explorer = client.get("/explore/", {"center": center.slug}).content.decode()

    for page in (html, explorer):
        markup = _markup(page)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert ("hx-get", "/evil") not in markup.attrs
        assert ("hx-trigger", "load") not in markup.attrs
        assert "<script>alert" not in page
    assert "script" not in _markup(html).tags


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


def test_author_graph_unknown_or_hidden_slug_404(client, make_author):
    hidden = make_author(hidden=True)

    assert client.get("/researchers/nobody/graph/", headers=HTMX).status_code == 404
    assert client.get(_slice_url(hidden), headers=HTMX).status_code == 404
    assert client.get("/explore/", {"center": hidden.slug}).status_code == 404


def test_author_graph_large_author_polls_until_the_worker_is_done(
    client, make_author, make_work, django_capture_on_commit_callbacks
):
    hub = make_author("Hub Person", works_count=services.LARGE_WORKS)
    make_work(authors=[hub, make_author("Busy Colleague")])

    with django_capture_on_commit_callbacks(execute=False) as enqueued:
        waiting = client.get(_slice_url(hub), headers=HTMX).content.decode()
    tasks.graph_slices_precompute([hub.pk])  # what the enqueued task does on a worker
    done = client.get(_slice_url(hub) + "?attempt=1", headers=HTMX).content.decode()

    assert len(enqueued) == 1
    assert "Building this graph slice…" in waiting
    assert 'hx-trigger="load delay:2s"' in waiting
    assert f'hx-get="{_slice_url(hub)}?attempt=1"' in waiting
    assert "<svg" not in waiting
    assert "Busy Colleague" in visible_text(done)


def test_author_graph_polling_backs_off_and_stops(client, make_author):
    hub = make_author(works_count=services.LARGE_WORKS)

    later = client.get(_slice_url(hub) + "?attempt=3", headers=HTMX).content.decode()
    last = client.get(_slice_url(hub) + "?attempt=6", headers=HTMX).content.decode()

    assert 'hx-trigger="load delay:8s"' in later
    assert "hx-trigger" not in last  # no more automatic requests
    assert "Try again" in visible_text(last)


@override_settings(CACHES=REDIS_DOWN)
def test_profile_renders_and_graph_says_it_will_retry_with_redis_down(client, make_author):
    hub = make_author("Hub Person", works_count=services.LARGE_WORKS)

    page = client.get(hub.get_absolute_url())
    fragment = client.get(_slice_url(hub), headers=HTMX).content.decode()
    gave_up = client.get(_slice_url(hub) + "?attempt=3", headers=HTMX).content.decode()

    assert page.status_code == 200
    assert "Building this graph slice" in visible_text(page.content)
    assert "This section will retry in 30 seconds." in visible_text(fragment)
    assert 'hx-trigger="load delay:30s"' in fragment  # not a tight loop
    assert "hx-trigger" not in gave_up


@override_settings(CACHES=REDIS_DOWN)
def test_author_graph_small_author_is_drawn_without_the_cache(client, make_author, make_work):
    center = make_author()
    make_work(authors=[center, make_author("Colleague")])

    html = client.get(_slice_url(center), headers=HTMX).content.decode()

    assert "<svg" in html
    assert "Drawn without the cache" in visible_text(html)


def test_explore_recentre_links_use_htmx_and_push_the_url(client, make_author, make_work):
    center, coauthor = make_author("Centre Person"), make_author("Next Person")
    make_work(authors=[center, coauthor])

    response = client.get("/explore/", {"center": center.slug})
    html = response.content.decode()
    link = f"/explore/?center={coauthor.slug}"

    assert response.status_code == 200
    assert "Centre Person" in visible_text(html)
    # in the drawing and in the list: a plain link, loaded by htmx when scripts run
    assert html.count(f'href="{link}" hx-get="{link}" hx-target="#explorer"') >= 1
    assert re.search(
        rf'<a class="node node--author" id="gn-a{coauthor.pk}" href="{re.escape(link)}"'
        rf' hx-get="{re.escape(link)}" hx-target="#explorer" hx-swap="outerHTML"'
        r' hx-push-url="true"',
        html,
    )
    assert f'href="{center.get_absolute_url()}"' in html


def test_explore_htmx_request_returns_the_explorer_fragment_with_title(
    client, make_author, make_work
):
    center = make_author("Centre Person")
    make_work(authors=[center, make_author()])

    fragment = client.get("/explore/", {"center": center.slug}, headers=HTMX).content.decode()
    restore = client.get(
        "/explore/",
        {"center": center.slug},
        headers={**HTMX, "HX-History-Restore-Request": "true"},
    ).content.decode()

    assert fragment.lstrip().startswith("<title>Centre Person in context · BZPEER</title>")
    assert '<div class="explorer" id="explorer">' in fragment
    assert "<html" not in fragment
    assert "<html" in restore  # a history miss gets the whole page


def test_explore_node_panel_links_to_work_page(client, make_author, make_work):
    center = make_author()
    work = make_work(authors=[center, make_author()], title="A Panel Paper")

    html = client.get("/explore/", {"center": center.slug, "node": f"w{work.pk}"}).content
    text = visible_text(html)

    assert "A Panel Paper" in text.split("Connections in this graph")[0]
    assert f'href="/works/{work.pk}/">Open the work page</a>' in html.decode()


def test_topic_and_institution_nodes_link_to_their_pages(
    client, make_author, make_work, make_topic
):
    home = Institution.objects.create(display_name="Home University")
    center = make_author(last_known_institution=home)
    topic = make_topic("Graph learning")
    make_work(authors=[center, make_author()], topics=[topic])
    topic_url, home_url = topic.get_absolute_url(), home.get_absolute_url()

    # the profile's slice: the drawing and the lists lead to the pages
    profile = client.get(_slice_url(center), headers=HTMX).content.decode()
    assert profile.count(f'href="{topic_url}"') >= 2
    assert profile.count(f'href="{home_url}"') >= 2
    # the explorer: the lists lead to the pages, a node's panel offers its page
    explorer = client.get("/explore/", {"center": center.slug}).content.decode()
    lists = explorer.split('id="graph-list-topics"')[1]
    assert f'<a href="{topic_url}"><bdi>Graph learning</bdi></a>' in lists
    assert f'<a href="{home_url}"><bdi>Home University</bdi></a>' in lists
    panel = client.get("/explore/", {"center": center.slug, "node": f"t{topic.pk}"}).content
    assert f'href="{topic_url}">Open the topic page</a>' in panel.decode()
    panel = client.get("/explore/", {"center": center.slug, "node": f"i{home.pk}"}).content
    assert f'href="{home_url}">Open the institution page</a>' in panel.decode()
    # and the pages answer
    assert client.get(topic_url).status_code == 200
    assert client.get(home_url).status_code == 200


def test_explore_filters_round_trip_in_links(client, make_author, make_work):
    center, friend, far = make_author("Centre"), make_author("Friend"), make_author("Far Away")
    make_work(authors=[center, friend], year=2015)
    make_work(authors=[friend, far], year=2016)

    html = client.get(
        "/explore/",
        {"center": center.slug, "show": ["author"], "depth": "2", "from": "2010", "to": ""},
    ).content.decode()
    text = visible_text(html)

    assert "Far Away" in text
    assert f"/explore/?center={friend.slug}&amp;show=author&amp;from=2010&amp;depth=2" in html
    assert "Works" in text and "No works in this slice." in text


def test_explore_bad_filter_values_fall_back_to_defaults(client, make_author, make_work):
    center = make_author()
    make_work(authors=[center, make_author("Colleague")])

    response = client.get(
        "/explore/", {"center": center.slug, "depth": "9", "min_shared": "x", "from": "year"}
    )

    assert response.status_code == 200
    assert "Colleague" in visible_text(response.content)


def test_explore_unknown_centre_404(client, db):
    assert client.get("/explore/", {"center": "nobody"}).status_code == 404


def test_explore_merged_centre_redirects(client, make_author):
    kept = make_author()
    merged = make_author(merged_into=kept)

    response = client.get("/explore/", {"center": merged.slug, "depth": "2"})

    assert response.status_code == 301
    assert response["Location"] == f"/explore/?center={kept.slug}&depth=2"


def test_explore_without_centre_offers_author_picker(client, make_author):
    author = make_author("Ada Lovelace")

    form = client.get("/explore/")
    found = client.get("/explore/", {"q": "lovelace"})

    assert form.status_code == 200
    assert 'name="q"' in form.content.decode()
    assert f'href="?center={author.slug}"><bdi>Ada Lovelace</bdi></a>' in found.content.decode()


# --- the seed researcher (load_demo, ~10 s: loaded once for the tests below) ------------


@pytest.fixture(scope="module")
def seed(django_db_setup, django_db_blocker):
    """The demo data, loaded once inside a transaction that is rolled back afterwards, so
    no other test module sees it. on_commit hooks never fire in it: the trust engine is
    run by hand."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_demo", verbosity=0)
        author = Author.objects.get(slug="mingli-song")
        trust_scores_recompute(author_ids=[author.pk])
        author.refresh_from_db()
        yield author
        transaction.set_rollback(True)


def test_seed_researcher_profile_slice(seed, client, db):
    response = client.get(_slice_url(seed), headers=HTMX)
    s = slice_cache.graph_slice_cached(author=seed, params=presets.PROFILE)
    text = visible_text(response.content)

    assert response.status_code == 200
    assert 12 <= len(s.nodes) <= presets.PROFILE.max_nodes
    assert {n.kind for n in s.nodes} >= {"author", "work", "topic"}
    assert s.close_collaborators == seed.close_collaborators_count > 0
    assert s.topics_total == seed.topics_count > 0
    assert "Jie Song" in text  # the most frequent co-author
    assert sum(1 for n in s.nodes if n.labelled) >= 10


def test_seed_researcher_explorer_depth_two(seed, client, db):
    response = client.get("/explore/", {"center": seed.slug, "depth": "2"})
    s = response.context["slice"]

    assert response.status_code == 200
    assert len(s.nodes) <= 200 and len(s.edges) <= 1000
    assert len(s.nodes) > len(services.graph_slice_build(author=seed, params=presets.PROFILE).nodes)


def test_explore_depth_2_counts_direct_coauthors_apart_from_theirs(client, make_author, make_work):
    """ "Showing 11 of 3 co-authors" at depth 2 counted co-authors of co-authors as well."""
    center = make_author("Centre Person")
    direct = [make_author(f"Direct {i}") for i in range(3)]
    for person in direct:
        make_work(authors=[center, person])
        for j in range(3):
            make_work(authors=[person, make_author(f"Far {person.pk}-{j}")])

    text = visible_text(
        client.get("/explore/", {"center": center.slug, "depth": 2}).content.decode()
    )

    assert "Showing 3 of 3 co-authors and 9 of their co-authors" in text


def test_explore_with_only_topics_ticked_says_the_filters_hide_everything(
    client, make_author, make_work, make_topic
):
    center = make_author("Centre Person")
    make_work(authors=[center, make_author()], topics=[make_topic("Graphs")])

    text = visible_text(
        client.get("/explore/", {"center": center.slug, "show": "topic"}).content.decode()
    )

    assert "have been imported" not in text
    assert "Nothing around Centre Person matches these filters" in text
