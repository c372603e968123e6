"""A fake Meta Graph API (WhatsApp Cloud API and Instagram objects) and webhook payload builders.

It checks what Graph checks — a Bearer token, a versioned path, the token's access to the object,
the requested `fields` — and answers with Graph's own shapes (reference/crm-and-channels.md §10 and §11).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

FAILURE_KINDS = ("rate_limited", "server_error", "timeout", "garbage")
_VERSION = re.compile(r"v\d+\.0")


@dataclass(frozen=True)
class GraphCall:
    method: str
    path: str
    params: dict[str, str]
    authorization: str


class FakeGraph:
    def __init__(self, *, hang_seconds: float = 5.0) -> None:
        self.objects: dict[str, tuple[str, dict[str, str]]] = {}  # id -> (token, fields)
        self.calls: list[GraphCall] = []
        self.hang_seconds = hang_seconds  # how long a "timeout" failure holds the request at most
        self._failures: deque[str] = deque()
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{version}/{object_id}", self._get_object, methods=["GET"])])

    def reset(self) -> None:
        """Forget every object, call and pending failure (for a server shared between tests)."""
        with self._lock:
            self.objects.clear()
            self.calls.clear()
            self._failures.clear()

    def add_whatsapp_number(
        self,
        phone_number_id: str,
        token: str,
        display_phone_number: str = "+1 555-078-3881",
        verified_name: str = "Cafe Test",
        code_verification_status: str = "VERIFIED",
        quality_rating: str = "GREEN",
    ) -> None:
        self.objects[phone_number_id] = (
            token,
            {
                "display_phone_number": display_phone_number,
                "verified_name": verified_name,
                "code_verification_status": code_verification_status,
                "quality_rating": quality_rating,
            },
        )

    def add_instagram_account(self, account_id: str, token: str, username: str, name: str = "") -> None:
        self.objects[account_id] = (token, {"username": username, "name": name})

    def fail_next(self, kind: str, times: int = 1) -> None:
        if kind not in FAILURE_KINDS:
            raise ValueError(f"unknown failure kind {kind!r}")
        with self._lock:
            self._failures.extend([kind] * times)

    async def _get_object(self, request: Request) -> Response:
        authorization = request.headers.get("authorization", "")
        self.calls.append(GraphCall("GET", request.url.path, dict(request.query_params), authorization))
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
        if failure:
            return await self._fail(failure, request)

        version, object_id = request.path_params["version"], request.path_params["object_id"]
        if not _VERSION.fullmatch(version):
            return _error(400, f"Unknown path components: /{version}/{object_id}", code=2500)
        if not authorization:
            return _error(400, "An active access token must be used to query information about the current user.", 2500)
        token = authorization.removeprefix("Bearer ")
        if not authorization.startswith("Bearer ") or token not in {t for t, _ in self.objects.values()}:
            return _error(401, "Invalid OAuth access token - Cannot parse access token", code=190)
        owner_token, fields = self.objects.get(object_id, ("", {}))
        if token != owner_token:
            return _error(
                400,
                f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due to "
                "missing permissions, or does not support this operation.",
                code=100,
                subcode=33,
                type_="GraphMethodException",
            )
        wanted = [name for name in request.query_params.get("fields", "").split(",") if name]
        unknown = [name for name in wanted if name not in fields and name != "id"]
        if unknown:
            return _error(400, f"(#100) Tried accessing nonexisting field ({unknown[0]})", code=100)
        return JSONResponse({**{name: fields[name] for name in wanted if name in fields}, "id": object_id})

    async def _fail(self, kind: str, request: Request) -> Response:
        if kind == "rate_limited":
            return _error(429, "(#4) Application request limit reached", code=4)
        if kind == "server_error":
            return _error(500, "An unexpected error has occurred. Please retry your request later.", code=2)
        if kind == "timeout":
            deadline = asyncio.get_running_loop().time() + self.hang_seconds
            while asyncio.get_running_loop().time() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.02)
        return PlainTextResponse("<html><body>Sorry, something went wrong.</body></html>", media_type="text/html")


def _error(status: int, message: str, code: int, subcode: int | None = None, type_: str = "OAuthException") -> Response:
    error: dict[str, Any] = {"message": message, "type": type_, "code": code, "fbtrace_id": secrets.token_urlsafe(9)}
    if subcode is not None:
        error["error_subcode"] = subcode
    return JSONResponse({"error": error}, status_code=status)


# --- webhook payloads, as Meta delivers them --------------------------------------------------------


def sign(body: bytes, app_secret: str) -> str:
    """The `X-Hub-Signature-256` value Meta sends with `body`."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


def whatsapp_delivery(phone_number_id: str, **value: Any) -> dict[str, Any]:
    """The `whatsapp_business_account` envelope around one `messages` change with `value` fields."""
    metadata = {"display_phone_number": "15550783881", "phone_number_id": phone_number_id}
    change = {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": metadata, **value}}
    return {"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [change]}]}


def whatsapp_message_delivery(
    phone_number_id: str, wa_id: str, name: str, message_id: str, content: dict[str, Any], timestamp: int = 1749416383
) -> dict[str, Any]:
    """One customer message; `content` is its type-specific part, e.g. {"type": "text", "text": {"body": "Hi"}}."""
    message = {"from": wa_id, "id": message_id, "timestamp": str(timestamp), **content}
    contact = {"profile": {"name": name}, "wa_id": wa_id}
    return whatsapp_delivery(phone_number_id, contacts=[contact], messages=[message])


def whatsapp_text_delivery(
    phone_number_id: str, wa_id: str, name: str, message_id: str, text: str, timestamp: int = 1749416383
) -> dict[str, Any]:
    content = {"type": "text", "text": {"body": text}}
    return whatsapp_message_delivery(phone_number_id, wa_id, name, message_id, content, timestamp)


def whatsapp_status_delivery(
    phone_number_id: str, message_id: str, recipient_id: str, status: str = "delivered", timestamp: int = 1750263773
) -> dict[str, Any]:
    entry = {
        "id": message_id,
        "status": status,
        "timestamp": str(timestamp),
        "recipient_id": recipient_id,
        "conversation": {"id": "CONVERSATION_ID", "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
    }
    return whatsapp_delivery(phone_number_id, statuses=[entry])


def instagram_text_delivery(
    account_id: str, sender_id: str, mid: str, text: str, timestamp_ms: int = 1569262485349, is_echo: bool = False
) -> dict[str, Any]:
    """A Direct message to `account_id` from `sender_id`; an echo is our own send, so the roles swap."""
    sender, recipient = (account_id, sender_id) if is_echo else (sender_id, account_id)
    message: dict[str, Any] = {"mid": mid, "text": text}
    if is_echo:
        message["is_echo"] = True
    event = {"sender": {"id": sender}, "recipient": {"id": recipient}, "timestamp": timestamp_ms, "message": message}
    return {"object": "instagram", "entry": [{"id": account_id, "time": timestamp_ms + 800, "messaging": [event]}]}
