"""A worker SIGKILLed in the middle of a trust chunk loses nothing and duplicates nothing.

The test workers pause where the trust engine sends profiles.signals.trust_chunk_midway
(tests/integration/pause_points.py): mid-transaction (author rows updated, snapshots not yet
written, nothing committed), for as long as the Redis key `<hook>:hold` exists, after
writing its pid to `<hook>:reached`. So the test knows for certain the worker is inside the
chunk when it kills it. A new worker, started once the broker's visibility timeout (5 s
here) has passed, gets the unacknowledged task back and finishes it; the scores must equal
a clean run's.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from profiles import trust_engine
from profiles.models import DirtyAuthor, TrustSnapshot
from profiles.tasks import trust_dirty_recompute, trust_scores_recompute
from profiles.trust import trust_score
from tests.integration.pause_points import TRUST_CHUNK, hold_key, reached_key
from tests.integration.waiting import wait_for
from works.models import Author

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

VISIBILITY_TIMEOUT = 5
WORKER_ENV = {"CELERY_BROKER_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT)}


def clean_run(author_ids: list[int]) -> dict[int, tuple]:
    """What a recompute that nobody interrupted stores: the pure formula over the facts."""
    expected = {}
    for fact in trust_engine.trust_facts(author_ids):
        result = trust_score(fact)
        expected[fact.author_id] = (
            result.score,
            result.band,
            fact.works,
            fact.topics,
            fact.close_collaborators,
        )
    return expected


def stored(author_ids: list[int]) -> dict[int, tuple]:
    return {
        a.pk: (a.trust_score, a.trust_band, a.works_count, a.topics_count,
               a.close_collaborators_count)
        for a in Author.objects.filter(pk__in=author_ids)
    }  # fmt: skip


@pytest.fixture
def chunk(make_author, make_work, make_topic) -> list[int]:
    authors = [make_author() for _ in range(40)]
    topics = [make_topic() for _ in range(6)]
    for i in range(0, 40, 2):
        make_work(authors=authors[i : i + 4], topics=topics[i % 6 : i % 6 + 2])
        make_work(authors=authors[i : i + 3], topics=topics[(i + 1) % 6 :][:1])
    return [a.pk for a in authors]


@pytest.mark.parametrize("path", ["chunk task", "dirty beat task"])
def test_worker_killed_mid_chunk_then_restarted_stores_a_clean_runs_scores(
    celery_worker_factory, chunk, path
):
    expected = clean_run(chunk)
    broker = celery_worker_factory.redis
    worker = celery_worker_factory(**WORKER_ENV)
    broker.set(hold_key(TRUST_CHUNK), 1)

    if path == "chunk task":
        trust_scores_recompute.delay(chunk)
    else:
        trust_engine.authors_mark_dirty(author_ids=chunk)
        trust_dirty_recompute.delay()

    pid = wait_for(
        lambda: broker.get(reached_key(TRUST_CHUNK)),
        timeout=60,
        what="the worker to reach the middle of the chunk",
    )
    assert int(pid) == worker.pid  # solo pool: the task runs in the worker process itself
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=10)
    killed_at = time.monotonic()
    broker.delete(hold_key(TRUST_CHUNK), reached_key(TRUST_CHUNK))

    # The chunk's transaction died with the worker: nothing of it is visible.
    wait_for(
        lambda: not Author.objects.filter(pk__in=chunk, trust_score__isnull=False).exists(),
        timeout=10,
        what="the killed chunk's transaction to roll back",
    )
    assert not TrustSnapshot.objects.filter(author_id__in=chunk).exists()
    if path == "dirty beat task":
        assert DirtyAuthor.objects.filter(author_id__in=chunk).count() == len(chunk)

    # The broker hands an unacknowledged task out again once its visibility timeout passed.
    time.sleep(max(0.0, VISIBILITY_TIMEOUT + 1 - (time.monotonic() - killed_at)))
    celery_worker_factory(**WORKER_ENV)
    wait_for(
        lambda: TrustSnapshot.objects.filter(author_id__in=chunk).count() == len(chunk),
        timeout=60,
        what="the restarted worker to finish the chunk",
    )

    assert stored(chunk) == expected
    # Exactly one snapshot each: the redelivered task ran once, whole.
    assert TrustSnapshot.objects.filter(author_id__in=chunk).count() == len(chunk)
    assert not DirtyAuthor.objects.filter(author_id__in=chunk).exists()
    # And running it again (a duplicate delivery) changes nothing.
    trust_engine.trust_scores_recompute(author_ids=chunk)
    assert TrustSnapshot.objects.filter(author_id__in=chunk).count() == len(chunk)
    assert stored(chunk) == expected
