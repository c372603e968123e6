"""Per-key request limits for the bot engines' API (the `limits` library).

The limits come from the `api_rate_limit` setting (e.g. `20/second;600/minute`); each key has its
own counters. With Redis configured the counters live there, so the limits hold across workers.
"""

from __future__ import annotations

import functools
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import Storage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter

from ioperator.core.config import get_settings
from ioperator.core.errors import RateLimitExceeded

NAMESPACE = "ioperator-api"


@functools.cache
def _limiter(storage_url: str, limits_text: str) -> tuple[SlidingWindowCounterRateLimiter, tuple[RateLimitItem, ...]]:
    storage = storage_from_string(storage_url)
    assert isinstance(storage, Storage)  # a synchronous storage (not limits.aio)
    return SlidingWindowCounterRateLimiter(storage), tuple(parse_many(limits_text))


def _current() -> tuple[SlidingWindowCounterRateLimiter, tuple[RateLimitItem, ...]]:
    settings = get_settings()
    return _limiter(settings.redis_url or "memory://", settings.api_rate_limit)


def hit(key: str) -> None:
    """Count one request of the key; raise RateLimitExceeded (with the wait) when over a limit."""
    limiter, items = _current()
    for item in items:
        if not limiter.hit(item, NAMESPACE, key):
            reset_at = limiter.get_window_stats(item, NAMESPACE, key).reset_time
            raise RateLimitExceeded(retry_after=math.ceil(max(1.0, reset_at - time.time())))


def reset() -> None:
    """Clear every counter (tests)."""
    limiter, _ = _current()
    limiter.storage.reset()
