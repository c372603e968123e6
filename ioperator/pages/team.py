"""Team: members of the business and their roles."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator.components.forms import error_callout, field, field_error, text_input
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.models.user import MemberCreate, MemberUpdate, Role
from ioperator.services import team
from ioperator.state.base import SessionState, form_errors

ROLES = [role.value for role in Role]


class TeamState(rx.State):
    members: list[dict[str, str]] = []
    error: str = ""
    add_open: bool = False
    add_error: str = ""
    add_field_errors: dict[str, str] = {}
    add_role: str = Role.OPERATOR.value
    remove_id: str = ""
    remove_name: str = ""

    def _rows(self, members: list, base: SessionState) -> list[dict[str, str]]:
        return [
            {
                "id": str(m.id),
                "name": m.name,
                "email": m.email,
                "role": m.role.value,
                "me": "1" if m.id == base.user_id else "",
                "last_login": base._time(m.last_login_at),
            }
            for m in members
        ]

    @rx.event
    async def load(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                self.members = self._rows(team.list_members(session=session, tenant=tenant), base)
        except NotAuthenticated:
            return None
        return None

    @rx.event
    def open_add(self) -> None:
        self.add_open, self.add_error, self.add_field_errors = True, "", {}
        self.add_role = Role.OPERATOR.value

    @rx.event
    def set_add_open(self, value: bool) -> None:
        self.add_open = value

    @rx.event
    def set_add_role(self, value: str) -> None:
        self.add_role = value

    @rx.event
    async def add_member(self, form: dict[str, str]) -> EventSpec | None:
        base = await self.get_state(SessionState)
        self.add_error, self.add_field_errors = "", {}
        try:
            with base._tenant_session() as (session, tenant):
                member = team.add_member(
                    session=session,
                    tenant=tenant,
                    member_in=MemberCreate(
                        email=form.get("email", ""),
                        name=form.get("name", ""),
                        role=Role(self.add_role),
                        password=form.get("password", ""),
                    ),
                )
                email = member.email
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.add_field_errors, self.add_error = form_errors(exc, base.lang)
            return None
        self.add_open = False
        await self.load()
        return rx.toast.success(base._t("team.added", email=email))

    @rx.event
    async def change_role(self, user_id: str, role: str) -> EventSpec | None:
        base = await self.get_state(SessionState)
        self.error = ""
        try:
            with base._tenant_session() as (session, tenant):
                team.update_member(
                    session=session, tenant=tenant, user_id=int(user_id), member_in=MemberUpdate(role=Role(role))
                )
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            await self.load()
            return None
        await self.load()
        return rx.toast.success(base._t("team.role_changed"))

    @rx.event
    def ask_remove(self, user_id: str, name: str) -> None:
        self.remove_id, self.remove_name = user_id, name

    @rx.event
    def cancel_remove(self) -> None:
        self.remove_id = self.remove_name = ""

    @rx.event
    async def confirm_remove(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        user_id, self.remove_id = self.remove_id, ""
        self.error = ""
        try:
            with base._tenant_session() as (session, tenant):
                team.remove_member(session=session, tenant=tenant, user_id=int(user_id))
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            return None
        await self.load()
        return rx.toast.success(base._t("team.removed"))


def role_cell(member: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.cond(
        SessionState.can_manage,
        rx.select.root(
            rx.select.trigger(aria_label=t("team.role"), variant="soft"),
            rx.select.content(*[rx.select.item(t(f"role.{r}"), value=r) for r in ROLES]),
            value=member["role"],
            on_change=lambda role: TeamState.change_role(member["id"], role),
            size="2",
        ),
        rx.badge(SessionState.texts["role." + member["role"]], variant="soft"),
    )


def member_row(member: rx.Var[dict[str, str]]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(rx.cond(member["name"] != "", member["name"], "—"), weight="medium"),
                    rx.cond(member["me"] != "", rx.badge(t("team.you"), color_scheme="gray"), rx.fragment()),
                    spacing="2",
                ),
                rx.text(member["email"], size="1", color_scheme="gray"),
                spacing="0",
            )
        ),
        rx.table.cell(role_cell(member)),
        rx.table.cell(rx.text(rx.cond(member["last_login"] != "", member["last_login"], t("team.never")), size="2")),
        rx.table.cell(
            rx.cond(
                SessionState.can_manage & (member["me"] == ""),
                rx.icon_button(
                    rx.icon("trash-2", size=16),
                    variant="ghost",
                    color_scheme="red",
                    aria_label=t("team.remove"),
                    on_click=TeamState.ask_remove(member["id"], member["email"]),
                ),
                rx.fragment(),
            ),
            text_align="right",
        ),
        align="center",
        data_testid="member-row",
    )


def add_dialog() -> rx.Component:
    errors = TeamState.add_field_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(t("team.add_title")),
            rx.dialog.description(t("team.add_description"), size="2", color_scheme="gray"),
            rx.form(
                rx.vstack(
                    error_callout(TeamState.add_error),
                    field(
                        "field.email",
                        text_input("email", type="email", required=True),
                        error=field_error(errors, "email"),
                    ),
                    field("field.name", text_input("name", max_length=120), error=field_error(errors, "name")),
                    field(
                        "team.role",
                        rx.select.root(
                            rx.select.trigger(width="100%", aria_label=t("team.role")),
                            rx.select.content(*[rx.select.item(t(f"role.{r}"), value=r) for r in ROLES]),
                            value=TeamState.add_role,
                            on_change=TeamState.set_add_role,
                            size="3",
                        ),
                        error=field_error(errors, "role"),
                        hint_key="team.roles_help",
                    ),
                    field(
                        "field.initial_password",
                        text_input("password", type="password", auto_complete="new-password", required=True),
                        error=field_error(errors, "password"),
                        hint=SessionState.password_hint,
                    ),
                    rx.hstack(
                        rx.dialog.close(
                            rx.button(t("common.cancel"), variant="soft", color_scheme="gray", type="button")
                        ),
                        rx.button(t("team.add_submit"), type="submit"),
                        justify="end",
                        width="100%",
                    ),
                    spacing="4",
                    width="100%",
                ),
                on_submit=TeamState.add_member,
                reset_on_submit=False,
            ),
            max_width="460px",
        ),
        open=TeamState.add_open,
        on_open_change=TeamState.set_add_open,
    )


def remove_dialog() -> rx.Component:
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            rx.alert_dialog.title(t("team.remove_title")),
            rx.alert_dialog.description(t("team.remove_confirm"), " ", rx.text.strong(TeamState.remove_name)),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(t("common.cancel"), variant="soft", color_scheme="gray", on_click=TeamState.cancel_remove)
                ),
                rx.alert_dialog.action(
                    rx.button(t("team.remove"), color_scheme="red", on_click=TeamState.confirm_remove)
                ),
                justify="end",
                spacing="3",
                margin_top="16px",
            ),
        ),
        open=TeamState.remove_id != "",
    )


def team_page() -> rx.Component:
    return dashboard_page(
        "team.title",
        rx.text(t("team.subtitle"), size="2", color_scheme="gray"),
        error_callout(TeamState.error),
        rx.card(
            rx.table.root(
                rx.table.header(
                    rx.table.row(
                        rx.table.column_header_cell(t("team.member")),
                        rx.table.column_header_cell(t("team.role")),
                        rx.table.column_header_cell(t("team.last_login")),
                        rx.table.column_header_cell(""),
                    )
                ),
                rx.table.body(rx.foreach(TeamState.members, member_row)),
                width="100%",
            ),
            width="100%",
        ),
        add_dialog(),
        remove_dialog(),
        actions=rx.cond(
            SessionState.can_manage,
            rx.button(rx.icon("user-plus", size=16), t("team.add"), on_click=TeamState.open_add),
            rx.fragment(),
        ),
    )
