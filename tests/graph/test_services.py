"""Slices from the database: content, budgets, query counts, caching and versions."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.versions import author_version, author_version_key, author_versions_bump
from graph import cache as slice_cache
from graph import presets, services, tasks
from graph.slice import MAX_EDGES, MAX_NODES
from profiles.trust_engine import CLOSE_COLLABORATOR_MIN_SHARED_WORKS, trust_scores_recompute
from works.models import Author, Authorship, Institution

pytestmark = pytest.mark.sqlite

# Author lookup aside, a slice is at most this many queries, whatever the author's size.
SLICE_QUERIES = 12

REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


@pytest.fixture
def small(make_author, make_work, make_topic):
    """A centre with co-authors on 3, 2 and 1 shared works, two topics, one institution."""
    home = Institution.objects.create(display_name="Home University")
    center = make_author("Centre Person", last_known_institution=home)
    often, twice, once = make_author("Often"), make_author("Twice"), make_author("Once")
    graphs, vision = make_topic("Graph learning"), make_topic("Vision")
    for year in (2019, 2020, 2021):
        make_work(authors=[center, often], topics=[graphs], year=year)
    make_work(authors=[center, twice, once], topics=[graphs, vision], year=2022)
    make_work(authors=[center, twice], topics=[vision], year=2023)
    make_work(authors=[once, make_author("Stranger")])  # not the centre's
    return center


def _build(author: Author, params=presets.PROFILE):
    return services.graph_slice_build(author=author, params=params)


def test_slice_small_author_nodes_and_typed_edges(small):
    s = _build(small)

    assert [n.label for n in s.coauthors] == ["Often", "Twice", "Once"]
    assert {n.label for n in s.topics} == {"Graph learning", "Vision"}
    assert [n.label for n in s.institutions] == ["Home University"]
    assert len(s.works) == 5
    weights = {
        s.by_id[e.target if e.source == s.center.id else e.source].label: e.weight
        for e in s.edges
        if e.kind == "co-authored" and s.center.id in (e.source, e.target)
    }
    assert weights == {"Often": 3, "Twice": 2, "Once": 1}
    assert {e.kind for e in s.edges} == {"authored", "co-authored", "about", "affiliated"}
    assert "Stranger" not in {n.label for n in s.nodes}
    assert s.coauthors_total == 3


def test_slice_close_collaborators_match_profile_count_after_recompute(small):
    trust_scores_recompute(author_ids=[small.pk])
    small.refresh_from_db()

    s = _build(small)

    assert small.close_collaborators_count == 2  # Often (3) and Twice (2)
    assert s.close_collaborators == small.close_collaborators_count
    assert s.close_collaborators_shown == small.close_collaborators_count
    assert all((n.label in {"Often", "Twice"}) == n.close for n in s.coauthors)
    assert CLOSE_COLLABORATOR_MIN_SHARED_WORKS == 2


def test_slice_topics_total_matches_profile_count_after_recompute(small):
    trust_scores_recompute(author_ids=[small.pk])
    small.refresh_from_db()

    assert _build(small).topics_total == small.topics_count == 2


def test_slice_hub_with_5000_coauthors_stays_within_budget(make_hub, django_assert_max_num_queries):
    hub = make_hub(coauthors=5000)

    with django_assert_max_num_queries(SLICE_QUERIES):
        profile = _build(hub)
    with django_assert_max_num_queries(SLICE_QUERIES):
        explorer = _build(hub, presets.explorer_params(depth=2))

    assert profile.coauthors_total == 5000
    assert len(profile.coauthors) <= presets.PROFILE.coauthors
    assert len(profile.nodes) <= presets.PROFILE.max_nodes
    assert len(explorer.nodes) <= MAX_NODES and len(explorer.edges) <= MAX_EDGES
    # the three on every other work come first
    frequent = Author.objects.filter(slug__in=[f"{hub.slug}-co-{i}" for i in range(3)])
    assert {n.label for n in profile.coauthors[:3]} == {a.display_name for a in frequent}
    assert len(profile.topics) > 0 and len(profile.institutions) == 3


def test_slice_queries_do_not_grow_with_the_neighbourhood(
    small, make_hub, django_assert_max_num_queries
):
    """Guards against a query per co-author, work, topic or institution."""
    hub = make_hub(coauthors=2000, works=200)

    with django_assert_max_num_queries(SLICE_QUERIES) as few:
        _build(small, presets.explorer_params(depth=2))
    with django_assert_max_num_queries(SLICE_QUERIES) as many:
        _build(hub, presets.explorer_params(depth=2))

    assert len(many.captured_queries) <= len(few.captured_queries)


def test_slice_depth_two_adds_coauthors_of_coauthors(make_author, make_work):
    center, friend, far = make_author("Centre"), make_author("Friend"), make_author("Far Away")
    make_work(authors=[center, friend])
    make_work(authors=[friend, far])

    one = _build(center, presets.explorer_params(depth=1))
    two = _build(center, presets.explorer_params(depth=2))

    assert "Far Away" not in {n.label for n in one.nodes}
    far_node = next(n for n in two.nodes if n.label == "Far Away")
    assert far_node.hop == 2
    assert any(e.kind == "co-authored" and far_node.id in (e.source, e.target) for e in two.edges)


def test_slice_filters_years_and_minimum_shared_works(small):
    recent = _build(small, presets.explorer_params(year_from=2022))
    strong = _build(small, presets.explorer_params(min_shared=2))
    only_works = _build(small, presets.explorer_params(kinds=["work"]))

    assert {n.detail.split(" ·")[0] for n in recent.works} == {"2022", "2023"}
    assert [n.label for n in recent.coauthors] == ["Twice", "Once"]
    assert [n.label for n in strong.coauthors] == ["Often", "Twice"]
    assert {n.kind for n in only_works.nodes if not n.is_center} == {"work"}


def test_slice_leaves_out_hidden_coauthors(small):
    Author.objects.filter(display_name="Often").update(hidden=True)

    s = _build(small)

    assert "Often" not in {n.label for n in s.nodes}


def test_slice_same_data_same_svg_bytes(small):
    assert _build(small).svg == _build(small).svg


def test_slice_cache_hit_costs_no_queries(small, django_assert_num_queries):
    first = services.graph_slice_get(author=small, params=presets.PROFILE)

    with django_assert_num_queries(0):
        again = services.graph_slice_get(author=small, params=presets.PROFILE)
    with django_assert_num_queries(0):
        cached = slice_cache.graph_slice_cached(author=small, params=presets.PROFILE)

    assert first.slice is not None and again.slice == first.slice == cached


def test_versions_bump_makes_the_next_read_miss(small):
    services.graph_slice_get(author=small, params=presets.PROFILE)
    before = author_version(small.pk)

    assert author_versions_bump([small.pk])

    assert author_version(small.pk) != before
    assert slice_cache.graph_slice_cached(author=small, params=presets.PROFILE) is None


def test_import_path_bumps_versions_on_commit(small, django_capture_on_commit_callbacks):
    services.graph_slice_get(author=small, params=presets.PROFILE)
    other = Author.objects.get(display_name="Twice")
    services.graph_slice_get(author=other, params=presets.PROFILE)

    with django_capture_on_commit_callbacks(execute=True):
        authors_changed_announce({small.pk, other.pk}, why=Why.WORKS, sender=None)

    assert slice_cache.graph_slice_cached(author=small, params=presets.PROFILE) is None
    assert slice_cache.graph_slice_cached(author=other, params=presets.PROFILE) is None


def test_slice_large_author_miss_is_pending_and_enqueued_once(
    small, django_capture_on_commit_callbacks
):
    Author.objects.filter(pk=small.pk).update(works_count=services.LARGE_WORKS)
    small.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.graph_slice_get(author=small, params=presets.PROFILE)
        second = services.graph_slice_get(author=small, params=presets.PROFILE)

    assert first.pending and second.pending and first.slice is None
    assert len(callbacks) == 1  # the build lock: one task, however many polls


def test_precompute_task_fills_the_cache_of_large_authors_only(small):
    Author.objects.filter(pk=small.pk).update(works_count=services.LARGE_WORKS)
    small.refresh_from_db()
    other = Author.objects.get(display_name="Twice")

    done = tasks.graph_slices_precompute([small.pk, other.pk], large_only=True)

    assert done == 1
    assert services.graph_slice_get(author=small, params=presets.PROFILE).slice is not None
    assert slice_cache.graph_slice_cached(author=other, params=presets.PROFILE) is None
    explorer = slice_cache.graph_slice_cached(author=small, params=presets.explorer_params())
    assert explorer is not None and explorer.center.label == "Centre Person"


def test_visibility_change_bumps_coauthors(small, django_capture_on_commit_callbacks):
    services.graph_slice_get(author=small, params=presets.PROFILE)
    often = Author.objects.get(display_name="Often")

    with django_capture_on_commit_callbacks(execute=True):
        authors_changed_announce([often.pk], why=Why.PROFILE, sender=None)

    assert slice_cache.graph_slice_cached(author=small, params=presets.PROFILE) is None


@override_settings(CACHES=REDIS_DOWN)
def test_slice_with_cache_down_builds_small_and_defers_large(small, make_author):
    large = make_author("Large", works_count=services.LARGE_WORKS)

    built = services.graph_slice_get(author=small, params=presets.PROFILE)
    deferred = services.graph_slice_get(author=large, params=presets.PROFILE)

    assert built.unavailable and built.slice is not None
    assert deferred.unavailable and deferred.slice is None and not deferred.pending
    assert author_versions_bump([small.pk]) is False  # never raises


def test_authorships_of_the_slice_are_the_centres(small):
    s = _build(small)
    work_ids = {n.pk for n in s.works}

    assert work_ids == set(
        Authorship.objects.filter(author=small).values_list("work_id", flat=True)
    )
    assert cache.get(author_version_key(small.pk)) is None  # building alone caches nothing
