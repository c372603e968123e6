"""AI Agent → CRM: connect the business's CRM or booking system, sync it, and check the catalog the
agent will know (services with prices and durations, staff)."""

from __future__ import annotations

import reflex as rx
from sqlmodel import Session

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.core.auth import TenantContext
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.models.integration import IntegrationStatus
from ioperator.pages.integrations.cards import integration_card
from ioperator.pages.integrations.dialogs import connect_dialog, disconnect_dialog, events_dialog
from ioperator.pages.integrations.state import IntegrationsState
from ioperator.services import crm_sync, integrations
from ioperator.state.base import SessionState


class CrmCatalogState(rx.State):
    """The read-only catalog view below the cards."""

    sources: list[dict[str, str]] = []  # connected CRMs: id, title
    source_id: str = ""
    search: str = ""
    services: list[dict[str, str]] = []
    staff: list[dict[str, str]] = []

    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                rows = [
                    r
                    for r in integrations.list_integrations(session=session, tenant=tenant, kind="crm")
                    if r.status is not IntegrationStatus.DISCONNECTED
                ]
                self.sources = [{"id": str(r.id), "title": r.found_title or r.provider} for r in rows]
                if self.source_id not in {s["id"] for s in self.sources}:
                    self.source_id = self.sources[0]["id"] if self.sources else ""
                self._fill(session, tenant)
        except NotAuthenticated:
            return

    def _fill(self, session: Session, tenant: TenantContext) -> None:
        if not self.source_id:
            self.services, self.staff = [], []
            return
        try:
            staff = crm_sync.list_staff(session=session, tenant=tenant, integration_id=int(self.source_id))
            services = crm_sync.list_services(
                session=session, tenant=tenant, integration_id=int(self.source_id), search=self.search
            )
        except ServiceError:
            self.services, self.staff = [], []
            return
        names = {s.external_id: s.name for s in staff}
        self.staff = [{"name": s.name, "position": s.position} for s in staff]
        self.services = [
            {
                "name": s.name,
                "category": s.category,
                "price": _price(s.price, s.price_max),
                "duration": str(s.duration_minutes) if s.duration_minutes else "",
                "staff": ", ".join(names[i] for i in s.staff_ids if i in names),
            }
            for s in services
        ]

    @rx.event
    async def set_source(self, value: str) -> None:
        self.source_id = value
        await self.load()

    @rx.event
    async def set_search(self, value: str) -> None:
        self.search = value[:100]
        await self.load()


def _price(price: object, price_max: object) -> str:
    if price is None:
        return ""
    if price_max is not None and price_max != price:
        return f"{price}–{price_max}"
    return str(price)


def service_row(row: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(row["name"], weight="medium"), rx.text(row["category"], size="1", color_scheme="gray")),
        rx.table.cell(row["price"]),
        rx.table.cell(rx.cond(row["duration"] != "", rx.text(row["duration"], " ", t("crm.minutes")), "")),
        rx.table.cell(rx.text(row["staff"], size="2", color_scheme="gray")),
        data_testid="crm-service-row",
    )


def catalog_section() -> rx.Component:
    state = CrmCatalogState
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(t("crm.catalog"), size="4", as_="h2"),
                rx.spacer(),
                rx.cond(
                    state.sources.length() > 1,
                    rx.select.root(
                        rx.select.trigger(aria_label=t("crm.source")),
                        rx.select.content(
                            rx.foreach(state.sources, lambda s: rx.select.item(s["title"], value=s["id"]))
                        ),
                        value=state.source_id,
                        on_change=state.set_source,
                    ),
                    rx.fragment(),
                ),
                rx.input(
                    placeholder=t("crm.search"),
                    value=state.search,
                    on_change=state.set_search.debounce(300),
                    aria_label=t("crm.search"),
                    width="240px",
                ),
                width="100%",
                align="center",
                wrap="wrap",
            ),
            rx.text(t("crm.catalog_hint"), size="2", color_scheme="gray"),
            rx.cond(
                state.services.length() > 0,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell(t("crm.service")),
                            rx.table.column_header_cell(t("crm.price")),
                            rx.table.column_header_cell(t("crm.duration")),
                            rx.table.column_header_cell(t("crm.staff")),
                        )
                    ),
                    rx.table.body(rx.foreach(state.services, service_row)),
                    width="100%",
                    size="1",
                ),
                rx.text(t("crm.catalog_empty"), size="2", color_scheme="gray"),
            ),
            rx.cond(
                state.staff.length() > 0,
                rx.vstack(
                    rx.heading(t("crm.staff"), size="3", as_="h3"),
                    rx.flex(
                        rx.foreach(
                            state.staff,
                            lambda s: rx.badge(
                                s["name"],
                                rx.cond(s["position"] != "", " · " + s["position"], ""),
                                variant="soft",
                                size="2",
                            ),
                        ),
                        gap="2",
                        wrap="wrap",
                    ),
                    spacing="2",
                    width="100%",
                ),
                rx.fragment(),
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def crm_page() -> rx.Component:
    return dashboard_page(
        "crm.title",
        rx.text(t("crm.subtitle"), size="2", color_scheme="gray"),
        rx.cond(
            ~SessionState.can_manage,
            rx.callout(t("crm.manage_only"), icon="lock", color_scheme="gray", width="100%"),
            rx.fragment(),
        ),
        error_callout(IntegrationsState.error),
        rx.grid(
            rx.foreach(IntegrationsState.cards, integration_card),
            columns=rx.breakpoints(initial="1", md="2", lg="3"),
            spacing="4",
            width="100%",
        ),
        catalog_section(),
        connect_dialog(),
        disconnect_dialog(),
        events_dialog(),
    )
