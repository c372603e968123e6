"""The Prompts page's dialogs: a new prompt (from a template), and the history with diff and restore."""

from __future__ import annotations

import reflex as rx

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.core.i18n import LANGUAGES
from ioperator.pages.prompts.state import PromptsState
from ioperator.services import prompt_templates
from ioperator.state.base import SessionState


def new_prompt_dialog() -> rx.Component:
    options = [rx.select.item(t("prompts.no_template"), value="none")] + [
        rx.select.item(t(f"prompt.template.{slug}"), value=slug) for slug in prompt_templates.SLUGS
    ]
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("prompts.new")),
            rx.form(
                rx.vstack(
                    error_callout(PromptsState.new_error),
                    rx.el.label(rx.text(t("prompts.name"), size="2", weight="medium"), html_for="prompt-name"),
                    rx.input(id="prompt-name", name="name", required=True, max_length=120, width="100%"),
                    rx.text(t("prompts.template"), size="2", weight="medium"),
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("prompts.template")),
                        rx.select.content(*options),
                        value=PromptsState.new_template,
                        on_change=PromptsState.set_new_template,
                    ),
                    rx.text(t("prompts.language"), size="2", weight="medium"),
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("prompts.language")),
                        rx.select.content(*[rx.select.item(n, value=c) for c, n in LANGUAGES.items()]),
                        value=PromptsState.new_language,
                        on_change=PromptsState.set_new_language,
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(t("common.cancel"), variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(t("prompts.create"), type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="3",
                    width="100%",
                ),
                on_submit=PromptsState.create,
                reset_on_submit=False,
            ),
            max_width="440px",
        ),
        open=PromptsState.new_open,
        on_open_change=PromptsState.set_new_open,
    )


def version_row(version: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.hstack(
                rx.text("v", version["number"], weight="bold"),
                rx.cond(version["live"] != "", rx.badge(t("prompts.live"), color_scheme="green"), rx.fragment()),
                spacing="2",
            )
        ),
        rx.table.cell(version["author"]),
        rx.table.cell(rx.text(version["time"], size="1")),
        rx.table.cell(rx.text(version["note"], size="2", color_scheme="gray")),
        rx.table.cell(
            rx.cond(
                SessionState.can_manage,
                rx.button(
                    t("prompts.restore"), size="1", variant="soft", on_click=PromptsState.restore(version["number"])
                ),
                rx.fragment(),
            )
        ),
        data_testid="prompt-version",
    )


def diff_line(line: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.text(
        rx.match(line["kind"], ("added", "+ "), ("removed", "− "), "  "),
        line["text"],
        font_family="monospace",
        size="1",
        white_space="pre-wrap",
        background=rx.match(
            line["kind"], ("added", rx.color("green", 3)), ("removed", rx.color("red", 3)), "transparent"
        ),
        color=rx.match(
            line["kind"], ("added", rx.color("green", 11)), ("removed", rx.color("red", 11)), rx.color("gray", 12)
        ),
        padding_x="6px",
        data_testid=rx.Var.create("diff-") + line["kind"],
    )


def history_dialog() -> rx.Component:
    numbers = rx.foreach(PromptsState.versions, lambda v: rx.select.item("v" + v["number"], value=v["number"]))
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("prompts.history")),
            rx.table.root(rx.table.body(rx.foreach(PromptsState.versions, version_row)), size="1", width="100%"),
            rx.hstack(
                rx.text(t("prompts.compare"), size="2", weight="medium"),
                rx.select.root(
                    rx.select.trigger(aria_label=t("prompts.diff_old")),
                    rx.select.content(numbers),
                    value=PromptsState.diff_old,
                    on_change=PromptsState.set_diff_old,
                    size="1",
                ),
                rx.text("→"),
                rx.select.root(
                    rx.select.trigger(aria_label=t("prompts.diff_new")),
                    rx.select.content(numbers),
                    value=PromptsState.diff_new,
                    on_change=PromptsState.set_diff_new,
                    size="1",
                ),
                align="center",
                spacing="2",
                margin_top="12px",
            ),
            rx.box(
                rx.foreach(PromptsState.diff_lines, diff_line),
                max_height="320px",
                overflow_y="auto",
                border=f"1px solid {rx.color('gray', 5)}",
                border_radius="6px",
                padding_y="4px",
                margin_top="8px",
                data_testid="prompt-diff",
            ),
            rx.hstack(rx.dialog.close(rx.button(t("channels.done"))), justify="end", margin_top="12px"),
            max_width="820px",
        ),
        open=PromptsState.history_open,
        on_open_change=PromptsState.set_history_open,
    )
