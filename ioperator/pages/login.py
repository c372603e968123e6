"""Sign in."""

from __future__ import annotations

from collections.abc import AsyncIterator

import reflex as rx
from reflex.event import EventSpec

from ioperator import routes
from ioperator.components.forms import error_callout, field, text_input
from ioperator.components.i18n import t
from ioperator.components.layout import public_page
from ioperator.core.db import session_scope
from ioperator.core.errors import ServiceError
from ioperator.services import auth_sessions
from ioperator.state.base import SessionState, finish_cookie_call


class LoginState(rx.State):
    error: str = ""
    submitting: bool = False

    @rx.event
    def clear(self) -> None:
        """on_load: a tab that comes back to this page starts with a fresh form."""
        self.reset()

    @rx.event
    async def submit(self, form: dict[str, str]) -> AsyncIterator[EventSpec | None]:
        base = await self.get_state(SessionState)
        self.error = ""
        self.submitting = True
        yield None
        address = self.router.session.client_ip
        try:
            with session_scope() as session:
                user = await auth_sessions.authenticate(
                    session=session, email=form.get("email", ""), password=form.get("password", ""), address=address
                )
                ticket = auth_sessions.start_session(
                    session=session, user=user, address=address, user_agent=self.router.headers.user_agent
                )
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            self.submitting = False
            return
        target = routes.safe_next(self.router.url.query_parameters.get("next"))
        yield finish_cookie_call("/api/auth/session", {"ticket": ticket}, target)


def login_page() -> rx.Component:
    return public_page(
        rx.heading(t("login.title"), size="6", as_="h1"),
        rx.text(t("login.subtitle"), size="2", color_scheme="gray"),
        error_callout(LoginState.error),
        rx.form(
            rx.vstack(
                field(
                    "field.email",
                    text_input("email", type="email", auto_complete="email", required=True, auto_focus=True),
                ),
                field(
                    "field.password",
                    text_input("password", type="password", auto_complete="current-password", required=True),
                ),
                rx.button(t("login.submit"), type="submit", size="3", width="100%", loading=LoginState.submitting),
                spacing="4",
                width="100%",
            ),
            on_submit=LoginState.submit,
            width="100%",
        ),
        rx.text(t("login.no_account"), " ", rx.link(t("login.signup_link"), href=routes.SIGNUP), size="2"),
    )
