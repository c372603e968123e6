"""Telnyx (API v2) through the official async SDK (`telnyx.AsyncTelnyx`); reference §2 and §5.

Every request carries `Authorization: Bearer <API key>`; the base URL includes `/v2`. Connecting reads
`GET /balance`. Provisioning creates a Call Control application whose `webhook_event_url` is our events
URL: Telnyx sends *every* call event there, the arrival of an inbound call (`call.initiated`) included —
there is no separate voice URL. Numbers carry no capability flags: voice means a connection is set,
SMS means a messaging profile is set. Errors arrive as `{"errors": [{"code", "title", "detail"}]}`.

`import telnyx` below is the SDK: imports are absolute, so this module's own name does not shadow it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar, cast

import phonenumbers
import telnyx
from pydantic import Field, SecretStr, field_validator

from ioperator.adapters import phones
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited
from ioperator.adapters.registry import register
from ioperator.adapters.resilience import MAX_RETRY_AFTER_SECONDS
from ioperator.adapters.telephony.base import ManualStep, ProviderNumber, ProvisionContext, TelephonyAdapter

log = logging.getLogger(__name__)

API_KEY_PATTERN = re.compile(r"^KEY[A-Za-z0-9_-]{10,}$")
APP_ID = "call_control_application_id"  # the provision state key
NUMBER_TYPES = {"local": "local", "mobile": "mobile", "national": "national", "toll_free": "toll_free"}
NUMBER_TYPES["tollfree"] = "toll_free"  # the legacy value of numbers bought before July 2023
FIRST_COMMAND_TIMEOUT_SECS = 30  # Telnyx hangs up an inbound call we have not answered a command for by then
_DETAIL_LIMIT = 200


class TelnyxConfig(ProviderConfig):
    api_key: SecretStr = Field(
        title="API key",
        description="Telnyx Portal → Keys & Credentials → API Keys: create a key and paste it (it starts with KEY).",
        examples=["KEY0185A6B2F5F5E4C5A5D9C8B7A6F5E4D3_Xt5oXZ4hXb8J3r5Yq0vGmL"],
    )
    public_key: str = Field(
        title="Public key",
        description="Telnyx Portal → Keys & Credentials → Public Key: the key Telnyx signs its webhooks with.",
        examples=["l4Dl3rd+GaQvtbSxn1p0pdv9wTSGIHb+4Q3qQ7iVrCk="],
    )

    @field_validator("api_key")
    @classmethod
    def _api_key_shape(cls, value: SecretStr) -> SecretStr:
        if not API_KEY_PATTERN.match(value.get_secret_value()):
            raise ValueError("a Telnyx API key starts with KEY followed by letters, digits and underscores")
        return value

    @field_validator("public_key")
    @classmethod
    def _public_key_shape(cls, value: str) -> str:
        try:
            raw = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("the public key is base64 text, like l4Dl3rd+GaQv…=") from None
        if len(raw) != 32:
            raise ValueError("the public key must decode to 32 bytes (an Ed25519 key)")
        return value


@register
class TelnyxAdapter(TelephonyAdapter):
    slug = "telnyx"
    position = 10
    title = "Telnyx"
    description = "Answer and place calls on your Telnyx numbers through a Call Control application."
    docs_url = "https://developers.telnyx.com/docs/voice/programmable-voice/get-started"
    logo = "/logos/telnyx.svg"
    default_base_url = "https://api.telnyx.com/v2"
    page_size: ClassVar[int] = 250  # the largest page Telnyx serves
    max_pages: ClassVar[int] = 1000
    Config = TelnyxConfig

    @property
    def settings(self) -> TelnyxConfig:
        return cast(TelnyxConfig, self.config)

    async def test_connection(self) -> ConnectionInfo:
        async with self._client() as client:
            balance = (await client.balance.retrieve()).data
        if balance is None or balance.balance is None:
            raise ProviderError("Telnyx returned no balance")
        currency = balance.currency or ""
        details = {"balance": f"{balance.balance} {currency}".strip()}
        if balance.available_credit is not None:
            details["available_credit"] = f"{balance.available_credit} {currency}".strip()
        return ConnectionInfo(title=self.title, details=details)

    async def provision(self, ctx: ProvisionContext) -> dict[str, str]:
        async with self._client() as client:
            created = await client.call_control_applications.create(
                application_name=ctx.label,
                webhook_event_url=ctx.events_url,
                webhook_api_version="2",
                active=True,
                first_command_timeout=True,
                first_command_timeout_secs=FIRST_COMMAND_TIMEOUT_SECS,
            )
        app_id = created.data.id if created.data is not None else None
        if not app_id:
            raise ProviderError("Telnyx did not return the Call Control application")
        return {APP_ID: str(app_id)}

    async def deprovision(self, state: Mapping[str, str]) -> None:
        app_id = state.get(APP_ID)
        if not app_id:
            return
        async with self._client() as client:
            try:
                await client.call_control_applications.delete(app_id)
            except telnyx.NotFoundError:
                log.info("telnyx: call control application %s was already gone", app_id)

    @classmethod
    def manual_steps(cls, ctx: ProvisionContext) -> list[ManualStep]:
        return [
            ManualStep("telephony.manual.telnyx.create_app", ctx.label),
            ManualStep("telephony.manual.telnyx.webhook_url", ctx.events_url),
            ManualStep("telephony.manual.telnyx.assign_numbers"),
            ManualStep("telephony.manual.telnyx.public_key"),
        ]

    async def list_numbers(self, state: Mapping[str, str]) -> list[ProviderNumber]:
        items: list[Any] = []
        async with self._client() as client:
            page = await client.phone_numbers.list(page_number=1, page_size=self.page_size)
            for _ in range(self.max_pages):
                items.extend(page.data or [])
                if not page.has_next_page():
                    break
                page = await page.get_next_page()
            else:
                raise ProviderError("Telnyx returned too many pages of numbers")
        numbers = [_number(item, state.get(APP_ID) or "") for item in items]
        return [number for number in numbers if number is not None]

    async def route_number_here(self, number: ProviderNumber, state: Mapping[str, str]) -> None:
        app_id = state.get(APP_ID)
        if not app_id:
            raise ProviderError("no Call Control application was created for this account yet")
        async with self._client() as client:
            await client.phone_numbers.update(number.provider_ref, connection_id=app_id)

    # --- helpers -----------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[telnyx.AsyncTelnyx]:
        """An SDK client for this call on the shared httpx client; SDK errors leave as typed AdapterErrors."""
        api_key = self.settings.api_key.get_secret_value()
        client = telnyx.AsyncTelnyx(
            api_key=api_key,
            public_key=self.settings.public_key,
            base_url=self.base_url,
            max_retries=0,
            timeout=self.timeout_seconds,
            http_client=self.http,  # not closed here: it is the process's shared client
        )
        try:
            yield client
        except telnyx.TelnyxError as exc:
            raise _mapped(exc, api_key) from None
        except ValueError:  # an id the SDK refuses to put in a path, or an answer that is not JSON
            raise ProviderError("unexpected request or answer for Telnyx") from None


def _mapped(exc: telnyx.TelnyxError, api_key: str) -> AdapterError:
    if isinstance(exc, telnyx.APITimeoutError):
        return CannotConnect("timeout")
    if isinstance(exc, telnyx.APIConnectionError):
        return CannotConnect("connection error")
    if not isinstance(exc, telnyx.APIStatusError):
        return ProviderError("unexpected answer from Telnyx")
    status = exc.status_code
    message = _message(exc.body).replace(api_key, "•••") if api_key else _message(exc.body)
    if status in (401, 403):
        return InvalidAuth(message or f"HTTP {status}", field="api_key")
    if status == 429:
        return RateLimited(message or "HTTP 429", retry_after=_retry_after(exc.response.headers.get("retry-after")))
    if status >= 500:
        return CannotConnect(f"HTTP {status}")
    return ProviderError(message or f"HTTP {status}")


def _message(body: object) -> str:
    """The first error's detail (or title) from `{"errors": [{"code", "title", "detail"}]}`."""
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if not isinstance(first, dict):
        return ""
    text = first.get("detail") or first.get("title") or ""
    return str(text)[:_DETAIL_LIMIT]


