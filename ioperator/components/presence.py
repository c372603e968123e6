"""The signed-in member's own telephony status (Online / Busy / Do not disturb / Offline), set from the
user menu, and the small pieces that show a status anywhere (a coloured dot, a badge)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator.components.i18n import t
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.models.telephony import Presence
from ioperator.services import telephony_users
from ioperator.state.base import SessionState

PRESENCES: list[str] = [p.value for p in Presence]
PRESENCE_COLORS: dict[str, str] = {
    Presence.ONLINE.value: "green",
    Presence.BUSY.value: "amber",
    Presence.DND.value: "red",
    Presence.OFFLINE.value: "gray",
}


class PresenceState(rx.State):
    presence: str = Presence.OFFLINE.value

    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                self.presence = telephony_users.own_presence(session=session, tenant=tenant).value
        except NotAuthenticated:
            return

    @rx.event
    async def set_presence(self, value: str) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                profile = telephony_users.set_presence(session=session, tenant=tenant, presence=value)
                self.presence = profile.presence.value
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            return rx.toast.error(exc.message(base.lang))
        label = base._t(f"presence.{self.presence}")
        return rx.toast.success(base._t("presence.changed", status=label))


def _shade(color: str) -> str:
    return f"var(--{color}-{8 if color == 'gray' else 9})"


def presence_color(presence: rx.Var[str] | str) -> rx.Var[str] | str:
    """The dot's colour for a status (a CSS variable of the theme's colour scales)."""
    if isinstance(presence, str):
        return _shade(PRESENCE_COLORS.get(presence, "gray"))
    return rx.match(
        presence,
        *[(value, _shade(color)) for value, color in PRESENCE_COLORS.items()],
        _shade("gray"),
    ).to(str)


def presence_dot(presence: rx.Var[str] | str, size: str = "10px", **props: object) -> rx.Component:
    return rx.box(
        width=size,
        height=size,
        min_width=size,
        border_radius="50%",
        background=presence_color(presence),
        aria_hidden="true",
        **props,
    )


def presence_label(presence: rx.Var[str]) -> rx.Var[str]:
    return SessionState.texts["presence." + presence].to(str)


def presence_badge(presence: rx.Var[str], **props: object) -> rx.Component:
    return rx.match(
        presence,
        *[
            (
                value,
                rx.badge(
                    presence_dot(value, size="8px"),
                    t(f"presence.{value}"),
                    color_scheme=color,
                    variant="soft",
                    radius="full",
                    **props,
                ),
            )
            for value, color in PRESENCE_COLORS.items()
        ],
        rx.fragment(),
    )


def avatar_with_presence(avatar: rx.Component) -> rx.Component:
    """The user menu's avatar with the member's status as a dot on its corner; loads the status."""
    return rx.box(
        avatar,
        presence_dot(
            PresenceState.presence,
            size="11px",
            position="absolute",
            right="-1px",
            bottom="-1px",
            border=f"2px solid {rx.color('gray', 2)}",
            box_sizing="content-box",
            data_testid="presence-dot",
            data_presence=PresenceState.presence,
        ),
        position="relative",
        display="inline-flex",
        flex_shrink="0",
        on_mount=PresenceState.load,
    )


def presence_submenu() -> rx.Component:
    """The user menu's "Status" submenu: the four choices, the current one checked."""
    return rx.menu.sub(
        rx.menu.sub_trigger(
            presence_dot(PresenceState.presence),
            rx.text(t("presence.status")),
            rx.text(presence_label(PresenceState.presence), color_scheme="gray", size="1"),
            aria_label=t("presence.status") + ": " + presence_label(PresenceState.presence),
        ),
        rx.menu.sub_content(
            *[
                rx.menu.item(
                    rx.hstack(
                        rx.hstack(presence_dot(value), rx.text(t(f"presence.{value}")), align="center", spacing="2"),
                        rx.cond(PresenceState.presence == value, rx.icon("check", size=14), rx.fragment()),
                        justify="between",
                        align="center",
                        width="100%",
                    ),
                    on_select=PresenceState.set_presence(value),
                    data_testid=f"presence-{value}",
                )
                for value in PRESENCES
            ],
            min_width="190px",
        ),
    )
