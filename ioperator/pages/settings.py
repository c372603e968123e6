"""Business settings: the profile the agent and the team see."""

from __future__ import annotations

import zoneinfo

import reflex as rx
from reflex.event import EventSpec

from ioperator.components.forms import card_section, error_callout, field, field_error, text_input
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import LANGUAGES
from ioperator.models.business import BusinessUpdate
from ioperator.pages.llm_settings import llm_card
from ioperator.services import business
from ioperator.services.validation import format_phone
from ioperator.state.base import SessionState, form_errors

TIMEZONES = sorted(tz for tz in zoneinfo.available_timezones() if "/" in tz or tz == "UTC")


class SettingsState(rx.State):
    name: str = ""
    address: str = ""
    phone: str = ""
    website: str = ""
    working_hours: str = ""
    timezone: str = "UTC"
    language: str = "en"
    error: str = ""
    field_errors: dict[str, str] = {}
    saving: bool = False

    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                biz = business.get_business(session=session, tenant=tenant)
        except NotAuthenticated:
            return
        self.name, self.address, self.website = biz.name, biz.address, biz.website
        self.phone = format_phone(biz.phone)
        self.working_hours = biz.working_hours
        self.timezone, self.language = biz.timezone, biz.language
        self.error, self.field_errors = "", {}

    @rx.event
    def set_timezone(self, value: str) -> None:
        self.timezone = value

    @rx.event
    def set_language(self, value: str) -> None:
        self.language = value

    @rx.event
    async def save(self, form: dict[str, str]) -> EventSpec | None:
        base = await self.get_state(SessionState)
        self.error, self.field_errors = "", {}
        update = BusinessUpdate(
            name=form.get("name", ""),
            address=form.get("address", ""),
            phone=form.get("phone", ""),
            website=form.get("website", ""),
            working_hours=form.get("working_hours", ""),
            timezone=self.timezone,
            language=self.language,
        )
        try:
            with base._tenant_session() as (session, tenant):
                business.update_business(session=session, tenant=tenant, business_in=update)
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.field_errors, self.error = form_errors(exc, base.lang)
            return None
        await self.load()
        base.business_name = self.name
        return rx.toast.success(base._t("settings.saved"))


def _err(name: str) -> rx.Var[str]:
    return field_error(SettingsState.field_errors, name)


def settings_page() -> rx.Component:
    readonly = ~SessionState.can_manage
    return dashboard_page(
        "settings.title",
        rx.cond(
            readonly, rx.callout(t("settings.readonly"), icon="lock", color_scheme="gray", width="100%"), rx.fragment()
        ),
        error_callout(SettingsState.error),
        rx.form(
            card_section(
                "settings.profile",
                rx.grid(
                    field(
                        "field.business_name",
                        text_input(
                            "name", default_value=SettingsState.name, read_only=readonly, required=True, max_length=120
                        ),
                        error=_err("name"),
                    ),
                    field(
                        "field.phone",
                        text_input(
                            "phone",
                            default_value=SettingsState.phone,
                            read_only=readonly,
                            type="tel",
                            placeholder="+44 20 7946 0958",
                        ),
                        error=_err("phone"),
                        hint_key="settings.phone_hint",
                    ),
                    field(
                        "field.address",
                        text_input("address", default_value=SettingsState.address, read_only=readonly, max_length=300),
                        error=_err("address"),
                    ),
                    field(
                        "field.working_hours",
                        text_input(
                            "working_hours",
                            default_value=SettingsState.working_hours,
                            read_only=readonly,
                            max_length=300,
                            placeholder="Mon–Fri 9:00–20:00, Sat 10:00–16:00",
                        ),
                        error=_err("working_hours"),
                        hint_key="settings.working_hours_hint",
                    ),
                    field(
                        "field.website",
                        text_input(
                            "website",
                            default_value=SettingsState.website,
                            read_only=readonly,
                            placeholder="https://example.com",
                        ),
                        error=_err("website"),
                    ),
                    rx.box(
                        rx.text(t("field.timezone"), size="2", weight="medium"),
                        rx.select(
                            TIMEZONES,
                            value=SettingsState.timezone,
                            on_change=SettingsState.set_timezone,
                            disabled=readonly,
                            size="3",
                            width="100%",
                        ),
                        rx.cond(
                            _err("timezone") != "",
                            rx.text(_err("timezone"), size="1", color_scheme="red"),
                            rx.fragment(),
                        ),
                        display="flex",
                        flex_direction="column",
                        gap="1",
                    ),
                    rx.box(
                        rx.text(t("field.business_language"), size="2", weight="medium"),
                        rx.select.root(
                            rx.select.trigger(width="100%", aria_label=t("field.business_language")),
                            rx.select.content(*[rx.select.item(n, value=c) for c, n in LANGUAGES.items()]),
                            value=SettingsState.language,
                            on_change=SettingsState.set_language,
                            disabled=readonly,
                            size="3",
                        ),
                        rx.text(t("settings.language_hint"), size="1", color_scheme="gray"),
                        display="flex",
                        flex_direction="column",
                        gap="1",
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                rx.cond(
                    SessionState.can_manage,
                    rx.hstack(rx.button(t("common.save"), type="submit", size="3"), justify="end", width="100%"),
                    rx.fragment(),
                ),
                description_key="settings.profile_hint",
            ),
            on_submit=SettingsState.save,
            reset_on_submit=False,
            key=SettingsState.name,
            width="100%",
        ),
        llm_card(),
    )
