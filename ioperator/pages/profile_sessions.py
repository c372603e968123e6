"""The profile page's list of signed-in browsers, with sign-out per browser and for all others."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator.components.forms import card_section
from ioperator.components.i18n import t
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.services import auth_sessions
from ioperator.state.base import SessionState


class SessionsState(rx.State):
    sessions: list[dict[str, str]] = []
    error: str = ""

    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        token = base._cookie_token()
        try:
            with base._tenant_session() as (session, tenant):
                rows = auth_sessions.list_sessions(session=session, tenant=tenant)
                self.sessions = [
                    {
                        "id": str(row.id),
                        "device": auth_sessions.describe_user_agent(row.user_agent),
                        "ip": row.ip,
                        "created": base._time(row.created_at),
                        "last_seen": base._time(row.last_seen_at),
                        "current": "1" if auth_sessions.is_current(row, token) else "",
                    }
                    for row in rows
                ]
        except NotAuthenticated:
            return
        self.error = ""

    @rx.event
    async def end_one(self, session_id: str) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                auth_sessions.end_own_session(session=session, tenant=tenant, session_id=int(session_id))
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            return None
        await self.load()
        return rx.toast.success(base._t("profile.session_ended"))

    @rx.event
    async def end_others(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                count = auth_sessions.end_other_sessions(
                    session=session, tenant=tenant, keep_token=base._cookie_token()
                )
        except NotAuthenticated:
            return base._login_redirect()
        await self.load()
        return rx.toast.success(base._t("profile.others_ended", count=count))


def session_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    current = row["current"] != ""
    return rx.hstack(
        rx.icon("monitor-smartphone", size=20, color=rx.color("gray", 10)),
        rx.vstack(
            rx.hstack(
                rx.text(rx.cond(row["device"] != "", row["device"], t("profile.unknown_device")), weight="medium"),
                rx.cond(current, rx.badge(t("profile.this_device"), color_scheme="green"), rx.fragment()),
                spacing="2",
                align="center",
            ),
            rx.text(
                row["ip"],
                " · ",
                t("profile.signed_in_at"),
                " ",
                row["created"],
                " · ",
                t("profile.last_active"),
                " ",
                row["last_seen"],
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
            flex="1",
        ),
        rx.cond(
            current,
            rx.fragment(),
            rx.button(
                t("profile.sign_out"),
                variant="soft",
                color_scheme="gray",
                size="2",
                on_click=SessionsState.end_one(row["id"]),
            ),
        ),
        align="center",
        spacing="3",
        width="100%",
        padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        data_testid="session-row",
    )


def sessions_card() -> rx.Component:
    return card_section(
        "profile.sessions",
        rx.cond(SessionsState.error != "", rx.text(SessionsState.error, color_scheme="red", size="2"), rx.fragment()),
        rx.box(rx.foreach(SessionsState.sessions, session_row), width="100%"),
        rx.cond(
            SessionsState.sessions.length() > 1,
            rx.hstack(
                rx.button(
                    t("profile.sign_out_others"), variant="soft", color_scheme="red", on_click=SessionsState.end_others
                ),
                justify="end",
                width="100%",
            ),
            rx.fragment(),
        ),
        description_key="profile.sessions_hint",
    )
