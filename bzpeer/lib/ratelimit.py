"""Per-user rate limits for what users send each other: claims, disputes, invitations, messages.

Fixed windows counted in the cache (Redis in production, shared by every web process):
"10/h" allows 10 actions per user per clock hour. Limits come from
settings.BZPEER_RATE_LIMITS; an action without a limit is never limited. Logins are limited
by allauth (settings.ACCOUNT_RATE_LIMITS), the admin login included (bzpeer/urls.py).

Redis is a helper: when the cache does not answer, the action is allowed and a warning
logged (fail open) — refusing every claim and message while Redis restarts would be worse
than letting a few more through.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache

from bzpeer.lib.cache import CACHE_ERRORS

logger = logging.getLogger(__name__)

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class RateLimited(Exception):
    """Too many actions of one kind: the message says what to do; retry_after is the number
    of seconds until the window ends (the 429 response's Retry-After)."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def parse_rate(rate: str) -> tuple[int, int]:
    """'10/h' -> (10, 3600); '5/300s' -> (5, 300)."""
    amount, _, period = rate.partition("/")
    unit = period[-1:]
    count = int(period[:-1] or 1)
    if unit not in PERIODS:
        raise ValueError(f"rate {rate!r}: the period ends in one of {', '.join(PERIODS)}")
    return int(amount), count * PERIODS[unit]


def rate_limit_consume(*, action: str, user_id: int) -> None:
    """Counts one action of this user; raises RateLimited past the limit."""
    rate = settings.BZPEER_RATE_LIMITS.get(action)
    if not rate:
        return
    amount, period = parse_rate(rate)
    window = int(time.time() // period)
    key = f"ratelimit:{action}:{user_id}:{window}"
    try:
        used = _count(key, period)
    except CACHE_ERRORS as error:
        logger.warning("rate limit %s not counted, cache unavailable (%s): allowed", action, error)
        return
    if used > amount:
        retry_after = max(1, (window + 1) * period - int(time.time()))
        raise RateLimited(
            f"You have reached the limit of {rate} for this; try again later.",
            retry_after=retry_after,
        )


def _count(key: str, period: int) -> int:
    # add() is atomic: only the first request of a window creates the counter.
    cache.add(key, 0, timeout=period)
    try:
        return cache.incr(key)
    except ValueError:  # the key expired between add() and incr()
        cache.set(key, 1, timeout=period)
        return 1


def rate_limit_consume_hot(*, action: str, key: str, read: Sequence[str] = ()) -> dict[str, Any]:
    """rate_limit_consume for a hot path (the JSON API, every request), keyed by any client
    key: on Redis one round trip (INCR; the window's first request also sets the expiry; the
    key names its window, so a key left without one never counts again) instead of
    add + exists + incr; elsewhere the same portable add/incr. Raises RateLimited with
    `retry_after` (seconds) past the limit; cache errors propagate (callers fail open).

    `read`: cache keys read in the same round trip (the works data version the API's
    cached answers depend on); returns the values found, by key.
    """
    rate = settings.BZPEER_RATE_LIMITS.get(action)
    backend = caches["default"]
    if not rate:
        return backend.get_many(list(read)) if read else {}
    amount, period = parse_rate(rate)
    now = time.time()
    window = int(now // period)
    name = f"ratelimit:{action}:{key}:{window}"
    found: dict[str, Any] = {}
    if isinstance(backend, RedisCache):
        full_key = backend.make_and_validate_key(name)
        client = backend._cache.get_client(full_key, write=True)
        if read:
            pipe = client.pipeline(transaction=False)
            pipe.incr(full_key)
            pipe.mget([backend.make_and_validate_key(k) for k in read])
            used, values = pipe.execute()
            found = {
                k: backend._cache._serializer.loads(v)
                for k, v in zip(read, values, strict=True)
                if v is not None
            }
        else:
            used = client.incr(full_key)
        if used == 1:  # the window's first request gives its key an expiry
            client.expire(full_key, period)
    else:
        backend.add(name, 0, timeout=period)
        try:
            used = backend.incr(name)
        except ValueError:
            backend.set(name, 1, timeout=period)
            used = 1
        found = backend.get_many(list(read)) if read else {}
    if used > amount:
        raise RateLimited(
            f"Rate limit of {rate} reached; try again later.",
            retry_after=max(1, int(period - now % period)),
        )
    return found
