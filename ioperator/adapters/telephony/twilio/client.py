"""The Twilio SDK (sync, requests-based) made safe for us: one client per call, built in a worker thread,
with an explicit timeout, no SDK retries, a fixed address, and every exception turned into a typed
AdapterError.

Address: `PinnedHttpClient` rewrites the scheme and host of every request to our `base_url` whenever it is
not Twilio's own (reference §5, override B), so every `*.twilio.com` domain the SDK may use reaches the
fake in tests. The SDK also reads `TWILIO_REGION`/`TWILIO_EDGE` from the environment and rewrites hosts
with them; `open_client` clears both, so the environment cannot send our credentials elsewhere.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import requests

# isort: split
# The `twilio` SDK, in a block of its own: isort may take it for this package, which shares its name.
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

# isort: split
from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited

T = TypeVar("T")
log = logging.getLogger(__name__)
TWILIO_BASE_URL = "https://api.twilio.com"
_SDK_PREFIX = re.compile(r"^Unable to (?:fetch|create|update|delete) (?:record|page)(?:: )?")


@dataclass(frozen=True)
class Credentials:
    """What goes into HTTP Basic auth, and the form field to blame when Twilio refuses it."""

    username: str  # AC… (with the Auth Token) or SK… (with the API key secret)
    password: str = field(repr=False)
    field: str = "auth_token"  # or "api_key_secret"


class PinnedHttpClient(TwilioHttpClient):
    """TwilioHttpClient that sends every request to `base_url` (when given) and keeps the last response."""

    def __init__(self, base_url: str | None, *, timeout: float) -> None:
        super().__init__(timeout=timeout, max_retries=0)
        self._base = urlsplit(base_url) if base_url else None
        self.last_response: Response | None = None

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        if self._base is not None:
            parts = urlsplit(url)
            path = self._base.path.rstrip("/") + parts.path
            url = urlunsplit((self._base.scheme, self._base.netloc, path, parts.query, parts.fragment))
        self.last_response = None
        response = super().request(method, url, params, data, headers, auth, timeout, allow_redirects)
        self.last_response = response
        return response

    def close(self) -> None:
        if self.session is not None:
            self.session.close()


def open_client(account_sid: str, credentials: Credentials, *, base_url: str, timeout: float) -> Client:
    pinned = None if base_url.rstrip("/") == TWILIO_BASE_URL else base_url
    http = PinnedHttpClient(pinned, timeout=timeout)
    client = Client(credentials.username, credentials.password, account_sid=account_sid, http_client=http)
    client.region = None  # the SDK took these from TWILIO_REGION / TWILIO_EDGE: ignore the environment
    client.edge = None
    return client


async def run(
    work: Callable[[Client], T], *, account_sid: str, credentials: Credentials, base_url: str, timeout: float
) -> T:
    """`work(client)` in a worker thread; every failure comes out as an AdapterError."""

    def in_thread() -> T:
        client = open_client(account_sid, credentials, base_url=base_url, timeout=timeout)
        http: PinnedHttpClient = client.http_client
        try:
            return work(client)
        except Exception as exc:  # every SDK/transport failure is mapped; none escapes
            raise map_error(exc, http.last_response, credentials) from None
        finally:
            http.close()

    return await asyncio.to_thread(in_thread)


def map_error(exc: Exception, response: Response | None, credentials: Credentials) -> AdapterError:
    if isinstance(exc, AdapterError):
        return exc
    if isinstance(exc, requests.Timeout):
        return CannotConnect("Twilio did not answer in time (timeout)")
    if isinstance(exc, requests.ConnectionError):
        return CannotConnect("Twilio could not be reached")
    if isinstance(exc, requests.RequestException):
        return CannotConnect("the request to Twilio failed")
    if isinstance(exc, TwilioRestException):
        status, message = exc.status, _SDK_PREFIX.sub("", str(exc.msg or ""))
    elif isinstance(exc, TwilioServiceException):
        status, message = exc.status, " - ".join(str(part) for part in (exc.title, exc.detail) if part)
    elif isinstance(exc, TwilioException) and len(exc.args) > 1 and isinstance(exc.args[1], Response):
        status, message = exc.args[1].status_code, _message_of(exc.args[1])  # a list page that failed
    elif isinstance(exc, TwilioException):
        return ProviderError(_scrub(str(exc), credentials) or "unexpected answer from Twilio")
    elif isinstance(exc, ValueError | KeyError | TypeError):
        return ProviderError("Twilio sent an answer that could not be read")
    else:
        log.warning("unexpected %s from the Twilio SDK", type(exc).__name__)  # the type only: no secret
        return ProviderError("unexpected failure talking to Twilio")
    message = _scrub(message, credentials)
    if status in (401, 403):
        return InvalidAuth(message or "Twilio refused the credentials", field=credentials.field)
    if status == 429:
        return RateLimited(message or "Twilio asked to slow down (HTTP 429)", retry_after=_retry_after(response))
    if status >= 500:
        return CannotConnect(f"Twilio answered HTTP {status}")
    return ProviderError(message or f"Twilio answered HTTP {status}")


def _message_of(response: Response) -> str:
    try:
        body: Any = json.loads(response.text)
    except ValueError:
        return ""
    return str(body.get("message") or "") if isinstance(body, dict) else ""


def _retry_after(response: Response | None) -> int | None:
    value = str((response.headers or {}).get("Retry-After", "")).strip() if response is not None else ""
    return int(value) if value.isdigit() else None


def _scrub(text: str, credentials: Credentials) -> str:
    """The provider's message, without our secret should it ever be echoed back."""
    if credentials.password:
        text = text.replace(credentials.password, "••••")
    return text[:300]
