"""`t("key")`: the translated string for the current user's language, as a frontend Var."""

from __future__ import annotations

import reflex as rx

from ioperator.state.base import SessionState


def t(key: str) -> rx.Var[str]:
    return SessionState.texts[key].to(str)
