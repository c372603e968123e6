"""Instagram (Messenger API for Instagram) adapter against the fake Graph."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from ioperator.adapters import registry
from ioperator.adapters.base import ConnectionInfo, validation_errors
from ioperator.adapters.channels.base import ConnectContext, SetupStep
from ioperator.adapters.channels.instagram import InstagramAdapter
from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    MalformedPayload,
    ProviderError,
    RateLimited,
)
from tests.fakes.graph import FakeGraph, instagram_text_delivery, sign
from tests.fakes.runner import serve

ACCOUNT_ID = "17841400000000001"
TOKEN = "EAAGtest-page-token-ig-0001"
APP_SECRET = "fedcba9876543210fedcba9876543210"
VALUES = {"account_id": ACCOUNT_ID, "page_access_token": TOKEN, "app_secret": APP_SECRET}
CTX = ConnectContext(integration_id=9, webhook_url="https://example.test/webhooks/instagram/9", webhook_secret="vt-9")


def run(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine on its own loop in a worker thread (another loop may be running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def graph() -> Iterator[tuple[FakeGraph, str]]:
    fake = FakeGraph()
    fake.add_instagram_account(ACCOUNT_ID, TOKEN, username="cafe.aroma", name="Cafe Aroma")
    with serve(fake.app) as url:
        yield fake, url


async def _test(values: dict[str, str], base_url: str, timeout: float | None = None) -> ConnectionInfo:
    async with httpx.AsyncClient() as http:
        adapter = InstagramAdapter(InstagramAdapter.parse_config(values), http=http, base_url=base_url)
        if timeout is not None:
            adapter.timeout_seconds = timeout  # type: ignore[misc]
        return await adapter.test_connection()


def test_connection_reports_the_account(graph: tuple[FakeGraph, str]) -> None:
    fake, url = graph
    info = run(_test(VALUES, url))
    assert info == ConnectionInfo(title="@cafe.aroma", details={"username": "@cafe.aroma", "name": "Cafe Aroma"})
    call = fake.calls[-1]
    assert (call.path, call.params, call.authorization) == (
        f"/v21.0/{ACCOUNT_ID}",
        {"fields": "username,name"},
        f"Bearer {TOKEN}",
    )


# name: (expected error, field it names, failure injected at the fake, config changes, closed port, timeout)
ERRORS: dict[str, tuple[type[AdapterError], str | None, str | None, dict[str, str], bool, float | None]] = {
    "invalid_auth": (InvalidAuth, "page_access_token", None, {"page_access_token": "EAAGwrong"}, False, None),
    "rate_limited": (RateLimited, None, "rate_limited", {}, False, None),
    "cannot_connect_5xx": (CannotConnect, None, "server_error", {}, False, None),
    "cannot_connect_timeout": (CannotConnect, None, "timeout", {}, False, 0.3),
    "cannot_connect_closed_port": (CannotConnect, None, None, {}, True, None),
    "provider_error_unknown_id": (ProviderError, "account_id", None, {"account_id": "1784"}, False, None),
    "provider_error_garbage": (ProviderError, None, "garbage", {}, False, None),
}


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
def test_each_error_then_recovery_on_retry(graph: tuple[FakeGraph, str], case: tuple[Any, ...]) -> None:
    error, on_field, fail, changes, closed, timeout = case
    fake, url = graph
    if fail:
        fake.fail_next(fail)
    with pytest.raises(error) as raised:
        run(_test({**VALUES, **changes}, closed_url() if closed else url, timeout))
    assert type(raised.value) is error and raised.value.field == on_field
    assert TOKEN not in str(raised.value) and "EAAGwrong" not in raised.value.detail
    assert run(_test(VALUES, url)).title == "@cafe.aroma"


def test_config_validation_and_form() -> None:
    for name, value, error in [
        ("account_id", "cafe.aroma", "digits_only"),
        ("account_id", "-1784", "digits_only"),
        ("app_secret", "not-a-secret", "app_secret_format"),
    ]:
        with pytest.raises(ValidationError) as raised:
            InstagramAdapter.parse_config({**VALUES, name: value})
        assert validation_errors(raised.value) == {name: error}
    fields = {f.name: (f.secret, f.input_type) for f in InstagramAdapter.form_fields()}
    assert fields == {
        "account_id": (False, "text"),
        "page_access_token": (True, "password"),
        "app_secret": (True, "password"),
    }
    assert all(f.title and f.help for f in InstagramAdapter.form_fields())
    assert registry.get("instagram") is InstagramAdapter and InstagramAdapter.uses_verify_handshake


def test_connect_disconnect_and_setup_steps() -> None:
    async def go() -> dict[str, str]:
        async with httpx.AsyncClient() as http:
            adapter = InstagramAdapter(InstagramAdapter.parse_config(VALUES), http=http, base_url=closed_url())
            state = await adapter.connect(CTX)
            await adapter.disconnect(CTX, state)
            return state

    assert run(go()) == {}
    assert InstagramAdapter.setup_steps(CTX) == [
        SetupStep("integration.setup.callback_url", "https://example.test/webhooks/instagram/9"),
        SetupStep("integration.setup.verify_token", "vt-9"),
    ]


def test_webhook_checks() -> None:
    body = json.dumps(instagram_text_delivery(ACCOUNT_ID, "5290000000001", "aWdf1", "Hi")).encode()
    secrets = {"app_secret": APP_SECRET}

    def verify(headers: dict[str, str], raw: bytes = body) -> bool:
        return InstagramAdapter.verify_delivery(headers=headers, body=raw, secrets=secrets, webhook_secret="vt-9")

    assert verify({"x-hub-signature-256": sign(body, APP_SECRET)})
    assert not verify({"x-hub-signature-256": sign(body, "0" * 32)})
    assert not verify({"x-hub-signature-256": sign(body, APP_SECRET)}, json.dumps(json.loads(body), indent=1).encode())
    assert not verify({})
    assert not verify({"x-hub-signature-256": "sha256=zz"})

    params = {"hub.mode": "subscribe", "hub.verify_token": "vt-9", "hub.challenge": "42"}
    assert InstagramAdapter.verify_handshake(params=params, webhook_secret="vt-9") == "42"
    assert InstagramAdapter.verify_handshake(params=params, webhook_secret="vt-8") is None
    assert InstagramAdapter.verify_handshake(params={**params, "hub.mode": "x"}, webhook_secret="vt-9") is None


def _parse(payload: Any) -> list[Any]:
    return InstagramAdapter.parse_delivery(json.dumps(payload).encode())


def test_parse_text_message() -> None:
    [message] = _parse(instagram_text_delivery(ACCOUNT_ID, "5290000000001", "aWdf1", "Hi", 1569262485349))
    assert (message.provider_message_id, message.chat_id, message.sender_id) == (
        "aWdf1",
        "5290000000001",
        "5290000000001",
    )
    assert (message.sender_name, message.sender_username, message.sender_phone) == ("", "", "")
    assert message.text == "Hi"
    assert message.sent_at == datetime(2019, 9, 23, 18, 14, 45, 349000, tzinfo=UTC)


def test_parse_skips_echoes_and_other_events() -> None:
    assert _parse(instagram_text_delivery(ACCOUNT_ID, "5290000000001", "aWdf2", "Thanks!", is_echo=True)) == []
    payload = instagram_text_delivery(ACCOUNT_ID, "5290000000001", "aWdf3", "x")
    event = payload["entry"][0]["messaging"][0]
    del event["message"]
    event["read"] = {"mid": "aWdf1"}
    reaction = {**event, "reaction": {"mid": "aWdf1", "action": "react", "emoji": "❤"}}
    del reaction["read"]
    payload["entry"][0]["messaging"].append(reaction)
    assert _parse(payload) == []
    assert _parse({"object": "instagram", "entry": [{"id": ACCOUNT_ID, "time": 1, "changes": []}]}) == []


def _broken(**changes: Any) -> bytes:
    payload = instagram_text_delivery(ACCOUNT_ID, "5290000000001", "aWdf1", "Hi")
    event = payload["entry"][0]["messaging"][0]
    for key, value in changes.items():
        if value is None:
            del event[key]
        else:
            event[key] = value
    return json.dumps(payload).encode()


MALFORMED = {
    "not_json": b"\xff\xfe",
    "wrong_object": json.dumps({"object": "page", "entry": []}).encode(),
    "entry_not_a_list": json.dumps({"object": "instagram", "entry": {"id": "1"}}).encode(),
    "no_sender": _broken(sender=None),
    "no_mid": _broken(message={"text": "Hi"}),
    "message_not_an_object": _broken(message="Hi"),
    "bad_timestamp": _broken(timestamp="yesterday"),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_parse_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        InstagramAdapter.parse_delivery(body)
