"""Dialogs of the Channels page: the schema-drawn setup form, disconnect confirmation, event log."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.pages.integrations.state import IntegrationsState
from ioperator.state.base import SessionState


def config_field(spec: rx.Var[dict[str, str]]) -> rx.Component:
    """One input drawn from a provider Config field (title, help, secret, required, default)."""
    state = IntegrationsState
    error = state.dialog_field_errors.get(spec["name"], "").to(str)
    input_id = "cfg-" + spec["name"].to(str)
    return rx.box(
        rx.el.label(
            rx.hstack(
                rx.text(spec["title"], size="2", weight="medium"),
                rx.cond(
                    spec["required"] != "",
                    rx.text("*", color_scheme="red", size="2", aria_hidden="true"),
                    rx.fragment(),
                ),
                spacing="1",
            ),
            html_for=input_id,
        ),
        rx.input(
            id=input_id,
            name=spec["name"],
            type=spec["input_type"],
            default_value=rx.cond(spec["secret"] != "", "", spec["value"]),
            placeholder=rx.cond(spec["kept"] != "", "••••••••", spec["placeholder"]),
            required=spec["required"] != "",
            auto_complete="off",
            size="3",
            width="100%",
        ),
        rx.cond(spec["kept"] != "", rx.text(spec["kept"], size="1", color_scheme="green"), rx.fragment()),
        rx.cond(spec["help"] != "", rx.text(spec["help"], size="1", color_scheme="gray"), rx.fragment()),
        rx.cond(error != "", rx.text(error, size="1", color_scheme="red", role="alert"), rx.fragment()),
        display="flex",
        flex_direction="column",
        gap="4px",
        width="100%",
    )


def setup_step(step: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.vstack(
        rx.text(step["label"], size="2", weight="medium"),
        rx.cond(step["value"] != "", value_row(step), rx.fragment()),
        spacing="1",
        width="100%",
        data_testid="setup-step",
    )


def value_row(step: rx.Var[dict[str, str]]) -> rx.Component:
    """The value to paste, with a copy button."""
    return rx.hstack(
        rx.code(
            step["value"], size="2", variant="soft", style={"word_break": "break-all"}, flex="1", padding="6px 8px"
        ),
        rx.icon_button(
            rx.icon("copy", size=14),
            variant="soft",
            aria_label=t("channels.copy"),
            on_click=[rx.set_clipboard(step["value"]), rx.toast.info(t("channels.copied"))],
        ),
        width="100%",
        align="center",
    )


def connect_dialog() -> rx.Component:
    state = IntegrationsState
    form = rx.form(
        rx.vstack(
            rx.cond(
                state.webhook_ready,
                rx.fragment(),
                rx.callout(
                    SessionState.texts["channels.public_url_missing"].to(str).replace("{url}", state.webhook_base),
                    icon="globe",
                    color_scheme="amber",
                    size="1",
                    width="100%",
                ),
            ),
            error_callout(state.dialog_error),
            rx.foreach(state.dialog_fields, config_field),
            rx.hstack(
                rx.link(t("channels.docs"), href=state.dialog_docs, is_external=True, size="2"),
                rx.spacer(),
                rx.dialog.close(
                    rx.button(
                        t("common.cancel"),
                        variant="soft",
                        color_scheme="gray",
                        type="button",
                        disabled=state.dialog_busy,
                    )
                ),
                rx.button(
                    rx.cond(state.dialog_busy, t("channels.testing"), t("channels.connect")),
                    type="submit",
                    loading=state.dialog_busy,
                ),
                width="100%",
                align="center",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=state.submit,
        reset_on_submit=False,
        key=state.dialog_form_key,
    )
    finish = rx.vstack(
        rx.callout(t("channels.finish_hint"), icon="info", width="100%"),
        rx.foreach(state.finish_steps, setup_step),
        spacing="3",
        width="100%",
    )
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(state.dialog_title),
            rx.cond(
                state.dialog_finished,
                rx.vstack(
                    rx.heading(t("channels.finish_title"), size="3"),
                    finish,
                    rx.hstack(rx.button(t("channels.done"), on_click=state.close_finish), justify="end", width="100%"),
                    spacing="3",
                    width="100%",
                ),
                rx.vstack(
                    rx.cond(
                        state.finish_steps.length() > 0,
                        rx.vstack(finish, rx.divider(), spacing="3", width="100%"),
                        rx.fragment(),
                    ),
                    form,
                    spacing="4",
                    width="100%",
                ),
            ),
            max_width="520px",
        ),
        open=state.dialog_open,
        on_open_change=state.set_dialog_open,
    )


def disconnect_dialog() -> rx.Component:
    state = IntegrationsState
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("channels.disconnect"), " ", state.disconnect_title, "?"),
            rx.alert_dialog.description(t("channels.disconnect_confirm")),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(t("common.cancel"), variant="soft", color_scheme="gray", on_click=state.cancel_disconnect)
                ),
                rx.alert_dialog.action(
                    rx.button(t("channels.disconnect"), color_scheme="red", on_click=state.confirm_disconnect)
                ),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
        open=state.disconnect_slug != "",
    )


def event_row(event: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(event["time"], size="2", white_space="nowrap")),
        rx.table.cell(
            rx.badge(
                event["label"],
                color_scheme=rx.match(
                    event["kind"],
                    ("test_failed", "red"),
                    ("webhook_rejected", "orange"),
                    ("disconnected", "gray"),
                    "green",
                ),
                variant="soft",
            )
        ),
        rx.table.cell(rx.text(event["detail"], size="2", color_scheme="gray")),
        data_testid="event-row",
    )


def events_dialog() -> rx.Component:
    state = IntegrationsState
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(state.events_title),
            rx.cond(
                state.events_rows.length() > 0,
                rx.table.root(rx.table.body(rx.foreach(state.events_rows, event_row)), size="1", width="100%"),
                rx.text(t("channels.events_empty"), color_scheme="gray", size="2"),
            ),
            rx.hstack(
                rx.button(
                    t("channels.previous"),
                    variant="soft",
                    size="1",
                    disabled=state.events_page <= 1,
                    on_click=state.events_move(-1),
                ),
                rx.text(
                    SessionState.texts["channels.page"]
                    .to(str)
                    .replace("{page}", state.events_page.to_string())
                    .replace("{pages}", state.events_pages.to_string()),
                    size="1",
                    color_scheme="gray",
                ),
                rx.button(
                    t("channels.next"),
                    variant="soft",
                    size="1",
                    disabled=state.events_page >= state.events_pages,
                    on_click=state.events_move(1),
                ),
                rx.spacer(),
                rx.dialog.close(rx.button(t("channels.done"), size="2")),
                align="center",
                width="100%",
                margin_top="12px",
            ),
            max_width="640px",
        ),
        open=state.events_open,
        on_open_change=state.set_events_open,
    )
