"""Copy a connected CRM's services and staff into local tables (on connect and on demand).

Everything is fetched before anything is written, so a failed sync keeps the last good catalog and
marks the integration `error` with the reason. Rows are upserted by the CRM's own ids: running it
twice changes nothing, and only rows that changed are written. Items the CRM no longer lists are
marked inactive, never silently deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, func, select

from ioperator.adapters.crm.base import CrmAdapter, CrmService, CrmStaff
from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import IntegrationFailed, ValidationFailed
from ioperator.models.crm import CrmServiceRow, CrmStaffRow
from ioperator.models.integration import EventKind, Integration, IntegrationStatus
from ioperator.services import integration_events, integrations


@dataclass(frozen=True)
class SyncResult:
    services: int
    staff: int
    changed: int


async def sync_catalog(*, session: Session, tenant: TenantContext, integration_id: int) -> SyncResult:
    """Sync one CRM integration; on failure the old catalog stays and the reason becomes the status."""
    integration = integrations.get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if integration.kind != "crm" or integration.status is IntegrationStatus.DISCONNECTED:
        raise ValidationFailed("error.integration_not_syncable")
    adapter = integrations.build_adapter(integration)
    assert isinstance(adapter, CrmAdapter)
    operations = adapter.supported_operations()
    try:
        services = await integrations.call(adapter.list_services()) if "list_services" in operations else []
        staff = await integrations.call(adapter.list_staff()) if "list_staff" in operations else []
    except IntegrationFailed as exc:
        integration.status = IntegrationStatus.ERROR
        integration.error_message = exc.message("en")[:500]
        integration_events.record_event(
            session=session, integration=integration, kind=EventKind.SYNC_FAILED, detail=exc.adapter_key
        )
        session.add(integration)
        session.flush()
        raise
    changed = _upsert_services(session, integration, services) + _upsert_staff(session, integration, staff)
    integration.status = IntegrationStatus.CONNECTED
    integration.error_message = ""
    integration.last_sync_at = utcnow()
    session.add(integration)
    detail = f"{len(services)} services, {len(staff)} staff, {changed} changed"
    integration_events.record_event(session=session, integration=integration, kind=EventKind.SYNCED, detail=detail)
    return SyncResult(services=len(services), staff=len(staff), changed=changed)


def _upsert_services(session: Session, integration: Integration, items: list[CrmService]) -> int:
    def values(item: CrmService) -> dict[str, Any]:
        return {
            "name": item.name[:300],
            "category": item.category[:200],
            "price": _money(item.price),
            "price_max": _money(item.price_max),
            "duration_minutes": item.duration_minutes,
            "staff_ids": list(item.staff_ids),
            "active": True,
        }

    return _upsert(session, integration, CrmServiceRow, {i.external_id: values(i) for i in items})


def _upsert_staff(session: Session, integration: Integration, items: list[CrmStaff]) -> int:
    wanted = {i.external_id: {"name": i.name[:200], "position": i.position[:200], "active": True} for i in items}
    return _upsert(session, integration, CrmStaffRow, wanted)


def _upsert(
    session: Session,
    integration: Integration,
    model: type[CrmServiceRow] | type[CrmStaffRow],
    wanted: dict[str, dict[str, Any]],
) -> int:
    now = utcnow()
    rows: list[Any] = list(session.exec(select(model).where(col(model.integration_id) == integration.id)).all())
    existing = {row.external_id: row for row in rows}
    changed = 0
    for external_id, values in wanted.items():
        row = existing.get(external_id)
        if row is None:
            session.add(
                model(
                    business_id=integration.business_id,
                    integration_id=integration.id or 0,
                    external_id=external_id,
                    synced_at=now,
                    **values,
                )
            )
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            row.synced_at = now
            session.add(row)
            changed += 1
    for external_id, row in existing.items():
        if external_id not in wanted and row.active:
            row.active = False
            row.synced_at = now
            session.add(row)
            changed += 1
    session.flush()
    return changed


def _money(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


# --- reading the local catalog -----------------------------------------------------------------
def catalog_counts(*, session: Session, tenant: TenantContext, integration_id: int) -> tuple[int, int]:
    """Active services and staff of one integration."""
    integration = integrations.get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    counts = []
    for model in (CrmServiceRow, CrmStaffRow):
        counts.append(
            int(
                session.exec(
                    select(func.count())
                    .select_from(model)
                    .where(col(model.integration_id) == integration.id, col(model.active).is_(True))
                ).one()
            )
        )
    return counts[0], counts[1]


def list_services(
    *, session: Session, tenant: TenantContext, integration_id: int, search: str = "", limit: int = 200
) -> list[CrmServiceRow]:
    """Active services, by category and name; `search` matches name or category in any script and case
    (filtered here: SQLite's LIKE and lower() only fold ASCII, and menus are often Cyrillic)."""
    integration = integrations.get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    query = select(CrmServiceRow).where(
        CrmServiceRow.integration_id == integration.id,
        CrmServiceRow.business_id == tenant.business_id,
        col(CrmServiceRow.active).is_(True),
    )
    rows = session.exec(query.order_by(col(CrmServiceRow.category), col(CrmServiceRow.name))).all()
    needle = search.strip().casefold()
    if needle:
        rows = [r for r in rows if needle in r.name.casefold() or needle in r.category.casefold()]
    return list(rows[:limit])


def list_staff(*, session: Session, tenant: TenantContext, integration_id: int) -> list[CrmStaffRow]:
    integration = integrations.get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    return list(
        session.exec(
            select(CrmStaffRow)
            .where(
                CrmStaffRow.integration_id == integration.id,
                CrmStaffRow.business_id == tenant.business_id,
                col(CrmStaffRow.active).is_(True),
            )
            .order_by(col(CrmStaffRow.name))
        ).all()
    )
