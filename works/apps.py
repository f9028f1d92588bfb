from django.apps import AppConfig


class WorksConfig(AppConfig):
    name = "works"
    verbose_name = "Works and imports"

    def ready(self) -> None:
        from bzpeer.lib import lookups  # noqa: F401 - registers the `any` lookup
