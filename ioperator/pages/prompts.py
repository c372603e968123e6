"""AI Agent → Prompts: write the agent's prompt with variables, check it, save versions, compare and
restore them, and preview it with current values."""

from __future__ import annotations

import json

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session, col, select

from ioperator.components.forms import error_callout
from ioperator.components.i18n import t
from ioperator.components.layout import dashboard_page
from ioperator.core.auth import TenantContext
from ioperator.core.errors import Conflict, NotAuthenticated, ServiceError
from ioperator.core.i18n import LANGUAGES, translate
from ioperator.models.user import User
from ioperator.services import prompt_templates, prompt_variables, prompts
from ioperator.services.prompt_render import Issue
from ioperator.state.base import SessionState

EDITOR_ID = "prompt-editor"


class PromptsState(rx.State):
    prompt_list: list[dict[str, str]] = []  # id, name, active
    prompt_id: str = ""
    draft: str = ""
    base_version: int = 0
    rendered: str = ""
    issues: list[dict[str, str]] = []
    has_errors: bool = False
    variables: list[dict[str, str]] = []
    note: str = ""
    error: str = ""
    conflict: bool = False
    # new prompt dialog
    new_open: bool = False
    new_template: str = "none"
    new_language: str = "en"
    new_error: str = ""
    # history
    history_open: bool = False
    versions: list[dict[str, str]] = []
    diff_old: str = ""
    diff_new: str = ""
    diff_lines: list[dict[str, str]] = []

    @rx.var
    def prompt_active(self) -> bool:
        return any(p["id"] == self.prompt_id and p["active"] for p in self.prompt_list)

    # --- loading ---------------------------------------------------------------------------
    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                rows = prompts.list_prompts(session=session, tenant=tenant)
                self.prompt_list = [
                    {"id": str(p.id), "name": p.name, "active": "1" if p.is_active else ""} for p in rows
                ]
                if self.prompt_id not in {p["id"] for p in self.prompt_list}:
                    active = next((p for p in rows if p.is_active), rows[0] if rows else None)
                    self.prompt_id = str(active.id) if active else ""
                self._open_current(session, tenant, base.lang)
        except NotAuthenticated:
            return

    def _open_current(self, session: Session, tenant: TenantContext, lang: str) -> None:
        self.error, self.conflict, self.note = "", False, ""
        custom = {v.name: v.value for v in prompts.list_custom_variables(session=session, tenant=tenant)}
        descriptions = {v.name: v.description for v in prompts.list_custom_variables(session=session, tenant=tenant)}
        self.variables = [
            {
                "name": v.name,
                "token": v.token,
                "description": translate(v.description_key, lang) if v.builtin else descriptions.get(v.name, ""),
            }
            for v in prompt_variables.available_variables(custom)
        ]
        if not self.prompt_id:
            self.draft, self.base_version, self.rendered, self.issues = "", 0, "", []
            return
        prompt = prompts.get_prompt_or_raise(session=session, tenant=tenant, prompt_id=int(self.prompt_id))
        self.base_version = prompt.current_version
        self.draft = (
            prompts.get_version_or_raise(
                session=session, tenant=tenant, prompt_id=prompt.id or 0, number=prompt.current_version
            ).source
            if prompt.current_version
            else ""
        )
        self._check(session, tenant, lang)

    def _check(self, session: Session, tenant: TenantContext, lang: str) -> None:
        if not self.prompt_id:
            return
        prompt = prompts.get_prompt_or_raise(session=session, tenant=tenant, prompt_id=int(self.prompt_id))
        found = prompts.check(session=session, tenant=tenant, prompt=prompt, source=self.draft)
        self.issues = [_issue(i, lang) for i in found]
        self.has_errors = any(i.severity == "error" for i in found)
        self.rendered = prompts.render(session=session, tenant=tenant, prompt_id=prompt.id or 0, source=self.draft)

    @rx.event
    async def select_prompt(self, prompt_id: str) -> None:
        self.prompt_id = prompt_id
        await self.load()

    # --- editing ---------------------------------------------------------------------------
    @rx.event
    async def set_draft(self, value: str) -> None:
        self.draft = value[:200_000]
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                self._check(session, tenant, base.lang)
        except (NotAuthenticated, ServiceError):
            return

    @rx.event
    def set_note(self, value: str) -> None:
        self.note = value[:300]

    @rx.event
    def insert_variable(self, token: str) -> EventSpec:
        """Insert `{{name}}` at the editor's cursor (the text area keeps its own selection)."""
        script = (
            f"(() => {{ const el = document.getElementById({json.dumps(EDITOR_ID)}); const t = {json.dumps(token)};"
            " if (!el) return null; const s = el.selectionStart ?? el.value.length;"
            " const e = el.selectionEnd ?? s; const v = el.value.slice(0, s) + t + el.value.slice(e);"
            " setTimeout(() => { el.focus(); el.setSelectionRange(s + t.length, s + t.length); }, 50);"
            " return v; })()"
        )
        return rx.call_script(script, callback=PromptsState.set_draft)

    @rx.event
    async def save(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        self.error, self.conflict = "", False
        try:
            with base._tenant_session() as (session, tenant):
                version, _ = prompts.save_version(
                    session=session,
                    tenant=tenant,
                    prompt_id=int(self.prompt_id),
                    source=self.draft,
                    base_version=self.base_version,
                    note=self.note,
                )
                self.base_version, self.note = version.number, ""
        except NotAuthenticated:
            return base._login_redirect()
        except Conflict as exc:
            self.error, self.conflict = exc.message(base.lang), True
            return None
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            return None
        return rx.toast.success(translate("prompts.saved", base.lang, number=self.base_version))

    @rx.event
    async def load_latest(self) -> None:
        await self.load()

    @rx.event
    async def make_active(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                prompts.activate(session=session, tenant=tenant, prompt_id=int(self.prompt_id))
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            return None
        await self.load()
        return rx.toast.success(translate("prompts.activated", base.lang))

    # --- new prompt ------------------------------------------------------------------------
    @rx.event
    async def open_new(self) -> None:
        base = await self.get_state(SessionState)
        self.new_open, self.new_error, self.new_template, self.new_language = True, "", "none", base.lang

    @rx.event
    def set_new_open(self, value: bool) -> None:
        self.new_open = value

    @rx.event
    def set_new_template(self, value: str) -> None:
        self.new_template = value

    @rx.event
    def set_new_language(self, value: str) -> None:
        self.new_language = value

    @rx.event
    async def create(self, form: dict[str, str]) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                prompt, _ = prompts.create_prompt(
                    session=session,
                    tenant=tenant,
                    name=form.get("name", ""),
                    template_slug="" if self.new_template == "none" else self.new_template,
                    language=self.new_language,
                )
                self.prompt_id = str(prompt.id)
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.new_error = exc.message(base.lang)
            return None
        self.new_open = False
        await self.load()
        return None

    # --- history ---------------------------------------------------------------------------
    @rx.event
    async def open_history(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                rows = prompts.list_versions(session=session, tenant=tenant, prompt_id=int(self.prompt_id))
                authors = {u.id: u.name or u.email for u in _users(session, {r.author_id for r in rows})}
        except (NotAuthenticated, ServiceError):
            return
        current = str(self.base_version) if self.prompt_active else ""
        self.versions = [
            {
                "number": str(v.number),
                "author": authors.get(v.author_id, "—"),
                "time": base._time(v.created_at),
                "note": v.note
                or (translate("prompts.restored_from", base.lang, number=v.restored_from) if v.restored_from else ""),
                "live": "1" if str(v.number) == current else "",
            }
            for v in rows
        ]
        numbers = [v["number"] for v in self.versions]
        self.diff_new = numbers[0] if numbers else ""
        self.diff_old = numbers[1] if len(numbers) > 1 else self.diff_new
        await self._diff()
        self.history_open = True

    @rx.event
    def set_history_open(self, value: bool) -> None:
        self.history_open = value

    @rx.event
    async def set_diff_old(self, value: str) -> None:
        self.diff_old = value
        await self._diff()

    @rx.event
    async def set_diff_new(self, value: str) -> None:
        self.diff_new = value
        await self._diff()

    async def _diff(self) -> None:
        if not (self.diff_old and self.diff_new):
            self.diff_lines = []
            return
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                lines = prompts.diff_versions(
                    session=session,
                    tenant=tenant,
                    prompt_id=int(self.prompt_id),
                    old=int(self.diff_old),
                    new=int(self.diff_new),
                )
        except (NotAuthenticated, ServiceError):
            self.diff_lines = []
            return
        self.diff_lines = [{"kind": d.kind, "text": d.text or " "} for d in lines]

    @rx.event
    async def restore(self, number: str) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                version = prompts.restore_version(
                    session=session, tenant=tenant, prompt_id=int(self.prompt_id), number=int(number)
                )
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            return None
        self.history_open = False
        await self.load()
        return rx.toast.success(translate("prompts.restored", base.lang, number=number, new=version.number))


def _issue(issue: Issue, lang: str) -> dict[str, str]:
    return {
        "severity": issue.severity,
        "line": str(issue.line) if issue.line else "",
        "message": translate(issue.key, lang, **issue.params),
    }


def _users(session: Session, ids: set[int | None]) -> list[User]:
    wanted = [i for i in ids if i is not None]
    return list(session.exec(select(User).where(col(User.id).in_(wanted))).all()) if wanted else []


# --- view --------------------------------------------------------------------------------------
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
        padding_y="4px",
        data_testid="prompt-variable",
    )


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
                    rx.text(t("field.language"), size="2", weight="medium"),
                    rx.select.root(
                        rx.select.trigger(width="100%", aria_label=t("field.language")),
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
                rx.box(rx.foreach(PromptsState.variables, variable_row), max_height="500px", overflow_y="auto"),
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


def prompts_page() -> rx.Component:
    return dashboard_page(
        "prompts.title",
        rx.text(t("prompts.subtitle"), size="2", color_scheme="gray"),
        toolbar(),
        rx.cond(PromptsState.prompt_id != "", editor(), rx.callout(t("prompts.empty"), icon="info", width="100%")),
        new_prompt_dialog(),
        history_dialog(),
    )
