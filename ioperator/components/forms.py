"""Small form pieces: a labelled input with its error, an error callout, a section card."""

from __future__ import annotations

from typing import Any

import reflex as rx

from ioperator.components.i18n import t


def field(
    label_key: str,
    control: rx.Component,
    *,
    error: rx.Var[str] | str = "",
    hint_key: str = "",
    hint: rx.Var[str] | None = None,
) -> rx.Component:
    control_id = control.id
    return rx.box(
        rx.el.label(rx.text(t(label_key), size="2", weight="medium"), html_for=control_id or None),
        control,
        rx.text(hint if hint is not None else t(hint_key), size="1", color_scheme="gray")
        if (hint is not None or hint_key)
        else rx.fragment(),
        rx.cond(error != "", rx.text(error, size="1", color_scheme="red", role="alert"), rx.fragment()),
        display="flex",
        flex_direction="column",
        gap="1",
        width="100%",
    )


def field_error(errors: rx.Var[dict[str, str]], name: str) -> rx.Var[str]:
    """The error shown under one field, from a page state's `{field: message}` dict."""
    return errors.get(name, "").to(str)


def text_input(name: str, **props: Any) -> rx.Component:
    return rx.input(name=name, id=name, size="3", width="100%", **props)


def error_callout(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="triangle_alert", color_scheme="red", role="alert", width="100%"),
        rx.fragment(),
    )


def success_callout(message: rx.Var[str]) -> rx.Component:
    return rx.cond(
        message != "",
        rx.callout(message, icon="circle_check", color_scheme="green", role="status", width="100%"),
        rx.fragment(),
    )


def card_section(title_key: str, *children: rx.Component, description_key: str = "") -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(t(title_key), size="4", as_="h2"),
            rx.text(t(description_key), size="2", color_scheme="gray") if description_key else rx.fragment(),
            *children,
            spacing="4",
            width="100%",
        ),
        size="3",
        width="100%",
    )
