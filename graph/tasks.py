"""Graph tasks, on the "graph" queue (set per task): they take ids and call graph.services.

Running one twice only rebuilds the same slices; a lost worker's message comes back
(acks_late) and is simply done again.
"""

from __future__ import annotations

from celery import shared_task
from django.db import OperationalError

from bzpeer.lib.cache import CACHE_ERRORS

from . import services


@shared_task(
    queue="graph",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, *CACHE_ERRORS),
    retry_backoff=5,
    retry_backoff_max=120,
    max_retries=3,
)
def graph_slices_precompute(
    author_ids: list[int], large_only: bool = False, explore: dict | None = None
) -> int:
    """Precomputes and caches the slices of authors whose data changed (or one a page is
    waiting for); `explore` carries the explorer's filters as plain JSON."""
    return services.graph_slices_precompute(
        author_ids=author_ids, large_only=large_only, explore=explore
    )
