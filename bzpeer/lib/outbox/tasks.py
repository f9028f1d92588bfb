from celery import shared_task

from . import services


@shared_task(ignore_result=True)
def outbox_drain() -> int:
    """The beat task: hands the tasks requests could not send to the broker."""
    return services.outbox_drain()
