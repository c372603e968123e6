"""The Numbers table: filters, rows and the count line."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ioperator.components.i18n import t
from ioperator.pages.telephony.numbers.rows import (
    ALL,
    NumberRow,
)
from ioperator.pages.telephony.numbers.state import NumbersState
from ioperator.state.base import SessionState

# Read by screen readers, not shown (a header for the column of edit buttons).
VISUALLY_HIDDEN = {
    "position": "absolute",
    "width": "1px",
    "height": "1px",
    "overflow": "hidden",
    "clip": "rect(0 0 0 0)",
    "white_space": "nowrap",
}


def filter_select(
    label_key: str, value: rx.Var[str], on_change: Any, *items: rx.Component, **props: Any
) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(aria_label=t(label_key), min_width="150px", **props),
        rx.select.content(*items),
        value=value,
        on_change=on_change,
        size="2",
    )


def filters() -> rx.Component:
    state = NumbersState
    return rx.flex(
        rx.input(
            rx.input.slot(rx.icon("search", size=16)),
            placeholder=t("telephony.numbers.search"),
            value=state.search,
            on_change=state.set_search.debounce(300),
            aria_label=t("telephony.numbers.search"),
            type="search",
            size="2",
            width=["100%", "100%", "260px"],
        ),
        filter_select(
            "telephony.numbers.filter.provider",
            state.provider_filter,
            state.set_provider_filter,
            rx.select.item(t("telephony.numbers.filter.all_providers"), value=ALL),
            rx.foreach(state.providers, lambda p: rx.select.item(p["title"], value=p["slug"])),
        ),
        filter_select(
            "telephony.numbers.filter.status",
            state.state_filter,
            state.set_state_filter,
            rx.select.item(t("telephony.numbers.status.active"), value="active"),
            rx.select.item(t("telephony.numbers.status.inactive"), value="inactive"),
            rx.select.item(t("telephony.numbers.filter.all_statuses"), value=ALL),
        ),
        filter_select(
            "telephony.numbers.filter.capability",
            state.capability_filter,
            state.set_capability_filter,
            rx.select.item(t("telephony.numbers.filter.all_capabilities"), value=ALL),
            rx.select.item(t("telephony.numbers.cap.voice"), value="voice"),
            rx.select.item(t("telephony.numbers.cap.sms"), value="sms"),
        ),
        gap="12px",
        wrap="wrap",
        align="center",
        width="100%",
        role="search",
    )


def capability_badges(row: rx.Var[NumberRow]) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row.voice,
            rx.badge(rx.icon("phone", size=12), t("telephony.numbers.cap.voice"), variant="soft", color_scheme="blue"),
            rx.fragment(),
        ),
        rx.cond(
            row.sms,
            rx.badge(
                rx.icon("message-square", size=12),
                t("telephony.numbers.cap.sms"),
                variant="soft",
                color_scheme="violet",
            ),
            rx.fragment(),
        ),
        rx.cond(row.voice | row.sms, rx.fragment(), rx.text("—", color_scheme="gray")),
        spacing="1",
        wrap="nowrap",
    )


def status_cell(row: rx.Var[NumberRow]) -> rx.Component:
    return rx.hstack(
        rx.cond(
            row.active,
            rx.badge(t("telephony.numbers.status.active"), color_scheme="green", variant="soft"),
            rx.badge(t("telephony.numbers.status.inactive"), color_scheme="gray", variant="soft"),
        ),
        rx.cond(
            row.not_pointed,
            rx.tooltip(
                rx.box(
                    rx.icon("unplug", size=14),
                    role="img",
                    aria_label=t("telephony.numbers.not_pointed"),
                    color=rx.color("amber", 10),
                    display="inline-flex",
                    tab_index=0,
                    data_testid="not-pointed",
                ),
                content=t("telephony.numbers.not_pointed"),
            ),
            rx.fragment(),
        ),
        spacing="2",
        align="center",
        wrap="nowrap",
    )


def routing_cell(row: rx.Var[NumberRow]) -> rx.Component:
    def line(icon: str, **props: Any) -> rx.Component:
        return rx.hstack(
            rx.icon(icon, size=14, flex_shrink="0"),
            rx.text(row.route_label, size="2", **props),
            spacing="2",
            align="center",
        )

    return rx.match(
        row.route,
        ("user", line("user-round")),
        ("external", line("phone-forwarded")),
        rx.box(line("minus", color_scheme="gray"), color=rx.color("gray", 10)),
    )


def number_row(row: rx.Var[NumberRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(
            rx.vstack(
                rx.text(
                    row.display,
                    weight="medium",
                    white_space="nowrap",
                    style={"font_variant_numeric": "tabular-nums", "letter_spacing": "0.01em"},
                    data_testid="number-display",
                ),
                rx.cond(
                    row.name != "",
                    rx.text(row.name, size="1", color_scheme="gray", truncate=True, max_width="200px", title=row.name),
                    rx.fragment(),
                ),
                spacing="0",
            ),
        ),
        rx.table.cell(rx.text(row.type_label, size="2", white_space="nowrap")),
        rx.table.cell(rx.text(row.country, size="2")),
        rx.table.cell(capability_badges(row)),
        rx.table.cell(
            rx.hstack(
                rx.cond(
                    row.provider_logo != "",
                    rx.image(src=row.provider_logo, width="18px", height="18px", alt="", border_radius="4px"),
                    rx.fragment(),
                ),
                rx.text(row.provider_title, size="2", white_space="nowrap"),
                spacing="2",
                align="center",
            )
        ),
        rx.table.cell(status_cell(row)),
        rx.table.cell(routing_cell(row), min_width="130px"),
        rx.table.cell(
            rx.cond(
                SessionState.can_manage,
                rx.icon_button(
                    rx.icon("pencil", size=16),
                    variant="ghost",
                    color_scheme="gray",
                    aria_label=t("telephony.numbers.edit_routing") + " " + row.display,
                    title=t("telephony.numbers.edit_routing"),
                    on_click=NumbersState.open_routing(row.id),
                    data_testid="edit-routing",
                ),
                rx.fragment(),
            ),
            text_align="right",
        ),
        align="center",
        data_testid="number-row",
        data_number=row.display,
    )


def numbers_table() -> rx.Component:
    state = NumbersState
    headers = [
        "telephony.numbers.col.number",
        "telephony.numbers.col.type",
        "telephony.numbers.col.country",
        "telephony.numbers.col.capabilities",
        "telephony.numbers.col.provider",
        "telephony.numbers.col.status",
        "telephony.numbers.col.routing",
    ]
    return rx.card(
        rx.cond(
            state.numbers.length() > 0,
            rx.vstack(
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            *[rx.table.column_header_cell(t(key), white_space="nowrap") for key in headers],
                            rx.table.column_header_cell(
                                rx.el.span(t("telephony.numbers.col.actions"), style=VISUALLY_HIDDEN),
                                width="48px",
                            ),
                        )
                    ),
                    rx.table.body(rx.foreach(state.numbers, number_row)),
                    size="2",
                    width="100%",
                    aria_label=t("nav.telephony_numbers"),
                ),
                rx.cond(
                    state.has_more,
                    rx.center(
                        rx.button(
                            t("telephony.numbers.show_more"),
                            variant="soft",
                            color_scheme="gray",
                            on_click=state.show_more,
                        ),
                        width="100%",
                        padding_y="8px",
                    ),
                    rx.fragment(),
                ),
                spacing="2",
                width="100%",
            ),
            rx.vstack(
                rx.icon("search-x", size=28, color=rx.color("gray", 9)),
                rx.text(t("telephony.numbers.empty_filtered"), size="2", color_scheme="gray"),
                rx.button(t("telephony.numbers.clear_filters"), variant="soft", on_click=state.clear_filters),
                align="center",
                padding="32px 16px",
                width="100%",
                data_testid="numbers-empty-filtered",
            ),
        ),
        width="100%",
    )


def count_line() -> rx.Component:
    state = NumbersState
    return rx.hstack(
        rx.text(state.count_label, size="2", color_scheme="gray", data_testid="numbers-count"),
        rx.cond(
            state.has_more,
            rx.text(
                "· ",
                t("telephony.numbers.showing"),
                " ",
                state.numbers.length().to_string(),
                size="2",
                color_scheme="gray",
            ),
            rx.fragment(),
        ),
        rx.spacer(),
        rx.cond(
            state.filtered,
            rx.button(
                rx.icon("x", size=14),
                t("telephony.numbers.clear_filters"),
                variant="ghost",
                size="1",
                color_scheme="gray",
                on_click=state.clear_filters,
            ),
            rx.fragment(),
        ),
        align="center",
        width="100%",
        min_height="24px",
    )
