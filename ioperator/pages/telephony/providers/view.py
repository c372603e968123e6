"""Telephony → Providers: provider cards, the set-up dialog and the page."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.pages.integrations.dialogs import connect_dialog, disconnect_dialog, events_dialog, setup_step
from ioperator.pages.integrations.state import IntegrationsState
from ioperator.pages.telephony.providers.state import TelephonyProvidersState
from ioperator.state.base import SessionState


def status_badge(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.badge(
        card["phone_status_label"],
        color_scheme=rx.match(
            card["phone_status"], ("active", "green"), ("configured", "amber"), ("error", "red"), "gray"
        ),
        variant="soft",
        size="2",
        data_testid="provider-status",
    )


def details_link(card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.link(t("telephony.setup.details"), size="1", on_click=TelephonyProvidersState.open_setup(card["slug"]))


def setup_done(text_key: str, card: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.hstack(
        rx.icon("circle-check", size=14, color=rx.color("green", 10), flex_shrink="0", margin_top="3px"),
        rx.text(t(text_key), " ", details_link(card), size="1", color_scheme="gray"),
        spacing="2",
        align="start",
    )


def setup_line(card: rx.Var[dict[str, str]]) -> rx.Component:
    """How calls reach iOperator, for a connected provider."""
    return rx.match(
        card["setup"],
        ("auto", setup_done("telephony.setup.auto", card)),
        ("manual", setup_done("telephony.setup.manual", card)),
        (
            "pending",
            rx.callout(
                rx.text(
                    t("telephony.setup.pending"),
                    " ",
                    rx.link(
                        t("telephony.setup.show_steps"),
                        weight="medium",
                        on_click=TelephonyProvidersState.open_setup(card["slug"]),
                    ),
                    size="1",
                ),
                icon="info",
                color_scheme="amber",
                size="1",
                width="100%",
            ),
        ),
        rx.fragment(),
    )


def provider_card(card: rx.Var[dict[str, str]]) -> rx.Component:
    state = IntegrationsState
    connected = card["status"] != "disconnected"
    busy = (state.busy_slug == card["slug"]) | TelephonyProvidersState.busy
    manage = SessionState.can_manage
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.image(src=card["logo"], width="44px", height="44px", alt=""),
                rx.vstack(
                    rx.hstack(
                        rx.heading(card["title"], size="4", as_="h2"),
                        rx.cond(
                            card["is_default"] != "",
                            rx.badge(rx.icon("star", size=12), t("telephony.default"), color_scheme="blue"),
                            rx.fragment(),
                        ),
                        spacing="2",
                        align="center",
                    ),
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
                connected & (card["found"] != ""),
                rx.hstack(
                    rx.text(t("telephony.account"), " ", rx.text.strong(card["found"]), size="2"),
                    rx.cond(
                        card["balance"] != "",
                        rx.badge(t("telephony.balance"), ": ", card["balance"], variant="surface"),
                        rx.fragment(),
                    ),
                    spacing="2",
                    align="center",
                    wrap="wrap",
                ),
                rx.fragment(),
            ),
            rx.cond(connected, setup_line(card), rx.fragment()),
            rx.cond(
                card["error"] != "",
                rx.callout(card["error"], icon="triangle_alert", color_scheme="red", size="1", width="100%"),
                rx.fragment(),
            ),
            rx.spacer(),
            rx.cond(
                manage,
                rx.cond(
                    connected,
                    rx.vstack(
                        rx.hstack(
                            rx.switch(
                                checked=card["enabled"] != "",
                                on_change=lambda on: TelephonyProvidersState.run(
                                    rx.cond(on, "enable", "disable"), card["slug"]
                                ),
                                disabled=busy,
                                aria_label=t("telephony.enabled"),
                            ),
                            rx.text(t("telephony.enabled"), size="2"),
                            rx.spacer(),
                            rx.cond(
                                (card["is_default"] == "") & (card["enabled"] != ""),
                                rx.button(
                                    t("telephony.make_default"),
                                    variant="outline",
                                    size="1",
                                    disabled=busy,
                                    on_click=TelephonyProvidersState.run("make_default", card["slug"]),
                                ),
                                rx.fragment(),
                            ),
                            align="center",
                            width="100%",
                        ),
                        rx.hstack(
                            rx.button(
                                t("telephony.test_connection"),
                                variant="soft",
                                size="2",
                                loading=state.busy_slug == card["slug"],
                                on_click=state.test(card["slug"]),
                            ),
                            rx.button(
                                t("channels.configure"),
                                variant="soft",
                                color_scheme="gray",
                                size="2",
                                on_click=state.open_dialog(card["slug"]),
                            ),
                            rx.icon_button(
                                rx.icon("history", size=16),
                                variant="ghost",
                                color_scheme="gray",
                                aria_label=t("channels.events"),
                                on_click=state.open_events(card["slug"]),
                            ),
                            rx.spacer(),
                            rx.button(
                                t("channels.disconnect"),
                                variant="ghost",
                                color_scheme="red",
                                size="2",
                                disabled=busy,
                                on_click=state.ask_disconnect(card["slug"]),
                            ),
                            width="100%",
                            align="center",
                            wrap="wrap",
                        ),
                        spacing="3",
                        width="100%",
                    ),
                    rx.button(t("telephony.add"), size="2", on_click=state.open_dialog(card["slug"])),
                ),
                rx.fragment(),
            ),
            spacing="3",
            height="100%",
        ),
        size="3",
        data_testid=rx.Var.create("provider-card-") + card["slug"],
    )


def setup_dialog() -> rx.Component:
    state = TelephonyProvidersState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(state.setup_title),
            rx.vstack(
                rx.match(
                    state.setup_kind,
                    ("auto", rx.callout(t("telephony.setup.auto_hint"), icon="circle-check", color_scheme="green")),
                    ("manual", rx.callout(t("telephony.setup.manual_hint"), icon="circle-check", color_scheme="green")),
                    rx.callout(t("telephony.setup.pending_hint"), icon="info", color_scheme="amber"),
                ),
                rx.foreach(state.setup_steps, setup_step),
                rx.hstack(
                    rx.cond(
                        (state.setup_kind != "auto") & state.public_url & SessionState.can_manage,
                        rx.button(
                            t("telephony.setup.provision"),
                            variant="soft",
                            loading=state.busy,
                            on_click=state.run("provision", state.setup_slug),
                        ),
                        rx.fragment(),
                    ),
                    rx.spacer(),
                    rx.dialog.close(rx.button(t("common.close"), variant="soft", color_scheme="gray")),
                    rx.cond(
                        (state.setup_kind == "pending") & SessionState.can_manage,
                        rx.button(
                            t("telephony.setup.confirm"),
                            loading=state.busy,
                            on_click=state.run("confirm_manual", state.setup_slug),
                        ),
                        rx.fragment(),
                    ),
                    width="100%",
                    align="center",
                    spacing="3",
                ),
                spacing="3",
                width="100%",
            ),
            max_width="600px",
        ),
        open=state.setup_open,
        on_open_change=state.set_setup_open,
    )


def providers_page() -> rx.Component:
    return dashboard_page(
        "telephony.providers_title",
        rx.text(t("telephony.providers_subtitle"), size="2", color_scheme="gray"),
        rx.cond(
            TelephonyProvidersState.public_url,
            rx.fragment(),
            rx.callout(
                SessionState.texts["telephony.no_public_url"]
                .to(str)
                .replace("{url}", TelephonyProvidersState.webhook_base),
                icon="globe",
                color_scheme="blue",
                width="100%",
                data_testid="public-url-missing",
            ),
        ),
        rx.cond(
            ~SessionState.can_manage,
            rx.callout(t("telephony.manage_only"), icon="lock", color_scheme="gray", width="100%"),
            rx.fragment(),
        ),
        error_callout(IntegrationsState.error),
        rx.grid(
            rx.foreach(IntegrationsState.cards, provider_card),
            columns=rx.breakpoints(initial="1", md="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        connect_dialog(),
        disconnect_dialog(),
        events_dialog(),
        setup_dialog(),
    )
