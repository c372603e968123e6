"""The Users page."""

from __future__ import annotations

import reflex as rx

from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.pages.telephony.users.cards import member_card
from ioperator.pages.telephony.users.dialog import edit_dialog
from ioperator.pages.telephony.users.state import TelephonyUsersState
from ioperator.state.base import SessionState


def telephony_users_page() -> rx.Component:
    state = TelephonyUsersState
    return dashboard_page(
        "telephony.users.title",
        rx.text(t("telephony.users.subtitle"), size="2", color_scheme="gray"),
        rx.cond(
            SessionState.can_manage,
            rx.fragment(),
            rx.callout(t("telephony.users.read_only"), icon="info", color_scheme="gray", size="1", width="100%"),
        ),
        rx.cond(
            state.loaded,
            rx.vstack(rx.foreach(state.members, member_card), spacing="3", width="100%"),
            rx.center(rx.spinner(size="3"), padding="48px", width="100%"),
        ),
        edit_dialog(),
    )
