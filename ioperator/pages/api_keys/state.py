"""Settings → API keys: the page's state (list, create once-shown keys, revoke, activity)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import reflex as rx
from reflex.event import EventSpec

from ioperator.core.config import get_settings
from ioperator.core.errors import NotAuthenticated, ServiceError, ValidationFailed
from ioperator.models.api_key import ApiKey
from ioperator.services import api_keys, audit
from ioperator.state.base import SessionState, form_errors


def config_url() -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/api/v1/config"


class ApiKeysState(rx.State):
    keys: list[dict[str, str]] = []
    activity: list[dict[str, str]] = []
    endpoint: str = ""
    example_prefix: str = "iop_…"
    error: str = ""
    create_open: bool = False
    create_error: str = ""
    create_field_errors: dict[str, str] = {}
    # The full key, between creation and closing the dialog that shows it once.
    new_key: str = ""
    new_key_name: str = ""
    revoke_id: str = ""
    revoke_name: str = ""

    @rx.var
    def curl_example(self) -> str:
        return f'curl -H "Authorization: Bearer {self.example_prefix}" \\\n     {self.endpoint}'

    def _row(self, key: ApiKey, base: SessionState, names: dict[int, str]) -> dict[str, str]:
        expired = api_keys.is_expired(key)
        status = "revoked" if key.revoked_at else "expired" if expired else "active"
        return {
            "id": str(key.id),
            "name": key.name,
            "prefix": api_keys.display_prefix(key),
            "created_by": names.get(key.created_by or 0, ""),
            "created_at": base._time(key.created_at),
            "expires_at": base._time(key.expires_at),
            "last_used_at": base._time(key.last_used_at),
            "status": status,
        }

    @rx.event
    async def load(self) -> None:
        from ioperator.services import team

        base = await self.get_state(SessionState)
        self.endpoint = config_url()
        try:
            with base._tenant_session() as (session, tenant):
                names = {m.id or 0: m.name or m.email for m in team.list_members(session=session, tenant=tenant)}
                rows = api_keys.list_keys(session=session, tenant=tenant)
                self.keys = [self._row(key, base, names) for key in rows]
                key_names = {key.id or 0: key.name for key in rows}
                self.activity = [
                    {
                        "id": str(event.id),
                        "when": base._time(event.created_at),
                        "action": event.action,
                        "key": key_names.get(event.api_key_id or 0, event.detail),
                        "who": names.get(event.user_id or 0, ""),
                    }
                    for event in audit.list_events(session=session, tenant=tenant, limit=20)
                ]
        except NotAuthenticated:
            return
        active = [row for row in self.keys if row["status"] == "active"]
        self.example_prefix = active[0]["prefix"] if active else "iop_…"

    @rx.event
    def open_create(self) -> None:
        self.create_open, self.create_error, self.create_field_errors = True, "", {}

    @rx.event
    def set_create_open(self, value: bool) -> None:
        self.create_open = value

    @rx.event
    async def create(self, form: dict[str, str]) -> EventSpec | None:
        base = await self.get_state(SessionState)
        self.create_error, self.create_field_errors = "", {}
        try:
            expires_at = _end_of_day(form.get("expires_on", ""), base.business_timezone)
            with base._tenant_session() as (session, tenant):
                created = api_keys.create_key(
                    session=session, tenant=tenant, name=form.get("name", ""), expires_at=expires_at
                )
                token, name = created.token, created.key.name
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.create_field_errors, self.create_error = form_errors(exc, base.lang)
            return None
        self.create_open = False
        self.new_key, self.new_key_name = token, name
        await self.load()
        return None

    @rx.event
    def close_new_key(self, open_: bool = False) -> None:
        if not open_:
            self.new_key = self.new_key_name = ""

    @rx.event
    def ask_revoke(self, key_id: str, name: str) -> None:
        self.revoke_id, self.revoke_name = key_id, name

    @rx.event
    def cancel_revoke(self) -> None:
        self.revoke_id = self.revoke_name = ""

    @rx.event
    async def confirm_revoke(self) -> EventSpec | None:
        base = await self.get_state(SessionState)
        key_id, self.revoke_id = self.revoke_id, ""
        self.error = ""
        try:
            with base._tenant_session() as (session, tenant):
                api_keys.revoke_key(session=session, tenant=tenant, key_id=int(key_id))
        except NotAuthenticated:
            return base._login_redirect()
        except ServiceError as exc:
            self.error = exc.message(base.lang)
            return None
        await self.load()
        return rx.toast.success(base._t("api_keys.revoked"))


def _end_of_day(value: str, timezone: str) -> datetime | None:
    """A date from the form is the last moment of that day in the business's time zone."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise ValidationFailed("error.field_invalid", field="expires_on") from None
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    moment = datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)
    if moment <= datetime.now(UTC):
        raise ValidationFailed("api_keys.error.expiry_in_past", field="expires_on")
    return moment
