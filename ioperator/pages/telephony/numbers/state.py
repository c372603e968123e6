"""The Numbers page's state: loading, filters, sync and routing (provider calls run in background events)."""

from __future__ import annotations

from typing import Any

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from ioperator import routes
from ioperator.core.auth import TenantContext
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import translate
from ioperator.models.telephony import PhoneNumber
from ioperator.pages.telephony.numbers.rows import (
    ALL,
    NUMBER_TYPES,
    PAGE_SIZE,
    ROUTE_FIELDS,
    NumberRow,
    label_of,
    member_names,
    plural,
    provider_meta,
    route_label,
)
from ioperator.services import telephony_numbers, telephony_providers
from ioperator.services.validation import format_phone
from ioperator.state.base import SessionState, form_errors, tenant_scope


class NumbersState(rx.State):
    loaded: bool = False
    numbers: list[NumberRow] = []
    total: int = 0
    limit: int = PAGE_SIZE
    count_label: str = ""
    has_providers: bool = False
    has_numbers: bool = False
    providers: list[dict[str, str]] = []  # slug, title
    members: list[dict[str, str]] = []  # id, label
    # filters
    search: str = ""
    provider_filter: str = ALL
    state_filter: str = "active"
    capability_filter: str = ALL
    # sync
    syncing: bool = False
    sync_progress: str = ""
    sync_percent: int = 0
    sync_error: str = ""
    # routing dialog
    route_open: bool = False
    route_busy: bool = False
    route_id: str = ""
    route_title: str = ""
    route_number: str = ""
    route_subtitle: str = ""
    route_inactive: bool = False
    route_not_pointed: bool = False
    route_note: str = ""
    route_mode: str = telephony_numbers.ROUTE_NONE
    route_user: str = ""
    route_forward: str = ""
    route_error: str = ""
    route_errors: dict[str, str] = {}

    @rx.var
    def filtered(self) -> bool:
        return bool(self.search.strip()) or (self.provider_filter, self.state_filter, self.capability_filter) != (
            ALL,
            "active",
            ALL,
        )

    @rx.var
    def has_more(self) -> bool:
        return self.total > len(self.numbers)

    # --- loading ---------------------------------------------------------------------------
    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                self._fill(session, tenant, base.lang)
        except NotAuthenticated:
            return
        self.loaded = True

    def _fill(self, session: Session, tenant: TenantContext, lang: str) -> None:
        connected = telephony_providers.connected(session=session, tenant=tenant)
        self.has_providers = bool(connected)
        self.providers = [{"slug": row.provider, "title": provider_meta(row.provider)[0]} for row in connected]
        if self.provider_filter != ALL and self.provider_filter not in {p["slug"] for p in self.providers}:
            self.provider_filter = ALL
        names = member_names(session, tenant)
        self.members = [{"id": str(uid), "label": name} for uid, name in names.items()]
        rows = telephony_numbers.list_numbers(
            session=session,
            tenant=tenant,
            provider="" if self.provider_filter == ALL else self.provider_filter,
            state=self.state_filter,
            search=self.search,
            capability="" if self.capability_filter == ALL else self.capability_filter,
        )
        self.total = len(rows)
        self.numbers = [self._row(number, names, lang) for number in rows[: self.limit]]
        self.count_label = plural("telephony.numbers.count", self.total, lang)
        self.has_numbers = bool(rows) or (
            self.filtered and bool(telephony_numbers.list_numbers(session=session, tenant=tenant, state="all"))
        )

    def _row(self, number: PhoneNumber, names: dict[int, str], lang: str) -> NumberRow:
        title, logo = provider_meta(number.provider)
        route = telephony_numbers.route_of(number)
        kind = number.number_type if number.number_type in NUMBER_TYPES else "other"
        return NumberRow(
            id=str(number.id),
            display=format_phone(number.e164),
            name=label_of(number),
            type_label=translate(f"telephony.type.{kind}", lang),
            country=number.country,
            voice=number.voice,
            sms=number.sms,
            provider_title=title,
            provider_logo=logo,
            active=number.active,
            not_pointed=number.active and route != telephony_numbers.ROUTE_NONE and not number.routed_here,
            route=route,
            route_label=route_label(number, names, lang),
        )

    # --- filters ---------------------------------------------------------------------------
    @rx.event
    async def set_search(self, value: str) -> None:
        self.search, self.limit = value[:100], PAGE_SIZE
        await self.load()

    @rx.event
    async def set_provider_filter(self, value: str) -> None:
        self.provider_filter, self.limit = value, PAGE_SIZE
        await self.load()

    @rx.event
    async def set_state_filter(self, value: str) -> None:
        self.state_filter = value if value in ("active", "inactive", ALL) else "active"
        self.limit = PAGE_SIZE
        await self.load()

    @rx.event
    async def set_capability_filter(self, value: str) -> None:
        self.capability_filter = value if value in ("voice", "sms", ALL) else ALL
        self.limit = PAGE_SIZE
        await self.load()

    @rx.event
    async def clear_filters(self) -> None:
        self.search, self.provider_filter, self.state_filter, self.capability_filter = "", ALL, "active", ALL
        self.limit = PAGE_SIZE
        await self.load()

    @rx.event
    async def show_more(self) -> None:
        self.limit += PAGE_SIZE
        await self.load()

    # --- sync ------------------------------------------------------------------------------
    @rx.event(background=True)
    async def sync_numbers(self) -> EventSpec | list[EventSpec] | None:
        async with self:
            if self.syncing:
                return None
            base = await self.get_state(SessionState)
            token, lang = base._cookie_token(), base.lang
            self.syncing, self.sync_percent, self.sync_error = True, 0, ""
            self.sync_progress = translate("telephony.numbers.syncing", lang)

        async def progress(index: int, total: int, slug: str) -> None:
            async with self:
                self.sync_percent = round(index * 100 / total) if total else 100
                if slug:
                    self.sync_progress = translate(
                        "telephony.numbers.sync_progress",
                        lang,
                        provider=provider_meta(slug)[0],
                        index=index + 1,
                        total=total,
                    )

        try:
            with tenant_scope(token) as (session, current):
                report = await telephony_numbers.sync_numbers(
                    session=session, tenant=current.tenant, language=lang, on_progress=progress
                )
        except NotAuthenticated:
            return rx.redirect(routes.LOGIN)
        except ServiceError as exc:
            return rx.toast.error(exc.message(lang))
        finally:
            async with self:
                self.syncing, self.sync_progress, self.sync_percent = False, "", 0
        title, lines = sync_summary(report, lang)
        failures = [
            translate("telephony.numbers.sync_failed", lang, provider=provider_meta(p.provider)[0], error=p.error)
            for p in report.failed
        ]
        async with self:
            self.sync_error = " ".join(failures)
        toast: Any = rx.toast.warning if report.failed else rx.toast.success
        if report.failed and len(report.failed) == len(report.providers):
            toast = rx.toast.error
        return [
            toast(title, description="\n".join(lines), duration=8000, close_button=True, style=_PRE_LINE),
            NumbersState.load,
        ]

    @rx.event
    def dismiss_sync_error(self) -> None:
        self.sync_error = ""

    # --- routing ---------------------------------------------------------------------------
    @rx.event
    async def open_routing(self, number_id: str) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                number = telephony_numbers.get_number_or_raise(session=session, tenant=tenant, number_id=int(number_id))
                names = member_names(session, tenant)
        except NotAuthenticated:
            return base._login_redirect()
        except (ServiceError, ValueError):
            return rx.toast.error(base._t("telephony.error.number_not_found"))
        self.members = [{"id": str(uid), "label": name} for uid, name in names.items()]
        provider = provider_meta(number.provider)[0]
        display = format_phone(number.e164)
        self.route_id, self.route_number = number_id, display
        self.route_title = base._t("telephony.numbers.routing_title", number=display)
        self.route_subtitle = " · ".join(x for x in (label_of(number), provider) if x)
        self.route_inactive = not number.active
        self.route_not_pointed = number.active and not number.routed_here
        self.route_note = base._t("telephony.numbers.not_pointed_note", provider=provider)
        self.route_mode = telephony_numbers.route_of(number)
        self.route_user = str(number.route_user_id) if number.route_user_id is not None else ""
        self.route_forward = format_phone(number.forward_to)
        self.route_error, self.route_errors, self.route_busy = "", {}, False
        self.route_open = True
        return None

    @rx.event
    def set_route_open(self, value: bool) -> None:
        if not self.route_busy:
            self.route_open = value

    @rx.event
    def set_route_mode(self, value: str) -> None:
        self.route_mode = value
        self.route_errors = {}

    @rx.event
    def set_route_user(self, value: str) -> None:
        self.route_user = value

    @rx.event
    def set_route_forward(self, value: str) -> None:
        self.route_forward = value[:40]

    @rx.event(background=True)
    async def save_routing(self) -> EventSpec | list[EventSpec] | None:
        async with self:
            if self.route_busy:
                return None
            base = await self.get_state(SessionState)
            token, lang = base._cookie_token(), base.lang
            number_id, mode, user, forward = self.route_id, self.route_mode, self.route_user, self.route_forward
            display = self.route_number
            self.route_busy, self.route_error, self.route_errors = True, "", {}
        try:
            with tenant_scope(token) as (session, current):
                await telephony_numbers.set_routing(
                    session=session,
                    tenant=current.tenant,
                    number_id=int(number_id),
                    mode=mode,
                    user_id=int(user) if user.isdigit() else None,
                    forward_to=forward,
                )
        except NotAuthenticated:
            async with self:
                self.route_busy = False
            return rx.redirect(routes.LOGIN)
        except ServiceError as exc:
            errors, general = form_errors(exc, lang)
            if errors and not set(errors) <= set(ROUTE_FIELDS):
                errors, general = {}, exc.message(lang)  # e.g. the provider refused: not a field of this form
            async with self:
                self.route_errors, self.route_error, self.route_busy = errors, general, False
            return None
        async with self:
            self.route_busy, self.route_open = False, False
        return [rx.toast.success(translate("telephony.numbers.routing_saved", lang, number=display)), NumbersState.load]


_PRE_LINE = {"white_space": "pre-line"}


def sync_summary(report: telephony_numbers.SyncReport, lang: str) -> tuple[str, list[str]]:
    """The toast after a sync: a title, then one line per provider."""
    lines = []
    for p in report.providers:
        provider = provider_meta(p.provider)[0]
        if p.error:
            lines.append(translate("telephony.numbers.sync_line_failed", lang, provider=provider))
        elif p.changed:
            lines.append(
                translate(
                    "telephony.numbers.sync_line",
                    lang,
                    provider=provider,
                    added=p.added,
                    updated=p.updated,
                    deactivated=p.deactivated,
                )
            )
        else:
            lines.append(translate("telephony.numbers.sync_line_unchanged", lang, provider=provider, count=p.fetched))
    if report.failed and len(report.failed) == len(report.providers):
        return translate("telephony.numbers.sync_all_failed", lang), lines
    if report.failed:
        return translate("telephony.numbers.sync_partial", lang), lines
    return translate("telephony.numbers.synced", lang), lines
