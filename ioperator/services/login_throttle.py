"""Failed-login throttling per email and per client address (the `limits` library).

After `login_slowdown_after` failures in the window each attempt is delayed (1 s, 2 s, 4 s … at most
8 s); after `login_max_failures` logins for that email or address are refused until the window has
passed. With Redis configured the counters are shared by every worker.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from ioperator.core.config import get_settings
from ioperator.core.errors import TooManyAttempts

NAMESPACE = "ioperator-login"
MAX_DELAY_SECONDS = 8.0


@dataclass(frozen=True)
class ThrottleState:
    failures: int
    delay_seconds: float


@functools.cache
def _storage() -> Storage:
    settings = get_settings()
    storage = storage_from_string(settings.redis_url or "memory://")
    assert isinstance(storage, Storage)  # a synchronous storage (not limits.aio)
    return storage


def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage())


def _item() -> RateLimitItemPerMinute:
    settings = get_settings()
    return RateLimitItemPerMinute(settings.login_max_failures, settings.login_window_minutes)


def _keys(email: str, address: str) -> list[tuple[str, str]]:
    keys = [("email", email.strip().lower())]
    if address:
        keys.append(("address", address))
    return keys


def check(email: str, address: str) -> ThrottleState:
    """Raise TooManyAttempts when refused; otherwise say how long to delay this attempt."""
    limiter, item = _limiter(), _item()
    failures = 0
    for kind, value in _keys(email, address):
        if not limiter.test(item, NAMESPACE, kind, value):
            reset_at, _ = limiter.get_window_stats(item, NAMESPACE, kind, value)
            raise TooManyAttempts("error.too_many_logins", retry_after=max(1, int(reset_at - time.time())))
        _, remaining = limiter.get_window_stats(item, NAMESPACE, kind, value)
        failures = max(failures, item.amount - remaining)
    slowdown_after = get_settings().login_slowdown_after
    delay = 0.0
    if failures >= slowdown_after:
        delay = min(MAX_DELAY_SECONDS, 2.0 ** (failures - slowdown_after))
    return ThrottleState(failures=failures, delay_seconds=delay)


def record_failure(email: str, address: str) -> None:
    limiter, item = _limiter(), _item()
    for kind, value in _keys(email, address):
        limiter.hit(item, NAMESPACE, kind, value)


def record_success(email: str) -> None:
    """A correct password clears the email's counter (not the address's: one address, many emails)."""
    _limiter().clear(_item(), NAMESPACE, "email", email.strip().lower())


def reset() -> None:
    """Forget every counter (tests, and after changing the storage settings)."""
    _storage().reset()
    _storage.cache_clear()
