"""The business's phone numbers: sync from every enabled provider, list and filter, and route.

Sync pulls every number of every enabled provider (through all pages), inserts new ones, updates only
what changed, and marks numbers the provider no longer lists inactive (never deletes them). A sync
with nothing changed writes nothing. A provider that fails keeps its numbers as they were.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ioperator.adapters.telephony.base import ProviderNumber, TelephonyAdapter
from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import Conflict, IntegrationFailed, NotFound, ValidationFailed
from ioperator.models.integration import EventKind, Integration
from ioperator.models.telephony import PhoneNumber, TelephonyProfile
from ioperator.services import integration_events, integrations, team, telephony_providers, telephony_setup, validation

ROUTE_NONE, ROUTE_USER, ROUTE_EXTERNAL = "none", "user", "external"

Progress = Callable[[int, int, str], Awaitable[None]]


@dataclass
class ProviderSync:
    integration_id: int
    provider: str
    fetched: int = 0
    added: int = 0
    updated: int = 0
    deactivated: int = 0
    error: str = ""  # translated message when the provider failed (its numbers were left as they were)

    @property
    def changed(self) -> int:
        return self.added + self.updated + self.deactivated


@dataclass
class SyncReport:
    providers: list[ProviderSync] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(p.changed for p in self.providers)

    @property
    def fetched(self) -> int:
        return sum(p.fetched for p in self.providers)

    @property
    def failed(self) -> list[ProviderSync]:
        return [p for p in self.providers if p.error]


# --- sync -------------------------------------------------------------------------------------
async def sync_numbers(
    *, session: Session, tenant: TenantContext, language: str = "en", on_progress: Progress | None = None
) -> SyncReport:
    tenant.require_manager()
    rows = telephony_providers.connected(session=session, tenant=tenant, enabled_only=True)
    if not rows:
        raise ValidationFailed("telephony.error.no_providers")
    report = SyncReport()
    for index, row in enumerate(rows):
        if on_progress is not None:
            await on_progress(index, len(rows), row.provider)
        result = ProviderSync(integration_id=row.id or 0, provider=row.provider)
        report.providers.append(result)
        adapter = integrations.build_adapter(row)
        assert isinstance(adapter, TelephonyAdapter)
        try:
            numbers = await integrations.call(adapter.list_numbers(dict(row.provider_state)))
        except IntegrationFailed as exc:
            result.error = exc.message(language)
            integration_events.record_event(
                session=session, integration=row, kind=EventKind.SYNC_FAILED, detail=exc.adapter_key
            )
            continue
        result.fetched = len(numbers)
        _apply(session, row, numbers, result)
        if result.changed:
            row.last_sync_at = utcnow()
            session.add(row)
            integration_events.record_event(
                session=session,
                integration=row,
                kind=EventKind.SYNCED,
                detail=f"+{result.added} ~{result.updated} -{result.deactivated}",
            )
        try:
            session.flush()
        except IntegrityError:
            raise Conflict("telephony.error.sync_running") from None
    if on_progress is not None:
        await on_progress(len(rows), len(rows), "")
    return report


def _apply(session: Session, row: Integration, numbers: list[ProviderNumber], result: ProviderSync) -> None:
    now = utcnow()
    existing = {
        n.provider_ref: n for n in session.exec(select(PhoneNumber).where(PhoneNumber.integration_id == row.id))
    }
    seen: set[str] = set()
    for number in numbers:
        if number.provider_ref in seen:
            continue  # a provider listing a number twice across pages
        seen.add(number.provider_ref)
        values = _values(number)
        current = existing.get(number.provider_ref)
        if current is None:
            session.add(
                PhoneNumber(
                    business_id=row.business_id,
                    integration_id=row.id or 0,
                    provider=row.provider,
                    provider_ref=number.provider_ref,
                    first_seen_at=now,
                    synced_at=now,
                    updated_at=now,
                    **values,
                )
            )
            result.added += 1
        elif not current.active or any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            current.active, current.synced_at, current.updated_at = True, now, now
            session.add(current)
            result.updated += 1
    for ref, current in existing.items():
        if ref not in seen and current.active:
            current.active, current.routed_here, current.synced_at, current.updated_at = False, False, now, now
            session.add(current)
            result.deactivated += 1


# --- reading ----------------------------------------------------------------------------------
def list_numbers(
    *,
    session: Session,
    tenant: TenantContext,
    provider: str = "",
    state: str = "active",  # "active" | "inactive" | "all"
    search: str = "",
    capability: str = "",  # "" | "voice" | "sms"
) -> list[PhoneNumber]:
    query = select(PhoneNumber).where(PhoneNumber.business_id == tenant.business_id)
    if provider:
        query = query.where(PhoneNumber.provider == provider)
    if state in ("active", "inactive"):
        query = query.where(col(PhoneNumber.active).is_(state == "active"))
    if capability == "voice":
        query = query.where(col(PhoneNumber.voice).is_(True))
    elif capability == "sms":
        query = query.where(col(PhoneNumber.sms).is_(True))
    rows = list(session.exec(query.order_by(col(PhoneNumber.e164))).all())
    needle = search.strip().casefold()
    if needle:
        digits = "".join(ch for ch in needle if ch.isdigit())
        rows = [
            r
            for r in rows
            if needle in r.friendly_name.casefold() or (digits and digits in r.e164) or needle in r.country.casefold()
        ]
    return rows


def get_number_or_raise(*, session: Session, tenant: TenantContext, number_id: int) -> PhoneNumber:
    number = session.exec(
        select(PhoneNumber).where(PhoneNumber.id == number_id, PhoneNumber.business_id == tenant.business_id)
    ).first()
    if number is None:
        raise NotFound("telephony.error.number_not_found")
    return number


def route_of(number: PhoneNumber) -> str:
    if number.route_user_id is not None:
        return ROUTE_USER
    return ROUTE_EXTERNAL if number.forward_to else ROUTE_NONE


# --- routing ----------------------------------------------------------------------------------
async def set_routing(
    *,
    session: Session,
    tenant: TenantContext,
    number_id: int,
    mode: str,
    user_id: int | None = None,
    forward_to: str = "",
) -> PhoneNumber:
    """Ring a member, forward to an outside number (E.164), or neither. A routed number is pointed at
    iOperator at the provider first (when iOperator set the provider side up); nothing is saved if that fails."""
    tenant.require_manager()
    number = get_number_or_raise(session=session, tenant=tenant, number_id=number_id)
    if mode == ROUTE_USER:
        if user_id is None:
            raise ValidationFailed("error.field_required", field="user_id")
        member = team.get_member_or_raise(session=session, tenant=tenant, user_id=user_id)
        target_user, target_forward = member.id, ""
    elif mode == ROUTE_EXTERNAL:
        target_forward = validation.phone(forward_to, field="forward_to", required=True)
        if target_forward == number.e164:
            raise ValidationFailed("telephony.error.forward_to_itself", field="forward_to")
        target_user = None
    elif mode == ROUTE_NONE:
        target_user, target_forward = None, ""
    else:
        raise ValidationFailed("error.field_invalid", field="mode")
    if mode != ROUTE_NONE:
        if not number.active:
            raise ValidationFailed("telephony.error.number_inactive", field="mode")
        await point_here(session=session, number=number)
    assign(session=session, number=number, to_user=target_user, forward_to=target_forward)
    session.flush()
    return number


def assign(*, session: Session, number: PhoneNumber, to_user: int | None, forward_to: str = "") -> None:
    """Set the route of a number the caller has already checked belongs to the tenant (and `to_user` is
    its member); whoever loses the number also loses it as their primary outbound number."""
    previous = number.route_user_id
    if previous is not None and previous != to_user:
        profile = session.exec(select(TelephonyProfile).where(TelephonyProfile.user_id == previous)).first()
        if profile is not None and profile.primary_number_id == number.id:
            profile.primary_number_id = None
            profile.updated_at = utcnow()
            session.add(profile)
    if (number.route_user_id, number.forward_to) != (to_user, forward_to):
        number.route_user_id, number.forward_to, number.updated_at = to_user, forward_to, utcnow()
        session.add(number)


async def point_here(*, session: Session, number: PhoneNumber) -> None:
    """Point the number's calls at the application iOperator created (no-op when set up by hand)."""
    if number.routed_here:
        return
    row = session.get(Integration, number.integration_id)
    if row is None or not row.provider_state or telephony_setup.is_manual(row.provider_state):
        return
    adapter = integrations.build_adapter(row)
    assert isinstance(adapter, TelephonyAdapter)
    await integrations.call(adapter.route_number_here(_provider_number(number), dict(row.provider_state)))
    number.routed_here = True
    session.add(number)


def _values(number: ProviderNumber) -> dict[str, Any]:
    """A provider's number as the columns it is stored in."""
    return {
        "e164": number.e164,
        "friendly_name": number.friendly_name[:200],
        "number_type": number.number_type,
        "country": number.country[:2].upper(),
        "voice": number.voice,
        "sms": number.sms,
        "provider_status": number.status[:40],
        "routed_here": number.routed_here,
    }


def _provider_number(number: PhoneNumber) -> ProviderNumber:
    return ProviderNumber(
        provider_ref=number.provider_ref,
        e164=number.e164,
        friendly_name=number.friendly_name,
        number_type=number.number_type,
        country=number.country,
        voice=number.voice,
        sms=number.sms,
        status=number.provider_status,
        routed_here=number.routed_here,
    )
