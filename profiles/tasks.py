"""The profiles app's tasks; each names its queue. They take ids and call the service of
the same name.

The trust engine's (queue "scores", profiles.trust_engine) are safe to run twice and to
lose their worker mid-run: acks_late with reject_on_worker_lost puts the message back when
the worker dies, and each chunk is one transaction, so a killed chunk leaves nothing
half-written and runs again whole. Retries wait at most TRUST_RETRY_BACKOFF_MAX seconds,
below the broker's visibility timeout, so a waiting retry is never redelivered as a
duplicate. The emails (queue "default": profiles.collaboration, profiles.digests) retry
when the mail server does not answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from celery import shared_task
from celery.backends.base import DisabledBackend
from django.conf import settings
from django.db import OperationalError

from bzpeer.lib.outbox.services import send_now
from works.models import Author

from . import collaboration, digests, review_queues, trust_engine

SCORES = {
    "queue": "scores",
    "acks_late": True,
    "reject_on_worker_lost": True,
    # deadlocks and serialization failures against a concurrent import or merge
    "autoretry_for": (OperationalError,),
    "retry_backoff": 2,
    "retry_backoff_max": settings.TRUST_RETRY_BACKOFF_MAX,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**SCORES)
def trust_scores_recompute(author_ids: list[int]) -> int:
    return trust_engine.trust_scores_recompute(author_ids=author_ids)


@shared_task(bind=True, ignore_result=True, **SCORES)
def trust_dirty_recompute(self, max_chunks: int | None = None) -> int:
    """The beat task: recomputes dirty authors, TRUST_DIRTY_MAX_CHUNKS chunks per run.

    A backlog bigger than one run re-enqueues this task, so the queue drains without
    waiting for the next beat, and every free worker on "scores" can take a share.
    """
    done, more = trust_engine.trust_dirty_recompute(
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
            done += trust_engine.trust_scores_recompute(author_ids=ids)
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


# --- emails: invitations, messages, the follow digest -----------------------------------

# ignore_result: sent from requests through the outbox, never read back (bzpeer/lib/outbox).
MAIL = {
    "queue": "default",
    "ignore_result": True,
    "acks_late": True,
    "autoretry_for": (OSError,),
    "retry_backoff": 30,
    "max_retries": 5,
}


@shared_task(**MAIL)
def invitation_notify(invitation_id: int) -> bool:
    return collaboration.invitation_notify_send(invitation_id=invitation_id)


@shared_task(**MAIL)
def invitation_answered_notify(invitation_id: int) -> bool:
    return collaboration.invitation_answered_notify_send(invitation_id=invitation_id)


@shared_task(**MAIL)
def message_notify(message_id: int) -> bool:
    return collaboration.message_notify_send(message_id=message_id)


@shared_task(queue="default", ignore_result=True)
def follow_digests_send() -> int:
    """The beat task: one task per chunk of due users, never one per user."""
    user_ids = digests.follow_digest_due_user_ids()
    for start in range(0, len(user_ids), digests.DIGEST_CHUNK):
        follow_digests_send_chunk.delay(user_ids[start : start + digests.DIGEST_CHUNK])
    return len(user_ids)


@shared_task(**MAIL)
def follow_digests_send_chunk(user_ids: list[int]) -> int:
    # Each user is claimed before the email goes out, so a retried chunk skips them.
    return sum(digests.follow_digest_send(user_id=pk) for pk in user_ids)


@shared_task(**MAIL)
def staff_waiting_notify(what: str) -> int:
    return review_queues.staff_waiting_notify(what=what)


@shared_task(**MAIL)
def staff_review_digest() -> int:
    return review_queues.staff_review_digest()
