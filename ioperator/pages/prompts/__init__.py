"""AI Agent → Prompts: write the agent's prompt with variables, check it, save versions, compare and
restore them, preview it with current values, and try it in a test chat."""

from __future__ import annotations

import reflex as rx

from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.pages.prompts.dialogs import history_dialog, new_prompt_dialog
from ioperator.pages.prompts.editor import chat_card, editor, toolbar
from ioperator.pages.prompts.state import PromptsState

__all__ = ["PromptsState", "prompts_page"]


def prompts_page() -> rx.Component:
    return dashboard_page(
        "prompts.title",
        rx.text(t("prompts.subtitle"), size="2", color_scheme="gray"),
        toolbar(),
        rx.cond(PromptsState.prompt_id != "", editor(), rx.callout(t("prompts.empty"), icon="info", width="100%")),
        rx.cond(PromptsState.prompt_id != "", chat_card(), rx.fragment()),
        new_prompt_dialog(),
        history_dialog(),
    )
