"""iikoCloud transport: an access token per account (cached, refreshed before it expires and once
on a 401), iiko's error bodies, its `yyyy-MM-dd HH:mm:ss.fff` datetimes, and command polling.

Auth: `POST /api/1/access_token {"apiLogin"}` -> `{"correlationId","token"}`; the token lives about an
hour (its JWT `exp` says exactly, when it has one). Errors: `{"correlationId","errorDescription","error"}`.
Write methods are commands: they answer a `correlationId` at once, and `/api/1/commands/status`
tells when the terminal has accepted (`Success`) or refused (`Error`) them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
import weakref
from datetime import datetime
from typing import Any

import httpx

from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError
from ioperator.adapters.resilience import ProviderHttp

AUTH_PATH = "/api/1/access_token"
COMMAND_STATUS_PATH = "/api/1/commands/status"
DEFAULT_TOKEN_SECONDS = 3600.0  # "The standard token lifetime is 1 hour."
DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S"
_DETAIL_LIMIT = 200

# account key -> (token, expires at as a Unix time); shared by every adapter of that account
_tokens: dict[str, tuple[str, float]] = {}
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


class StaleToken(InvalidAuth):
    """A 401 on a method call: the token expired or was revoked; get a new one and try again."""


def map_error(response: httpx.Response) -> AdapterError | None:
    """iiko's error body to a typed error; None leaves 429 and 5xx to the generic retrying mapping."""
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return None
    if response.request.url.path.endswith(AUTH_PATH):
        # The description may quote the API login: never carry it into a message.
        if status in (400, 401, 403):
            return InvalidAuth("iiko refused the API login", field="api_login")
        return ProviderError(f"iiko refused the token request (HTTP {status})")
    if status == 401:
        return StaleToken("iiko refused the access token")
    if status == 403:
        return InvalidAuth("the API login has no access to this method", field="api_login")
    if status == 408:
        return CannotConnect("iiko did not answer in time (HTTP 408)")
    return ProviderError(error_description(response) or f"iiko answered HTTP {status}")


def error_description(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    return str(body.get("errorDescription") or body.get("error") or "")[:_DETAIL_LIMIT]


def json_object(response: httpx.Response, what: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        raise ProviderError(f"iiko sent something that is not JSON for {what}") from None
    if not isinstance(body, dict):
        raise ProviderError(f"unexpected answer to {what}")
    return body


def format_datetime(moment: datetime) -> str:
    """A naive local time as iiko writes it: `2024-05-01 19:00:00.000`."""
    return f"{moment.strftime(DATETIME_FORMAT)}.{moment.microsecond // 1000:03d}"


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    for pattern in (f"{DATETIME_FORMAT}.%f", DATETIME_FORMAT):
        try:
            return datetime.strptime(value, pattern)
        except ValueError:
            continue
    return None


def token_lifetime(token: str, now: float) -> float:
    """Seconds the token stays valid: its JWT `exp` when it has one, else iiko's documented hour."""
    parts = token.split(".")
    if len(parts) == 3:
        try:
            payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
            expires = float(payload["exp"])
        except (ValueError, KeyError, TypeError):
            return DEFAULT_TOKEN_SECONDS
        if expires > now:
            return expires - now
    return DEFAULT_TOKEN_SECONDS


def _lock(key: str) -> asyncio.Lock:
    by_key = _locks.setdefault(asyncio.get_running_loop(), {})
    return by_key.setdefault(key, asyncio.Lock())


def forget_tokens() -> None:
    """Drop every cached token (tests; a changed API login gets a new account key anyway)."""
    _tokens.clear()


class IikoClient:
    """POST JSON to iikoCloud with a valid bearer token; wait for commands to finish."""

    def __init__(
        self,
        http: ProviderHttp,
        api_login: str,
        *,
        refresh_margin: float,
        poll_attempts: int,
        poll_delay: float,
    ) -> None:
        self.http = http
        self.api_login = api_login
        self.refresh_margin = refresh_margin
        self.poll_attempts = poll_attempts
        self.poll_delay = poll_delay

    async def post(self, path: str, body: dict[str, Any], *, write: bool = False) -> dict[str, Any]:
        """Call a method. Almost every iiko method is a POST, reads too: only a `write` (a command that
        changes something) is kept from being retried after a 5xx or a timeout, which could repeat it.
        A 401 is safe to repeat for both: iiko refused the call before doing anything."""
        token = await self._token()
        try:
            return await self._post(path, body, token, write)
        except StaleToken:
            pass
        token = await self._token(stale=token)  # re-authenticate once, then try the call again
        try:
            return await self._post(path, body, token, write)
        except StaleToken:
            raise InvalidAuth("iiko refused a fresh access token", field="api_login") from None

    async def _post(self, path: str, body: dict[str, Any], token: str, write: bool) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        response = await self.http.request("POST", path, json=body, headers=headers, idempotent=not write)
        return json_object(response, path.rsplit("/api/1/", 1)[-1])

    async def _token(self, stale: str | None = None) -> str:
        fresh = self._cached(stale)
        if fresh:
            return fresh
        async with _lock(self.http.key):
            fresh = self._cached(stale)  # another task may have refreshed it meanwhile
            if fresh:
                return fresh
            _tokens.pop(self.http.key, None)
            response = await self.http.request("POST", AUTH_PATH, json={"apiLogin": self.api_login}, idempotent=True)
            token = json_object(response, "access_token").get("token")
            if not isinstance(token, str) or not token:
                raise ProviderError("iiko returned no access token")
            now = time.time()
            _tokens[self.http.key] = (token, now + token_lifetime(token, now))
            return token

    def _cached(self, stale: str | None) -> str | None:
        cached = _tokens.get(self.http.key)
        if cached is None or cached[0] == stale or time.time() >= cached[1] - self.refresh_margin:
            return None
        return cached[0]

    async def wait_for_command(self, organization_id: str, correlation_id: Any, what: str) -> None:
        """Poll `commands/status` until Success; Error -> ProviderError; still running -> CannotConnect."""
        if not isinstance(correlation_id, str) or not correlation_id:
            raise ProviderError(f"iiko gave no correlationId to {what}")
        payload = {"organizationId": organization_id, "correlationId": correlation_id}
        for attempt in range(self.poll_attempts):
            if attempt:
                await asyncio.sleep(self.poll_delay)
            status = await self.post(COMMAND_STATUS_PATH, payload)
            state = status.get("state")
            if state == "Success":
                return
            if state == "Error":
                raise ProviderError(command_error(status) or f"iiko could not {what}")
            if state != "InProgress":
                raise ProviderError(f"unexpected command state while waiting to {what}")
        raise CannotConnect(f"timed out waiting for iiko to {what}")


def command_error(status: dict[str, Any]) -> str:
    reason = status.get("errorReason")
    if isinstance(reason, str) and reason:
        return reason[:_DETAIL_LIMIT]
    exception = status.get("exception")
    if isinstance(exception, dict):
        message = exception.get("message") or exception.get("Message")
        if isinstance(message, str):
            return message[:_DETAIL_LIMIT]
    return ""
