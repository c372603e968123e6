"""The business's audit log: who did what with its API keys and configuration."""

from __future__ import annotations

from sqlmodel import Session, col, select

from ioperator.core.auth import TenantContext
from ioperator.models.api_key import AuditEvent

KEY_CREATED = "api_key.created"
KEY_REVOKED = "api_key.revoked"
CONFIG_FETCHED = "config.fetched"


def record(
    *,
    session: Session,
    business_id: int,
    action: str,
    user_id: int | None = None,
    api_key_id: int | None = None,
    detail: str = "",
) -> AuditEvent:
    event = AuditEvent(
        business_id=business_id, action=action, user_id=user_id, api_key_id=api_key_id, detail=detail[:300]
    )
    session.add(event)
    return event


def list_events(*, session: Session, tenant: TenantContext, limit: int = 50) -> list[AuditEvent]:
    """The newest events first."""
    query = (
        select(AuditEvent)
        .where(AuditEvent.business_id == tenant.business_id)
        .order_by(col(AuditEvent.created_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return list(session.exec(query).all())
