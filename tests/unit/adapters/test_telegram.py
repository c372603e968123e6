"""The Telegram adapter against the fake Bot API over real HTTP: each call, each error and the
retry that recovers from it, the setup form, and webhook intake."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from ioperator.adapters import registry
from ioperator.adapters.base import ConnectionInfo
from ioperator.adapters.channels.base import ConnectContext
from ioperator.adapters.channels.telegram import TelegramAdapter
from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    MalformedPayload,
    ProviderError,
    RateLimited,
)
from tests.fakes import telegram as tg
from tests.fakes.runner import serve

T = TypeVar("T")
GOOD = "123456:AAF" + "x1Y2z3_-" * 4  # digits, a colon, 35 characters
UNKNOWN = "654321:" + "B" * 35
MALFORMED = "123456:" + "C" * 40  # passes our shape check; Telegram answers 404
SECRET = "wh_S3cret-token"
CTX = ConnectContext(integration_id=7, webhook_url="https://ops.example.com/webhooks/telegram/7", webhook_secret=SECRET)


class QuickTelegram(TelegramAdapter):
    """The adapter with a short timeout, so the timeout case stays fast (not registered)."""

    timeout_seconds = 0.4


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in a worker thread (another loop may be running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(operation: Callable[[TelegramAdapter], Awaitable[T]], *, base_url: str, token: str = GOOD) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            config = TelegramAdapter.parse_config({"bot_token": token})
            return await operation(QuickTelegram(config, http=http, base_url=base_url))

    return run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[tg.FakeTelegram, str]]:
    fake = tg.FakeTelegram(timeout_delay=2.0)
    with serve(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
def fake(server: tuple[tg.FakeTelegram, str]) -> tg.FakeTelegram:
    fake = server[0]
    fake.reset()
    fake.bots.clear()
    fake.add_bot(GOOD, username="cafe_bot", first_name="Cafe Aroma", bot_id=123456)
    return fake


@pytest.fixture
def base_url(server: tuple[tg.FakeTelegram, str]) -> str:
    return server[1]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


OPERATIONS: dict[str, Callable[[TelegramAdapter], Awaitable[Any]]] = {
    "test_connection": lambda adapter: adapter.test_connection(),
    "connect": lambda adapter: adapter.connect(CTX),
    "disconnect": lambda adapter: adapter.disconnect(CTX, {"webhook_url": CTX.webhook_url}),
}


def check_success(operation: str, result: Any, fake: tg.FakeTelegram) -> None:
    if operation == "test_connection":
        details = {"bot_name": "Cafe Aroma", "username": "@cafe_bot", "bot_id": "123456"}
        assert result == ConnectionInfo(title="@cafe_bot", details=details)
    elif operation == "connect":
        assert result == {"webhook_url": CTX.webhook_url}
        assert fake.webhooks[GOOD] == {"url": CTX.webhook_url, "secret_token": SECRET, "allowed_updates": ["message"]}
    else:
        assert result is None
        assert GOOD not in fake.webhooks


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_call_succeeds(operation: str, fake: tg.FakeTelegram, base_url: str) -> None:
    if operation == "disconnect":
        fake.webhooks[GOOD] = {"url": CTX.webhook_url, "secret_token": SECRET, "allowed_updates": ["message"]}
    check_success(operation, call(OPERATIONS[operation], base_url=base_url), fake)
    method = {"test_connection": "getMe", "connect": "setWebhook", "disconnect": "deleteWebhook"}[operation]
    assert fake.calls == [(method, GOOD[-4:])]


# Each case arranges a failure and says where to call: (token, base URL).
Arrange = Callable[[tg.FakeTelegram, str], tuple[str, str]]


def _inject(kind: str, **options: Any) -> Arrange:
    def arrange(fake: tg.FakeTelegram, base_url: str) -> tuple[str, str]:
        fake.fail_next(kind, **options)
        return GOOD, base_url

    return arrange


FAILURES: list[tuple[str, Arrange, type[AdapterError], str]] = [
    ("unknown_token", lambda fake, url: (UNKNOWN, url), InvalidAuth, "Telegram refused the bot token"),
    ("malformed_token", lambda fake, url: (MALFORMED, url), InvalidAuth, "Telegram refused the bot token"),
    ("rate_limited", _inject("rate_limited", retry_after=7), RateLimited, "Too Many Requests: retry after 7"),
    ("server_error", _inject("server_error"), CannotConnect, "Telegram answered HTTP 502"),
    ("timeout", _inject("timeout"), CannotConnect, "in time"),
    ("connection_refused", lambda fake, url: (GOOD, closed_port_url()), CannotConnect, "(ConnectError)"),
    ("garbage", _inject("garbage"), ProviderError, "unexpected answer"),
]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("case", "arrange", "expected", "detail"), FAILURES, ids=[case[0] for case in FAILURES])
def test_each_error_then_recovery_on_retry(
    operation: str,
    case: str,
    arrange: Arrange,
    expected: type[AdapterError],
    detail: str,
    fake: tg.FakeTelegram,
    base_url: str,
) -> None:
    token, url = arrange(fake, base_url)

    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation], base_url=url, token=token)

    error = caught.value
    assert type(error) is expected
    assert detail in error.detail
    for secret in (token, token.split(":", 1)[1]):
        assert secret not in str(error) and secret not in error.detail
    if expected is InvalidAuth:
        assert error.field == "bot_token"
    if expected is RateLimited:
        assert isinstance(error, RateLimited) and error.retry_after == 7 and error.params == {"seconds": 7}

    if operation == "disconnect":
        fake.webhooks[GOOD] = {"url": CTX.webhook_url, "secret_token": SECRET, "allowed_updates": ["message"]}
    check_success(operation, call(OPERATIONS[operation], base_url=base_url), fake)


def test_connect_with_an_http_url_shows_telegrams_reason_then_recovers(fake: tg.FakeTelegram, base_url: str) -> None:
    plain = ConnectContext(
        integration_id=7, webhook_url="http://localhost:3000/webhooks/telegram/7", webhook_secret=SECRET
    )

    with pytest.raises(ProviderError) as caught:
        call(lambda adapter: adapter.connect(plain), base_url=base_url)

    assert caught.value.detail == "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
    assert fake.webhooks == {}
    check_success("connect", call(OPERATIONS["connect"], base_url=base_url), fake)


def test_an_unknown_method_is_a_provider_error_not_a_bad_token(fake: tg.FakeTelegram, base_url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        call(lambda adapter: adapter._call("sendTelepathy"), base_url=base_url)
    assert caught.value.detail == "Not Found: method not found"


def test_the_registry_offers_telegram_as_a_channel() -> None:
    assert registry.get("telegram") is TelegramAdapter
    assert TelegramAdapter in registry.all_adapters("channel")
    assert TelegramAdapter.setup_steps(CTX) == []


def test_the_form_has_one_secret_required_token_field() -> None:
    [field] = TelegramAdapter.form_fields()
    assert (field.name, field.title, field.secret, field.required) == ("bot_token", "Bot token", True, True)
    assert field.input_type == "password"
    assert field.placeholder == "123456789:AAF…"
    assert "@BotFather" in field.help


@pytest.mark.parametrize("token", ["", "123456", "abc:" + "A" * 35, "123456:short", "123456:" + "A" * 34 + "!"])
def test_a_token_of_the_wrong_shape_is_refused_on_its_field(token: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TelegramAdapter.parse_config({"bot_token": token})
    assert [error["loc"] for error in caught.value.errors()] == [("bot_token",)]
    assert token[7:] not in str(caught.value) or not token[7:]


def test_a_pasted_token_is_trimmed_and_kept_secret() -> None:
    config = TelegramAdapter.parse_config({"bot_token": f"  {GOOD}\n"})
    assert config.secret_values() == {"bot_token": GOOD}
    assert config.public_values() == {}
    assert GOOD not in repr(config)


# --- Webhook intake --------------------------------------------------------------------------------

HEADER = "X-Telegram-Bot-Api-Secret-Token"


@pytest.mark.parametrize(
    ("headers", "webhook_secret", "verified"),
    [
        (Headers({HEADER: SECRET}), SECRET, True),
        ({HEADER.lower(): SECRET}, SECRET, True),
        ({HEADER: SECRET}, SECRET, True),
        ({HEADER.lower(): SECRET + "x"}, SECRET, False),
        (Headers({HEADER: "wrong"}), SECRET, False),
        ({}, SECRET, False),
        ({"content-type": "application/json"}, SECRET, False),
        ({HEADER.lower(): ""}, "", False),
        ({}, "", False),
        ({HEADER.lower(): "sécret"}, SECRET, False),
    ],
)
def test_verify_delivery(headers: Any, webhook_secret: str, verified: bool) -> None:
    body = tg.encode(tg.text_update())
    assert (
        TelegramAdapter.verify_delivery(headers=headers, body=body, secrets={}, webhook_secret=webhook_secret)
        is verified
    )


def test_a_text_message_becomes_one_inbound_message() -> None:
    body = tg.encode(tg.text_update(chat_id=1111111, message_id=1365, text="Привет, есть столик?", last_name="Lee"))

    [message] = TelegramAdapter.parse_delivery(body)

    assert message.provider_message_id == "1111111:1365"
    assert (message.chat_id, message.sender_id) == ("1111111", "1111111")
    assert (message.sender_name, message.sender_username, message.sender_phone) == ("Ann Lee", "ann", "")
    assert message.text == "Привет, есть столик?"
    assert message.sent_at == datetime(2015, 9, 7, 17, 5, 32, tzinfo=UTC)


@pytest.mark.parametrize(
    ("update", "text"),
    [
        (
            tg.text_update(text=None, caption="this cake?", photo=[{"file_id": "A", "width": 90, "height": 90}]),
            "this cake?",
        ),
        (tg.text_update(text=None, sticker={"file_id": "S", "emoji": "👍"}), ""),
        (tg.text_update(text="", caption=None), ""),
    ],
)
def test_caption_or_empty_text(update: dict[str, Any], text: str) -> None:
    [message] = TelegramAdapter.parse_delivery(tg.encode(update))
    assert message.text == text


def test_message_ids_are_unique_per_chat_only() -> None:
    first = TelegramAdapter.parse_delivery(tg.encode(tg.text_update(chat_id=1, message_id=5)))
    second = TelegramAdapter.parse_delivery(tg.encode(tg.text_update(chat_id=2, message_id=5)))
    assert first[0].provider_message_id != second[0].provider_message_id


def test_a_group_message_keeps_the_chat_and_the_sender_apart() -> None:
    update = tg.text_update(chat_id=-100123, from_id=42, username="")
    update["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Cafe fans"}
    [message] = TelegramAdapter.parse_delivery(tg.encode(update))
    assert (message.chat_id, message.sender_id, message.sender_username) == ("-100123", "42", "")


@pytest.mark.parametrize(
    ("contact", "phone"),
    [
        ({"phone_number": "79991234567", "first_name": "Ann", "user_id": 1111111}, "+79991234567"),
        ({"phone_number": "+7 999 123-45-67", "first_name": "Ann", "user_id": 1111111}, "+79991234567"),
        ({"phone_number": "79990000000", "first_name": "Bob", "user_id": 2222222}, ""),
        ({"phone_number": "79990000000", "first_name": "Bob"}, ""),
    ],
)
def test_only_the_senders_own_shared_contact_gives_a_phone(contact: dict[str, Any], phone: str) -> None:
    [message] = TelegramAdapter.parse_delivery(tg.encode(tg.text_update(text=None, contact=contact)))
    assert message.sender_phone == phone


@pytest.mark.parametrize(
    "update",
    [
        tg.text_update(kind="edited_message"),
        tg.update("channel_post", message_id=1, date=1441645532, chat={"id": -1001, "type": "channel"}, text="news"),
        {"update_id": 1, "callback_query": {"id": "9", "from": tg.user(), "data": "yes"}},
        {"update_id": 2, "my_chat_member": {"chat": {"id": 1, "type": "private"}, "from": tg.user(), "date": 1}},
        {"update_id": 3},
    ],
)
def test_other_update_kinds_give_no_messages(update: dict[str, Any]) -> None:
    assert TelegramAdapter.parse_delivery(tg.encode(update)) == []


def _without(key: str) -> bytes:
    update = tg.text_update()
    del update["message"][key]
    return tg.encode(update)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b"[]",
        b'"message"',
        b'{"update_id": 1, "message": "hi"}',
        b'{"update_id": 1, "message": null}',
        _without("chat"),
        _without("message_id"),
        _without("date"),
        tg.encode(tg.text_update(message_id="1365")),  # type: ignore[arg-type]
        tg.encode(tg.text_update(date=10**20)),
    ],
)
def test_a_malformed_delivery_is_refused(body: bytes) -> None:
    with pytest.raises(MalformedPayload):
        TelegramAdapter.parse_delivery(body)


# --- The fake itself takes what Telegram takes ---------------------------------------------------


def test_the_fake_accepts_form_and_query_parameters(fake: tg.FakeTelegram, base_url: str) -> None:
    api = f"{base_url}/bot{GOOD}"
    form = {"url": CTX.webhook_url, "secret_token": SECRET, "allowed_updates": '["message"]'}
    assert httpx.post(f"{api}/setWebhook", data=form).json() == {
        "ok": True,
        "result": True,
        "description": "Webhook was set",
    }
    info = httpx.get(f"{api}/getWebhookInfo").json()["result"]
    assert (info["url"], info["allowed_updates"]) == (CTX.webhook_url, ["message"])
    assert httpx.get(f"{api}/deleteWebhook", params={"drop_pending_updates": "true"}).json()["result"] is True
    assert (
        httpx.post(f"{api}/setWebhook", json={"url": CTX.webhook_url, "secret_token": "no spaces"}).status_code == 400
    )
