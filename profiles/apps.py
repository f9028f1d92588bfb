from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Researcher profiles"

    def ready(self) -> None:
        from bzpeer.lib.events import authors_changed
        from works.signals import authors_deletion_blockers

        from .receivers import authors_held_by_people, trust_follows_authors_changed

        authors_changed.connect(trust_follows_authors_changed, dispatch_uid="profiles.trust")
        authors_deletion_blockers.connect(authors_held_by_people, dispatch_uid="profiles.held")
