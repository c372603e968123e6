"""The routing dialog of a number: ring a member, forward outside, or nothing."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout, field, field_error
from ioperator.components.i18n import t
from ioperator.pages.telephony.numbers.state import NumbersState
from ioperator.services import telephony_numbers


def mode_card(mode: str, icon: str) -> rx.Component:
    return rx.radio_cards.item(
        rx.vstack(
            rx.icon(icon, size=18),
            rx.text(t(f"telephony.numbers.mode.{mode}"), size="2", weight="medium"),
            rx.text(t(f"telephony.numbers.mode.{mode}_help"), size="1", color_scheme="gray"),
            spacing="1",
            align="start",
            width="100%",
        ),
        value=mode,
        disabled=False if mode == telephony_numbers.ROUTE_NONE else NumbersState.route_inactive,
        data_testid=f"route-mode-{mode}",
    )


def routing_dialog() -> rx.Component:
    state = NumbersState
    errors = state.route_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(state.route_title, style={"font_variant_numeric": "tabular-nums"}),
            rx.dialog.description(state.route_subtitle, size="2", color_scheme="gray"),
            rx.vstack(
                error_callout(state.route_error),
                rx.cond(
                    state.route_inactive,
                    rx.callout(t("telephony.numbers.inactive_note"), icon="info", color_scheme="amber", width="100%"),
                    rx.fragment(),
                ),
                rx.box(
                    rx.text(
                        t("telephony.numbers.route_mode"), size="2", weight="medium", as_="div", margin_bottom="6px"
                    ),
                    rx.radio_cards.root(
                        mode_card(telephony_numbers.ROUTE_NONE, "phone-off"),
                        mode_card(telephony_numbers.ROUTE_USER, "user-round"),
                        mode_card(telephony_numbers.ROUTE_EXTERNAL, "phone-forwarded"),
                        value=state.route_mode,
                        on_value_change=state.set_route_mode,
                        columns=rx.breakpoints(initial="1", sm="3"),
                        gap="8px",
                        size="1",
                        aria_label=t("telephony.numbers.route_mode"),
                        width="100%",
                    ),
                    rx.cond(
                        field_error(errors, "mode") != "",
                        rx.text(field_error(errors, "mode"), size="1", color_scheme="red", role="alert"),
                        rx.fragment(),
                    ),
                    width="100%",
                ),
                rx.cond(
                    state.route_mode == telephony_numbers.ROUTE_USER,
                    field(
                        "telephony.numbers.field.member",
                        rx.select.root(
                            rx.select.trigger(
                                placeholder=t("telephony.numbers.field.member_placeholder"),
                                aria_label=t("telephony.numbers.field.member"),
                                width="100%",
                            ),
                            rx.select.content(
                                rx.foreach(state.members, lambda m: rx.select.item(m["label"], value=m["id"]))
                            ),
                            value=state.route_user,
                            on_change=state.set_route_user,
                            size="3",
                        ),
                        error=field_error(errors, "user_id"),
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    state.route_mode == telephony_numbers.ROUTE_EXTERNAL,
                    field(
                        "telephony.numbers.field.forward_to",
                        rx.input(
                            id="forward_to",
                            value=state.route_forward,
                            on_change=state.set_route_forward,
                            type="tel",
                            placeholder="+44 20 7946 0018",
                            auto_complete="off",
                            size="3",
                            width="100%",
                            aria_invalid=rx.cond(field_error(errors, "forward_to") != "", "true", "false"),
                        ),
                        error=field_error(errors, "forward_to"),
                        hint_key="telephony.numbers.field.forward_to_hint",
                    ),
                    rx.fragment(),
                ),
                rx.cond(
                    state.route_not_pointed & (state.route_mode != telephony_numbers.ROUTE_NONE),
                    rx.hstack(
                        rx.icon("info", size=14, flex_shrink="0", margin_top="2px"),
                        rx.text(state.route_note, size="1"),
                        spacing="2",
                        align="start",
                        color=rx.color("gray", 11),
                    ),
                    rx.fragment(),
                ),
                rx.hstack(
                    rx.dialog.close(
                        rx.button(
                            t("common.cancel"),
                            variant="soft",
                            color_scheme="gray",
                            type="button",
                            disabled=state.route_busy,
                        )
                    ),
                    rx.button(
                        rx.cond(state.route_busy, t("telephony.numbers.saving"), t("common.save")),
                        loading=state.route_busy,
                        on_click=state.save_routing,
                        data_testid="save-routing",
                    ),
                    justify="end",
                    spacing="3",
                    width="100%",
                    margin_top="4px",
                ),
                spacing="4",
                width="100%",
                margin_top="12px",
            ),
            max_width="560px",
        ),
        open=state.route_open,
        on_open_change=state.set_route_open,
    )