def _retry_after(value: str | None) -> int | None:
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return int(min(MAX_RETRY_AFTER_SECONDS, max(0.0, seconds)))


def _number(item: Any, app_id: str) -> ProviderNumber | None:
    """One `GET /phone_numbers` item; a record without a usable number is skipped."""
    raw, ref = getattr(item, "phone_number", None), getattr(item, "id", None)
    if not isinstance(raw, str) or not ref:
        return None
    try:
        e164 = phones.e164(raw)
    except ProviderError:
        log.warning("telnyx: skipped number record %s: not a phone number", ref)
        return None
    country = str(getattr(item, "country_iso_alpha2", None) or "").upper()
    if not country:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
        country = region if region and region != "ZZ" else ""
    connection = str(getattr(item, "connection_id", None) or "")
    profile = str(getattr(item, "messaging_profile_id", None) or "")
    return ProviderNumber(
        provider_ref=str(ref),
        e164=e164,
        friendly_name=str(getattr(item, "customer_reference", None) or ""),
        number_type=NUMBER_TYPES.get(str(getattr(item, "phone_number_type", None) or "").lower(), "other"),
        country=country,
        voice=bool(connection),
        sms=bool(profile) and profile != "UNAVAILABLE",
        status=str(getattr(item, "status", None) or "").lower(),
        routed_here=bool(app_id) and connection == app_id,
    )
