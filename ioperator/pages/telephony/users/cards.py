"""A member's card: status, numbers, primary outbound number, forwarding and call preferences."""

from __future__ import annotations

import reflex as rx

from ioperator.components.i18n import t
from ioperator.components.presence import presence_badge, presence_dot
from ioperator.pages.telephony.users.rows import MemberRow
from ioperator.pages.telephony.users.state import TelephonyUsersState
from ioperator.state.base import SessionState


# --- view -------------------------------------------------------------------------------------
def preference(on: rx.Var[bool], icon: str, label_key: str) -> rx.Component:
    """One call preference: its icon and name, strong when on, faint and struck through when off."""
    return rx.badge(
        rx.icon(icon, size=12),
        t(label_key),
        rx.el.span(
            rx.cond(on, t("telephony.users.on"), t("telephony.users.off")),
            style={
                "position": "absolute",
                "width": "1px",
                "height": "1px",
                "overflow": "hidden",
                "clip": "rect(0 0 0 0)",
            },
        ),
        color_scheme=rx.cond(on, "indigo", "gray"),
        variant=rx.cond(on, "soft", "outline"),
        text_decoration=rx.cond(on, "none", "line-through"),
        opacity=rx.cond(on, "1", "0.7"),
        data_on=rx.cond(on, "true", "false"),
    )


def labelled(label_key: str, value: rx.Component) -> rx.Component:
    return rx.vstack(
        rx.text(t(label_key), size="1", color_scheme="gray", weight="medium"),
        value,
        spacing="1",
        min_width="0",
    )


def phone_text(value: rx.Var[str], test_id: str) -> rx.Component:
    return rx.box(
        rx.cond(
            value != "",
            rx.text(value, size="2", white_space="nowrap", style={"font_variant_numeric": "tabular-nums"}),
            rx.text("—", size="2", color_scheme="gray"),
        ),
        data_testid=test_id,
    )


def member_card(row: rx.Var[MemberRow]) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.hstack(
                rx.box(
                    rx.avatar(fallback=row.initials, size="3", radius="full"),
                    presence_dot(
                        row.presence,
                        size="11px",
                        position="absolute",
                        right="-1px",
                        bottom="-1px",
                        border=f"2px solid {rx.color('gray', 1)}",
                        box_sizing="content-box",
                    ),
                    position="relative",
                    display="inline-flex",
                    flex_shrink="0",
                ),
                rx.vstack(
                    rx.hstack(
                        rx.text(rx.cond(row.name != "", row.name, row.email), weight="medium", trim="both"),
                        rx.cond(row.me, rx.badge(t("team.you"), color_scheme="gray", size="1"), rx.fragment()),
                        presence_badge(row.presence, size="1", data_testid="presence-badge"),
                        spacing="2",
                        align="center",
                        wrap="wrap",
                    ),
                    rx.text(row.email, size="1", color_scheme="gray", truncate=True, max_width="100%"),
                    spacing="1",
                    min_width="0",
                ),
                spacing="3",
                align="center",
                min_width="0",
                width=["100%", "100%", "280px"],
                flex_shrink="0",
            ),
            rx.grid(
                labelled(
                    "telephony.users.numbers",
                    rx.cond(
                        row.numbers.length() > 0,
                        rx.flex(
                            rx.foreach(
                                row.numbers,
                                lambda n: rx.badge(
                                    n,
                                    variant="surface",
                                    color_scheme="gray",
                                    style={"font_variant_numeric": "tabular-nums"},
                                ),
                            ),
                            gap="4px",
                            wrap="wrap",
                            data_testid="member-numbers",
                        ),
                        rx.text(t("telephony.users.no_numbers"), size="2", color_scheme="gray"),
                    ),
                ),
                labelled("telephony.users.primary", phone_text(row.primary, "member-primary")),
                labelled("telephony.users.forwarding", phone_text(row.forwarding, "member-forwarding")),
                columns=rx.breakpoints(initial="1", sm="3"),
                gap="12px",
                flex="1",
                min_width="0",
                width="100%",
            ),
            rx.cond(
                SessionState.can_manage,
                rx.button(
                    rx.icon("pencil", size=14),
                    t("telephony.users.edit"),
                    variant="soft",
                    size="2",
                    aria_label=t("telephony.users.edit_aria") + " " + rx.cond(row.name != "", row.name, row.email),
                    on_click=TelephonyUsersState.open_edit(row.id),
                    data_testid="edit-member",
                ),
                rx.fragment(),
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            gap="16px",
            align=rx.breakpoints(initial="start", md="center"),
            width="100%",
        ),
        rx.flex(
            preference(row.receive_in_browser, "monitor-smartphone", "telephony.users.pref.browser"),
            preference(row.forward_when_offline, "phone-forwarded", "telephony.users.pref.forward_offline"),
            preference(row.voicemail, "voicemail", "telephony.users.pref.voicemail"),
            gap="8px",
            wrap="wrap",
            margin_top="12px",
            padding_top="12px",
            border_top=f"1px solid {rx.color('gray', 4)}",
        ),
        width="100%",
        data_testid="telephony-user-row",
        data_member=row.email,
    )
