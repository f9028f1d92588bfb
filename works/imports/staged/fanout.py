"""A staged import fanned out on Celery: one task per part on the "imports" queue, one merge.

    staged_batch_prepare → staged_batch_enqueue → import_part_stage × N → import_batch_merge

Every task is queued through the outbox once its transaction commits (a broker outage
delays them, loses none), and each step tolerates a second delivery: staging a part again
replaces what it staged, and a merge of a batch that is not running any more does nothing.
A staging task that crashed leaves its part pending and the batch running: resume (its
parts not staged are queued again) or discard it, from the admin or import_works.
"""

from __future__ import annotations

import logging

from django.db import transaction

from bzpeer.lib.outbox.services import enqueue_on_commit
from works.models import ImportBatch, ImportPart

from ..run import ImportResult
from . import PartsNotStaged, parts_stage_local, staged_batch_merge
from .stage import part_stage

logger = logging.getLogger(__name__)


def _tasks():
    # works.tasks imports this module: looked up when a task is queued, not at import time
    from works import tasks

    return tasks


def staged_batch_enqueue(batch: ImportBatch) -> int:
    """Queues one staging task per part not staged yet, once the caller commits; the last
    part to be staged queues the merge. Returns how many parts were queued."""
    with transaction.atomic():
        pending = list(
            batch.parts.exclude(status=ImportPart.Status.STAGED)
            .order_by("number")
            .values_list("pk", flat=True)
        )
        for part_id in pending:
            enqueue_on_commit(_tasks().import_part_stage, part_id)
    return len(pending)


class _BatchNotRunning(Exception):
    pass


def part_stage_fanned_out(part_id: int) -> ImportPart | None:
    """Stages one part; the last part of its batch to finish queues the merge. None when
    the part or its batch is gone or done (discarded, or merged: a second delivery)."""
    part = ImportPart.objects.select_related("batch").filter(pk=part_id).first()
    if part is None or part.batch.status != ImportBatch.Status.RUNNING:
        return None
    if part.status == ImportPart.Status.STAGED:
        # a second delivery (its merge was queued with it); resume and a merge that found
        # the part's rows lost mark it pending before queueing it again
        return part
    try:
        return part_stage(part_id, then=_merge_if_last)
    except ImportPart.DoesNotExist:
        return None
    except _BatchNotRunning:
        return None  # what this attempt staged was rolled back with it


def _merge_if_last(part: ImportPart) -> None:
    """Runs in the transaction that saves the part's outcome, before it commits.

    The batch row lock serialises the parts' last steps: two parts finishing together
    each flip their own row, then queue for the lock. The first holder still sees the other
    part pending (not committed yet) and queues nothing; the second, once the first has
    committed, sees every part done and queues the merge. So it is queued once. (Checking
    after the part's own commit instead would let both see every part staged.)
    A failed part counts as done: the merge then fails the batch with its errors, as a
    local staged import does.
    """
    batch = ImportBatch.objects.select_for_update().only("status").get(pk=part.batch_id)
    if batch.status != ImportBatch.Status.RUNNING:
        # discarded while this part was staged, or merged by an earlier delivery: nothing
        # of this attempt may stay (not even the part row, which saving re-created)
        raise _BatchNotRunning
    if not batch.parts.filter(status=ImportPart.Status.PENDING).exists():
        enqueue_on_commit(_tasks().import_batch_merge, batch.pk)


def batch_merge_fanned_out(batch: ImportBatch) -> ImportResult | None:
    """Merges the batch; parts found not staged (a server crash empties the UNLOGGED
    staging table) are marked pending and queued again, and the last of them queues the
    merge once more. None when nothing was merged (not running, or parts queued again)."""
    try:
        return staged_batch_merge(batch)
    except PartsNotStaged as exc:
        queued = parts_restage(batch, exc.numbers)
        logger.warning("import batch %s: %s; %d queued again", batch.pk, exc, queued)
        return None


def parts_restage(batch: ImportBatch, numbers: list[int]) -> int:
    """Marks those parts pending and queues them (they were never merged, so staging them
    again is safe); returns how many."""
    with transaction.atomic():
        batch.parts.filter(number__in=numbers).update(status=ImportPart.Status.PENDING)
        return staged_batch_enqueue(batch)


def staged_batch_resume(batch: ImportBatch) -> int:
    """Picks up a running batch whose staging stopped: its parts not staged are queued
    again, or, when all are staged, the merge (which restages parts that lost their rows).
    Returns how many parts were queued."""
    _resumable_check(batch)
    with transaction.atomic():
        batch.parts.exclude(status=ImportPart.Status.STAGED).update(
            status=ImportPart.Status.PENDING
        )
        queued = staged_batch_enqueue(batch)
        if not queued:
            enqueue_on_commit(_tasks().import_batch_merge, batch.pk)
    return queued


def staged_batch_resume_local(batch: ImportBatch, *, workers: int) -> ImportResult | None:
    """staged_batch_resume in this process: stages the parts not staged, then merges
    (staging once more the parts whose rows were lost)."""
    _resumable_check(batch)
    batch.parts.exclude(status=ImportPart.Status.STAGED).update(status=ImportPart.Status.PENDING)
    parts_stage_local(batch, workers=workers)
    try:
        return staged_batch_merge(batch)
    except PartsNotStaged as exc:
        batch.parts.filter(number__in=exc.numbers).update(status=ImportPart.Status.PENDING)
        parts_stage_local(batch, workers=workers)
        return staged_batch_merge(batch)


def _resumable_check(batch: ImportBatch) -> None:
    if batch.status != ImportBatch.Status.RUNNING or not batch.parts.exists():
        raise ValueError(
            f"import batch {batch.pk} is {batch.status}, not a running staged import: "
            "nothing to resume"
        )
