"""Per-key request limits: counted per key, Retry-After from the window, and shared by every worker through Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from ioperator.core.config import reset_settings
from ioperator.core.errors import RateLimitExceeded
from ioperator.services import api_rate_limit


@pytest.fixture
def limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("IOPERATOR_API_RATE_LIMIT", "3/minute;100/hour")
    reset_settings()
    yield
    monkeypatch.undo()
    reset_settings()


def test_each_key_has_its_own_budget_and_is_told_how_long_to_wait(limit: None) -> None:
    key, other = f"k-{uuid.uuid4().hex}", f"k-{uuid.uuid4().hex}"
    for _ in range(3):
        api_rate_limit.hit(key)
    with pytest.raises(RateLimitExceeded) as refused:
        api_rate_limit.hit(key)
    assert 1 <= refused.value.retry_after <= 60 and refused.value.status == 429
    api_rate_limit.hit(other)


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="set TEST_REDIS_URL to test the shared limit")
def test_with_redis_every_worker_counts_against_the_same_limit(limit: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOPERATOR_REDIS_URL", os.environ["TEST_REDIS_URL"])
    reset_settings()
    key = f"k-{uuid.uuid4().hex}"
    for _ in range(2):
        api_rate_limit.hit(key)
    # another worker: its own limiter and connection, the same Redis
    api_rate_limit._limiter.cache_clear()
    api_rate_limit.hit(key)
    with pytest.raises(RateLimitExceeded):
        api_rate_limit.hit(key)
    api_rate_limit._limiter.cache_clear()
