from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "profiles"
    verbose_name = "Researcher profiles"

    def ready(self) -> None:
        # allauth counts logins, signups and password resets in the cache, behind a lock in
        # the cache: with Redis away every login would be a 500. Its counters fail open
        # instead, with a logged warning (bzpeer/lib/cache.py), like our own limits.
        from allauth.core.internal import ratelimit
        from django.core.cache import cache

        from bzpeer.lib.cache import FailOpenCache

        from . import checks  # noqa: F401  (registers the system checks)

        ratelimit.cache = FailOpenCache(cache, purpose="allauth rate limits")
