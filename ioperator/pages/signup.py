"""Create a business and its owner."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx
from reflex.event import EventSpec

from ioperator import routes
from ioperator.components.forms import error_callout, field, field_error, text_input
from ioperator.components.i18n import t
from ioperator.components.layout import public_page
from ioperator.core.config import get_settings
from ioperator.core.db import session_scope
from ioperator.core.errors import ServiceError
from ioperator.services import accounts, auth_sessions
from ioperator.state.base import SessionState, finish_cookie_call, form_errors


class SignupState(rx.State):
    error: str = ""
    field_errors: dict[str, str] = {}
    submitting: bool = False

    @rx.event
    def clear(self) -> None:
        """on_load: a tab that comes back to this page starts with a fresh form."""
        self.reset()

    @rx.event
    async def submit(self, form: dict[str, str]) -> AsyncIterator[EventSpec | None]:
        base = await self.get_state(SessionState)
        self.error = ""
        self.field_errors = {}
        if not get_settings().allow_signup:
            self.error = base._t("error.signup_closed")
            return
        self.submitting = True
        yield None
        try:
            with session_scope() as session:
                result = accounts.create_business(
                    session=session,
                    business_name=form.get("business_name", ""),
                    owner_name=form.get("name", ""),
                    owner_email=form.get("email", ""),
                    owner_password=form.get("password", ""),
                    language=base.lang,
                )
                ticket = auth_sessions.start_session(
                    session=session,
                    user=result.owner,
                    address=self.router.session.client_ip,
                    user_agent=self.router.headers.user_agent,
                )
        except ServiceError as exc:
            self.field_errors, self.error = form_errors(exc, base.lang)
            self.submitting = False
            return
        yield finish_cookie_call("/api/auth/session", {"ticket": ticket}, routes.OVERVIEW)


def _error(name: str) -> rx.Var[str]:
    return field_error(SignupState.field_errors, name)


def signup_page() -> rx.Component:
    return public_page(
        rx.heading(t("signup.title"), size="6", as_="h1"),
        rx.text(t("signup.subtitle"), size="2", color_scheme="gray"),
        error_callout(SignupState.error),
        rx.form(
            rx.vstack(
                field(
                    "field.business_name",
                    text_input("business_name", required=True, auto_focus=True, max_length=120),
                    error=_error("business_name"),
                ),
                field(
                    "field.your_name", text_input("name", auto_complete="name", max_length=120), error=_error("name")
                ),
                field(
                    "field.email",
                    text_input("email", type="email", auto_complete="email", required=True),
                    error=_error("email"),
                ),
                field(
                    "field.password",
                    text_input("password", type="password", auto_complete="new-password", required=True),
                    error=_error("password"),
                    hint=SessionState.password_hint,
                ),
                rx.button(t("signup.submit"), type="submit", size="3", width="100%", loading=SignupState.submitting),
                spacing="4",
                width="100%",
            ),
            on_submit=SignupState.submit,
            reset_on_submit=False,
            width="100%",
        ),
        rx.text(t("signup.have_account"), " ", rx.link(t("signup.login_link"), href=routes.LOGIN), size="2"),
    )
