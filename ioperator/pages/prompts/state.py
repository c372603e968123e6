"""State of the Prompts page: the draft and its checks, versions, history, and the test chat."""

from __future__ import annotations

import json
import time

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session, col, select

from ioperator.core.auth import TenantContext
from ioperator.core.errors import Conflict, NotAuthenticated, ServiceError
from ioperator.core.i18n import translate
from ioperator.models.user import User
from ioperator.services import llm, prompt_variables, prompts
from ioperator.services.prompt_render import Issue
from ioperator.state.base import SessionState, tenant_scope

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
    var_error: str = ""
    var_form_key: int = 0
    # test chat
    llm_ready: bool = False
    chat_turns: list[dict[str, str]] = []  # role, content
    chat_busy: bool = False
    chat_error: str = ""

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
                self.llm_ready = llm.get_config(session=session, tenant=tenant) is not None
        except NotAuthenticated:
            return

    def _open_current(self, session: Session, tenant: TenantContext, lang: str) -> None:
        self.error, self.conflict, self.note = "", False, ""
        custom = {v.name: v.value for v in prompts.list_custom_variables(session=session, tenant=tenant)}
        descriptions = {v.name: v.description for v in prompts.list_custom_variables(session=session, tenant=tenant)}
        ids = {v.name: str(v.id) for v in prompts.list_custom_variables(session=session, tenant=tenant)}
        self.variables = [
            {
                "name": v.name,
                "token": v.token,
                "description": translate(v.description_key, lang) if v.builtin else descriptions.get(v.name, ""),
                "custom": "" if v.builtin else "1",
                "id": ids.get(v.name, ""),
                "value": custom.get(v.name, ""),
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
        """Insert `{{name}}` at the editor's cursor (the text area keeps its own selection).

        The text is changed the way typing changes it — the native value setter, then an `input` event — so
        the editor's own (debounced) change handler sends it: no older value can overtake it.
        """
        script = (
            f"(() => {{ const el = document.getElementById({json.dumps(EDITOR_ID)}); const t = {json.dumps(token)};"
            " if (!el) return; const s = el.selectionStart ?? el.value.length;"
            " const e = el.selectionEnd ?? s; const v = el.value.slice(0, s) + t + el.value.slice(e);"
            " const set = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;"
            " set.call(el, v); el.dispatchEvent(new Event('input', { bubbles: true }));"
            " el.focus(); el.setSelectionRange(s + t.length, s + t.length); })()"
        )
        return rx.call_script(script)

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

    # --- custom variables ------------------------------------------------------------------
    @rx.event
    async def save_variable(self, form: dict[str, str]) -> EventSpec | None:
        base = await self.get_state(SessionState)
        self.var_error = ""
        try:
            with base._tenant_session() as (session, tenant):
                prompts.set_custom_variable(
                    session=session,
                    tenant=tenant,
                    name=form.get("var_name", ""),
                    value=form.get("var_value", ""),
                    description=form.get("var_description", ""),
                )
                self._open_variables_only(session, tenant, base.lang)
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.var_error = exc.message(base.lang)
            return None
        self.var_form_key += 1
        return rx.toast.success(translate("prompts.variable_saved", base.lang))

    @rx.event
    async def delete_variable(self, variable_id: str) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                prompts.delete_custom_variable(session=session, tenant=tenant, variable_id=int(variable_id))
                self._open_variables_only(session, tenant, base.lang)
        except NotAuthenticated:
            return base._login_redirect()
        except (ServiceError, ValueError):
            return None
        return None

    def _open_variables_only(self, session: Session, tenant: TenantContext, lang: str) -> None:
        draft, base_version = self.draft, self.base_version
        self._open_current(session, tenant, lang)
        self.draft, self.base_version = draft, base_version  # keep what is being edited
        self._check(session, tenant, lang)

    # --- test chat -------------------------------------------------------------------------
    @rx.event(background=True)
    async def send(self, form: dict[str, str]) -> EventSpec | None:
        text = (form.get("message") or "").strip()[:4000]
        async with self:
            if not text or self.chat_busy:
                return None
            base = await self.get_state(SessionState)
            token, lang, draft, prompt_id = base._cookie_token(), base.lang, self.draft, self.prompt_id
            self.chat_turns = [
                *self.chat_turns,
                {"role": "user", "content": text},
                {"role": "assistant", "content": ""},
            ]
            turns = self.chat_turns[:-1]
            self.chat_busy, self.chat_error = True, ""
        answer, pushed = "", time.monotonic()
        try:
            with tenant_scope(token) as (session, current):
                system_prompt = prompts.render(
                    session=session, tenant=current.tenant, prompt_id=int(prompt_id), source=draft
                )
                async for delta in llm.stream_reply(
                    session=session, tenant=current.tenant, system_prompt=system_prompt, turns=turns
                ):
                    answer += delta
                    if time.monotonic() - pushed > 0.08:
                        pushed = time.monotonic()
                        async with self:
                            self.chat_turns = [*self.chat_turns[:-1], {"role": "assistant", "content": answer}]
        except NotAuthenticated:
            return rx.redirect("/login")
        except ServiceError as exc:
            async with self:
                self.chat_error, self.chat_busy = exc.message(lang), False
                if not answer:
                    self.chat_turns = self.chat_turns[:-1]
            return None
        async with self:
            self.chat_turns = [*self.chat_turns[:-1], {"role": "assistant", "content": answer}]
            self.chat_busy = False
        return None

    @rx.event
    def clear_chat(self) -> None:
        self.chat_turns, self.chat_error = [], ""

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
