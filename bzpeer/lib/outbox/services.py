"""Enqueueing from a request without ever waiting on the broker, and without losing a task.

- `enqueue_on_commit(task, *args, **kwargs)`: inside the caller's transaction, writes an
  OutboxTask row; once the transaction commits, tries to hand it to the broker at once (one
  publish, no retries, the short connect timeout of settings.REDIS_CONNECT_TIMEOUT) and
  deletes the row in the same small transaction. When the broker is away the row stays, the
  request answers normally, and the beat task outbox_drain sends it once the broker is back.
  A rolled-back change leaves no row, so no task for a change that never happened.
- `send_now(task, *args, **kwargs)`: best effort, nothing stored: for tasks whose work is
  recorded elsewhere in the database (the trust kick: DirtyAuthor rows are its outbox, and
  the beat task recomputes them) or that a later request asks again (a graph slice build).

After a failed publish this process does not try the broker again for
OUTBOX_BROKER_RETRY_SECONDS: during an outage requests pay for one refused connection,
not one per task. Eager mode (no REDIS_URL, the tests): tasks run in-process as before.
Tasks sent from here must declare ignore_result=True: the result store is the same Redis,
and subscribing to a result it cannot reach is what used to hold requests for 19 s.
"""

from __future__ import annotations

import logging
import time

from celery import current_app
from django.conf import settings
from django.db import transaction
from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from .models import OutboxTask

logger = logging.getLogger(__name__)

BROKER_ERRORS = (KombuError, RedisError, OSError)
_broker_down_until = 0.0


class _NotSent(Exception):
    pass


def _eager() -> bool:
    return bool(current_app.conf.task_always_eager)


def broker_presumed_down() -> bool:
    return time.monotonic() < _broker_down_until


def broker_state_forget() -> None:
    """Tries the broker on the next send (tests, and the drain, which runs on a worker that
    just got a message from the broker)."""
    global _broker_down_until
    _broker_down_until = 0.0


def _publish(name: str, args: list, kwargs: dict) -> bool:
    """One publish attempt; False (logged) when the broker does not take it."""
    global _broker_down_until
    if broker_presumed_down():
        return False
    try:
        _registered(name).apply_async(args, kwargs, retry=False)
    except BROKER_ERRORS as error:
        _broker_down_until = time.monotonic() + settings.OUTBOX_BROKER_RETRY_SECONDS
        logger.warning("broker unavailable, %s not sent: %s", name, error)
        return False
    return True


def _registered(name: str):
    if name not in current_app.tasks:
        # A process that never imported the task's module (a drain on a web process).
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def send_now(task, *args, **kwargs) -> bool:
    """Publishes the task if the broker takes it now; never raises for the broker's sake."""
    if _eager():
        task.apply_async(args, kwargs)
        return True
    return _publish(task.name, list(args), kwargs)


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """The task runs once the caller's transaction commits, whether the broker is up now or
    comes back later; never if the transaction rolls back."""
    if _eager():
        transaction.on_commit(lambda: task.apply_async(args, kwargs))
        return
    row = OutboxTask.objects.create(task=task.name, args=list(args), kwargs=kwargs)
    transaction.on_commit(lambda: _hand_over(row))


def _hand_over(row: OutboxTask) -> None:
    if broker_presumed_down():
        return
    try:
        with transaction.atomic():
            # The DELETE locks the row: a drain running now skips it (SKIP LOCKED), and one
            # that took it first leaves nothing to delete here, so it is sent once.
            if not OutboxTask.objects.filter(pk=row.pk).delete()[0]:
                return
            if not _publish(row.task, row.args, row.kwargs):
                raise _NotSent  # rolls the delete back: the row waits for the drain
    except _NotSent:
        pass


def outbox_drain(*, batch: int | None = None) -> int:
    """Sends the waiting tasks, oldest first, a batch per transaction; stops at the first
    the broker refuses. Rows another drain holds are skipped. Returns how many were sent."""
    batch = batch or settings.OUTBOX_DRAIN_BATCH
    broker_state_forget()
    sent = 0
    while True:
        with transaction.atomic():
            rows = list(
                OutboxTask.objects.select_for_update(skip_locked=True)
                .order_by("pk")
                .values_list("pk", "task", "args", "kwargs")[:batch]
            )
            done = []
            for pk, name, args, kwargs in rows:
                if not _publish(name, args, kwargs):
                    break
                done.append(pk)
            OutboxTask.objects.filter(pk__in=done).delete()
        sent += len(done)
        if len(done) < batch:
            return sent
