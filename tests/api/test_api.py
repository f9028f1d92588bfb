"""/api/v1/: responses valid against the API's own OpenAPI document, cursors, filters, query
counts, rate limits (429 + Retry-After, open when the cache is down) and CORS."""

from __future__ import annotations

import pytest
from django.test import override_settings
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from works.models import Institution

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def openapi(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    return document


def check(openapi: dict, response, path: str) -> dict:
    """The response's JSON against the schema the document declares for it."""
    operation = openapi["paths"][path]["get"]
    declared = operation["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    registry = Registry().with_resource(
        "urn:bzpeer:openapi", Resource.from_contents(openapi, default_specification=DRAFT202012)
    )
    if "$ref" in schema:
        schema = {"$ref": "urn:bzpeer:openapi" + schema["$ref"]}
    validator = Draft202012Validator(schema, registry=registry)
    data = response.json()
    errors = sorted(validator.iter_errors(data), key=str)
    assert not errors, errors[0]
    return data


def test_the_demo_through_the_api(client, demo, openapi, django_assert_max_num_queries):
    # researchers, venues, works, topic counts, then the page's researchers (no works: kind)
    with django_assert_max_num_queries(5):
        found = client.get(f"{API}/search", {"q": "M. Song", "kind": "researcher"})
    data = check(openapi, found, "/api/v1/search")
    assert data["items"][0]["researcher"]["slug"] == demo.slug
    assert data["items"][0]["why"] == ["initials match Mingli Song"]

    with django_assert_max_num_queries(1):
        response = client.get(f"{API}/researchers/{demo.slug}")
    assert check(openapi, response, "/api/v1/researchers/{slug}")["works_count"] == 24

    seen, cursor = [], None
    while True:
        params = {"limit": 10} | ({"cursor": cursor} if cursor else {})
        with django_assert_max_num_queries(4):  # author, works, bylines, topics
            response = client.get(f"{API}/researchers/{demo.slug}/works", params)
        page = check(openapi, response, "/api/v1/researchers/{slug}/works")
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len({w["id"] for w in seen}) == 24
    years = [w["year"] or -1 for w in seen]
    assert years == sorted(years, reverse=True)

    graph = check(
        openapi,
        client.get(f"{API}/researchers/{demo.slug}/graph"),
        "/api/v1/researchers/{slug}/graph",
    )
    assert graph["nodes"][0]["is_center"] and graph["nodes"][0]["label"] == "Mingli Song"
    assert graph["edges"]


def test_lists_walk_with_cursors_and_filter(client, openapi, make_author, make_work, make_topic):
    optics = make_topic("Optics")
    authors = [make_author(f"Person {n}") for n in range(5)]
    make_author("Hidden", hidden=True)
    works = [make_work(authors[:1], [optics] if n % 2 else [], year=2000 + n) for n in range(5)]

    slugs, cursor = [], None
    for _ in range(10):
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        with django_assert_queries(client, 1) as get:
            page = check(openapi, get(f"{API}/researchers", params), "/api/v1/researchers")
        slugs += [r["slug"] for r in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert slugs == [a.slug for a in authors]  # the hidden one never listed

    page = check(openapi, client.get(f"{API}/works", {"topic": optics.pk}), "/api/v1/works")
    assert [w["id"] for w in page["items"]] == [works[1].pk, works[3].pk]
    assert page["items"][0]["topics"][0]["name"] == "Optics"
    page = client.get(f"{API}/works", {"year_from": 2003, "type": "preprint"}).json()
    assert [w["id"] for w in page["items"]] == [works[3].pk, works[4].pk]

    place = Institution.objects.create(display_name="Institut Optique", country_code="FR")
    found = client.get(f"{API}/institutions", {"country": "fr"})
    assert [i["id"] for i in check(openapi, found, "/api/v1/institutions")["items"]] == [place.pk]
    topic = client.get(f"{API}/topics/{optics.pk}")
    assert check(openapi, topic, "/api/v1/topics/{topic_id}")["name"] == "Optics"
    work = client.get(f"{API}/works/{works[0].pk}")
    assert check(openapi, work, "/api/v1/works/{work_id}")["authors"][0]["researcher"] == (
        authors[0].slug
    )


class django_assert_queries:  # noqa: N801 - reads like the pytest-django fixture it wraps
    """`with django_assert_queries(client, n) as get:` a GET that may run at most n queries."""

    def __init__(self, client, most: int) -> None:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        self.client, self.most = client, most
        self.context = CaptureQueriesContext(connection)

    def __enter__(self):
        self.context.__enter__()
        return self.client.get

    def __exit__(self, *exc) -> None:
        self.context.__exit__(*exc)
        assert len(self.context) <= self.most, [q["sql"] for q in self.context.captured_queries]


def test_bad_input_gets_a_clear_message(client):
    response = client.get(f"{API}/works", {"cursor": "not-ours"})
    assert (response.status_code, response.json()) == (
        400,
        {"detail": "The cursor is not one this API handed out."},
    )
    assert client.get(f"{API}/works", {"limit": 1000}).status_code == 422
    assert client.get(f"{API}/search").status_code == 422  # q is required
    assert client.get(f"{API}/works/999999").status_code == 404


def test_hidden_and_merged_researchers(client, make_author):
    kept = make_author("Kept")
    merged = make_author("Merged", merged_into=kept)
    hidden = make_author("Hidden", hidden=True)
    assert client.get(f"{API}/researchers/{hidden.slug}").status_code == 404
    assert client.get(f"{API}/researchers/{hidden.slug}/works").status_code == 404
    response = client.get(f"{API}/researchers/{merged.slug}/works?limit=5")
    assert response.status_code == 301
    assert response["Location"] == f"{API}/researchers/{kept.slug}/works?limit=5"


@override_settings(BZPEER_RATE_LIMITS={"api": "3/m"})
def test_rate_limit_answers_429_with_retry_after(client, make_author):
    author = make_author()
    statuses = [client.get(f"{API}/researchers/{author.slug}").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get(f"{API}/researchers/{author.slug}")
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert "3/m" in limited.json()["detail"]
    # another client has its own window
    other = client.get(f"{API}/researchers/{author.slug}", REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


@override_settings(
    BZPEER_RATE_LIMITS={"api": "1/m"},
    CACHES={
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there: the cache is down
        }
    },
)
def test_rate_limit_fails_open_when_the_cache_is_down(client, make_author, caplog):
    author = make_author()
    statuses = [client.get(f"{API}/researchers/{author.slug}").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert "rate-limit cache unavailable" in caplog.text


def test_cors_for_reads_only(client, make_author):
    author = make_author()
    response = client.get(f"{API}/researchers/{author.slug}", HTTP_ORIGIN="https://x.example")
    assert response["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(f"{API}/researchers", HTTP_ORIGIN="https://x.example")
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    post = client.post(f"{API}/researchers", HTTP_ORIGIN="https://x.example")
    assert post.status_code in (403, 405)
    assert "Access-Control-Allow-Origin" not in post
    page = client.get(author.get_absolute_url())
    assert "Access-Control-Allow-Origin" not in page  # the site itself: no CORS
