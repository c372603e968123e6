"""A card per provider on the integration pages: status, what it is connected to, actions."""

from __future__ import annotations

import reflex as rx

from ioperator.components.i18n import t
from ioperator.pages.integrations.state import IntegrationsState
from ioperator.state.base import SessionState


def status_badge(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.badge(
        card["status_label"],
        color_scheme=rx.match(card["status"], ("connected", "green"), ("error", "red"), "gray"),
        variant="soft",
        size="2",
        data_testid="channel-status",
    )


def crm_details(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.badge(rx.icon("list", size=12), t("crm.services_count"), ": ", card["services"], variant="surface"),
        rx.badge(rx.icon("users", size=12), t("crm.staff"), ": ", card["staff"], variant="surface"),
        rx.cond(
            card["last_sync"] != "",
            rx.text(t("crm.last_sync"), ": ", card["last_sync"], size="1", color_scheme="gray"),
            rx.text(t("crm.never_synced"), size="1", color_scheme="gray"),
        ),
        spacing="2",
        align="center",
        wrap="wrap",
        data_testid="crm-counts",
    )


def integration_card(card: rx.Var[dict[str, str]]) -> rx.Component:
    connected = card["status"] != "disconnected"
    busy = IntegrationsState.busy_slug == card["slug"]
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
            rx.cond(card["services"] != "", crm_details(card), rx.fragment()),
            rx.cond(
                (card["operations"] != "") & ~connected,
                rx.text(t("crm.supports"), ": ", card["operations"], size="1", color_scheme="gray"),
                rx.fragment(),
            ),
            rx.cond(
                card["error"] != "",
                rx.callout(card["error"], icon="triangle_alert", color_scheme="red", size="1", width="100%"),
                rx.fragment(),
            ),
            rx.cond(
                card["available"] == "",
                rx.callout(card["unavailable_reason"], icon="ban", color_scheme="gray", size="1", width="100%"),
                rx.fragment(),
            ),
            rx.spacer(),
            rx.cond(
                SessionState.can_manage & (card["available"] != ""),
                rx.hstack(
                    rx.cond(
                        connected,
                        rx.fragment(
                            rx.button(
                                t("channels.test"),
                                variant="soft",
                                size="2",
                                loading=busy,
                                on_click=IntegrationsState.test(card["slug"]),
                            ),
                            rx.cond(
                                IntegrationsState.kind == "crm",
                                rx.button(
                                    t("crm.sync"),
                                    variant="soft",
                                    size="2",
                                    loading=busy,
                                    on_click=IntegrationsState.sync(card["slug"]),
                                ),
                                rx.fragment(),
                            ),
                            rx.button(
                                t("channels.configure"),
                                variant="soft",
                                color_scheme="gray",
                                size="2",
                                on_click=IntegrationsState.open_dialog(card["slug"]),
                            ),
                            rx.icon_button(
                                rx.icon("history", size=16),
                                variant="ghost",
                                color_scheme="gray",
                                aria_label=t("channels.events"),
                                on_click=IntegrationsState.open_events(card["slug"]),
                            ),
                            rx.spacer(),
                            rx.button(
                                t("channels.disconnect"),
                                variant="ghost",
                                color_scheme="red",
                                size="2",
                                disabled=busy,
                                on_click=IntegrationsState.ask_disconnect(card["slug"]),
                            ),
                        ),
                        rx.button(
                            t("channels.connect"), size="2", on_click=IntegrationsState.open_dialog(card["slug"])
                        ),
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
                        on_click=IntegrationsState.open_events(card["slug"]),
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
