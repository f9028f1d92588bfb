"""Import tasks, on the "imports" queue (set here, per task, so a module can move freely)."""

from celery import shared_task

from bzpeer.lib.outbox.services import enqueue_on_commit

from .imports.batches import import_batch_claim
from .imports.batches import import_batch_run as batch_run
from .imports.run import ImportFailed


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
