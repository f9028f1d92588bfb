from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Researcher profiles"

    def ready(self) -> None:
        from bzpeer.lib.events import authors_changed

        from .receivers import trust_follows_authors_changed

        authors_changed.connect(trust_follows_authors_changed, dispatch_uid="profiles.trust")
