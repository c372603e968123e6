"""Telephony → Providers: the telephony actions (default, enable/disable, manual set-up, provisioning)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import translate
from ioperator.pages.integrations.state import IntegrationsState
from ioperator.services import telephony_providers, telephony_setup
from ioperator.state.base import SessionState, tenant_scope


class TelephonyProvidersState(rx.State):
    public_url: bool = True
    webhook_base: str = ""
    setup_open: bool = False
    setup_title: str = ""
    setup_slug: str = ""
    setup_kind: str = ""  # "manual" | "auto" | "pending"
    setup_steps: list[dict[str, str]] = []
    busy: bool = False

    @rx.event
    async def load(self) -> None:
        self.webhook_base = telephony_setup.context_base()
        self.public_url = telephony_setup.public_webhook_base() is not None

    async def _card(self, slug: str) -> dict[str, str]:
        cards = await self.get_state(IntegrationsState)
        return next((c for c in cards.cards if c["slug"] == slug), {})

    @rx.event
    async def open_setup(self, slug: str) -> None:
        base = await self.get_state(SessionState)
        card = await self._card(slug)
        if not card.get("id"):
            return
        try:
            with base._tenant_session() as (session, tenant):
                steps = telephony_providers.manual_steps(session=session, tenant=tenant, integration_id=int(card["id"]))
        except (NotAuthenticated, ServiceError):
            return
        self.setup_steps = [{"label": translate(s.label_key, base.lang), "value": s.value} for s in steps]
        self.setup_slug, self.setup_kind = slug, card.get("setup", "")
        self.setup_title = translate("telephony.setup_title", base.lang, provider=card.get("title", ""))
        self.setup_open = True

    @rx.event
    def set_setup_open(self, value: bool) -> None:
        if not self.busy:
            self.setup_open = value

    @rx.event(background=True)
    async def run(self, action: str, slug: str) -> EventSpec | None:
        """make_default | enable | disable | confirm_manual | provision: a provider call may be involved."""
        async with self:
            if self.busy:
                return None
            base = await self.get_state(SessionState)
            token, lang = base._cookie_token(), base.lang
            card = await self._card(slug)
            self.busy = True
        if not card.get("id"):
            async with self:
                self.busy = False
            return None
        integration_id = int(card["id"])
        try:
            with tenant_scope(token) as (session, current):
                tenant = current.tenant
                if action == "make_default":
                    telephony_providers.make_default(session=session, tenant=tenant, integration_id=integration_id)
                elif action in ("enable", "disable"):
                    telephony_providers.set_enabled(
                        session=session, tenant=tenant, integration_id=integration_id, enabled=action == "enable"
                    )
                elif action == "confirm_manual":
                    telephony_providers.confirm_manual_setup(
                        session=session, tenant=tenant, integration_id=integration_id
                    )
                elif action == "provision":
                    await telephony_providers.provision_now(
                        session=session, tenant=tenant, integration_id=integration_id
                    )
        except NotAuthenticated:
            async with self:
                self.busy = False
            return rx.redirect("/login")
        except ServiceError as exc:
            async with self:
                self.busy = False
            return rx.toast.error(exc.message(lang))
        async with self:
            self.busy = False
            self.setup_open = False
            cards = await self.get_state(IntegrationsState)
            await cards._load()
        return rx.toast.success(translate(f"telephony.done.{action}", lang, provider=card.get("title", "")))
