"""Twilio Programmable Voice, REST API 2010-04-01, through the official `twilio` SDK (reference §3, §5).

Auth is HTTP Basic: `AccountSid:AuthToken`, or `ApiKeySid:ApiKeySecret` with the account SID in the path.
The REST calls use the Auth Token when there is one (it can do everything, and it must be right anyway:
it verifies Twilio's webhook signatures), the API key otherwise; when both are given the connection test
checks both. Calls reach iOperator through a TwiML App (AP…) that `provision()` creates: its Voice URL and
status callback point at our webhooks, and `route_number_here()` sets a number's VoiceApplicationSid to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Self, TypeVar, cast

import httpx
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_core import InitErrorDetails

# isort: split
# The `twilio` SDK, in a block of its own: isort may take it for this package, which shares its name.
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

# isort: split
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.errors import InvalidAuth, ProviderError
from ioperator.adapters.registry import register
from ioperator.adapters.telephony.base import ManualStep, ProviderNumber, ProvisionContext, TelephonyAdapter
from ioperator.adapters.telephony.twilio import client as sdk
from ioperator.adapters.telephony.twilio import parse

T = TypeVar("T")
ACCOUNT_SID = re.compile(r"^AC[0-9a-fA-F]{32}$")
KEY_SID = re.compile(r"^SK[0-9a-fA-F]{32}$")
AUTH_TOKEN = re.compile(r"^[0-9a-fA-F]{32}$")
KEY_SECRET = re.compile(r"^[0-9A-Za-z]{16,64}$")
STATE_KEY = "twiml_app_sid"


class TwilioConfig(ProviderConfig):
    account_sid: str = Field(
        title="Account SID",
        description="Twilio Console → Account Info: the Account SID, AC followed by 32 characters.",
        examples=["AC0123456789abcdef0123456789abcdef"],
    )
    auth_token: SecretStr | None = Field(
        default=None,
        title="Auth Token",
        description="Twilio Console → Account Info: the Auth Token (32 characters). It is also what verifies "
        "Twilio's webhook signatures, so paste it even when you use an API key.",
        examples=["0123456789abcdef0123456789abcdef"],
    )
    api_key_sid: str | None = Field(
        default=None,
        title="API key SID",
        description="Optional, instead of or beside the Auth Token: Console → Account → API keys & tokens, "
        "a standard key, SK followed by 32 characters. Calls from the browser need one.",
        examples=["SK0123456789abcdef0123456789abcdef"],
    )
    api_key_secret: SecretStr | None = Field(
        default=None,
        title="API key secret",
        description="The secret Twilio showed once, when the API key was created.",
        examples=["vAb3Cd4Ef5Gh6Ij7Kl8Mn9Op0Qr1St2U"],
    )

    @field_validator("account_sid")
    @classmethod
    def _account_sid(cls, value: str) -> str:
        if not ACCOUNT_SID.match(value):
            raise ValueError("an Account SID is AC followed by 32 hexadecimal characters")
        return value

    @field_validator("api_key_sid")
    @classmethod
    def _key_sid(cls, value: str | None) -> str | None:
        if value is not None and not KEY_SID.match(value):
            raise ValueError("an API key SID is SK followed by 32 hexadecimal characters")
        return value

    @field_validator("auth_token")
    @classmethod
    def _auth_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not AUTH_TOKEN.match(value.get_secret_value()):
            raise ValueError("an Auth Token is 32 hexadecimal characters")
        return value

    @field_validator("api_key_secret")
    @classmethod
    def _key_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not KEY_SECRET.match(value.get_secret_value()):
            raise ValueError("paste only the API key secret (letters and digits)")
        return value

    @model_validator(mode="after")
    def _credentials(self) -> Self:
        """The Auth Token, or a whole API key (SID and secret); the error lands on the field to fill in."""
        missing = None
        if self.api_key_sid and self.api_key_secret is None:
            missing = "api_key_secret"
        elif self.api_key_secret is not None and not self.api_key_sid:
            missing = "api_key_sid"
        elif self.auth_token is None and not self.api_key_sid:
            missing = "auth_token"
        if missing:
            error = InitErrorDetails(type="missing", loc=(missing,), input=None)
            raise ValidationError.from_exception_data(type(self).__name__, [error])
        return self


@register
class TwilioAdapter(TelephonyAdapter):
    slug = "twilio"
    position = 20
    title = "Twilio"
    description = "Your own Twilio numbers answered by iOperator, through a TwiML app it sets up for you."
    docs_url = "https://www.twilio.com/docs/voice/api"
    logo = "/logos/twilio.svg"
    default_base_url = sdk.TWILIO_BASE_URL
    page_size: ClassVar[int] = 1000  # Twilio's maximum PageSize
    max_numbers: ClassVar[int] = 100_000
    Config = TwilioConfig

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        super().__init__(config, http=http, base_url=base_url)
        self.settings = cast(TwilioConfig, config)

    async def test_connection(self) -> ConnectionInfo:
        account_sid = self.settings.account_sid

        def fetch(client: Client) -> tuple[Any, Any]:
            account_api = client.api.v2010.accounts(account_sid)
            try:
                account = account_api.fetch()
            except TwilioRestException as exc:
                if exc.status == 404:  # the credentials work, but not for this account
                    raise InvalidAuth("Twilio has no such account for these credentials", field="account_sid") from None
                raise
            if str(account.status or "").lower() in ("suspended", "closed"):
                raise ProviderError(f"the Twilio account is {str(account.status).lower()}", field="account_sid")
            try:
                balance = account_api.balance.fetch()
            except TwilioRestException as exc:
                if exc.status not in (403, 404):  # a balance some accounts (subaccounts, keys) cannot read
                    raise
                balance = None
            return account, balance

        account, balance = await self._run(fetch)
        if self._key() is not None and self._token() is not None:  # check the API key as well
            await self._run(lambda client: self._numbers(client).list(limit=1), self._key())
        details = {"status": str(account.status or ""), "type": str(account.type or "")}
        if balance is not None and balance.balance is not None:
            details["balance"] = f"{balance.balance} {balance.currency or ''}".strip()
        return ConnectionInfo(title=str(account.friendly_name or account_sid), details=details)

    async def provision(self, ctx: ProvisionContext) -> dict[str, str]:
        def create(client: Client) -> Any:
            return client.api.v2010.accounts(self.settings.account_sid).applications.create(
                friendly_name=ctx.label[:64],
                voice_url=ctx.voice_url,
                voice_method="POST",
                status_callback=ctx.events_url,
                status_callback_method="POST",
            )

        application = await self._run(create)
        if not isinstance(application.sid, str) or not application.sid.startswith("AP"):
            raise ProviderError("Twilio did not return the TwiML app")
        return {STATE_KEY: application.sid}

    async def deprovision(self, state: Mapping[str, str]) -> None:
        app_sid = state.get(STATE_KEY)
        if not app_sid:
            return

        def delete(client: Client) -> None:
            try:
                client.api.v2010.accounts(self.settings.account_sid).applications(app_sid).delete()
            except TwilioRestException as exc:
                if exc.status != 404:  # already gone: fine
                    raise

        await self._run(delete)

    @classmethod
    def manual_steps(cls, ctx: ProvisionContext) -> list[ManualStep]:
        key = f"telephony.manual.{cls.slug}"
        return [
            ManualStep(f"{key}.create_app", ctx.label),
            ManualStep(f"{key}.voice_url", ctx.voice_url),
            ManualStep(f"{key}.status_callback", ctx.events_url),
            ManualStep(f"{key}.assign_numbers"),
        ]

    async def list_numbers(self, state: Mapping[str, str]) -> list[ProviderNumber]:
        app_sid = state.get(STATE_KEY) or ""

        def read(client: Client) -> list[ProviderNumber]:
            found: list[ProviderNumber] = []
            for index, item in enumerate(self._numbers(client).stream(page_size=self.page_size)):
                if index >= self.max_numbers:
                    raise ProviderError("the Twilio account has more numbers than iOperator can list")
                normalised = parse.number(item, app_sid)
                if normalised is not None:
                    found.append(normalised)
            return found

        return await self._run(read)

    async def route_number_here(self, number: ProviderNumber, state: Mapping[str, str]) -> None:
        app_sid = state.get(STATE_KEY)
        if not app_sid:
            raise ProviderError("iOperator has not set up its TwiML app in this Twilio account yet")
        await self._run(lambda client: self._numbers(client)(number.provider_ref).update(voice_application_sid=app_sid))

    # --- helpers -----------------------------------------------------------------------------------

    def _numbers(self, client: Client) -> Any:
        return client.api.v2010.accounts(self.settings.account_sid).incoming_phone_numbers

    def _token(self) -> sdk.Credentials | None:
        token = self.settings.auth_token
        return sdk.Credentials(self.settings.account_sid, token.get_secret_value(), "auth_token") if token else None

    def _key(self) -> sdk.Credentials | None:
        sid, secret = self.settings.api_key_sid, self.settings.api_key_secret
        return sdk.Credentials(sid, secret.get_secret_value(), "api_key_secret") if sid and secret else None

    async def _run(self, work: Callable[[Client], T], credentials: sdk.Credentials | None = None) -> T:
        chosen = credentials or self._token() or self._key()
        if chosen is None:  # the Config validator makes this unreachable
            raise InvalidAuth("no Twilio credentials", field="auth_token")
        return await sdk.run(
            work,
            account_sid=self.settings.account_sid,
            credentials=chosen,
            base_url=self.base_url,
            timeout=self.timeout_seconds,
        )
