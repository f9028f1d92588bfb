"""What a cache (Redis in production) raises when it is away: callers degrade, never fail."""

from __future__ import annotations

from redis.exceptions import RedisError

# OSError: a refused or reset connection can surface below redis-py's own exceptions.
CACHE_ERRORS: tuple[type[Exception], ...] = (RedisError, OSError)
