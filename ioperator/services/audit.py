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
    business: int,
    action: str,
    by_user: int | None = None,
    by_key: int | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append an event to the log of `business`: always the acting tenant's own (a user's or an API key's)."""
    event = AuditEvent(business_id=business, action=action, user_id=by_user, api_key_id=by_key, detail=detail[:300])
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
