"""Every task reaches the queue its workers expect (README, "Scaling out"): a task on the
wrong queue waits for a worker that never takes it, or slows the ones it lands on."""

from __future__ import annotations

import inspect

import pytest
from celery.signals import before_task_publish
from django.conf import settings

from bzpeer.celery import app
from tests.integration.conftest import sending_to

QUEUES = {
    "works.tasks.import_batch_run": "imports",
    "works.tasks.import_part_stage": "imports",
    "works.tasks.import_batch_merge": "imports",
    "profiles.tasks.trust_scores_recompute": "scores",
    "profiles.tasks.trust_dirty_recompute": "scores",
    "profiles.tasks.invitation_notify": "default",
    "profiles.tasks.invitation_answered_notify": "default",
    "profiles.tasks.message_notify": "default",
    "profiles.tasks.staff_waiting_notify": "default",
    "profiles.tasks.staff_review_digest": "default",
    "profiles.tasks.follow_digests_send": "default",
    "profiles.tasks.follow_digests_send_chunk": "default",
    "graph.tasks.graph_slices_precompute": "graph",
}


@pytest.fixture
def published_to():
    """Task name -> the queue (routing key) it was published to, through an in-memory
    broker: nothing runs, nothing reaches Redis."""
    app.loader.import_default_modules()  # what a worker does first: autodiscover the tasks
    seen: dict[str, str] = {}

    def record(sender=None, routing_key=None, **_) -> None:
        seen[sender] = routing_key

    before_task_publish.connect(record, weak=False)
    try:
        with sending_to(app, "memory://localhost/"):
            yield seen
    finally:
        before_task_publish.disconnect(record)


def _ours() -> list[str]:
    return sorted(
        name for name in app.tasks if name.split(".")[0] in ("profiles", "graph", "works")
    )


def test_every_task_is_published_to_its_queue(published_to):
    names = _ours()
    assert set(QUEUES) == set(names), "a task was added, renamed or lost: name its queue here"
    for name in names:
        task = app.tasks[name]
        required = [
            p for p in inspect.signature(task.run).parameters.values()
            if p.default is p.empty and p.kind is p.POSITIONAL_OR_KEYWORD
        ]  # fmt: skip
        task.delay(*[None] * len(required))  # the values never reach a worker

    assert published_to == QUEUES


def test_beat_schedules_registered_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
