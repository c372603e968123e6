"""AI Agent → Channels: connect, test and disconnect Telegram, WhatsApp and Instagram."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.pages.channels.dialogs import connect_dialog, disconnect_dialog, events_dialog
from ioperator.pages.channels.state import ChannelsState
from ioperator.state.base import SessionState

__all__ = ["ChannelsState", "channels_page"]


# --- view ----------------------------------------------------------------------------------
def status_badge(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.badge(
        card["status_label"],
        color_scheme=rx.match(card["status"], ("connected", "green"), ("error", "red"), "gray"),
        variant="soft",
        size="2",
        data_testid="channel-status",
    )


def channel_card(card: rx.Var[dict[str, str]]) -> rx.Component:
    connected = card["status"] != "disconnected"
    busy = ChannelsState.busy_slug == card["slug"]
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.image(src=card["logo"], width="44px", height="44px", alt=""),
                rx.vstack(
                    rx.heading(card["title"], size="4", as_="h2"),
                    status_badge(card),
                    spacing="1",
                    align="start",
                ),
                rx.spacer(),
                rx.link(
                    rx.icon("book-open", size=16),
                    href=card["docs_url"],
                    is_external=True,
                    aria_label=t("channels.docs"),
                    title=t("channels.docs"),
                    color_scheme="gray",
                ),
                align="center",
                spacing="3",
                width="100%",
            ),
            rx.text(card["description"], size="2", color_scheme="gray", min_height="3em"),
            rx.cond(
                card["found"] != "",
                rx.text(t("channels.connected_to"), " ", rx.text.strong(card["found"]), size="2"),
                rx.fragment(),
            ),
            rx.cond(
                card["last_event"] != "",
                rx.text(t("channels.last_event"), ": ", card["last_event"], size="1", color_scheme="gray"),
                rx.fragment(),
            ),
            rx.cond(
                card["error"] != "",
                rx.callout(card["error"], icon="triangle_alert", color_scheme="red", size="1", width="100%"),
                rx.fragment(),
            ),
            rx.spacer(),
            rx.cond(
                SessionState.can_manage,
                rx.hstack(
                    rx.cond(
                        connected,
                        rx.fragment(
                            rx.button(
                                t("channels.test"),
                                variant="soft",
                                size="2",
                                loading=busy,
                                on_click=ChannelsState.test(card["slug"]),
                            ),
                            rx.button(
                                t("channels.configure"),
                                variant="soft",
                                color_scheme="gray",
                                size="2",
                                on_click=ChannelsState.open_dialog(card["slug"]),
                            ),
                            rx.icon_button(
                                rx.icon("history", size=16),
                                variant="ghost",
                                color_scheme="gray",
                                aria_label=t("channels.events"),
                                on_click=ChannelsState.open_events(card["slug"]),
                            ),
                            rx.spacer(),
                            rx.button(
                                t("channels.disconnect"),
                                variant="ghost",
                                color_scheme="red",
                                size="2",
                                disabled=busy,
                                on_click=ChannelsState.ask_disconnect(card["slug"]),
                            ),
                        ),
                        rx.button(t("channels.connect"), size="2", on_click=ChannelsState.open_dialog(card["slug"])),
                    ),
                    width="100%",
                    align="center",
                    wrap="wrap",
                ),
                rx.cond(
                    card["id"] != "",
                    rx.button(
                        t("channels.events"),
                        variant="soft",
                        color_scheme="gray",
                        size="2",
                        on_click=ChannelsState.open_events(card["slug"]),
                    ),
                    rx.fragment(),
                ),
            ),
            spacing="3",
            height="100%",
        ),
        size="3",
        data_testid=rx.Var.create("channel-card-") + card["slug"],
    )


def channels_page() -> rx.Component:
    return dashboard_page(
        "channels.title",
        rx.text(t("channels.subtitle"), size="2", color_scheme="gray"),
        rx.cond(
            ChannelsState.webhook_ready,
            rx.fragment(),
            rx.callout(
                SessionState.texts["channels.public_url_missing"].to(str).replace("{url}", ChannelsState.webhook_base),
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
        error_callout(ChannelsState.error),
        rx.grid(
            rx.foreach(ChannelsState.cards, channel_card),
            columns=rx.breakpoints(initial="1", md="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        connect_dialog(),
        disconnect_dialog(),
        events_dialog(),
    )
