"""Fixtures for the graph tests: a fresh cache per test, and a synthetic hub."""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache

from works.models import Author, Authorship, Institution, Topic, Work, WorkTopic

_hubs = itertools.count(1)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Slices and versions live in the cache (Redis under `make test`): start empty."""
    cache.clear()
    yield


@pytest.fixture
def make_hub(db):
    """An author with `coauthors` distinct co-authors, written with bulk_create.

    `works` works of 1 + `per_work` authors each; the first three co-authors are also on
    every other work (close collaborators); 20 topics and 3 institutions on the hub's bylines.
    """

    def make(*, coauthors: int = 5000, works: int = 500, per_work: int = 10, **fields) -> Author:
        n = next(_hubs)
        hub = Author.objects.create(display_name=f"Hub Author {n}", slug=f"hub-{n}", **fields)
        people = Author.objects.bulk_create(
            Author(display_name=f"Hub {n} Coauthor {i}", slug=f"hub-{n}-co-{i}", name_key="")
            for i in range(coauthors)
        )
        papers = Work.objects.bulk_create(
            Work(title=f"Hub {n} paper {j}", title_key=f"hub {n} paper {j}", year=2000 + j % 25)
            for j in range(works)
        )
        rows = []
        for j, paper in enumerate(papers):
            byline = [hub] + [people[(j * per_work + t) % coauthors] for t in range(per_work)]
            if j % 2 == 0:
                byline += [p for p in people[:3] if p not in byline]
            rows += [
                Authorship(work=paper, author=a, position=i, raw_author_name=a.display_name)
                for i, a in enumerate(byline)
            ]
        authorships = Authorship.objects.bulk_create(rows, batch_size=5000)
        topics = Topic.objects.bulk_create(
            Topic(source=Topic.Source.OPENALEX_TOPIC, external_id=f"H{n}-{t}", name=f"Topic {t}")
            for t in range(20)
        )
        WorkTopic.objects.bulk_create(
            WorkTopic(work=paper, topic=topics[k])
            for j, paper in enumerate(papers)
            for k in {j % 20, (j * 7) % 20}
        )
        places = Institution.objects.bulk_create(
            Institution(display_name=f"Hub {n} Institute {i}") for i in range(3)
        )
        through = Authorship.institutions.through
        through.objects.bulk_create(
            through(authorship_id=a.pk, institution_id=places[k % 3].pk)
            for k, a in enumerate(x for x in authorships if x.author_id == hub.pk)
        )
        return hub

    return make
