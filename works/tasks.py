"""Import tasks, on the "imports" queue (set here, per task, so a module can move freely)."""

from celery import shared_task

from bzpeer.lib.outbox.services import enqueue_on_commit

from .imports.batches import import_batch_claim
from .imports.batches import import_batch_run as batch_run
from .imports.run import ImportFailed
from .imports.staged.fanout import batch_merge_fanned_out, part_stage_fanned_out
from .models import ImportBatch


@shared_task(queue="imports", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def import_batch_run(batch_id: int) -> str:
    """Runs an uploaded import batch; a batch another worker claimed first is left alone."""
    batch = import_batch_claim(batch_id=batch_id)
    if batch is None:
        return "not pending"
    try:
        batch_run(batch=batch)
    except ImportFailed:
        return "failed"  # the batch row holds the errors
    return "succeeded"


def import_batch_enqueue_on_commit(batch_id: int) -> None:
    """Queues the batch once the transaction that saved it commits (the worker must see it);
    with the broker away it waits in the outbox (bzpeer/lib/outbox)."""
    enqueue_on_commit(import_batch_run, batch_id)


@shared_task(queue="imports", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def import_part_stage(part_id: int) -> str:
    """Stages one part of a staged import (works.imports.staged.fanout); the last part of
    its batch queues import_batch_merge. A crash leaves the part pending, nothing staged."""
    part = part_stage_fanned_out(part_id)
    return part.status if part is not None else "not running"


@shared_task(queue="imports", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def import_batch_merge(batch_id: int) -> str:
    """Merges a staged import whose parts are staged; parts that lost their staged rows are
    queued again (and merge again after them)."""
    batch = ImportBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        return "not merged"  # deleted after it was discarded
    try:
        result = batch_merge_fanned_out(batch)
    except ImportFailed:
        return "failed"  # the batch row holds the errors
    return "succeeded" if result is not None else "not merged"
