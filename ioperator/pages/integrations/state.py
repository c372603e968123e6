"""State of the integration pages (AI Agent → Channels, AI Agent → CRM): one state, the page sets
its `kind`. Provider calls run in background events, so the page stays
responsive and shows a pending state; the state lock is held only while the page's vars change.
"""

from __future__ import annotations

import contextlib
from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from ioperator.core.auth import TenantContext
from ioperator.core.config import get_settings
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import format_datetime, translate
from ioperator.models.integration import Integration, IntegrationStatus
from ioperator.services import (
    crm_sync,
    integration_catalog,
    integration_events,
    integrations,
    telephony_providers,
    telephony_setup,
)
from ioperator.state.base import SessionState, form_errors, tenant_scope


class IntegrationsState(rx.State):
    kind: str = "channel"
    cards: list[dict[str, str]] = []
    webhook_ready: bool = True
    webhook_base: str = ""
    error: str = ""
    busy_slug: str = ""
    # connect / settings dialog
    dialog_open: bool = False
    dialog_slug: str = ""
    dialog_title: str = ""
    dialog_docs: str = ""
    dialog_fields: list[dict[str, str]] = []
    dialog_error: str = ""
    dialog_field_errors: dict[str, str] = {}
    dialog_busy: bool = False
    dialog_form_key: int = 0
    finish_steps: list[dict[str, str]] = []
    dialog_finished: bool = False  # connected: only the values to paste into the provider's console
    # disconnect confirmation
    disconnect_slug: str = ""
    disconnect_title: str = ""
    # event log
    events_open: bool = False
    events_slug: str = ""
    events_title: str = ""
    events_rows: list[dict[str, str]] = []
    events_page: int = 1
    events_pages: int = 1

    # --- loading ---------------------------------------------------------------------------
    @rx.event
    async def load_channels(self) -> None:
        self.kind = "channel"
        await self._load()

    @rx.event
    async def load_crm(self) -> None:
        self.kind = "crm"
        await self._load()

    @rx.event
    async def load_telephony(self) -> None:
        self.kind = telephony_providers.KIND
        await self._load()

    async def _load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                self.cards = build_cards(session, tenant, self.kind, base.lang, base.business_timezone)
        except NotAuthenticated:
            return
        webhook_base = get_settings().effective_webhook_base_url
        self.webhook_base = webhook_base
        # Telephony works without a public address (set up by hand); its page explains that itself.
        self.webhook_ready = webhook_base.startswith("https://") or self.kind == telephony_providers.KIND

    def _card(self, slug: str) -> dict[str, str]:
        return next((c for c in self.cards if c["slug"] == slug), {})

    # --- connect / settings ----------------------------------------------------------------
    @rx.event
    async def open_dialog(self, slug: str) -> None:
        base = await self.get_state(SessionState)
        card = self._card(slug)
        entry = next((e for e in integration_catalog.catalog(lang=base.lang, kind=self.kind) if e.slug == slug), None)
        if entry is None:
            return
        masked: dict[str, str] = {}
        values: dict[str, str] = {}
        if card.get("id"):
            try:
                with base._tenant_session() as (session, tenant):
                    row = integrations.get_integration_or_raise(
                        session=session, tenant=tenant, integration_id=int(card["id"])
                    )
                    public = integrations.to_public(row)
                    masked = public.masked_secrets
                    values = {k: str(v) for k, v in public.config.items() if v is not None}
                    self.finish_steps = (
                        _steps(row, base.lang) if row.status is not IntegrationStatus.DISCONNECTED else []
                    )
            except (NotAuthenticated, ServiceError):
                return
        else:
            self.finish_steps = []
        self.dialog_fields = [
            {
                "name": f.name,
                "title": f.title,
                "help": f.help,
                "secret": "1" if f.secret else "",
                "required": "1" if f.required and not (f.secret and masked.get(f.name)) else "",
                "input_type": f.input_type,
                "placeholder": f.placeholder,
                "value": values.get(f.name, f.default),
                "kept": translate("channels.secret_kept", base.lang, masked=masked[f.name])
                if masked.get(f.name)
                else "",
            }
            for f in entry.fields
        ]
        connected = card.get("status") in ("connected", "error")
        self.dialog_title = translate(
            "channels.configure_title" if connected else "channels.connect_title", base.lang, provider=entry.title
        )
        self.dialog_slug, self.dialog_docs = slug, entry.docs_url
        self.dialog_error, self.dialog_field_errors, self.dialog_busy = "", {}, False
        self.finish_steps = self.finish_steps if connected else []
        self.dialog_finished = False
        self.dialog_form_key += 1
        self.dialog_open = True

    @rx.event
    def set_dialog_open(self, value: bool) -> None:
        if not self.dialog_busy:
            self.dialog_open = value

    @rx.event(background=True)
    async def submit(self, form: dict[str, str]) -> EventSpec | list[EventSpec] | None:
        async with self:
            if self.dialog_busy:
                return None
            base = await self.get_state(SessionState)
            token, lang, timezone, kind = base._cookie_token(), base.lang, base.business_timezone, self.kind
            slug, card = self.dialog_slug, self._card(self.dialog_slug)
            self.dialog_busy, self.dialog_error, self.dialog_field_errors = True, "", {}
        existing = int(card["id"]) if card.get("id") else None
        try:
            with tenant_scope(token) as (session, current):
                connect = telephony_providers.connect if kind == telephony_providers.KIND else integrations.connect
                row = await connect(
                    session=session, tenant=current.tenant, provider=slug, values=dict(form), integration_id=existing
                )
                if kind == "crm":
                    await _sync_quietly(session, current.tenant, row.id or 0)
                steps, title = _steps(row, lang), row.found_title
                session.flush()
                cards = build_cards(session, current.tenant, kind, lang, timezone)
        except NotAuthenticated:
            async with self:
                self.dialog_busy = False
            return rx.redirect("/login")
        except ServiceError as exc:
            async with self:
                self.dialog_field_errors, self.dialog_error = form_errors(exc, lang)
                self.dialog_busy = False
            return None
        async with self:
            self.cards = cards
            self.dialog_busy = False
            self.finish_steps = steps
            self.dialog_finished = bool(steps)
            self.dialog_open = bool(steps)  # WhatsApp/Instagram: show what to paste into Meta
        return [rx.toast.success(translate("channels.connected_toast", lang, title=title)), *_refresh_catalog(kind)]

    @rx.event
    def close_finish(self) -> None:
        self.dialog_open = False
        self.dialog_finished = False
        self.finish_steps = []

    # --- test ------------------------------------------------------------------------------
    @rx.event(background=True)
    async def test(self, slug: str) -> EventSpec | None:
        async with self:
            base = await self.get_state(SessionState)
            token, lang, timezone, kind = base._cookie_token(), base.lang, base.business_timezone, self.kind
            card = self._card(slug)
            if not card.get("id") or self.busy_slug:
                return None
            self.busy_slug, self.error = slug, ""
        try:
            with tenant_scope(token) as (session, current):
                test = telephony_providers.test if kind == telephony_providers.KIND else integrations.test
                row = await test(session=session, tenant=current.tenant, integration_id=int(card["id"]))
                ok, title, message = row.status is IntegrationStatus.CONNECTED, row.found_title, row.error_message
                session.flush()
                cards = build_cards(session, current.tenant, kind, lang, timezone)
        except NotAuthenticated:
            return rx.redirect("/login")
        except ServiceError as exc:
            async with self:
                self.error, self.busy_slug = exc.message(lang), ""
            return None
        async with self:
            self.cards = cards
            self.busy_slug = ""
        if ok:
            return rx.toast.success(translate("channels.test_ok", lang, title=title))
        return rx.toast.error(translate("channels.test_failed", lang, message=message))

    # --- CRM catalog sync --------------------------------------------------------------------
    @rx.event(background=True)
    async def sync(self, slug: str) -> EventSpec | list[EventSpec] | None:
        async with self:
            base = await self.get_state(SessionState)
            token, lang, timezone, kind = base._cookie_token(), base.lang, base.business_timezone, self.kind
            card = self._card(slug)
            if not card.get("id") or self.busy_slug:
                return None
            self.busy_slug, self.error = slug, ""
        failure = ""
        try:
            with tenant_scope(token) as (session, current):
                try:
                    result = await crm_sync.sync_catalog(
                        session=session, tenant=current.tenant, integration_id=int(card["id"])
                    )
                except ServiceError as exc:
                    failure = exc.message(lang)
                cards = build_cards(session, current.tenant, kind, lang, timezone)
        except NotAuthenticated:
            return rx.redirect("/login")
        async with self:
            self.cards, self.busy_slug = cards, ""
        if failure:
            return [rx.toast.error(translate("crm.sync_failed", lang, message=failure)), *_refresh_catalog(kind)]
        synced = translate("crm.synced", lang, services=result.services, staff=result.staff)
        return [rx.toast.success(synced), *_refresh_catalog(kind)]

    # --- disconnect ------------------------------------------------------------------------
    @rx.event
    def ask_disconnect(self, slug: str) -> None:
        card = self._card(slug)
        self.disconnect_slug, self.disconnect_title = slug, card.get("title", "")

    @rx.event
    def cancel_disconnect(self) -> None:
        self.disconnect_slug = ""

    @rx.event(background=True)
    async def confirm_disconnect(self) -> EventSpec | list[EventSpec] | None:
        async with self:
            base = await self.get_state(SessionState)
            token, lang, timezone, kind = base._cookie_token(), base.lang, base.business_timezone, self.kind
            slug, card = self.disconnect_slug, self._card(self.disconnect_slug)
            self.disconnect_slug, self.busy_slug, self.error = "", slug, ""
        try:
            with tenant_scope(token) as (session, current):
                disconnect = (
                    telephony_providers.disconnect if kind == telephony_providers.KIND else integrations.disconnect
                )
                await disconnect(session=session, tenant=current.tenant, integration_id=int(card["id"]))
                session.flush()
                cards = build_cards(session, current.tenant, kind, lang, timezone)
        except NotAuthenticated:
            return rx.redirect("/login")
        except (ServiceError, KeyError, ValueError) as exc:
            async with self:
                self.error = exc.message(lang) if isinstance(exc, ServiceError) else ""
                self.busy_slug = ""
            return None
        async with self:
            self.cards = cards
            self.busy_slug = ""
        toast = rx.toast.success(translate("channels.disconnected_toast", lang, provider=card.get("title", "")))
        return [toast, *_refresh_catalog(kind)]

    # --- event log -------------------------------------------------------------------------
    @rx.event
    async def open_events(self, slug: str) -> None:
        card = self._card(slug)
        if not card.get("id"):
            return
        base = await self.get_state(SessionState)
        self.events_slug = slug
        self.events_title = translate("channels.events_title", base.lang, provider=card.get("title", ""))
        self.events_page = 1
        await self._load_events()
        self.events_open = True

    @rx.event
    def set_events_open(self, value: bool) -> None:
        self.events_open = value

    @rx.event
    async def events_move(self, delta: int) -> None:
        self.events_page = min(max(1, self.events_page + delta), self.events_pages)
        await self._load_events()

    async def _load_events(self) -> None:
        base = await self.get_state(SessionState)
        card = self._card(self.events_slug)
        try:
            with base._tenant_session() as (session, tenant):
                rows, total = integration_events.list_events(
                    session=session, tenant=tenant, integration_id=int(card["id"]), page=self.events_page
                )
        except (NotAuthenticated, ServiceError, KeyError, ValueError):
            self.events_rows = []
            return
        self.events_pages = max(1, -(-total // integration_events.EVENTS_PAGE_SIZE))
        self.events_rows = [
            {
                "kind": r.kind.value,
                "label": translate(f"event.{r.kind.value}", base.lang),
                "detail": r.detail,
                "time": base._time(r.created_at),
            }
            for r in rows
        ]


def _steps(row: Integration, lang: str) -> list[dict[str, str]]:
    return [{"label": translate(s.label_key, lang), "value": s.value} for s in integrations.setup_steps(row)]


def build_cards(session: Session, tenant: TenantContext, kind: str, lang: str, timezone: str) -> list[dict[str, str]]:
    """One card per provider of `kind`, with the business's integration of it when there is one."""
    by_provider = {
        row.provider: row for row in integrations.list_integrations(session=session, tenant=tenant, kind=kind)
    }
    cards = []
    for entry in integration_catalog.catalog(lang=lang, kind=kind):
        row = by_provider.get(entry.slug)
        status = row.status.value if row else IntegrationStatus.DISCONNECTED.value
        services = staff = ""
        phone = _telephony_fields(row, lang) if kind == telephony_providers.KIND else {}
        if kind == "crm" and row is not None and row.id is not None:
            counts = crm_sync.catalog_counts(session=session, tenant=tenant, integration_id=row.id)
            services, staff = str(counts[0]), str(counts[1])
        cards.append(
            {
                "slug": entry.slug,
                "title": entry.title,
                "description": entry.description,
                "logo": entry.logo,
                "docs_url": entry.docs_url,
                "available": "1" if entry.available else "",
                "unavailable_reason": entry.unavailable_reason,
                "status": status,
                "status_label": translate(f"channels.status.{status}", lang),
                "found": row.found_title if row and status != "disconnected" else "",
                "last_event": format_datetime(row.last_event_at, timezone) if row else "",
                "error": row.error_message if row and status == "error" else "",
                "id": str(row.id) if row else "",
                "operations": ", ".join(translate(f"crm.op.{op}", lang) for op in entry.operations),
                "last_sync": format_datetime(row.last_sync_at, timezone) if row else "",
                "services": services,
                "staff": staff,
                **phone,
            }
        )
    return cards


def _telephony_fields(row: Integration | None, lang: str) -> dict[str, str]:
    """What the Providers page adds to a card: the telephony status, default, enabled, how it is set up."""
    status = telephony_providers.status_of(row)
    connected = row is not None and row.status is not IntegrationStatus.DISCONNECTED
    state = dict(row.provider_state) if row is not None else {}
    return {
        "phone_status": status,
        "phone_status_label": translate(f"telephony.status.{status}", lang),
        "is_default": "1" if connected and row is not None and row.is_default else "",
        "enabled": "1" if connected and row is not None and row.enabled else "",
        "setup": ("manual" if telephony_setup.is_manual(state) else "auto" if state else "pending")
        if connected
        else "",
        "balance": str((row.found_details or {}).get("balance", "")) if connected and row is not None else "",
    }


async def _sync_quietly(session: Session, tenant: TenantContext, integration_id: int) -> None:
    """Sync right after connecting; a failure is kept as the integration's error, not the dialog's."""
    with contextlib.suppress(ServiceError):
        await crm_sync.sync_catalog(session=session, tenant=tenant, integration_id=integration_id)


def _refresh_catalog(kind: str) -> list[Any]:
    """After a CRM changed, the CRM page's catalog view reloads too."""
    if kind != "crm":
        return []
    from ioperator.pages.crm import CrmCatalogState  # the CRM page imports this module

    return [CrmCatalogState.load]
