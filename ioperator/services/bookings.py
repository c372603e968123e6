"""Live CRM operations for bot engines (the Bot API): catalog, free slots, clients, bookings.

Thin over the business's connected CRM adapter. Input is validated here (422 naming the field);
provider failures become `ProviderFailed` (502/503, 501 for an operation the system lacks, 409 for a
slot taken meanwhile) carrying the provider's own reason.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import UTC, date, datetime, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from ioperator.adapters.crm.base import CrmAdapter, CrmBooking, CrmClient, CrmSlot
from ioperator.adapters.errors import AdapterError, RateLimited
from ioperator.core.auth import TenantContext
from ioperator.core.errors import Conflict, ProviderFailed, ValidationFailed
from ioperator.models.crm import CrmServiceRow, CrmStaffRow
from ioperator.models.integration import Integration, IntegrationStatus
from ioperator.services import business as business_service
from ioperator.services import crm_sync, integrations, validation

T = TypeVar("T")
MAX_SLOT_DAYS = 31


def connected_crm(*, session: Session, tenant: TenantContext) -> Integration:
    """The CRM the agent books in: the connected one (the most recently connected if several)."""
    rows = [
        row
        for row in integrations.list_integrations(session=session, tenant=tenant, kind="crm")
        if row.status is not IntegrationStatus.DISCONNECTED
    ]
    if not rows:
        raise Conflict("bot.error.no_crm")
    return max(rows, key=lambda r: (r.connected_at or datetime.min.replace(tzinfo=UTC), r.id or 0))


def catalog(*, session: Session, tenant: TenantContext) -> tuple[Integration, list[CrmServiceRow], list[CrmStaffRow]]:
    """The synced catalog (what the agent offers), from the local copy: no provider call."""
    crm = connected_crm(session=session, tenant=tenant)
    services = crm_sync.list_services(session=session, tenant=tenant, integration_id=crm.id or 0, limit=100_000)
    staff = crm_sync.list_staff(session=session, tenant=tenant, integration_id=crm.id or 0)
    return crm, services, staff


async def free_slots(
    *,
    session: Session,
    tenant: TenantContext,
    service: str,
    staff: str | None,
    start: date,
    end: date | None = None,
) -> list[CrmSlot]:
    service = _required_id(service, "service_id")
    end = end or start
    if end < start:
        raise ValidationFailed("bot.error.range_reversed", field="date_to")
    if (end - start).days >= MAX_SLOT_DAYS:
        raise ValidationFailed("bot.error.range_too_long", field="date_to", days=MAX_SLOT_DAYS)
    crm, adapter = _adapter(session=session, tenant=tenant)
    return await _call(crm, adapter.free_slots(service_id=service, staff_id=staff or None, start=start, end=end))


async def find_client(*, session: Session, tenant: TenantContext, phone: str) -> CrmClient | None:
    phone = validation.phone(phone, field="phone", required=True)
    crm, adapter = _adapter(session=session, tenant=tenant)
    return await _call(crm, adapter.find_client(phone))


async def create_client(
    *, session: Session, tenant: TenantContext, name: str, phone: str, email: str = ""
) -> CrmClient:
    name = validation.text(name, field="name", max_length=120, required=True)
    phone = validation.phone(phone, field="phone", required=True)
    email = validation.email(email) if email.strip() else ""
    crm, adapter = _adapter(session=session, tenant=tenant)
    return await _call(crm, adapter.create_client(name=name, phone=phone, email=email))


async def create_booking(
    *,
    session: Session,
    tenant: TenantContext,
    service: str,
    staff: str | None,
    start: datetime,
    client_name: str,
    client_phone: str,
    client_email: str = "",
    comment: str = "",
) -> CrmBooking:
    """Book for a customer: their CRM client is found by phone (or created), then the booking is made."""
    service = _required_id(service, "service_id")
    name = validation.text(client_name, field="client.name", max_length=120, required=True)
    phone = validation.phone(client_phone, field="client.phone", required=True)
    email = validation.email(client_email, field="client.email") if client_email.strip() else ""
    comment = validation.text(comment, field="comment", max_length=500)
    start = _aware(start, business_service.get_business(session=session, tenant=tenant).timezone)
    if start < datetime.now(UTC) - timedelta(minutes=1):
        raise ValidationFailed("bot.error.start_in_past", field="start")
    crm, adapter = _adapter(session=session, tenant=tenant)
    client = CrmClient(external_id="", name=name, phone=phone, email=email)
    if "find_client" in adapter.supported_operations():
        found: CrmClient | None = await _call(crm, adapter.find_client(phone))
        client = found or client
    return await _call(
        crm,
        adapter.create_booking(service_id=service, staff_id=staff or None, start=start, client=client, comment=comment),
    )


async def cancel_booking(*, session: Session, tenant: TenantContext, booking: str) -> None:
    booking = _required_id(booking, "booking_id")
    crm, adapter = _adapter(session=session, tenant=tenant)
    await _call(crm, adapter.cancel_booking(booking))


# --- helpers ----------------------------------------------------------------------------------
def _adapter(*, session: Session, tenant: TenantContext) -> tuple[Integration, CrmAdapter]:
    crm = connected_crm(session=session, tenant=tenant)
    adapter = integrations.build_adapter(crm)
    assert isinstance(adapter, CrmAdapter)
    return crm, adapter


async def _call(crm: Integration, awaitable: Awaitable[T]) -> T:
    try:
        return await awaitable
    except AdapterError as exc:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        raise ProviderFailed(exc.key, provider=crm.provider, reason=exc.detail, retry_after=retry_after) from None


def _required_id(value: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("error.field_required", field=field)
    if len(value) > 120:
        raise ValidationFailed("error.field_invalid", field=field)
    return value


def _aware(moment: datetime, timezone: str) -> datetime:
    """A time without an offset is the business's local time."""
    if moment.tzinfo is not None:
        return moment
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.replace(tzinfo=zone)
