"""bzpeer/lib/redis_cache.py: Django's Redis cache, one client per pool."""

from __future__ import annotations

import os

from django.core.cache import caches


def test_redis_cache_reuses_its_client_and_still_reads_and_writes(settings):
    settings.CACHES = {
        "reuse": {
            "BACKEND": "bzpeer.lib.redis_cache.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],  # `make test` always sets it
            "KEY_PREFIX": "redis-cache-test",
        }
    }
    cache = caches["reuse"]
    cache.set("answer", {"value": 42}, 30)

    assert cache.get("answer") == {"value": 42}
    assert cache.get_many(["answer", "missing"]) == {"answer": {"value": 42}}
    client = cache._cache.get_client()
    assert cache._cache.get_client() is client
    assert cache._cache.get_client(write=True) is not None
    cache.delete("answer")
    assert cache.get("answer") is None
