"""The anonymous profile page served from the cache, and everything that must refresh it."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from bzpeer.lib.versions import author_versions_bump
from profiles.trust_engine import trust_scores_recompute

pytestmark = [pytest.mark.sqlite, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def test_page_cache_second_anonymous_visit_costs_one_query(
    client, make_author, make_work, django_assert_num_queries
):
    author = make_author("Ada Cached")
    for _ in range(30):
        make_work(authors=[author])
    first = client.get(author.get_absolute_url())
    assert first.status_code == 200
    with django_assert_num_queries(1):  # the narrow row that keys the entry
        second = client.get(author.get_absolute_url())
    assert second.content == first.content


def test_page_cache_entry_is_refreshed_when_the_data_version_moves(client, make_author, make_work):
    author = make_author("Ada Versioned")
    make_work(authors=[author], title="The first paper")
    client.get(author.get_absolute_url())
    make_work(authors=[author], title="A paper imported later")
    # imports, merges, splits and claims bump the author's data version on commit
    author_versions_bump([author.pk])
    assert "A paper imported later" in client.get(author.get_absolute_url()).content.decode()


def test_page_cache_entry_is_refreshed_by_a_new_score_or_follower(
    client, make_author, make_work, make_user
):
    author = make_author("Ada Scored")
    make_work(authors=[author])
    assert "Trust not computed yet" in client.get(author.get_absolute_url()).content.decode()
    trust_scores_recompute(author_ids=[author.pk])
    author.refresh_from_db()
    page = client.get(author.get_absolute_url()).content.decode()
    assert f"Trust {author.trust_score} - {author.trust_band}" in page

    follower = Client()
    follower.force_login(make_user())
    follower.post(f"{author.get_absolute_url()}follow/")
    assert "Follow researcher" in client.get(author.get_absolute_url()).content.decode()
    author.refresh_from_db()
    assert author.followers_count == 1
    page = client.get(author.get_absolute_url()).content.decode()
    assert '<span class="stats__value" id="followers-count">1</span>' in page


def test_page_cache_is_never_used_for_a_signed_in_visitor(client, make_author, make_user):
    author = make_author("Ada Private")
    anonymous = client.get(author.get_absolute_url()).content.decode()
    assert "X-CSRFToken" not in anonymous  # nothing per-visitor in a cacheable page
    user = make_user()
    client.force_login(user)
    page = client.get(author.get_absolute_url()).content.decode()
    assert "X-CSRFToken" in page
    assert "Log in to claim" not in page


def test_page_cache_never_serves_a_hidden_or_merged_author(client, make_author):
    author, kept = make_author("Ada Hidden"), make_author("Ada Kept")
    assert client.get(author.get_absolute_url()).status_code == 200
    type(author).objects.filter(pk=author.pk).update(hidden=True)
    assert client.get(author.get_absolute_url()).status_code == 404
    type(author).objects.filter(pk=author.pk).update(hidden=False, merged_into=kept)
    response = client.get(author.get_absolute_url())
    assert response.status_code == 301
    assert response["Location"] == kept.get_absolute_url()


def test_page_cache_each_page_of_works_has_its_own_entry(client, make_author, make_work):
    author = make_author("Ada Paged")
    for i in range(25):
        make_work(authors=[author], title=f"Paper number {i:02d}", year=2000 + i)
    first = client.get(author.get_absolute_url()).content.decode()
    second = client.get(author.get_absolute_url() + "?page=2").content.decode()
    assert "Paper number 24" in first and "Paper number 24" not in second
    assert "Paper number 00" in second


@override_settings(
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
        }
    }
)
def test_page_cache_down_still_renders_the_page(client, make_author):
    author = make_author("Ada Uncached")
    response = client.get(author.get_absolute_url())
    assert response.status_code == 200
    assert "Ada Uncached" in response.content.decode()
