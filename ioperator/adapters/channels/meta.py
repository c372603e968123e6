"""Shared Meta Graph helpers for the WhatsApp and Instagram channels.

`graph_call` makes one authenticated Graph request and maps Graph's error body
(`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`) to typed adapter errors.
`verify_signature` and `verify_handshake` are the two webhook checks Meta uses for every product:
an HMAC of the raw body keyed by the app secret, and a GET echo of `hub.challenge`.
"""

from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

import httpx
from pydantic import AfterValidator, Field, SecretStr
from pydantic_core import PydanticCustomError

from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    MalformedPayload,
    ProviderError,
    RateLimited,
)

GRAPH_API_VERSION = "v21.0"

_AUTH_CODES = frozenset({102, 190})
_RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80007, 130429})
_NOT_FOUND_CODE = 100
_SIGNATURE_HEADER = "x-hub-signature-256"
_SIGNATURE_PREFIX = "sha256="


def _digits(value: str) -> str:
    if not value.isascii() or not value.isdigit():
        raise PydanticCustomError("digits_only", "Use digits only, as shown in Meta for Developers.")
    return value


def _app_secret(value: SecretStr) -> SecretStr:
    secret = value.get_secret_value().strip()
    if not re.fullmatch(r"[0-9a-fA-F]{32}", secret):
        raise PydanticCustomError("app_secret_format", "An app secret is 32 hexadecimal characters.")
    return SecretStr(secret)


GraphId = Annotated[str, AfterValidator(_digits)]
"""A numeric Graph object id (phone number id, Instagram account id)."""

AppSecret = Annotated[
    SecretStr,
    AfterValidator(_app_secret),
    Field(
        title="App secret",
        description="In Meta for Developers → App settings → Basic. Used to check webhook signatures.",
    ),
]


def graph_url(base_url: str, *parts: str) -> str:
    """`{base}/{version}/{parts…}`, e.g. graph_url(base, "106540352242922")."""
    return "/".join([base_url.rstrip("/"), GRAPH_API_VERSION, *parts])


async def graph_call(
    http: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    token: str,
    auth_field: str,
    id_field: str,
    timeout: float,
    params: Mapping[str, str] | None = None,
    json: Any = None,
) -> dict[str, Any]:
    """One Graph request with `Authorization: Bearer`; returns the JSON object or raises an AdapterError.

    `auth_field` and `id_field` name the config fields an auth error or an unknown id concerns.
    The token never appears in an error: Graph's own message is scrubbed of it just in case.
    """
    try:
        response = await http.request(
            method,
            url,
            params=dict(params or {}),
            json=json,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
        )
    except httpx.TimeoutException:
        raise CannotConnect("timeout") from None
    except httpx.TransportError as exc:
        raise CannotConnect(type(exc).__name__) from None

    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and isinstance(body, dict) and "error" not in body:
        return body
    raise _error(response, body, token=token, auth_field=auth_field, id_field=id_field)


def _error(response: httpx.Response, body: Any, *, token: str, auth_field: str, id_field: str) -> AdapterError:
    status = response.status_code
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else None
    message = str(error.get("message") or f"unexpected response (HTTP {status})")
    if token:
        message = message.replace(token, "***")
    if status == 401 or code in _AUTH_CODES:
        return InvalidAuth(message, field=auth_field)
    if status == 429 or code in _RATE_LIMIT_CODES:
        return RateLimited(message, retry_after=_retry_after(response))
    if status >= 500:
        return CannotConnect(message)
    if code == _NOT_FOUND_CODE:
        return ProviderError(message, field=id_field)
    return ProviderError(message)


def _retry_after(response: httpx.Response) -> int | None:
    value = response.headers.get("retry-after", "").strip()
    return int(value) if value.isdigit() else None


def verify_signature(headers: Mapping[str, str], body: bytes, app_secret: str) -> bool:
    """True when `X-Hub-Signature-256: sha256=<hex>` is the HMAC-SHA256 of the raw body under the app secret."""
    header = headers.get(_SIGNATURE_HEADER) or ""
    if not app_secret or not header.startswith(_SIGNATURE_PREFIX):
        return False
    given = header.removeprefix(_SIGNATURE_PREFIX).strip().lower()
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), given.encode())


def verify_handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """`hub.challenge` when `hub.mode` is "subscribe" and `hub.verify_token` matches; else None."""
    challenge = params.get("hub.challenge")
    given = params.get("hub.verify_token") or ""
    if not verify_token or params.get("hub.mode") != "subscribe" or not challenge:
        return None
    if not hmac.compare_digest(given.encode(), verify_token.encode()):
        return None
    return challenge


def load_delivery(body: bytes, object_name: str) -> list[dict[str, Any]]:
    """The `entry` list of a webhook body whose `object` is `object_name`; MalformedPayload otherwise."""
    try:
        payload = jsonlib.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise MalformedPayload("not JSON") from None
    if not isinstance(payload, dict) or payload.get("object") != object_name:
        raise MalformedPayload(f"not a {object_name} delivery")
    entries = payload.get("entry")
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise MalformedPayload("no entry list")
    return entries


def dict_list(container: Mapping[str, Any], key: str) -> list[dict[str, Any]]:
    """`container[key]` as a list of objects ([] when absent); MalformedPayload when it is something else."""
    items = container.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise MalformedPayload(f"{key} is not a list of objects")
    return items


def required_id(container: Mapping[str, Any], key: str) -> str:
    """A non-empty id (string or number) as text; MalformedPayload when missing."""
    value = container.get(key) if isinstance(container, Mapping) else None
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise MalformedPayload(f"{key} is missing")
    return str(value)


def utc_time(value: Any, *, milliseconds: bool = False) -> datetime:
    """An aware UTC datetime from Unix seconds (or milliseconds), given as a number or digit string."""
    try:
        number = int(value)
        return datetime.fromtimestamp(number / 1000 if milliseconds else number, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise MalformedPayload("bad timestamp") from None
