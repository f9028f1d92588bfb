"""Tasks cross Redis to a real worker and their writes land in PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command

from profiles.models import TrustSnapshot
from profiles.tasks import trust_scores_recompute
from profiles.trust import AuthorFacts, trust_score
from tests.integration.waiting import wait_for
from works.models import Author

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FIXTURES = Path(__file__).parent / "fixtures"


def test_trust_scores_recompute_runs_in_worker_and_stores_snapshot(
    celery_worker_process, make_author, make_work, make_topic
):
    author = make_author()
    close, occasional = make_author(), make_author()
    topics = [make_topic() for _ in range(3)]
    make_work(authors=[author, close], topics=topics[:2])
    make_work(authors=[author, close], topics=topics[1:])
    make_work(authors=[author, occasional])
    make_work(authors=[author])
    make_work(authors=[author])
    expected = trust_score(
        AuthorFacts(
            author_id=author.pk, level=1, works=5, followers=0, topics=3, close_collaborators=1
        )
    )

    trust_scores_recompute.delay([author.pk])

    snapshot = wait_for(
        lambda: TrustSnapshot.objects.filter(author=author).first(),
        timeout=30,
        what="the worker to store a trust snapshot",
    )
    assert (snapshot.score, snapshot.band, snapshot.level) == (expected.score, expected.band, 1)
    author.refresh_from_db()
    assert author.trust_score == expected.score
    assert author.trust_band == expected.band
    assert (author.works_count, author.topics_count, author.close_collaborators_count) == (
        5,
        3,
        1,
    )


def test_import_works_enqueues_trust_recompute_for_imported_authors(celery_worker_process):
    out = io.StringIO()

    call_command(
        "import_works", "--format", "openalex", str(FIXTURES / "openalex_works_3.json"), stdout=out
    )

    imported = Author.objects.all()
    # 20 authorships over the three works, 18 of them with an OpenAlex author id.
    assert imported.count() >= 18, out.getvalue()
    wait_for(
        lambda: not imported.filter(trust_snapshots__isnull=True).exists(),
        timeout=30,
        what="a trust snapshot for every imported author",
    )
    for author in imported:
        latest = author.trust_snapshots.first()
        assert author.trust_score == latest.score
        assert author.trust_band == latest.band
