from celery import shared_task
from django.conf import settings

from . import services


@shared_task(acks_late=True, reject_on_worker_lost=True)
def trust_scores_recompute(author_ids: list[int]) -> int:
    return services.trust_scores_recompute(author_ids=author_ids)


def trust_scores_enqueue(author_ids: list[int]) -> None:
    """One task per chunk of authors, never one per author."""
    chunk = settings.TRUST_RECOMPUTE_CHUNK
    for start in range(0, len(author_ids), chunk):
        trust_scores_recompute.delay(author_ids[start : start + chunk])
