"""The cache's breaker (bzpeer/lib/cache.py): after Redis failed to answer, calls fail at
once for CACHE_RETRY_SECONDS instead of each paying a connection attempt; then Redis is
tried again. On a redis-server of the test's own, never the shared one."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from redis.exceptions import ConnectionError as RedisConnectionError

from bzpeer.settings import redis_cache
from tests.redis_server import PrivateRedis


@pytest.fixture
def private_cache(settings):
    server = PrivateRedis().start()
    settings.CACHES = {"default": redis_cache(server.url(1))}
    settings.CACHE_RETRY_SECONDS = 1
    yield server
    server.kill()


def test_after_a_failure_the_cache_is_not_tried_again_for_a_while(private_cache, monkeypatch):
    cache.set("answer", 42)
    private_cache.kill()

    with pytest.raises(RedisConnectionError, match="Connection refused"):
        cache.get("answer")
    with pytest.raises(RedisConnectionError, match="not tried again yet"):
        cache.get("answer")  # no connection attempted

    private_cache.start()  # empty: nothing persisted
    # the retry window (1 s) passes on the breaker's clock, without waiting for it
    later = SimpleNamespace(monotonic=lambda: time.monotonic() + 1.1)
    monkeypatch.setattr("bzpeer.lib.cache.time", later)
    assert cache.get("answer") is None
    cache.set("answer", 43)
    assert cache.get("answer") == 43
