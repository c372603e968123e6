"""ProviderHttp: a rate limit shared per account, bounded retries honouring Retry-After, typed errors."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from ioperator.adapters.errors import CannotConnect, InvalidAuth, ProviderError, RateLimited
from ioperator.adapters.resilience import ProviderHttp, RateLimit, RetryPolicy, account_key
from tests.fakes.runner import serve
from tests.unit.test_auth_sessions import run

FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)


class Scripted:
    """Answers from a script of statuses, then 200; records when each request arrived."""

    def __init__(self) -> None:
        self.script: deque[tuple[int, dict[str, str]]] = deque()
        self.seen: list[float] = []
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=["GET", "POST"])])

    async def handle(self, request: Request) -> Response:
        self.seen.append(time.monotonic())
        if self.script:
            status, headers = self.script.popleft()
            if status == 0:
                return PlainTextResponse("<html>oops</html>")
            return JSONResponse({"error": status}, status_code=status, headers=headers)
        return JSONResponse({"ok": True})


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Scripted, str]]:
    fake = Scripted()
    with serve(fake.app) as url:
        yield fake, url


UNLIMITED = RateLimit(100, 1)


def make(url: str, *, limit: RateLimit = UNLIMITED, retry: RetryPolicy = FAST) -> ProviderHttp:
    return ProviderHttp(
        httpx.AsyncClient(),
        base_url=url,
        key=account_key("test", url, str(time.monotonic())),
        limit=limit,
        retry=retry,
        timeout=2,
    )


@pytest.mark.parametrize(
    ("script", "outcome"),
    [
        ([(429, {"Retry-After": "0"})], "ok"),  # transient: retried
        ([(503, {})], "ok"),
        ([(500, {}), (502, {})], "ok"),
        ([(429, {})] * 3, RateLimited),  # retries exhausted
        ([(500, {})] * 3, CannotConnect),
        ([(401, {})], InvalidAuth),  # never retried
        ([(404, {})], ProviderError),
    ],
)
def test_retries_and_errors(server: tuple[Scripted, str], script: list, outcome: object) -> None:
    fake, url = server
    fake.script.clear()
    fake.script.extend(script)

    async def call() -> httpx.Response:
        return await make(url).request("GET", "/things")

    if outcome == "ok":
        assert run(call()).json() == {"ok": True}
    else:
        with pytest.raises(outcome):  # type: ignore[call-overload]
            run(call())
        fake.script.clear()
        assert run(call()).status_code == 200  # and the next call succeeds


def test_retry_after_is_honoured(server: tuple[Scripted, str]) -> None:
    fake, url = server
    fake.script.clear()
    fake.script.append((429, {"Retry-After": "1"}))
    fake.seen.clear()
    run(make(url).request("GET", "/x"))
    assert len(fake.seen) == 2 and fake.seen[1] - fake.seen[0] >= 0.95


def test_timeouts_become_cannot_connect() -> None:
    async def call() -> None:
        http = ProviderHttp(
            httpx.AsyncClient(),
            base_url="http://127.0.0.1:9",
            key="closed-port",
            limit=RateLimit(100, 1),
            retry=FAST,
            timeout=0.5,
        )
        await http.request("GET", "/")

    with pytest.raises(CannotConnect):
        run(call())


def test_rate_limit_is_shared_by_every_request_of_one_account(server: tuple[Scripted, str]) -> None:
    """20 concurrent callers through separate ProviderHttp objects of one account keep to 5 req/s."""
    fake, url = server
    fake.script.clear()
    fake.seen.clear()
    key = account_key("test", url, "one-account")

    async def burst() -> None:
        client = httpx.AsyncClient()
        callers = [
            ProviderHttp(client, base_url=url, key=key, limit=RateLimit(5, 1), retry=FAST).request("GET", "/r")
            for _ in range(20)
        ]
        await asyncio.gather(*callers)

    started = time.monotonic()
    run(burst())
    elapsed = time.monotonic() - started
    assert len(fake.seen) == 20
    assert elapsed >= 3.5  # 20 requests evenly spaced at 5/s
    busiest = max(sum(1 for t in fake.seen if start <= t < start + 1.0) for start in fake.seen)
    # the fake stamps arrivals in this (busy) test process: one late stamp may add one to a window
    assert busiest <= 6
    gaps = sorted(b - a for a, b in zip(fake.seen, fake.seen[1:], strict=False))
    assert gaps[len(gaps) // 2] >= 0.19  # the median gap is the limiter's spacing


def test_writes_are_not_retried_after_a_5xx(server: tuple[Scripted, str]) -> None:
    fake, url = server
    fake.script.clear()
    fake.seen.clear()
    fake.script.append((500, {}))
    with pytest.raises(CannotConnect):
        run(make(url).request("POST", "/bookings", json={}))
    assert len(fake.seen) == 1  # the booking may have been saved: never sent twice
    fake.script.append((429, {"Retry-After": "0"}))
    assert run(make(url).request("POST", "/bookings", json={})).status_code == 200  # a 429 is safe to retry
    fake.script.append((500, {}))
    assert run(make(url).request("POST", "/search", json={}, idempotent=True)).status_code == 200
