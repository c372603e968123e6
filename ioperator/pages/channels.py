"""AI Agent → Channels: connect, test and disconnect Telegram, WhatsApp and Instagram."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.pages.integrations.cards import integration_card
from ioperator.pages.integrations.dialogs import connect_dialog, disconnect_dialog, events_dialog
from ioperator.pages.integrations.state import IntegrationsState
from ioperator.state.base import SessionState


def channels_page() -> rx.Component:
    return dashboard_page(
        "channels.title",
        rx.text(t("channels.subtitle"), size="2", color_scheme="gray"),
        rx.cond(
            IntegrationsState.webhook_ready,
            rx.fragment(),
            rx.callout(
                SessionState.texts["channels.public_url_missing"]
                .to(str)
                .replace("{url}", IntegrationsState.webhook_base),
                icon="globe",
                color_scheme="amber",
                width="100%",
                data_testid="public-url-missing",
            ),
        ),
        rx.cond(
            ~SessionState.can_manage,
            rx.callout(t("channels.manage_only"), icon="lock", color_scheme="gray", width="100%"),
            rx.fragment(),
        ),
        error_callout(IntegrationsState.error),
        rx.grid(
            rx.foreach(IntegrationsState.cards, integration_card),
            columns=rx.breakpoints(initial="1", md="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        connect_dialog(),
        disconnect_dialog(),
        events_dialog(),
    )
