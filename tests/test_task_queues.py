"""Every task of the project lands on the queue its workers expect, whatever module holds it."""

from __future__ import annotations

from bzpeer.celery import app

# The queues `make worker` consumes: imports (works), scores (trust), graph, default (mail).
EXPECTED = {
    "works.tasks.import_batch_run": "imports",
    "profiles.tasks.trust_scores_recompute": "scores",
    "profiles.tasks.trust_dirty_recompute": "scores",
    "graph.tasks.graph_slices_precompute": "graph",
    "profiles.accounts_tasks.invitation_notify": "default",
    "profiles.accounts_tasks.invitation_answered_notify": "default",
    "profiles.accounts_tasks.message_notify": "default",
    "profiles.accounts_tasks.follow_digests_send": "default",
    "profiles.accounts_tasks.follow_digests_send_chunk": "default",
}


def _queue(name: str) -> str:
    """The queue apply_async would send the task to: its own options, then the routes."""
    task = app.tasks[name]
    options = app.amqp.router.route(dict(task._get_exec_options()), name, (), {})
    queue = options.get("queue") or app.conf.task_default_queue
    return getattr(queue, "name", queue)


def test_every_project_task_goes_to_its_queue():
    app.loader.import_default_modules()
    ours = {name for name in app.tasks if not name.startswith("celery.")}
    assert ours == set(EXPECTED)
    assert {name: _queue(name) for name in sorted(ours)} == EXPECTED
