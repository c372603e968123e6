"""Settings → API keys: the page (keys table, endpoint and curl example, activity, dialogs)."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout, field, field_error, text_input
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.pages.api_keys.state import ApiKeysState
from ioperator.state.base import SessionState


def copy_button(value: rx.Var[str] | str, label_key: str) -> rx.Component:
    return rx.button(
        rx.icon("copy", size=14),
        t(label_key),
        variant="soft",
        size="2",
        type="button",
        on_click=[rx.set_clipboard(value), rx.toast.info(t("api_keys.copied"))],
    )


def status_badge(status: rx.Var[str]) -> rx.Component:
    return rx.match(
        status,
        ("active", rx.badge(t("api_keys.status.active"), color_scheme="green", variant="soft")),
        ("expired", rx.badge(t("api_keys.status.expired"), color_scheme="amber", variant="soft")),
        rx.badge(t("api_keys.status.revoked"), color_scheme="gray", variant="soft"),
    )


def key_row(key: rx.Var[dict[str, str]]) -> rx.Component:
    dash = "—"
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(key["name"], weight="medium"),
                rx.code(key["prefix"], size="1", variant="ghost"),
                spacing="1",
            )
        ),
        rx.table.cell(
            rx.vstack(
                rx.text(key["created_at"], size="2"),
                rx.text(key["created_by"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(rx.text(rx.cond(key["expires_at"] != "", key["expires_at"], t("api_keys.never")), size="2")),
        rx.table.cell(rx.text(rx.cond(key["last_used_at"] != "", key["last_used_at"], dash), size="2")),
        rx.table.cell(status_badge(key["status"])),
        rx.table.cell(
            rx.cond(
                SessionState.can_manage & (key["status"] == "active"),
                rx.button(
                    t("api_keys.revoke"),
                    variant="soft",
                    color_scheme="red",
                    size="1",
                    on_click=ApiKeysState.ask_revoke(key["id"], key["name"]),
                ),
                rx.fragment(),
            ),
            text_align="right",
        ),
        align="center",
        data_testid="api-key-row",
    )


def keys_card() -> rx.Component:
    return rx.card(
        rx.cond(
            ApiKeysState.keys.length() > 0,
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("api_keys.col.key")),
                        rx.table.column_header_cell(t("api_keys.col.created")),
                        rx.table.column_header_cell(t("api_keys.col.expires")),
                        rx.table.column_header_cell(t("api_keys.col.last_used")),
                        rx.table.column_header_cell(t("api_keys.col.status")),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(ApiKeysState.keys, key_row)),
                width="100%",
            ),
            rx.vstack(
                rx.icon("key-round", size=28, color=rx.color("gray", 9)),
                rx.text(t("api_keys.empty"), size="2", color_scheme="gray"),
                align="center",
                padding="24px",
                width="100%",
            ),
        ),
        width="100%",
    )


def endpoint_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("api_keys.endpoint_title"), size="4", as_="h2"),
            rx.text(t("api_keys.endpoint_help"), size="2", color_scheme="gray"),
            rx.hstack(
                rx.code(ApiKeysState.endpoint, size="2", data_testid="config-endpoint"),
                copy_button(ApiKeysState.endpoint, "api_keys.copy_url"),
                align="center",
                spacing="3",
                wrap="wrap",
            ),
            rx.box(
                rx.el.pre(
                    ApiKeysState.curl_example,
                    style={"margin": 0, "white_space": "pre-wrap", "word_break": "break-all", "font_size": "13px"},
                    data_testid="curl-example",
                ),
                padding="12px 14px",
                border_radius="8px",
                background=rx.color("gray", 3),
                width="100%",
            ),
            rx.hstack(
                rx.link(
                    rx.hstack(rx.icon("book-open", size=14), t("api_keys.docs_link"), spacing="1", align="center"),
                    href="/api/docs",
                    is_external=True,
                    size="2",
                ),
                rx.text(t("api_keys.etag_hint"), size="1", color_scheme="gray"),
                spacing="4",
                align="center",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def activity_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t("api_keys.activity_title"), size="4", as_="h2"),
            rx.cond(
                ApiKeysState.activity.length() > 0,
                rx.vstack(
                    rx.foreach(
                        ApiKeysState.activity,
                        lambda event: rx.hstack(
                            rx.text(event["when"], size="2", color_scheme="gray", min_width="150px"),
                            rx.text(SessionState.texts["audit." + event["action"]], size="2"),
                            rx.text(event["key"], size="2", weight="medium"),
                            rx.cond(
                                event["who"] != "",
                                rx.text("· ", event["who"], size="2", color_scheme="gray"),
                                rx.fragment(),
                            ),
                            spacing="2",
                            wrap="wrap",
                            data_testid="audit-row",
                        ),
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.text(t("api_keys.activity_empty"), size="2", color_scheme="gray"),
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def create_dialog() -> rx.Component:
    errors = ApiKeysState.create_field_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("api_keys.create_title")),
            rx.dialog.description(t("api_keys.create_description"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    error_callout(ApiKeysState.create_error),
                    field(
                        "api_keys.field.name",
                        text_input("name", max_length=80, required=True, placeholder="Production bot"),
                        error=field_error(errors, "name"),
                    ),
                    field(
                        "api_keys.field.expires_on",
                        text_input("expires_on", type="date"),
                        error=field_error(errors, "expires_on"),
                        hint_key="api_keys.field.expires_on_help",
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(t("common.cancel"), variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(t("api_keys.create_submit"), type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=ApiKeysState.create,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=ApiKeysState.create_open,
        on_open_change=ApiKeysState.set_create_open,
    )


def new_key_dialog() -> rx.Component:
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("api_keys.created_title")),
            rx.dialog.description(
                t("api_keys.created_description"), " ", rx.text.strong(ApiKeysState.new_key_name), size="2"
            ),
            rx.vstack(
                rx.callout(t("api_keys.shown_once"), icon="triangle_alert", color_scheme="amber", width="100%"),
                rx.box(
                    rx.code(
                        ApiKeysState.new_key, size="3", data_testid="new-api-key", style={"word_break": "break-all"}
                    ),
                    padding="12px",
                    border_radius="8px",
                    background=rx.color("gray", 3),
                    width="100%",
                ),
                rx.hstack(
                    copy_button(ApiKeysState.new_key, "api_keys.copy_key"),
                    rx.dialog.close(rx.button(t("api_keys.done"), type="button")),
                    justify="end",
                    spacing="3",
                    width="100%",
                ),
                spacing="4",
                width="100%",
                margin_top="12px",
            ),
            max_width="560px",
        ),
        open=ApiKeysState.new_key != "",
        on_open_change=ApiKeysState.close_new_key,
    )


def revoke_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("api_keys.revoke_title")),
            rx.alert_dialog.description(t("api_keys.revoke_confirm"), " ", rx.text.strong(ApiKeysState.revoke_name)),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        t("common.cancel"), variant="soft", color_scheme="gray", on_click=ApiKeysState.cancel_revoke
                    )
                ),
                rx.alert_dialog.action(
                    rx.button(t("api_keys.revoke"), color_scheme="red", on_click=ApiKeysState.confirm_revoke)
                ),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
        open=ApiKeysState.revoke_id != "",
    )


def api_keys_page() -> rx.Component:
    return dashboard_page(
        "api_keys.title",
        rx.text(t("api_keys.subtitle"), size="2", color_scheme="gray"),
        error_callout(ApiKeysState.error),
        rx.cond(
            SessionState.can_manage,
            rx.fragment(),
            rx.callout(t("api_keys.read_only"), icon="info", color_scheme="gray", width="100%"),
        ),
        keys_card(),
        endpoint_card(),
        activity_card(),
        create_dialog(),
        new_key_dialog(),
        revoke_dialog(),
        actions=rx.cond(
            SessionState.can_manage,
            rx.button(rx.icon("plus", size=16), t("api_keys.create"), on_click=ApiKeysState.open_create),
            rx.fragment(),
        ),
    )
