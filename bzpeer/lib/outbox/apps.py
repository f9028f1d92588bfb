from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "bzpeer.lib.outbox"
    label = "outbox"
    verbose_name = "Task outbox"
