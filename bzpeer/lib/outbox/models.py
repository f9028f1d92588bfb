from django.db import models
from django.utils import timezone


class OutboxTask(models.Model):
    """A Celery task owed to the broker: written in the transaction of the change that owes
    it, deleted in the transaction that hands it over (services.py). A row that stays is a
    task the broker did not take yet; outbox_drain sends it when the broker is back."""

    task = models.CharField(max_length=200)  # the registered task name
    args = models.JSONField(default=list)
    kwargs = models.JSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} since {self.created_at:%Y-%m-%d %H:%M:%S}"
