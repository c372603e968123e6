"""The dialog that edits a member's numbers and call preferences."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout, field, field_error
from ioperator.components.i18n import t
from ioperator.pages.telephony.users.rows import NONE, NumberChoice
from ioperator.pages.telephony.users.state import TelephonyUsersState


def number_choice(choice: rx.Var[NumberChoice]) -> rx.Component:
    state = TelephonyUsersState
    return rx.el.label(
        rx.checkbox(
            checked=state.edit_number_ids.contains(choice.id),
            on_change=lambda value: state.toggle_number(choice.id, value),
            disabled=state.edit_busy,
        ),
        rx.vstack(
            rx.hstack(
                rx.text(choice.label, size="2", weight="medium", style={"font_variant_numeric": "tabular-nums"}),
                rx.cond(
                    choice.inactive,
                    rx.badge(t("telephony.numbers.status.inactive"), color_scheme="gray", size="1"),
                    rx.fragment(),
                ),
                rx.cond(choice.name != "", rx.text(choice.name, size="1", color_scheme="gray"), rx.fragment()),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(
                choice.note != "",
                rx.text(choice.note, size="1", color=rx.color("amber", 11)),
                rx.fragment(),
            ),
            spacing="0",
        ),
        display="flex",
        gap="10px",
        align_items="start",
        padding="8px 10px",
        border_radius="6px",
        cursor="pointer",
        _hover={"background": rx.color("gray", 3)},
        data_testid="number-choice",
    )


def switch_row(label_key: str, checked: rx.Var[bool], on_change: rx.EventHandler, help_key: str) -> rx.Component:
    return rx.el.label(
        rx.vstack(
            rx.text(t(label_key), size="2", weight="medium"),
            rx.text(t(help_key), size="1", color_scheme="gray"),
            spacing="0",
            flex="1",
        ),
        rx.switch(checked=checked, on_change=on_change, disabled=TelephonyUsersState.edit_busy),
        display="flex",
        gap="12px",
        align_items="center",
        justify_content="space-between",
        width="100%",
        cursor="pointer",
    )


def numbers_field() -> rx.Component:
    state = TelephonyUsersState
    return rx.box(
        rx.text(t("telephony.users.numbers"), size="2", weight="medium", as_="div"),
        rx.text(t("telephony.users.numbers_help"), size="1", color_scheme="gray", as_="div", margin_bottom="8px"),
        rx.input(
            rx.input.slot(rx.icon("search", size=14)),
            value=state.edit_search,
            on_change=state.set_edit_search.debounce(250),
            placeholder=t("telephony.users.filter_numbers"),
            aria_label=t("telephony.users.filter_numbers"),
            type="search",
            size="2",
            width="100%",
        ),
        rx.box(
            rx.cond(
                state.edit_choices.length() > 0,
                rx.vstack(rx.foreach(state.edit_choices, number_choice), spacing="0", width="100%"),
                rx.text(t("telephony.users.no_choices"), size="2", color_scheme="gray", padding="12px"),
            ),
            max_height="240px",
            overflow_y="auto",
            margin_top="8px",
            border=f"1px solid {rx.color('gray', 5)}",
            border_radius="8px",
            padding="4px",
            role="group",
            aria_label=t("telephony.users.numbers"),
        ),
        rx.cond(
            state.edit_more != "",
            rx.text(state.edit_more, size="1", color_scheme="gray", margin_top="4px"),
            rx.fragment(),
        ),
        rx.cond(
            field_error(state.edit_errors, "number_ids") != "",
            rx.text(field_error(state.edit_errors, "number_ids"), size="1", color_scheme="red", role="alert"),
            rx.fragment(),
        ),
        width="100%",
    )


def edit_dialog() -> rx.Component:
    state = TelephonyUsersState
    errors = state.edit_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(state.edit_title),
            rx.dialog.description(t("telephony.users.edit_description"), size="2", color_scheme="gray"),
            rx.vstack(
                error_callout(state.edit_error),
                numbers_field(),
                field(
                    "telephony.users.primary",
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("telephony.users.primary")),
                        rx.select.content(
                            rx.select.item(t("telephony.users.primary_none"), value=NONE),
                            rx.foreach(state.edit_checked, lambda n: rx.select.item(n["label"], value=n["id"])),
                        ),
                        value=state.edit_primary,
                        on_change=state.set_edit_primary,
                        disabled=state.edit_checked.length() == 0,
                        size="3",
                    ),
                    error=field_error(errors, "primary_number_id"),
                    hint_key="telephony.users.primary_help",
                ),
                field(
                    "telephony.users.forwarding",
                    rx.input(
                        id="forwarding_number",
                        value=state.edit_forwarding,
                        on_change=state.set_edit_forwarding,
                        type="tel",
                        placeholder="+44 20 7946 0018",
                        auto_complete="off",
                        size="3",
                        width="100%",
                    ),
                    error=field_error(errors, "forwarding_number"),
                    hint_key="telephony.users.forwarding_help",
                ),
                rx.vstack(
                    switch_row(
                        "telephony.users.pref.browser",
                        state.edit_browser,
                        state.set_edit_browser,
                        "telephony.users.pref.browser_help",
                    ),
                    switch_row(
                        "telephony.users.pref.forward_offline",
                        state.edit_forward_offline,
                        state.set_edit_forward_offline,
                        "telephony.users.pref.forward_offline_help",
                    ),
                    switch_row(
                        "telephony.users.pref.voicemail",
                        state.edit_voicemail,
                        state.set_edit_voicemail,
                        "telephony.users.pref.voicemail_help",
                    ),
                    spacing="3",
                    width="100%",
                    padding="12px",
                    border_radius="8px",
                    background=rx.color("gray", 2),
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button(
                            t("common.cancel"),
                            variant="soft",
                            color_scheme="gray",
                            type="button",
                            disabled=state.edit_busy,
                        )
                    ),
                    rx.button(
                        rx.cond(state.edit_busy, t("telephony.numbers.saving"), t("common.save")),
                        loading=state.edit_busy,
                        on_click=state.save,
                        data_testid="save-member",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="4",
                width="100%",
                margin_top="12px",
            ),
            max_width="580px",
        ),
        open=state.edit_open,
        on_open_change=state.set_edit_open,
    )
