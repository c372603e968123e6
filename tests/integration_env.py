"""Fake Telegram and Graph servers for service, API and webhook tests, wired in through settings."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from ioperator.core.config import reset_settings
from tests.fakes.graph import FakeGraph
from tests.fakes.runner import serve
from tests.fakes.telegram import FakeTelegram

TG_TOKEN = "123456:" + "A" * 35
WA_NUMBER_ID = "106540352242922"
WA_TOKEN = "EAAG-whatsapp-token-0001"
IG_ACCOUNT_ID = "17841400000000001"
IG_TOKEN = "EAAG-instagram-token-0001"
APP_SECRET = "0123456789abcdef0123456789abcdef"
WEBHOOK_BASE = "https://hooks.example.com"


@dataclass
class Fakes:
    telegram: FakeTelegram
    graph: FakeGraph
    telegram_url: str
    graph_url: str

    def reset(self) -> None:
        self.telegram.reset()
        self.telegram.add_bot(TG_TOKEN, username="cafe_bot", first_name="Cafe")
        self.graph.reset()
        self.graph.add_whatsapp_number(
            WA_NUMBER_ID, WA_TOKEN, display_phone_number="+1 555-078-3881", verified_name="Blue Door Cafe"
        )
        self.graph.add_instagram_account(IG_ACCOUNT_ID, IG_TOKEN, username="bluedoorcafe", name="Blue Door")


@pytest.fixture(scope="session")
def fake_servers() -> Iterator[Fakes]:
    telegram, graph = FakeTelegram(timeout_delay=1.0), FakeGraph(hang_seconds=1.0)
    with serve(telegram.app) as telegram_url, serve(graph.app) as graph_url:
        yield Fakes(telegram, graph, telegram_url, graph_url)


@pytest.fixture
def fakes(fake_servers: Fakes, monkeypatch: pytest.MonkeyPatch) -> Iterator[Fakes]:
    """Fresh fake state, adapters pointed at the fakes, and an https webhook base URL."""
    fake_servers.reset()
    urls = {
        "telegram": fake_servers.telegram_url,
        "whatsapp": fake_servers.graph_url,
        "instagram": fake_servers.graph_url,
    }
    merged = {**json.loads(os.environ.get("IOPERATOR_PROVIDER_BASE_URLS") or "{}"), **urls}
    monkeypatch.setenv("IOPERATOR_PROVIDER_BASE_URLS", json.dumps(merged))
    monkeypatch.setenv("IOPERATOR_WEBHOOK_BASE_URL", WEBHOOK_BASE)
    reset_settings()
    yield fake_servers
    monkeypatch.undo()
    reset_settings()
