"""The cache (Redis in production) as a helper that may be away.

CACHE_ERRORS is what a cache call raises when Redis does not answer. FailOpenCache wraps a
cache for code that must go on without it (rate-limit counters and their locks): every
call that fails logs a warning and answers as if the cache were empty and writable.
"""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

CACHE_ERRORS = (RedisError, OSError)


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
