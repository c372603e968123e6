"""Business settings → AI model: the OpenAI-compatible endpoint the prompt editor's test chat uses."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator.components.forms import card_section, error_callout, field, field_error, text_input
from ioperator.components.i18n import t
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import translate
from ioperator.services import llm
from ioperator.state.base import SessionState, form_errors, tenant_scope


class LlmSettingsState(rx.State):
    base_url: str = ""
    model: str = ""
    temperature: str = ""
    masked_key: str = ""
    error: str = ""
    field_errors: dict[str, str] = {}
    saving: bool = False
    form_key: int = 0

    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                shown = llm.public(llm.get_config(session=session, tenant=tenant))
        except NotAuthenticated:
            return
        self.base_url = shown.base_url if shown else "https://api.openai.com/v1"
        self.model = shown.model if shown else ""
        self.temperature = "" if not shown or shown.temperature is None else str(shown.temperature)
        self.masked_key = shown.masked_key if shown else ""
        self.error, self.field_errors = "", {}
        self.form_key += 1

    @rx.event(background=True)
    async def save(self, form: dict[str, str]) -> EventSpec | None:
        async with self:
            base = await self.get_state(SessionState)
            token, lang = base._cookie_token(), base.lang
            self.saving, self.error, self.field_errors = True, "", {}
        try:
            with tenant_scope(token) as (session, current):
                config = await llm.save_config(
                    session=session,
                    tenant=current.tenant,
                    base_url=form.get("base_url", ""),
                    api_key=form.get("api_key", ""),
                    model=form.get("model", ""),
                    temperature=form.get("temperature", ""),
                )
                shown = llm.public(config)
        except NotAuthenticated:
            return rx.redirect("/login")
        except ServiceError as exc:
            async with self:
                self.field_errors, self.error = form_errors(exc, lang)
                self.saving = False
            return None
        async with self:
            self.saving = False
            if shown:
                self.base_url, self.model, self.masked_key = shown.base_url, shown.model, shown.masked_key
            self.form_key += 1
        return rx.toast.success(translate("llm.saved", lang))


def llm_card() -> rx.Component:
    state = LlmSettingsState
    return rx.form(
        card_section(
            "llm.title",
            error_callout(state.error),
            rx.grid(
                field(
                    "llm.base_url",
                    text_input(
                        "base_url", default_value=state.base_url, required=True, read_only=~SessionState.can_manage
                    ),
                    error=field_error(state.field_errors, "base_url"),
                    hint_key="llm.base_url_hint",
                ),
                field(
                    "llm.model",
                    text_input(
                        "model",
                        default_value=state.model,
                        required=True,
                        placeholder="gpt-4o-mini",
                        read_only=~SessionState.can_manage,
                    ),
                    error=field_error(state.field_errors, "model"),
                ),
                field(
                    "llm.api_key",
                    text_input(
                        "api_key",
                        type="password",
                        auto_complete="off",
                        placeholder=rx.cond(state.masked_key != "", state.masked_key, ""),
                        read_only=~SessionState.can_manage,
                    ),
                    error=field_error(state.field_errors, "api_key"),
                    hint_key="llm.api_key_hint",
                ),
                field(
                    "llm.temperature",
                    text_input(
                        "temperature",
                        default_value=state.temperature,
                        placeholder="0.3",
                        read_only=~SessionState.can_manage,
                    ),
                    error=field_error(state.field_errors, "temperature"),
                    hint_key="llm.temperature_hint",
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            rx.cond(
                SessionState.can_manage,
                rx.hstack(
                    rx.button(
                        rx.cond(state.saving, t("channels.testing"), t("llm.save")), type="submit", loading=state.saving
                    ),
                    justify="end",
                    width="100%",
                ),
                rx.fragment(),
            ),
            description_key="llm.hint",
        ),
        on_submit=state.save,
        reset_on_submit=False,
        key=state.form_key,
        width="100%",
    )
