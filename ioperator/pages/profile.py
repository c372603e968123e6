"""Your profile: name, language and password."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator.components.forms import card_section, error_callout, field, field_error, text_input
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import LANGUAGES
from ioperator.models.user import ProfileUpdate
from ioperator.pages.profile_sessions import SessionsState, sessions_card
from ioperator.services import accounts, auth_sessions
from ioperator.state.base import SessionState, form_errors


class ProfileState(rx.State):
    name: str = ""
    email: str = ""
    language: str = "en"
    profile_error: str = ""
    password_error: str = ""
    password_field_errors: dict[str, str] = {}
    form_key: int = 0

    @rx.event
    async def load(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session():
                pass
        except NotAuthenticated:
            return None
        self.name, self.email, self.language = base.user_name, base.user_email, base.lang
        self.profile_error = self.password_error = ""
        self.password_field_errors = {}
        return SessionsState.load

    @rx.event
    def set_language(self, value: str) -> None:
        self.language = value

    @rx.event
    async def save_profile(self, form: dict[str, str]) -> EventSpec | None:
        base = await self.get_state(SessionState)
        self.profile_error = ""
        try:
            with base._tenant_session() as (session, tenant):
                accounts.update_profile(
                    session=session,
                    tenant=tenant,
                    profile_in=ProfileUpdate(name=form.get("name", ""), language=self.language),
                )
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.profile_error = exc.message(base.lang)
            return None
        with base._tenant_session():
            pass  # reload the signed-in user (name, language) into the shared state
        base.lang_pref = base.lang
        await self.load()
        return rx.toast.success(base._t("profile.saved"))

    @rx.event
    async def change_password(self, form: dict[str, str]) -> EventSpec | list[EventSpec] | None:
        base = await self.get_state(SessionState)
        self.password_error, self.password_field_errors = "", {}
        if form.get("new_password", "") != form.get("confirm_password", ""):
            self.password_field_errors = {"confirm_password": base._t("error.password_mismatch")}
            return None
        try:
            with base._tenant_session() as (session, tenant):
                accounts.change_password(
                    session=session,
                    tenant=tenant,
                    current_password=form.get("current_password", ""),
                    new_password=form.get("new_password", ""),
                )
                auth_sessions.end_other_sessions(session=session, tenant=tenant, keep_token=base._cookie_token())
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.password_field_errors, self.password_error = form_errors(exc, base.lang)
            return None
        self.form_key += 1  # clears the password fields
        return [rx.toast.success(base._t("profile.password_changed")), SessionsState.load]


def _perr(name: str) -> rx.Var[str]:
    return field_error(ProfileState.password_field_errors, name)


def profile_page() -> rx.Component:
    return dashboard_page(
        "profile.title",
        rx.form(
            card_section(
                "profile.details",
                error_callout(ProfileState.profile_error),
                rx.grid(
                    field(
                        "field.name",
                        text_input("name", default_value=ProfileState.name, max_length=120, auto_complete="name"),
                    ),
                    field("field.email", text_input("email", value=ProfileState.email, read_only=True, disabled=True)),
                    rx.box(
                        rx.text(t("field.language"), size="2", weight="medium"),
                        rx.select.root(
                            rx.select.trigger(width="100%", aria_label=t("field.language")),
                            rx.select.content(*[rx.select.item(n, value=c) for c, n in LANGUAGES.items()]),
                            value=ProfileState.language,
                            on_change=ProfileState.set_language,
                            size="3",
                        ),
                        display="flex",
                        flex_direction="column",
                        gap="1",
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                rx.hstack(rx.button(t("common.save"), type="submit", size="3"), justify="end", width="100%"),
            ),
            on_submit=ProfileState.save_profile,
            reset_on_submit=False,
            key=ProfileState.email,
            width="100%",
        ),
        rx.form(
            card_section(
                "profile.password",
                error_callout(ProfileState.password_error),
                field(
                    "field.current_password",
                    text_input("current_password", type="password", required=True, auto_complete="current-password"),
                    error=_perr("current_password"),
                ),
                rx.grid(
                    field(
                        "field.new_password",
                        text_input("new_password", type="password", required=True, auto_complete="new-password"),
                        error=_perr("new_password"),
                    ),
                    field(
                        "field.confirm_password",
                        text_input("confirm_password", type="password", required=True, auto_complete="new-password"),
                        error=_perr("confirm_password"),
                    ),
                    columns=rx.breakpoints(initial="1", md="2"),
                    spacing="4",
                    width="100%",
                ),
                rx.hstack(
                    rx.button(t("profile.change_password"), type="submit", size="3"), justify="end", width="100%"
                ),
                description_key="profile.password_hint",
            ),
            on_submit=ProfileState.change_password,
            reset_on_submit=False,
            key=ProfileState.form_key,
            width="100%",
        ),
        sessions_card(),
    )
