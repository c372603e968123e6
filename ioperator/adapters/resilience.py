"""Polite, resilient HTTP for adapters: a rate limit shared per provider account, bounded retries of
429/5xx/timeouts with backoff and jitter (honouring Retry-After), and typed errors for the rest.

Adapters are built per use, so the limiter lives here, keyed by the account (provider, base URL and
a hash of the credentials) and the event loop: every request of one integration shares one bucket.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_random_exponential

from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited

_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncLimiter]] = weakref.WeakKeyDictionary()
MAX_RETRY_AFTER_SECONDS = 30.0


@dataclass(frozen=True)
class RateLimit:
    """At most `requests` per `seconds` for one provider account (the provider's documented limit)."""

    requests: float
    seconds: float = 1.0


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 4  # the first try and three retries
    base_delay: float = 0.5  # seconds; exponential with full jitter
    max_delay: float = 8.0


class Retryable(Exception):
    """A failure worth another try (429, 5xx, timeout, connection error)."""

    def __init__(self, final: AdapterError, retry_after: float | None = None) -> None:
        super().__init__(str(final))
        self.final = final
        self.retry_after = retry_after


def account_key(slug: str, base_url: str, *secrets: str) -> str:
    digest = hashlib.sha256("\x00".join(secrets).encode()).hexdigest()[:16]
    return f"{slug}|{base_url}|{digest}"


def limiter_for(key: str, limit: RateLimit) -> AsyncLimiter:
    loop = asyncio.get_running_loop()
    by_key = _limiters.setdefault(loop, {})
    limiter = by_key.get(key)
    if limiter is None:
        # A bucket of one, drained every seconds/requests (plus a 5% margin for clock and network jitter):
        # evenly spaced requests and no initial burst, so no window of `seconds` sees more than allowed.
        limiter = by_key[key] = AsyncLimiter(1, limit.seconds / limit.requests * 1.05)
    return limiter


def retry_after_seconds(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    try:
        return min(MAX_RETRY_AFTER_SECONDS, max(0.0, float(value)))
    except ValueError:
        return None


ErrorMapper = Callable[[httpx.Response], AdapterError | None]


class ProviderHttp:
    """One provider account's HTTP: `await request(...)` returns a 2xx response or raises an AdapterError."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        key: str,
        limit: RateLimit,
        retry: RetryPolicy | None = None,
        timeout: float = 15.0,
        headers: Mapping[str, str] | None = None,
        map_error: ErrorMapper | None = None,
    ) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.key = key
        self.limit = limit
        self.retry = retry or RetryPolicy()
        self.timeout = timeout
        self.headers = dict(headers or {})
        self.map_error = map_error

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response:
        """Send with the account's rate limit and retries.

        A non-idempotent request (POST and PATCH unless told otherwise: a read sent as POST passes
        `idempotent=True`) is retried only when the provider surely did not act on it — a 429, or a
        connection that was never made — never after a 5xx or a read timeout, which could duplicate it.
        """
        url = path if path.startswith("http") else f"{self.base_url}/{path.lstrip('/')}"
        merged = {**self.headers, **(headers or {})}
        safe = idempotent if idempotent is not None else method.upper() not in ("POST", "PATCH")
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.retry.attempts),
            retry=retry_if_exception_type(Retryable),
            wait=self._wait,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, url, params=params, json=json, headers=merged, safe=safe)
        except Retryable as exc:
            raise exc.final from None
        raise CannotConnect("no attempt was made")  # unreachable: tenacity either returns or raises

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return float(wait_random_exponential(multiplier=self.retry.base_delay, max=self.retry.max_delay)(state))

    async def _once(
        self, method: str, url: str, *, params: Any, json: Any, headers: Mapping[str, str], safe: bool
    ) -> httpx.Response:
        async with limiter_for(self.key, self.limit):
            try:
                response = await self.http.request(
                    method, url, params=params, json=json, headers=headers, timeout=self.timeout
                )
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise Retryable(CannotConnect(type(exc).__name__)) from None  # never reached the provider
            except httpx.TimeoutException:
                raise _maybe_retry(CannotConnect("timeout"), safe) from None
            except httpx.TransportError as exc:
                raise _maybe_retry(CannotConnect(type(exc).__name__), safe) from None
        mapped = self.map_error(response) if self.map_error else None
        if mapped is not None:
            if isinstance(mapped, RateLimited):
                raise Retryable(mapped, mapped.retry_after)
            if isinstance(mapped, CannotConnect):
                raise _maybe_retry(mapped, safe)
            raise mapped
        if response.status_code == 429:
            wait = retry_after_seconds(response)
            raise Retryable(RateLimited("429", retry_after=int(wait) if wait else None), wait)
        if response.status_code >= 500:
            raise _maybe_retry(CannotConnect(f"HTTP {response.status_code}"), safe)
        if response.status_code in (401, 403):
            raise InvalidAuth(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ProviderError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response


def _maybe_retry(error: AdapterError, safe: bool) -> Exception:
    return Retryable(error) if safe else error
