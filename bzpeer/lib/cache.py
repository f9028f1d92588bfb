"""The cache (Redis in production) as a helper that may be away.

CACHE_ERRORS is what a cache call raises when Redis does not answer. FailOpenCache wraps a
cache for code that must go on without it (rate-limit counters and their locks): every
call that fails logs a warning and answers as if the cache were empty and writable.

RedisCache is Django's, with a breaker: after a connection error or a timeout, every call of
this process fails at once for settings.CACHE_RETRY_SECONDS instead of trying again. A
refused connection costs little, but a Redis that does not answer at all (a dead host, a
dropped route) costs REDIS_CONNECT_TIMEOUT per call, and a page makes several calls.
"""

from __future__ import annotations

import logging
import time
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from .redis_cache import ReusedClientRedisCacheClient

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)
UNREACHABLE = (RedisConnectionError, RedisTimeoutError, OSError)


def _guarded(method):
    @wraps(method)
    def guarded(self, *args, **kwargs):
        if time.monotonic() < self.unavailable_until:
            raise RedisConnectionError("Redis did not answer moments ago; not tried again yet")
        try:
            return method(self, *args, **kwargs)
        except UNREACHABLE:
            self.unavailable_until = time.monotonic() + settings.CACHE_RETRY_SECONDS
            raise

    return guarded


class _BreakerClient(ReusedClientRedisCacheClient):
    unavailable_until = 0.0


for _name in (
    "add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many",
    "delete_many", "clear",
):  # fmt: skip
    setattr(_BreakerClient, _name, _guarded(getattr(RedisCacheClient, _name)))


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = _BreakerClient


class FailOpenCache:
    """A cache whose failures are logged and ignored: get → default, add → True (a lock is
    "taken"), set/delete → nothing. For counters only: a limit without its counter lets the
    request through rather than failing it."""

    def __init__(self, cache, *, purpose: str) -> None:
        self._cache = cache
        self._purpose = purpose

    def _failed(self, operation: str, error: Exception) -> None:
        logger.warning(
            "cache unavailable for %s (%s: %s); going on without it",
            self._purpose,
            operation,
            error,
        )

    def get(self, key: str, default: Any = None, **kwargs) -> Any:
        try:
            return self._cache.get(key, default, **kwargs)
        except CACHE_ERRORS as error:
            self._failed("get", error)
            return default

    def add(self, key: str, value: Any, timeout: Any = None, **kwargs) -> bool:
        try:
            return self._cache.add(key, value, timeout, **kwargs)
        except CACHE_ERRORS as error:
            self._failed("add", error)
            return True

    def set(self, key: str, value: Any, timeout: Any = None, **kwargs) -> None:
        try:
            self._cache.set(key, value, timeout, **kwargs)
        except CACHE_ERRORS as error:
            self._failed("set", error)

    def delete(self, key: str, **kwargs) -> bool:
        try:
            return self._cache.delete(key, **kwargs)
        except CACHE_ERRORS as error:
            self._failed("delete", error)
            return False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cache, name)
