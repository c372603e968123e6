"""Overview: the business's set-up checklist."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.core.errors import NotAuthenticated
from ioperator.services import onboarding
from ioperator.state.base import SessionState


class OverviewState(rx.State):
    steps: list[dict[str, str]] = []
    done_count: int = 0

    @rx.var
    def progress(self) -> int:
        return int(100 * self.done_count / len(self.steps)) if self.steps else 0

    @rx.event
    async def load(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                steps = onboarding.checklist(session=session, tenant=tenant)
        except NotAuthenticated:
            return None  # the page guard redirects
        self.steps = [
            {
                "key": s.key,
                "done": "1" if s.done else "",
                "route": s.route,
                "title": f"onboarding.{s.key}.title",
                "hint": f"onboarding.{s.key}.hint",
            }
            for s in steps
        ]
        self.done_count = sum(1 for s in steps if s.done)
        return None


def step_row(step: rx.Var[dict[str, str]]) -> rx.Component:
    done = step["done"] != ""
    return rx.hstack(
        rx.cond(
            done,
            rx.icon("circle-check", color=rx.color("green", 9), size=22),
            rx.icon("circle", color=rx.color("gray", 8), size=22),
        ),
        rx.vstack(
            rx.text(
                SessionState.texts[step["title"]],
                weight="medium",
                size="3",
                color=rx.cond(done, rx.color("gray", 10), rx.color("gray", 12)),
            ),
            rx.text(SessionState.texts[step["hint"]], size="2", color_scheme="gray"),
            spacing="1",
            flex="1",
        ),
        rx.cond(
            done,
            rx.badge(t("overview.done"), color_scheme="green", variant="soft"),
            rx.link(rx.button(t("overview.open"), variant="soft", size="2"), href=step["route"]),
        ),
        align="center",
        spacing="4",
        padding_y="12px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        width="100%",
        data_testid="checklist-step",
    )


def overview_page() -> rx.Component:
    return dashboard_page(
        "overview.title",
        rx.text(t("overview.welcome"), " ", rx.text.strong(SessionState.display_name), size="3"),
        rx.card(
            rx.vstack(
                rx.hstack(
                    rx.heading(t("overview.checklist"), size="4", as_="h2"),
                    rx.spacer(),
                    rx.text(
                        OverviewState.done_count,
                        " / ",
                        OverviewState.steps.length(),
                        size="2",
                        color_scheme="gray",
                        data_testid="checklist-progress",
                    ),
                    width="100%",
                    align="center",
                ),
                rx.progress(value=OverviewState.progress, width="100%"),
                rx.text(t("overview.checklist_hint"), size="2", color_scheme="gray"),
                rx.foreach(OverviewState.steps, step_row),
                spacing="3",
                width="100%",
            ),
            size="3",
            width="100%",
        ),
    )
