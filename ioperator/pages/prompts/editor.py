"""The Prompts page's toolbar, editor with the variables panel and checks, preview and test chat."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.pages.prompts.state import EDITOR_ID, PromptsState
from ioperator.state.base import SessionState


def issue_row(issue: rx.Var[dict[str, str]]) -> rx.Component:
    error = issue["severity"] == "error"
    return rx.hstack(
        rx.icon(
            rx.cond(error, "circle-x", "triangle-alert"),
            size=16,
            color=rx.cond(error, rx.color("red", 10), rx.color("amber", 10)),
        ),
        rx.cond(
            issue["line"] != "", rx.text(t("prompts.line"), " ", issue["line"], size="1", weight="bold"), rx.fragment()
        ),
        rx.text(issue["message"], size="2"),
        spacing="2",
        align="start",
        data_testid="prompt-issue",
    )


def variable_row(variable: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.box(
        rx.button(
            variable["token"],
            variant="soft",
            size="1",
            on_click=PromptsState.insert_variable(variable["token"]),
            disabled=~SessionState.can_manage,
            font_family="monospace",
        ),
        rx.text(variable["description"], size="1", color_scheme="gray"),
        rx.cond(
            variable["custom"] != "",
            rx.hstack(
                rx.text("= ", variable["value"], size="1", color_scheme="green", trim="both"),
                rx.cond(
                    SessionState.can_manage,
                    rx.icon_button(
                        rx.icon("x", size=12),
                        size="1",
                        variant="ghost",
                        color_scheme="red",
                        aria_label=t("prompts.delete_variable"),
                        on_click=PromptsState.delete_variable(variable["id"]),
                    ),
                    rx.fragment(),
                ),
                align="center",
                spacing="1",
            ),
            rx.fragment(),
        ),
        padding_y="4px",
        data_testid="prompt-variable",
    )


def custom_variable_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.text(t("prompts.add_variable"), size="2", weight="medium"),
            rx.input(
                name="var_name",
                placeholder="promo",
                aria_label=t("prompts.variable_name"),
                size="1",
                width="100%",
                required=True,
            ),
            rx.input(
                name="var_description",
                placeholder=t("prompts.variable_description"),
                aria_label=t("prompts.variable_description"),
                size="1",
                width="100%",
            ),
            rx.text_area(
                name="var_value",
                placeholder=t("prompts.variable_value"),
                aria_label=t("prompts.variable_value"),
                size="1",
                width="100%",
                rows="2",
            ),
            rx.cond(
                PromptsState.var_error != "",
                rx.text(PromptsState.var_error, size="1", color_scheme="red", role="alert"),
                rx.fragment(),
            ),
            rx.button(t("prompts.add"), type="submit", size="1", variant="soft"),
            spacing="1",
            width="100%",
        ),
        on_submit=PromptsState.save_variable,
        reset_on_submit=False,
        key=PromptsState.var_form_key,
        width="100%",
    )


def toolbar() -> rx.Component:
    return rx.hstack(
        rx.cond(
            PromptsState.prompt_list.length() > 0,
            rx.select.root(
                rx.select.trigger(aria_label=t("prompts.choose"), min_width="200px"),
                rx.select.content(
                    rx.foreach(PromptsState.prompt_list, lambda p: rx.select.item(p["name"], value=p["id"]))
                ),
                value=PromptsState.prompt_id,
                on_change=PromptsState.select_prompt,
            ),
            rx.fragment(),
        ),
        rx.cond(
            PromptsState.prompt_active,
            rx.badge(t("prompts.active"), color_scheme="green", size="2"),
            rx.cond(
                SessionState.can_manage & (PromptsState.prompt_id != ""),
                rx.button(t("prompts.make_active"), variant="soft", size="2", on_click=PromptsState.make_active),
                rx.fragment(),
            ),
        ),
        rx.cond(
            PromptsState.base_version > 0,
            rx.text(t("prompts.version"), " ", PromptsState.base_version, size="2", color_scheme="gray"),
            rx.fragment(),
        ),
        rx.spacer(),
        rx.cond(
            PromptsState.prompt_id != "",
            rx.button(
                rx.icon("history", size=16),
                t("prompts.history"),
                variant="soft",
                color_scheme="gray",
                on_click=PromptsState.open_history,
            ),
            rx.fragment(),
        ),
        rx.cond(
            SessionState.can_manage,
            rx.button(rx.icon("plus", size=16), t("prompts.new"), on_click=PromptsState.open_new),
            rx.fragment(),
        ),
        width="100%",
        align="center",
        wrap="wrap",
    )


def editor() -> rx.Component:
    return rx.vstack(
        rx.hstack(
            rx.vstack(
                rx.text(t("prompts.source"), size="2", weight="medium"),
                rx.text_area(
                    id=EDITOR_ID,
                    value=PromptsState.draft,
                    on_change=PromptsState.set_draft.debounce(400),
                    read_only=~SessionState.can_manage,
                    aria_label=t("prompts.source"),
                    font_family="monospace",
                    rows="24",
                    width="100%",
                    resize="vertical",
                ),
                width="100%",
                flex="1",
                spacing="1",
            ),
            rx.vstack(
                rx.text(t("prompts.preview"), size="2", weight="medium"),
                rx.box(
                    rx.markdown(PromptsState.rendered),
                    border=f"1px solid {rx.color('gray', 5)}",
                    border_radius="8px",
                    padding="12px",
                    height="520px",
                    overflow_y="auto",
                    width="100%",
                    data_testid="prompt-preview",
                ),
                width="100%",
                flex="1",
                spacing="1",
            ),
            rx.vstack(
                rx.text(t("prompts.variables"), size="2", weight="medium"),
                rx.text(t("prompts.variables_hint"), size="1", color_scheme="gray"),
                rx.box(rx.foreach(PromptsState.variables, variable_row), max_height="420px", overflow_y="auto"),
                rx.cond(SessionState.can_manage, custom_variable_form(), rx.fragment()),
                width="240px",
                min_width="200px",
                spacing="1",
            ),
            width="100%",
            align="start",
            spacing="4",
        ),
        rx.cond(
            PromptsState.issues.length() > 0,
            rx.card(rx.vstack(rx.foreach(PromptsState.issues, issue_row), spacing="1"), width="100%"),
            rx.fragment(),
        ),
        rx.cond(
            PromptsState.error != "",
            rx.callout(
                rx.hstack(
                    rx.text(PromptsState.error),
                    rx.cond(
                        PromptsState.conflict,
                        rx.button(
                            t("prompts.load_latest"), size="1", variant="soft", on_click=PromptsState.load_latest
                        ),
                        rx.fragment(),
                    ),
                    align="center",
                    spacing="3",
                ),
                icon="triangle_alert",
                color_scheme="red",
                width="100%",
                role="alert",
            ),
            rx.fragment(),
        ),
        rx.cond(
            SessionState.can_manage,
            rx.hstack(
                rx.input(
                    placeholder=t("prompts.note"),
                    value=PromptsState.note,
                    on_change=PromptsState.set_note,
                    aria_label=t("prompts.note"),
                    width="360px",
                ),
                rx.button(t("prompts.save"), on_click=PromptsState.save, disabled=PromptsState.has_errors),
                justify="end",
                width="100%",
            ),
            rx.callout(t("prompts.read_only"), icon="lock", color_scheme="gray", width="100%"),
        ),
        spacing="3",
        width="100%",
    )


def chat_turn(turn: rx.Var[dict[str, str]]) -> rx.Component:
    mine = turn["role"] == "user"
    return rx.box(
        rx.text(turn["content"], size="2", white_space="pre-wrap"),
        background=rx.cond(mine, rx.color("accent", 3), rx.color("gray", 3)),
        border_radius="10px",
        padding="8px 12px",
        max_width="80%",
        align_self=rx.cond(mine, "flex-end", "flex-start"),
        data_testid=rx.Var.create("chat-") + turn["role"],
    )


def chat_card() -> rx.Component:
    state = PromptsState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t("prompts.try_it"), size="4", as_="h2"),
                rx.spacer(),
                rx.cond(
                    state.chat_turns.length() > 0,
                    rx.button(t("prompts.clear_chat"), size="1", variant="ghost", on_click=state.clear_chat),
                    rx.fragment(),
                ),
                width="100%",
            ),
            rx.cond(
                state.llm_ready,
                rx.vstack(
                    rx.text(t("prompts.try_it_hint"), size="2", color_scheme="gray"),
                    rx.flex(
                        rx.foreach(state.chat_turns, chat_turn),
                        direction="column",
                        gap="2",
                        width="100%",
                        data_testid="chat-log",
                    ),
                    error_callout(state.chat_error),
                    rx.form(
                        rx.hstack(
                            rx.input(
                                name="message",
                                placeholder=t("prompts.chat_placeholder"),
                                width="100%",
                                aria_label=t("prompts.chat_placeholder"),
                                auto_complete="off",
                            ),
                            rx.button(t("prompts.send"), type="submit", loading=state.chat_busy),
                            width="100%",
                        ),
                        on_submit=state.send,
                        reset_on_submit=True,
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                rx.callout(
                    rx.text(t("prompts.llm_missing"), " ", rx.link(t("nav.settings"), href="/settings")),
                    icon="info",
                    width="100%",
                ),
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )
