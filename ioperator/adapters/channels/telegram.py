"""Telegram: a bot token from @BotFather; `connect` registers our webhook with a secret token.

Bot API calls are `POST <base>/bot<token>/<method>` with a JSON body; answers are
`{"ok": true, "result": ...}` or `{"ok": false, "error_code": ..., "description": ...}`.
Each update Telegram delivers carries our secret in `X-Telegram-Bot-Api-Secret-Token`.
The token is part of the URL, so no error message or detail here ever includes a URL.
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeGuard, cast

import httpx
from pydantic import Field, SecretStr, field_validator

from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.channels.base import ChannelAdapter, ConnectContext, InboundMessage
from ioperator.adapters.errors import CannotConnect, InvalidAuth, MalformedPayload, ProviderError, RateLimited
from ioperator.adapters.registry import register

TOKEN_PATTERN = re.compile(r"^\d+:[A-Za-z0-9_-]{30,}$")
WEBHOOK_HEADER = "x-telegram-bot-api-secret-token"
_DETAIL_LIMIT = 200


@register
class TelegramAdapter(ChannelAdapter):
    slug = "telegram"
    position = 10
    title = "Telegram"
    description = "Answer customers who write to your Telegram bot."
    docs_url = "https://core.telegram.org/bots/tutorial"
    logo = "/logos/telegram.svg"
    default_base_url = "https://api.telegram.org"

    class Config(ProviderConfig):
        bot_token: SecretStr = Field(
            title="Bot token",
            description="Create a bot with @BotFather and paste the token it gives you.",
            examples=["123456789:AAF…"],
        )

        @field_validator("bot_token")
        @classmethod
        def _token_shape(cls, value: SecretStr) -> SecretStr:
            if not TOKEN_PATTERN.match(value.get_secret_value()):
                raise ValueError("a bot token looks like 123456789:AAF… (digits, a colon, then 30+ characters)")
            return value

    async def test_connection(self) -> ConnectionInfo:
        me = await self._call("getMe")
        if not isinstance(me, dict) or not isinstance(me.get("username"), str) or "id" not in me:
            raise ProviderError("getMe returned no bot")
        username = f"@{me['username']}"
        details = {"bot_name": str(me.get("first_name", "")), "username": username, "bot_id": str(me["id"])}
        return ConnectionInfo(title=username, details=details)

    async def connect(self, ctx: ConnectContext) -> dict[str, str]:
        payload = {
            "url": ctx.webhook_url,
            "secret_token": ctx.webhook_secret,
            "allowed_updates": ["message"],
            "drop_pending_updates": False,
        }
        if await self._call("setWebhook", payload) is not True:
            raise ProviderError("setWebhook did not confirm the webhook")
        return {"webhook_url": ctx.webhook_url}

    async def disconnect(self, ctx: ConnectContext, state: Mapping[str, str]) -> None:
        await self._call("deleteWebhook", {"drop_pending_updates": False})

    @classmethod
    def verify_delivery(
        cls, *, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], webhook_secret: str
    ) -> bool:
        if not webhook_secret:
            return False
        given = next((value for name, value in headers.items() if name.lower() == WEBHOOK_HEADER), "")
        return hmac.compare_digest(given.encode(), webhook_secret.encode())

    @classmethod
    def parse_delivery(cls, body: bytes) -> list[InboundMessage]:
        try:
            update = json.loads(body)
        except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
            raise MalformedPayload("the body is not JSON") from None
        if not isinstance(update, dict):
            raise MalformedPayload("the update is not a JSON object")
        if "message" not in update:
            return []  # edited_message, callback_query, my_chat_member, ...: not a new customer message
        return [_inbound(update["message"])]

    async def _call(self, method: str, payload: dict[str, Any] | None = None) -> Any:
        """Call one Bot API method; return its `result` or raise a typed AdapterError."""
        token = cast(TelegramAdapter.Config, self.config).bot_token.get_secret_value()
        try:
            response = await self.http.post(
                f"{self.base_url}/bot{token}/{method}", json=payload or {}, timeout=self.timeout_seconds
            )
        except httpx.TimeoutException:
            raise CannotConnect(f"Telegram did not answer {method} in time") from None
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise CannotConnect(f"cannot reach Telegram ({type(exc).__name__})") from None
        except httpx.HTTPError as exc:
            raise ProviderError(f"{method} failed ({type(exc).__name__})") from None
        return _result(method, response)


def _result(method: str, response: httpx.Response) -> Any:
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    body = _object(data)
    description = str(body.get("description", ""))[:_DETAIL_LIMIT]
    if status == 401 or (status == 404 and "method not found" not in description):
        raise InvalidAuth("Telegram refused the bot token", field="bot_token")
    if status == 429:
        retry_after = _object(body.get("parameters")).get("retry_after")
        seconds = retry_after if _is_int(retry_after) else None
        raise RateLimited(description or "Too Many Requests", retry_after=seconds)
    if status >= 500:
        raise CannotConnect(f"Telegram answered HTTP {status}")
    if body.get("ok") is True and "result" in body:
        return body["result"]
    if body.get("ok") is False:
        raise ProviderError(description or f"{method} failed (HTTP {status})")
    raise ProviderError(f"unexpected answer to {method} (HTTP {status})")


def _inbound(message: Any) -> InboundMessage:
    if not isinstance(message, dict):
        raise MalformedPayload("message is not an object")
    chat = _object(message.get("chat"))
    message_id, date = message.get("message_id"), message.get("date")
    if not _is_int(chat.get("id")) or not _is_int(message_id) or not _is_int(date):
        raise MalformedPayload("message has no chat, message_id or date")
    sender = _object(message.get("from"))
    chat_id = str(chat["id"])
    sender_id = str(sender["id"]) if _is_int(sender.get("id")) else chat_id
    names = (sender.get("first_name"), sender.get("last_name"))
    text = message.get("text") or message.get("caption") or ""
    try:
        sent_at = datetime.fromtimestamp(date, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedPayload("message date is out of range") from None
    return InboundMessage(
        provider_message_id=f"{chat_id}:{message_id}",
        chat_id=chat_id,
        sender_id=sender_id,
        sender_name=" ".join(name for name in names if isinstance(name, str) and name),
        sender_username=str(sender.get("username") or ""),
        sender_phone=_own_phone(message.get("contact"), sender.get("id")),
        text=text if isinstance(text, str) else "",
        sent_at=sent_at,
    )


def _own_phone(contact: Any, sender_id: Any) -> str:
    """The sender's number in E.164 when they shared their own contact, else ""."""
    if not isinstance(contact, dict) or sender_id is None or contact.get("user_id") != sender_id:
        return ""
    digits = "".join(ch for ch in str(contact.get("phone_number", "")) if ch.isdigit())
    return f"+{digits}" if digits else ""


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
