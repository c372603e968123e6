"""A fake Telegram Bot API: `/bot<token>/<method>`, GET or POST, JSON or form parameters.

It checks what Telegram checks (the token, setWebhook's URL and secret token) and answers with
Telegram's shapes (reference/crm-and-channels.md §9). Serve it with `tests.fakes.runner.serve(fake.app)`.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]{35}$")  # what @BotFather issues
SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
WEBHOOK_PORTS = {80, 88, 443, 8443}
FAILURES = ("rate_limited", "server_error", "timeout", "garbage")

Params = dict[str, Any]


def _error(status: int, description: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": status, "description": description, **extra}, status_code=status)


def _ok(result: Any, description: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"ok": True, "result": result}
    if description:
        body["description"] = description
    return JSONResponse(body)


def _bad_request(reason: str) -> JSONResponse:
    return _error(400, f"Bad Request: {reason}")


class FakeTelegram:
    """Bots by token, the webhook each has, every call made, and failures to inject."""

    def __init__(self, *, timeout_delay: float = 2.0) -> None:
        self.bots: dict[str, dict[str, Any]] = {}
        self.webhooks: dict[str, dict[str, Any]] = {}
        self.calls: list[tuple[str, str]] = []  # (method, last 4 characters of the token)
        self.timeout_delay = timeout_delay  # how long a "timeout" failure keeps the caller waiting
        self._failures: list[tuple[str, int]] = []  # (kind, retry_after)
        self._methods: dict[str, Callable[[str, Params], JSONResponse]] = {
            "getMe": self._get_me,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }
        self.app = Starlette(routes=[Route("/bot{token}/{method}", self._handle, methods=["GET", "POST"])])

    def add_bot(self, token: str, username: str = "cafe_bot", first_name: str = "Cafe", bot_id: int = 0) -> None:
        assert TOKEN.match(token), "Telegram tokens are <digits>:<35 characters>"
        bot_id = bot_id or int(token.split(":", 1)[0])
        self.bots[token] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def fail_next(self, kind: str, times: int = 1, retry_after: int = 5) -> None:
        """Make the next `times` calls fail: rate_limited, server_error, timeout or garbage."""
        assert kind in FAILURES, kind
        self._failures.extend([(kind, retry_after)] * times)

    def reset(self) -> None:
        """Forget webhooks, calls and pending failures (bots stay)."""
        self.webhooks.clear()
        self.calls.clear()
        self._failures.clear()

    async def _handle(self, request: Request) -> Response:
        token, method = request.path_params["token"], request.path_params["method"]
        self.calls.append((method, token[-4:]))
        if self._failures:
            kind, retry_after = self._failures.pop(0)
            return await self._fail(request, kind, retry_after)
        if not TOKEN.match(token):
            return _error(404, "Not Found")
        if token not in self.bots:
            return _error(401, "Unauthorized")
        handler = self._methods.get(method)
        if handler is None:
            return _error(404, "Not Found: method not found")
        params = await _params(request)
        if params is None:
            return _bad_request("can't parse JSON object")
        return handler(token, params)

    async def _fail(self, request: Request, kind: str, retry_after: int) -> Response:
        if kind == "rate_limited":
            reason = f"Too Many Requests: retry after {retry_after}"
            return _error(429, reason, parameters={"retry_after": retry_after})
        if kind == "server_error":
            return _error(502, "Bad Gateway")
        if kind == "timeout":
            await _wait_for_disconnect(request, self.timeout_delay)
            return _error(504, "Gateway Timeout")
        return PlainTextResponse("<html><body>upstream hiccup</body></html>", media_type="text/html")

    def _get_me(self, token: str, params: Params) -> JSONResponse:
        return _ok(self.bots[token])

    def _set_webhook(self, token: str, params: Params) -> JSONResponse:
        if "url" not in params:
            return _bad_request('parameter "url" is required')
        url = str(params["url"])
        if not url:
            return self._delete_webhook(token, params)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            return _bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if (parts.port or 443) not in WEBHOOK_PORTS:
            return _bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443")
        secret = params.get("secret_token")
        if secret is not None and not SECRET_TOKEN.match(str(secret)):
            return _bad_request("secret token contains unallowed characters")
        allowed = _json_list(params.get("allowed_updates"))
        if allowed is None:
            return _bad_request("can't parse allowed updates")
        hook = {"url": url, "secret_token": secret, "allowed_updates": allowed}
        already = self.webhooks.get(token) == hook
        self.webhooks[token] = hook
        return _ok(True, "Webhook is already set" if already else "Webhook was set")

    def _delete_webhook(self, token: str, params: Params) -> JSONResponse:
        existed = self.webhooks.pop(token, None) is not None
        return _ok(True, "Webhook was deleted" if existed else "Webhook is already deleted")

    def _get_webhook_info(self, token: str, params: Params) -> JSONResponse:
        hook = self.webhooks.get(token)
        info: dict[str, Any] = {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if hook:
            info.update(url=hook["url"], max_connections=40, ip_address="127.0.0.1")
            if hook["allowed_updates"]:
                info["allowed_updates"] = hook["allowed_updates"]
        return _ok(info)


async def _params(request: Request) -> Params | None:
    """Query parameters, overlaid with a JSON or form body; None when a JSON body is not an object."""
    params: Params = dict(request.query_params)
    if request.method != "POST":
        return params
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        params.update(body)
    elif content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def _json_list(value: Any) -> list[str] | None:
    """allowed_updates: a JSON array, or (in a form or query) its JSON text; absent means all."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        return None
    return value


async def _wait_for_disconnect(request: Request, seconds: float) -> None:
    """Keep the caller waiting, but stop as soon as it hangs up (so the server shuts down fast)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await request.is_disconnected():
        await asyncio.sleep(0.02)


# --- Updates, as Telegram POSTs them to a webhook -------------------------------------------------

_update_ids = iter(range(10_000, 1_000_000_000))


def user(user_id: int = 1111111, first_name: str = "Ann", last_name: str = "", username: str = "ann") -> dict[str, Any]:
    """A `User` object (the `from` of a message)."""
    sender: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}
    if last_name:
        sender["last_name"] = last_name
    if username:
        sender["username"] = username
    return sender


def update(kind: str = "message", **message: Any) -> dict[str, Any]:
    """An Update carrying `message` under `kind` (message, edited_message, channel_post...)."""
    return {"update_id": next(_update_ids), kind: message}


def text_update(
    chat_id: int = 1111111,
    message_id: int = 1365,
    text: str | None = "Hi",
    from_id: int | None = None,
    *,
    first_name: str = "Ann",
    last_name: str = "",
    username: str = "ann",
    date: int = 1441645532,
    caption: str | None = None,
    kind: str = "message",
    **extra: Any,
) -> dict[str, Any]:
    """A private-chat message Update (from_id defaults to chat_id, as in a private chat)."""
    sender = user(from_id or chat_id, first_name, last_name, username)
    chat = {"id": chat_id, "type": "private", **{k: v for k, v in sender.items() if k in ("first_name", "username")}}
    message: dict[str, Any] = {"message_id": message_id, "date": date, "from": sender, "chat": chat, **extra}
    if text is not None:
        message["text"] = text
    if caption is not None:
        message["caption"] = caption
    if kind == "edited_message":
        message["edit_date"] = date + 60
    return update(kind, **message)


def encode(payload: dict[str, Any]) -> bytes:
    """The body bytes Telegram would POST."""
    return json.dumps(payload, ensure_ascii=False).encode()
