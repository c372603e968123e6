"""WhatsApp Cloud API adapter against the fake Graph, plus the shared Meta webhook checks."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from ioperator.adapters import registry
from ioperator.adapters.base import ConnectionInfo, validation_errors
from ioperator.adapters.channels.base import ConnectContext, SetupStep
from ioperator.adapters.channels.whatsapp import WhatsAppAdapter
from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    MalformedPayload,
    ProviderError,
    RateLimited,
)
from tests.fakes.graph import (
    FakeGraph,
    sign,
    whatsapp_message_delivery,
    whatsapp_status_delivery,
    whatsapp_text_delivery,
)
from tests.fakes.runner import serve

NUMBER_ID = "106540352242922"
TOKEN = "EAAGtest-token-wa-0001"
APP_SECRET = "0123456789abcdef0123456789abcdef"
VALUES = {"phone_number_id": NUMBER_ID, "access_token": TOKEN, "app_secret": APP_SECRET}
CTX = ConnectContext(integration_id=7, webhook_url="https://example.test/webhooks/whatsapp/7", webhook_secret="vt-123")


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
    fake.add_whatsapp_number(NUMBER_ID, TOKEN, display_phone_number="+1 555-078-3881", verified_name="Cafe Aroma")
    with serve(fake.app) as url:
        yield fake, url


async def _test(values: dict[str, str], base_url: str, timeout: float | None = None) -> ConnectionInfo:
    async with httpx.AsyncClient() as http:
        adapter = WhatsAppAdapter(WhatsAppAdapter.parse_config(values), http=http, base_url=base_url)
        if timeout is not None:
            adapter.timeout_seconds = timeout  # type: ignore[misc]
        return await adapter.test_connection()


def test_connection_reports_the_number(graph: tuple[FakeGraph, str]) -> None:
    fake, url = graph
    info = run(_test(VALUES, url))
    assert info == ConnectionInfo(
        title="Cafe Aroma", details={"phone": "+1 555-078-3881", "verified": "VERIFIED", "quality": "GREEN"}
    )
    call = fake.calls[-1]
    assert call.path == f"/v21.0/{NUMBER_ID}"
    assert call.authorization == f"Bearer {TOKEN}"
    assert call.params["fields"] == "display_phone_number,verified_name,code_verification_status,quality_rating"


@dataclass(frozen=True)
class ErrorCase:
    error: type[AdapterError]
    on_field: str | None = None
    fail: str | None = None  # a failure injected at the fake
    values: dict[str, str] = field(default_factory=dict)  # what differs from VALUES in the failing call
    closed: bool = False
    timeout: float | None = None


ERRORS = {
    "invalid_auth": ErrorCase(InvalidAuth, "access_token", values={"access_token": "EAAGwrong"}),
    "rate_limited": ErrorCase(RateLimited, fail="rate_limited"),
    "cannot_connect_5xx": ErrorCase(CannotConnect, fail="server_error"),
    "cannot_connect_timeout": ErrorCase(CannotConnect, fail="timeout", timeout=0.3),
    "cannot_connect_closed_port": ErrorCase(CannotConnect, closed=True),
    "provider_error_unknown_id": ErrorCase(ProviderError, "phone_number_id", values={"phone_number_id": "999"}),
    "provider_error_garbage": ErrorCase(ProviderError, fail="garbage"),
}


@pytest.mark.parametrize("case", ERRORS.values(), ids=ERRORS.keys())
def test_each_error_then_recovery_on_retry(graph: tuple[FakeGraph, str], case: ErrorCase) -> None:
    fake, url = graph
    if case.fail:
        fake.fail_next(case.fail)
    with pytest.raises(case.error) as raised:
        run(_test({**VALUES, **case.values}, closed_url() if case.closed else url, case.timeout))
    assert type(raised.value) is case.error
    assert raised.value.field == case.on_field
    assert TOKEN not in str(raised.value) and "EAAGwrong" not in raised.value.detail
    if case.error is RateLimited:
        assert raised.value.retry_after is None
    assert run(_test(VALUES, url)).title == "Cafe Aroma"


def test_config_validation() -> None:
    WhatsAppAdapter.parse_config({**VALUES, "app_secret": f"  {APP_SECRET.upper()} "})
    bad = {
        "phone_number_id": ["+15550783881", "1065 4035", "abc", "١٢٣"],
        "app_secret": ["short", "g" * 32, APP_SECRET + "0"],
    }
    expected = {"phone_number_id": "digits_only", "app_secret": "app_secret_format"}
    for name, values in bad.items():
        for value in values:
            with pytest.raises(ValidationError) as raised:
                WhatsAppAdapter.parse_config({**VALUES, name: value})
            assert validation_errors(raised.value) == {name: expected[name]}, value
            assert value not in str(raised.value)  # a mistyped secret must not reach a log
    with pytest.raises(ValidationError) as raised:
        WhatsAppAdapter.parse_config({**VALUES, "extra": "x"})
    assert "extra" in validation_errors(raised.value)


def test_form_fields_and_declarations() -> None:
    fields = {f.name: f for f in WhatsAppAdapter.form_fields()}
    assert list(fields) == ["phone_number_id", "access_token", "app_secret"]
    assert [f.secret for f in fields.values()] == [False, True, True]
    assert fields["access_token"].input_type == "password" and fields["phone_number_id"].input_type == "text"
    assert fields["phone_number_id"].title == "Phone number ID" and fields["phone_number_id"].placeholder
    assert all(f.help and f.required for f in fields.values())
    assert registry.get("whatsapp") is WhatsAppAdapter
    assert WhatsAppAdapter.uses_verify_handshake and WhatsAppAdapter.kind == "channel"
    config = WhatsAppAdapter.parse_config(VALUES)
    assert config.secret_values() == {"access_token": TOKEN, "app_secret": APP_SECRET}
    assert config.public_values() == {"phone_number_id": NUMBER_ID}


def test_connect_disconnect_and_setup_steps() -> None:
    async def go() -> dict[str, str]:
        async with httpx.AsyncClient() as http:
            adapter = WhatsAppAdapter(WhatsAppAdapter.parse_config(VALUES), http=http, base_url=closed_url())
            state = await adapter.connect(CTX)
            await adapter.disconnect(CTX, state)
            return state

    assert run(go()) == {}
    assert WhatsAppAdapter.setup_steps(CTX) == [
        SetupStep("integration.setup.callback_url", "https://example.test/webhooks/whatsapp/7"),
        SetupStep("integration.setup.verify_token", "vt-123"),
    ]


BODY = json.dumps(whatsapp_text_delivery(NUMBER_ID, "16505551234", "Sheena", "wamid.A1", "Hi")).encode()
SIGNATURES: dict[str, tuple[dict[str, str] | Headers, bytes, str, bool]] = {
    "valid": ({"x-hub-signature-256": sign(BODY, APP_SECRET)}, BODY, APP_SECRET, True),
    "valid_starlette_headers": (Headers({"X-Hub-Signature-256": sign(BODY, APP_SECRET)}), BODY, APP_SECRET, True),
    "forged_other_secret": ({"x-hub-signature-256": sign(BODY, "f" * 32)}, BODY, APP_SECRET, False),
    "body_reserialised": (
        {"x-hub-signature-256": sign(BODY, APP_SECRET)},
        json.dumps(json.loads(BODY), separators=(",", ":")).encode(),
        APP_SECRET,
        False,
    ),
    "missing_header": ({}, BODY, APP_SECRET, False),
    "malformed_no_prefix": ({"x-hub-signature-256": sign(BODY, APP_SECRET)[7:]}, BODY, APP_SECRET, False),
    "malformed_sha1": ({"x-hub-signature-256": "sha1=abc"}, BODY, APP_SECRET, False),
    "malformed_not_ascii": ({"x-hub-signature-256": "sha256=ünïcode"}, BODY, APP_SECRET, False),
    "empty_secret": ({"x-hub-signature-256": sign(BODY, "")}, BODY, "", False),
}


@pytest.mark.parametrize("case", SIGNATURES.values(), ids=SIGNATURES.keys())
def test_verify_delivery(case: tuple[Any, bytes, str, bool]) -> None:
    headers, body, secret, expected = case
    verdict = WhatsAppAdapter.verify_delivery(
        headers=headers, body=body, secrets={"app_secret": secret}, webhook_secret="vt-123"
    )
    assert verdict is expected


HANDSHAKES = {
    "right_token": (
        {"hub.mode": "subscribe", "hub.verify_token": "vt-123", "hub.challenge": "1158201444"},
        "1158201444",
    ),
    "wrong_token": ({"hub.mode": "subscribe", "hub.verify_token": "vt-124", "hub.challenge": "1158201444"}, None),
    "wrong_mode": ({"hub.mode": "unsubscribe", "hub.verify_token": "vt-123", "hub.challenge": "1158201444"}, None),
    "no_challenge": ({"hub.mode": "subscribe", "hub.verify_token": "vt-123"}, None),
    "no_token": ({"hub.mode": "subscribe", "hub.challenge": "1158201444"}, None),
}


@pytest.mark.parametrize("case", HANDSHAKES.values(), ids=HANDSHAKES.keys())
def test_verify_handshake(case: tuple[dict[str, str], str | None]) -> None:
    params, expected = case
    assert WhatsAppAdapter.verify_handshake(params=params, webhook_secret="vt-123") == expected
    assert WhatsAppAdapter.verify_handshake(params=params, webhook_secret="") is None


def _parse(payload: Any) -> list[Any]:
    return WhatsAppAdapter.parse_delivery(json.dumps(payload).encode())


def test_parse_text_message() -> None:
    [message] = _parse(whatsapp_text_delivery(NUMBER_ID, "16505551234", "Sheena", "wamid.A1", "Hi", 1749416383))
    assert message.provider_message_id == "wamid.A1"
    assert message.chat_id == message.sender_id == "16505551234"
    assert (message.sender_name, message.sender_username, message.sender_phone) == ("Sheena", "", "+16505551234")
    assert message.text == "Hi"
    assert message.sent_at == datetime(2025, 6, 8, 20, 59, 43, tzinfo=UTC)


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ({"type": "image", "image": {"id": "MEDIA1", "mime_type": "image/jpeg", "caption": "Menu?"}}, "Menu?"),
        ({"type": "video", "video": {"id": "MEDIA2", "caption": "Look"}}, "Look"),
        ({"type": "document", "document": {"id": "MEDIA3", "filename": "a.pdf"}}, ""),
        ({"type": "sticker", "sticker": {"id": "MEDIA4"}}, ""),
        ({"type": "unknown_future_type", "errors": [{"code": 131051}]}, ""),
    ],
)
def test_parse_media_caption(content: dict[str, Any], text: str) -> None:
    [message] = _parse(whatsapp_message_delivery(NUMBER_ID, "16505551234", "Sheena", "wamid.B1", content))
    assert message.text == text and message.provider_message_id == "wamid.B1"


def test_parse_deliveries_without_customer_messages() -> None:
    assert _parse(whatsapp_status_delivery(NUMBER_ID, "wamid.A1", "16505551234", "read")) == []
    other_field = whatsapp_status_delivery(NUMBER_ID, "wamid.A1", "16505551234")
    other_field["entry"][0]["changes"][0]["field"] = "account_update"
    assert _parse(other_field) == []
    assert _parse({"object": "whatsapp_business_account", "entry": []}) == []


def _without(key: str) -> dict[str, Any]:
    payload = whatsapp_text_delivery(NUMBER_ID, "16505551234", "Sheena", "wamid.A1", "Hi")
    del payload["entry"][0]["changes"][0]["value"]["messages"][0][key]
    return payload


def _delivery_with(**value: Any) -> dict[str, Any]:
    payload = whatsapp_text_delivery(NUMBER_ID, "16505551234", "Sheena", "wamid.A1", "Hi")
    change = payload["entry"][0]["changes"][0]
    if "value" in value:
        change["value"] = value["value"]
    else:
        change["value"].update(value)
    return payload


MALFORMED = {
    "not_json": b"{not json",
    "not_an_object": b"[1, 2]",
    "wrong_object": json.dumps({"object": "instagram", "entry": []}).encode(),
    "no_entry": json.dumps({"object": "whatsapp_business_account"}).encode(),
    "no_message_id": json.dumps(_without("id")).encode(),
    "no_sender": json.dumps(_without("from")).encode(),
    "no_timestamp": json.dumps(_without("timestamp")).encode(),
    "messages_not_a_list": json.dumps(_delivery_with(messages={"id": "wamid.A1"})).encode(),
    "value_not_an_object": json.dumps(_delivery_with(value="messages")).encode(),
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
def test_parse_malformed(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        WhatsAppAdapter.parse_delivery(body)
