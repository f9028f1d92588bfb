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

        # allauth counts logins, signups and password resets in the cache, behind a lock in
        # the cache: with Redis away every login would be a 500. Its counters fail open
        # instead, with a logged warning (bzpeer/lib/cache.py), like our own limits.
        from allauth.core.internal import ratelimit
        from django.core.cache import cache

        from bzpeer.lib.cache import FailOpenCache

        from . import checks  # noqa: F401  (registers the system checks)

        ratelimit.cache = FailOpenCache(cache, purpose="allauth rate limits")
