"""Search answers from the cache (works/search_cache.py): a repeat costs no query, a committed
change shows in the next search, and with Redis down every answer is still computed."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings

from bzpeer.lib.events import Why, authors_changed_announce
from bzpeer.lib.versions import WORKS_VERSION_KEY, WorksVersionBump, works_data_version
from works import search_cache

pytestmark = pytest.mark.django_db

API = "/api/v1"
REDIS_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
    }
}


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Runs the on-commit callbacks of what is written inside it, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def tortoise(committed, make_author, make_work):
    with committed():
        author = make_author("Tamsin Tortuga")
        work = make_work(title="Tortoise gaits on sand", authors=[author])
    return work


def test_a_repeated_search_costs_no_query(client, tortoise, django_assert_num_queries):
    for url in (
        "/search/?q=tortoise",
        "/search/?q=Tamsin+Tortuga&kind=researcher",
        f"{API}/search?q=tortoise",
        f"{API}/researchers/{tortoise.authorships.get().author.slug}",
    ):
        first = client.get(url)
        assert first.status_code == 200
        with django_assert_num_queries(0):
            again = client.get(url)
        assert again.content == first.content
    htmx = client.get("/search/?q=tortoise", HTTP_HX_REQUEST="true")
    assert htmx.content.lstrip().startswith(b'<div id="search-results"')  # its own entry


def test_a_signed_in_visitor_gets_the_cached_results_in_their_own_page(
    client, tortoise, make_user, django_assert_max_num_queries
):
    anonymous = client.get("/search/?q=tortoise").content.decode()
    user = make_user()
    client.force_login(user)
    with django_assert_max_num_queries(3):  # session, user; the results come from the cache
        page = client.get("/search/?q=tortoise").content.decode()
    assert "Tortoise gaits on sand" in page and "Log out" in page
    assert "Log out" not in anonymous


def test_a_committed_change_shows_in_the_next_search(client, committed, tortoise):
    author = tortoise.authorships.get().author
    assert "Tortoise gaits on sand" in client.get("/search/?q=tortoise").content.decode()
    assert client.get(f"{API}/search?q=tortoise").json()["works_total"] == 1
    assert client.get(f"{API}/researchers/{author.slug}").json()["name"] == "Tamsin Tortuga"

    with committed():  # a plain save: the model signal moves the version on commit
        tortoise.title = "Tortoise gaits on wet sand"
        tortoise.save()
        author.display_name = "Tamsin Tortuga-Ray"
        author.save()

    assert "Tortoise gaits on wet sand" in client.get("/search/?q=tortoise").content.decode()
    api = client.get(f"{API}/search?q=tortoise").json()
    assert api["items"][0]["work"]["title"] == "Tortoise gaits on wet sand"
    assert client.get(f"{API}/researchers/{author.slug}").json()["name"] == "Tamsin Tortuga-Ray"

    # a bulk write announced by its service (no model signal) moves it too
    names = "/search/?q=Tamsin+Tortuga&kind=researcher"
    assert author.get_absolute_url() in client.get(names).content.decode()
    type(author).objects.filter(pk=author.pk).update(hidden=True)
    with committed():
        authors_changed_announce([author.pk], why=Why.PROFILE, sender=None)
    assert client.get(f"{API}/researchers/{author.slug}").status_code == 404
    assert author.get_absolute_url() not in client.get(names).content.decode()


def test_the_version_moves_only_on_commit_and_once_per_transaction(
    committed, make_work, django_capture_on_commit_callbacks
):
    before = works_data_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        for n in range(5):
            make_work(title=f"Uncommitted {n}")
    assert works_data_version() == before  # not yet committed: unchanged
    assert len([c for c in callbacks if isinstance(c, WorksVersionBump)]) == 1
    for callback in callbacks:
        callback()
    assert works_data_version() != before


def test_an_answer_stored_under_an_older_version_is_rebuilt(tortoise):
    calls = []

    def build():
        calls.append(1)
        return len(calls)

    assert search_cache.answer_cached("t", ["q"], build) == 1
    assert search_cache.answer_cached("t", ["q"], build) == 1
    cache.set(WORKS_VERSION_KEY, works_data_version() + 1, timeout=None)
    assert search_cache.answer_cached("t", ["q"], build) == 2
    assert len(calls) == 2
    # what a process holds in memory is served only under the version it was stored with
    version = works_data_version()
    search_cache.local_put("k", version, "held")
    assert search_cache.local_get("k", version) == (True, "held")
    assert search_cache.local_get("k", version + 1) == (False, None)


@override_settings(CACHES=REDIS_DOWN)
def test_with_redis_down_search_still_answers(client, tortoise, caplog):
    for _ in range(2):
        assert "Tortoise gaits on sand" in client.get("/search/?q=tortoise").content.decode()
        assert client.get(f"{API}/search?q=tortoise").json()["works_total"] == 1
    assert "search cache unavailable" in caplog.text


@override_settings(SEARCH_CACHE_SECONDS=0)
def test_the_cache_can_be_turned_off(client, tortoise, django_assert_max_num_queries):
    client.get("/search/?q=tortoise")
    with django_assert_max_num_queries(12) as captured:
        client.get("/search/?q=tortoise")
    assert len(captured) > 0  # computed again
