from django.apps import AppConfig


class GraphConfig(AppConfig):
    name = "graph"
    verbose_name = "Research graph"

    def ready(self) -> None:
        from bzpeer.lib.events import authors_changed

        from .receivers import slices_follow_authors_changed

        authors_changed.connect(slices_follow_authors_changed, dispatch_uid="graph.slices")
