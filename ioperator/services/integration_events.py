"""Each integration's event log: connected, tested, webhooks received or rejected, disconnected."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from ioperator.core.auth import TenantContext
from ioperator.core.config import get_settings
from ioperator.core.db import utcnow
from ioperator.core.errors import NotFound
from ioperator.models.integration import EventKind, Integration, IntegrationEvent

EVENTS_PAGE_SIZE = 20
LAST_EVENT_REFRESH = timedelta(seconds=5)


def record_event(*, session: Session, integration: Integration, kind: EventKind, detail: str = "") -> None:
    now = utcnow()
    assert integration.id is not None
    session.add(
        IntegrationEvent(
            business_id=integration.business_id,
            integration_id=integration.id,
            kind=kind,
            detail=detail[:500],
            created_at=now,
        )
    )
    # Busy webhooks would otherwise update the same integration row on every delivery, and concurrent
    # deliveries would queue on its row lock: refresh it (and purge old events) at most every few seconds.
    if kind is not EventKind.WEBHOOK_RECEIVED or _stale(integration.last_event_at, now):
        integration.last_event_at = now
        session.add(integration)
        cutoff = now - timedelta(days=get_settings().integration_event_retention_days)
        session.exec(
            delete(IntegrationEvent).where(
                col(IntegrationEvent.integration_id) == integration.id, col(IntegrationEvent.created_at) < cutoff
            )
        )
    session.flush()


def _stale(last: datetime | None, now: datetime) -> bool:
    return last is None or now - last >= LAST_EVENT_REFRESH


def list_events(
    *, session: Session, tenant: TenantContext, integration_id: int, page: int = 1, page_size: int = EVENTS_PAGE_SIZE
) -> tuple[list[IntegrationEvent], int]:
    """One page of the integration's events, newest first, and the total count."""
    integration = session.exec(
        select(Integration).where(Integration.id == integration_id, Integration.business_id == tenant.business_id)
    ).first()
    if integration is None:
        raise NotFound("error.integration_not_found")
    page = max(1, page)
    where = (IntegrationEvent.integration_id == integration.id, IntegrationEvent.business_id == tenant.business_id)
    total = int(session.exec(select(func.count()).select_from(IntegrationEvent).where(*where)).one())
    rows = session.exec(
        select(IntegrationEvent)
        .where(*where)
        .order_by(col(IntegrationEvent.created_at).desc(), col(IntegrationEvent.id).desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    ).all()
    return list(rows), total
