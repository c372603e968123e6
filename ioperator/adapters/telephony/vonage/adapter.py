"""Vonage Voice through the official `vonage` SDK (reference §4-6).

The owner brings an existing Vonage application (its ID and private key) with the account's API key and
secret. Account, numbers and applications use Basic auth (`api_key:api_secret`); the Voice API uses an
RS256 JWT signed with the application's private key, so `test_connection` checks both: the balance, the
application, and one Voice call that proves the key belongs to the application. `provision` does not
create an application: it points the owner's one at us (voice answer and event webhooks) and keeps what
was there, so `deprovision` can put it back.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from typing import ClassVar, TypeVar, cast

import httpx
from vonage_numbers import ListOwnedNumbersFilter, UpdateNumberParams

from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.errors import AdapterError, ProviderError
from ioperator.adapters.registry import register
from ioperator.adapters.telephony.base import ManualStep, ProviderNumber, ProvisionContext, TelephonyAdapter
from ioperator.adapters.telephony.vonage import client, parse
from ioperator.adapters.telephony.vonage.config import VonageConfig

T = TypeVar("T")


@register
class VonageAdapter(TelephonyAdapter):
    slug = "vonage"
    position = 30
    title = "Vonage"
    description = "Answer calls to your Vonage numbers: iOperator becomes your Vonage application's voice webhook."
    docs_url = "https://developer.vonage.com/en/voice/voice-api/overview"
    logo = "/logos/vonage.svg"
    default_base_url = client.DEFAULT_BASE_URL
    page_size: ClassVar[int] = 100  # GET /account/numbers takes at most 100 a page
    max_pages: ClassVar[int] = 1000
    Config = VonageConfig

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        super().__init__(config, http=http, base_url=base_url)
        self.settings = cast(VonageConfig, config)
        self._secrets = client.secrets_of(self.settings)

    async def test_connection(self) -> ConnectionInfo:
        def work(sdk: client.Sdk) -> ConnectionInfo:
            with self._guard("basic"):
                balance = sdk.account.get_balance()
            with self._guard("basic", missing=self._no_application()):
                application = sdk.application.get_application(self.settings.application_id)
            with self._guard("jwt"):  # a Voice API read: only the application's own key signs it
                sdk.http.get(sdk.http.api_host, "/v1/calls", {"page_size": 1}, "jwt")
            details = {"balance": f"{balance.value:.2f} EUR", "application_id": self.settings.application_id}
            return ConnectionInfo(title=application.name or self.settings.application_id, details=details)

        return await self._run(work)

    async def provision(self, ctx: ProvisionContext) -> dict[str, str]:
        def work(sdk: client.Sdk) -> dict[str, str]:
            app = self._get_application(sdk)
            body, state = parse.point_voice_at(app, ctx.voice_url, ctx.events_url)
            self._put_application(sdk, body)
            return {"application_id": self.settings.application_id, **state}

        return await self._run(work)

    async def deprovision(self, state: Mapping[str, str]) -> None:
        def work(sdk: client.Sdk) -> None:
            try:
                app = self._get_application(sdk, state.get("application_id"))
                body = parse.restore_voice(app, state)
                if body is not None:
                    self._put_application(sdk, body, state.get("application_id"))
            except ProviderError as exc:
                if exc.field != "application_id":
                    raise
                # the application is gone (404): nothing of it points at us any more

        await self._run(work)

    @classmethod
    def manual_steps(cls, ctx: ProvisionContext) -> list[ManualStep]:
        return [
            ManualStep("telephony.manual.vonage.open_application", "https://dashboard.nexmo.com/applications"),
            ManualStep("telephony.manual.vonage.answer_url", ctx.voice_url),
            ManualStep("telephony.manual.vonage.event_url", ctx.events_url),
            ManualStep("telephony.manual.vonage.link_numbers"),
        ]

    async def list_numbers(self, state: Mapping[str, str]) -> list[ProviderNumber]:
        app_id = state.get("application_id") or self.settings.application_id

        def work(sdk: client.Sdk) -> list[ProviderNumber]:
            found: list[ProviderNumber] = []
            index: int | None = 1
            for _ in range(self.max_pages):
                with self._guard("basic"):
                    page, _count, index = sdk.numbers.list_owned_numbers(
                        ListOwnedNumbersFilter(size=min(self.page_size, 100), index=index)
                    )
                found.extend(number for item in page if (number := parse.provider_number(item, app_id)))
                if index is None or not page:
                    return found
            raise ProviderError("Vonage returned too many pages of numbers")

        return await self._run(work)

    async def route_number_here(self, number: ProviderNumber, state: Mapping[str, str]) -> None:
        country, msisdn = parse.split_ref(number.provider_ref)
        app_id = state.get("application_id") or self.settings.application_id

        def work(sdk: client.Sdk) -> None:
            with self._guard("basic", missing=ProviderError("Vonage has no such number in this account")):
                sdk.numbers.update_number(UpdateNumberParams(country=country, msisdn=msisdn, app_id=app_id))

        await self._run(work)

    # --- helpers -----------------------------------------------------------------------------------

    async def _run(self, work: Callable[[client.Sdk], T]) -> T:
        return await asyncio.to_thread(self._in_thread, work)

    def _in_thread(self, work: Callable[[client.Sdk], T]) -> T:
        with self._guard("jwt"):  # building the client loads the private key
            sdk = client.build(self.settings, self.base_url, self.timeout_seconds)
        return work(sdk)

    def _guard(self, auth: client.AuthKind, *, missing: AdapterError | None = None) -> AbstractContextManager[None]:
        return client.guard(auth, self._secrets, missing=missing)

    def _no_application(self) -> ProviderError:
        return ProviderError("Vonage has no application with this ID in this account", field="application_id")

    def _app_path(self, app_id: str | None) -> str:
        """`/v2/applications/<id>`: the provisioned application (state) or the configured one."""
        try:
            chosen = str(uuid.UUID(app_id or ""))
        except ValueError:
            chosen = self.settings.application_id
        return f"/v2/applications/{chosen}"

    def _get_application(self, sdk: client.Sdk, app_id: str | None = None) -> parse.Json:
        # The raw JSON, not the SDK model: the model would drop capabilities it does not know, and the
        # PUT that follows must send every capability back.
        http = sdk.http
        with self._guard("basic", missing=self._no_application()):
            app = http.get(http.api_host, self._app_path(app_id), None, "basic")
        if not isinstance(app, dict):
            raise ProviderError("Vonage returned no application")
        return app

    def _put_application(self, sdk: client.Sdk, body: parse.Json, app_id: str | None = None) -> None:
        http = sdk.http
        with self._guard("basic", missing=self._no_application()):
            http.put(http.api_host, self._app_path(app_id), body, "basic")
