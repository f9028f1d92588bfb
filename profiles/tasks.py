"""Trust engine tasks (queue "scores"): they take ids and call profiles.services.

Every task is safe to run twice and to lose its worker mid-run: acks_late with
reject_on_worker_lost puts the message back when the worker dies, and each chunk is one
transaction, so a killed chunk leaves nothing half-written and runs again whole. Retries
wait at most TRUST_RETRY_BACKOFF_MAX seconds, below the broker's visibility timeout, so a
waiting retry is never redelivered as a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from celery import shared_task
from celery.backends.base import DisabledBackend
from django.conf import settings
from django.db import OperationalError

from bzpeer.lib.outbox.services import send_now

from . import services
from .models import Author

RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    # deadlocks and serialization failures against a concurrent import or merge
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": settings.TRUST_RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**RETRY)
def trust_scores_recompute(author_ids: list[int]) -> int:
    return services.trust_scores_recompute(author_ids=author_ids)


@shared_task(bind=True, ignore_result=True, **RETRY)
def trust_dirty_recompute(self, max_chunks: int | None = None) -> int:
    """The beat task: recomputes dirty authors, TRUST_DIRTY_MAX_CHUNKS chunks per run.

    A backlog bigger than one run re-enqueues this task, so the queue drains without
    waiting for the next beat, and every free worker on "scores" can take a share.
    """
    done, more = services.trust_dirty_recompute(
        chunk=settings.TRUST_RECOMPUTE_CHUNK,
        max_chunks=max_chunks or settings.TRUST_DIRTY_MAX_CHUNKS,
    )
    if more:
        self.apply_async(kwargs={"max_chunks": max_chunks})
    return done


def trust_dirty_kick() -> None:
    """After a change commits: recompute its dirty authors now, not at the next beat.

    One task per commit, however many authors. In the embedded setup (no Redis) it runs
    in-process, which is the only way dirty authors get recomputed there. Best effort: the
    DirtyAuthor rows are the durable record (the beat task drains them), so with the broker
    away the request goes on without waiting (bzpeer.lib.outbox.send_now).
    """
    send_now(trust_dirty_recompute)


def trust_scores_enqueue(author_ids: list[int]) -> None:
    """One task per chunk of authors, never one per author."""
    chunk = settings.TRUST_RECOMPUTE_CHUNK
    for start in range(0, len(author_ids), chunk):
        trust_scores_recompute.delay(author_ids[start : start + chunk])


def author_id_chunks(chunk: int) -> Iterator[list[int]]:
    """Every public author's id, in chunks, by keyset pagination over the primary key."""
    last = 0
    while True:
        ids = list(
            Author.objects.public()
            .filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", flat=True)[:chunk]
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def trust_recompute_all(
    *,
    chunk: int | None = None,
    inline: bool = False,
    progress: Callable[[int], None] | None = None,
    chunks: Iterable[list[int]] | None = None,
) -> int:
    """Recomputes every public author (or the given chunks of ids), chunk by chunk.

    inline: each chunk in this process. Otherwise each chunk is a trust_scores_recompute
    task on the "scores" queue; with a result backend this waits for all of them (so the
    caller can time it and see failures), a bounded window of chunks in flight at a time.
    """
    chunk = chunk or settings.TRUST_RECOMPUTE_CHUNK
    progress = progress or (lambda n: None)
    chunks = author_id_chunks(chunk) if chunks is None else chunks
    done = 0
    if inline:
        for ids in chunks:
            done += services.trust_scores_recompute(author_ids=ids)
            progress(len(ids))
        return done
    in_flight: list = []
    window = settings.TRUST_RECOMPUTE_WINDOW

    def settle(limit: int) -> int:
        settled = 0
        while len(in_flight) > limit:
            result, size = in_flight.pop(0)
            settled += size if isinstance(result.backend, DisabledBackend) else result.get()
            progress(size)
        return settled

    for ids in chunks:
        in_flight.append((trust_scores_recompute.delay(ids), len(ids)))
        done += settle(window)
    done += settle(0)
    return done
