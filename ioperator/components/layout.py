"""The dashboard shell: sidebar with the product's sections, the business name and the user menu."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from ioperator import routes
from ioperator.components.i18n import t
from ioperator.components.presence import avatar_with_presence, presence_submenu
from ioperator.core.i18n import LANGUAGES
from ioperator.state.base import SessionState


@dataclass(frozen=True)
class NavItem:
    label_key: str
    icon: str
    route: str
    group_key: str = ""  # items of a product section share a group heading


# Only sections that work are listed; later features add theirs here.
NAV_ITEMS: list[NavItem] = [
    NavItem("nav.overview", "layout-dashboard", routes.OVERVIEW),
    NavItem("nav.prompts", "file-text", routes.PROMPTS, group_key="nav.agent"),
    NavItem("nav.channels", "message-circle", routes.CHANNELS, group_key="nav.agent"),
    NavItem("nav.crm", "calendar-check", routes.CRM, group_key="nav.agent"),
    NavItem("nav.telephony_providers", "radio-tower", routes.TELEPHONY_PROVIDERS, group_key="nav.telephony"),
    NavItem("nav.telephony_numbers", "phone", routes.TELEPHONY_NUMBERS, group_key="nav.telephony"),
    NavItem("nav.telephony_users", "contact", routes.TELEPHONY_USERS, group_key="nav.telephony"),
    NavItem("nav.team", "users", routes.TEAM, group_key="nav.business"),
    NavItem("nav.settings", "building-2", routes.SETTINGS, group_key="nav.business"),
    NavItem("nav.api_keys", "key-round", routes.API_KEYS, group_key="nav.business"),
]


def nav_items() -> list[rx.Component]:
    """The links, with a heading wherever a new product section starts."""
    items: list[rx.Component] = []
    group = ""
    for item in NAV_ITEMS:
        if item.group_key and item.group_key != group:
            items.append(
                rx.text(t(item.group_key), size="1", weight="medium", color_scheme="gray", padding="12px 12px 4px")
            )
        group = item.group_key
        items.append(nav_link(item))
    return items


def brand() -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.icon("headset", size=18, color="white"),
            width="32px",
            height="32px",
            border_radius="8px",
            background=rx.color("accent", 9),
        ),
        rx.text("iOperator", size="4", weight="bold"),
        align="center",
        spacing="2",
    )


def nav_link(item: NavItem) -> rx.Component:
    active = SessionState.router.page.path == item.route
    return rx.link(
        rx.hstack(
            rx.icon(item.icon, size=18),
            rx.text(t(item.label_key), size="2", weight="medium"),
            align="center",
            spacing="3",
            padding_x="12px",
            padding_y="8px",
            border_radius="8px",
            width="100%",
            background=rx.cond(active, rx.color("accent", 3), "transparent"),
            color=rx.cond(active, rx.color("accent", 11), rx.color("gray", 11)),
            _hover={"background": rx.color("gray", 3), "color": rx.color("gray", 12)},
        ),
        href=item.route,
        underline="none",
        width="100%",
        aria_current=rx.cond(active, "page", ""),
    )


def language_items() -> list[rx.Component]:
    return [
        rx.menu.item(
            rx.hstack(
                rx.text(name),
                rx.cond(SessionState.lang == code, rx.icon("check", size=14), rx.fragment()),
                justify="between",
                width="100%",
            ),
            on_select=SessionState.set_language(code),
        )
        for code, name in LANGUAGES.items()
    ]


def user_menu() -> rx.Component:
    return rx.menu.root(
        rx.menu.trigger(
            rx.button(
                avatar_with_presence(rx.avatar(fallback=SessionState.initials, size="2", radius="full")),
                rx.vstack(
                    rx.text(SessionState.display_name, size="2", weight="medium", trim="both"),
                    rx.text(SessionState.role_label, size="1", color_scheme="gray"),
                    spacing="0",
                    align="start",
                    min_width="0",
                ),
                rx.spacer(),
                rx.icon("chevrons-up-down", size=16),
                variant="ghost",
                color_scheme="gray",
                size="3",
                width="100%",
                justify="start",
                aria_label=t("menu.user"),
            ),
        ),
        rx.menu.content(
            rx.box(rx.text(SessionState.user_email, size="1", color_scheme="gray"), padding="4px 8px"),
            rx.menu.item(rx.icon("user", size=14), t("menu.profile"), on_select=rx.redirect(routes.PROFILE)),
            presence_submenu(),
            rx.menu.sub(
                rx.menu.sub_trigger(rx.icon("languages", size=14), t("menu.language")),
                rx.menu.sub_content(*language_items()),
            ),
            rx.menu.item(
                rx.color_mode_cond(rx.icon("moon", size=14), rx.icon("sun", size=14)),
                rx.color_mode_cond(t("menu.theme_dark"), t("menu.theme_light")),
                on_select=rx.toggle_color_mode,
            ),
            rx.menu.separator(),
            rx.menu.item(rx.icon("log-out", size=14), t("menu.logout"), color="red", on_select=SessionState.logout),
            width="220px",
        ),
    )


def sidebar() -> rx.Component:
    return rx.vstack(
        brand(),
        rx.box(
            rx.text(t("nav.business"), size="1", color_scheme="gray", weight="medium"),
            rx.text(SessionState.business_name, size="2", weight="bold", trim="both", data_testid="business-name"),
            padding="10px 12px",
            border_radius="8px",
            background=rx.color("gray", 3),
            width="100%",
        ),
        rx.vstack(*nav_items(), spacing="1", width="100%", as_="nav", aria_label=t("nav.sections")),
        rx.spacer(),
        user_menu(),
        spacing="5",
        padding="20px 16px",
        width="260px",
        min_width="260px",
        height="100vh",
        position="sticky",
        top="0",
        border_right=f"1px solid {rx.color('gray', 5)}",
        background=rx.color("gray", 2),
        display=["none", "none", "flex"],
    )


def mobile_bar() -> rx.Component:
    return rx.hstack(
        brand(),
        rx.text(SessionState.business_name, size="2", color_scheme="gray", trim="both", truncate=True),
        rx.spacer(),
        rx.menu.root(
            rx.menu.trigger(rx.icon_button(rx.icon("menu"), variant="ghost", aria_label=t("menu.open"))),
            rx.menu.content(
                *[rx.menu.item(t(item.label_key), on_select=rx.redirect(item.route)) for item in NAV_ITEMS],
                rx.menu.separator(),
                presence_submenu(),
                rx.menu.item(t("menu.profile"), on_select=rx.redirect(routes.PROFILE)),
                rx.menu.item(t("menu.logout"), on_select=SessionState.logout),
            ),
        ),
        padding="12px 16px",
        border_bottom=f"1px solid {rx.color('gray', 5)}",
        width="100%",
        display=["flex", "flex", "none"],
    )


def loading() -> rx.Component:
    return rx.center(rx.spinner(size="3"), height="100vh", width="100%")


def dashboard_page(title_key: str, *children: rx.Component, actions: rx.Component | None = None) -> rx.Component:
    """A signed-in page. Nothing of the business is rendered until the session is confirmed."""
    return rx.cond(
        SessionState.signed_in,
        rx.flex(
            sidebar(),
            rx.box(
                mobile_bar(),
                rx.box(
                    rx.hstack(
                        rx.heading(t(title_key), size="7", as_="h1"),
                        rx.spacer(),
                        actions or rx.fragment(),
                        align="center",
                        width="100%",
                    ),
                    rx.vstack(*children, spacing="5", width="100%", margin_top="24px"),
                    max_width="1040px",
                    padding=["20px 16px", "24px", "32px 40px"],
                    margin_x="auto",
                ),
                flex="1",
                min_width="0",
            ),
            width="100%",
            min_height="100vh",
            data_hydrated=rx.cond(rx.State.is_hydrated, "true", "false"),
        ),
        loading(),
    )


def public_page(*children: rx.Component) -> rx.Component:
    """Sign-in and sign-up: a centred card with a language switch."""
    return rx.center(
        rx.vstack(
            rx.hstack(
                brand(),
                rx.spacer(),
                rx.select.root(
                    rx.select.trigger(variant="ghost", aria_label=t("menu.language")),
                    rx.select.content(*[rx.select.item(name, value=code) for code, name in LANGUAGES.items()]),
                    value=SessionState.lang,
                    on_change=SessionState.set_public_language,
                    size="2",
                ),
                rx.color_mode.button(variant="ghost", size="2"),
                width="100%",
                align="center",
            ),
            rx.card(rx.vstack(*children, spacing="4", width="100%"), size="4", width="100%"),
            spacing="5",
            width="100%",
            max_width="420px",
            padding="16px",
        ),
        min_height="100vh",
        background=rx.color("gray", 2),
        data_hydrated=rx.cond(rx.State.is_hydrated, "true", "false"),
    )
