"""The Numbers page: header action, empty states and the page itself."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ioperator import routes
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.pages.telephony.numbers.dialog import routing_dialog
from ioperator.pages.telephony.numbers.state import NumbersState
from ioperator.pages.telephony.numbers.table import count_line, filters, numbers_table
from ioperator.state.base import SessionState


# --- view -------------------------------------------------------------------------------------
def sync_button(**props: Any) -> rx.Component:
    state = NumbersState
    return rx.button(
        rx.cond(state.syncing, rx.spinner(size="2"), rx.icon("refresh-cw", size=16)),
        rx.cond(state.syncing, state.sync_progress, t("telephony.numbers.sync")),
        on_click=state.sync_numbers,
        disabled=state.syncing,
        aria_busy=rx.cond(state.syncing, "true", "false"),
        data_testid="sync-numbers",
        **props,
    )


def header_actions() -> rx.Component:
    return rx.cond(
        SessionState.can_manage & NumbersState.has_providers & NumbersState.has_numbers,
        sync_button(),
        rx.fragment(),
    )


def empty_state(icon: str, title_key: str, text_key: str, action: rx.Component, test_id: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=26, color=rx.color("accent", 11)),
                width="56px",
                height="56px",
                border_radius="50%",
                background=rx.color("accent", 3),
            ),
            rx.heading(t(title_key), size="4", as_="h2", align="center"),
            rx.text(t(text_key), size="2", color_scheme="gray", align="center", max_width="460px"),
            action,
            align="center",
            spacing="3",
            padding="40px 16px",
            width="100%",
        ),
        width="100%",
        data_testid=test_id,
    )


def no_providers() -> rx.Component:
    return empty_state(
        "radio-tower",
        "telephony.numbers.no_providers_title",
        "telephony.numbers.no_providers",
        rx.button(
            rx.link(
                rx.icon("arrow-right", size=16),
                t("telephony.numbers.open_providers"),
                href=routes.TELEPHONY_PROVIDERS,
                underline="none",
            ),
            as_child=True,
            margin_top="4px",
        ),
        "numbers-no-providers",
    )


def no_numbers() -> rx.Component:
    return empty_state(
        "phone",
        "telephony.numbers.no_numbers_title",
        "telephony.numbers.no_numbers",
        rx.cond(
            SessionState.can_manage,
            sync_button(margin_top="4px"),
            rx.text(t("telephony.numbers.ask_manager"), size="2", color_scheme="gray"),
        ),
        "numbers-empty",
    )


def sync_failures() -> rx.Component:
    return rx.cond(
        NumbersState.sync_error != "",
        rx.callout.root(
            rx.callout.icon(rx.icon("triangle-alert", size=16)),
            rx.hstack(
                rx.callout.text(NumbersState.sync_error),
                rx.icon_button(
                    rx.icon("x", size=14),
                    variant="ghost",
                    color_scheme="red",
                    size="1",
                    aria_label=t("common.close"),
                    on_click=NumbersState.dismiss_sync_error,
                ),
                justify="between",
                align="start",
                width="100%",
            ),
            color_scheme="red",
            role="alert",
            width="100%",
        ),
        rx.fragment(),
    )


def numbers_content() -> rx.Component:
    state = NumbersState
    return rx.cond(
        ~state.loaded,
        rx.center(rx.spinner(size="3"), padding="48px", width="100%"),
        rx.cond(
            ~state.has_providers,
            no_providers(),
            rx.cond(
                ~state.has_numbers,
                rx.vstack(sync_failures(), no_numbers(), spacing="4", width="100%"),
                rx.vstack(
                    rx.cond(
                        SessionState.can_manage,
                        rx.fragment(),
                        rx.callout(
                            t("telephony.numbers.read_only"), icon="info", color_scheme="gray", width="100%", size="1"
                        ),
                    ),
                    sync_failures(),
                    filters(),
                    count_line(),
                    numbers_table(),
                    spacing="3",
                    width="100%",
                ),
            ),
        ),
    )


def numbers_page() -> rx.Component:
    return dashboard_page(
        "telephony.numbers.title",
        rx.text(t("telephony.numbers.subtitle"), size="2", color_scheme="gray"),
        rx.cond(
            NumbersState.syncing,
            rx.progress(
                value=NumbersState.sync_percent,
                max=100,
                size="1",
                width="100%",
                aria_label=NumbersState.sync_progress,
            ),
            rx.fragment(),
        ),
        numbers_content(),
        routing_dialog(),
        actions=header_actions(),
    )
