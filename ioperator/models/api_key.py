"""API keys for bot engines, and the business's audit log.

A key is `iop_<public id>_<secret>`. Only the public id (to find the row), the last four characters
(to recognise it) and a SHA-256 of the whole key are stored; the key itself is shown once.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ioperator.core.db import utcnow


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=80)
    public_id: str = Field(max_length=16, unique=True, index=True)
    last4: str = Field(max_length=4)
    key_hash: str = Field(max_length=64)
    created_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    last_used_at: datetime | None = None


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_business_created", "business_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    action: str = Field(max_length=40)  # "api_key.created", "api_key.revoked", "config.fetched"
    user_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id", ondelete="SET NULL")
    detail: str = Field(default="", max_length=300)
    created_at: datetime = Field(default_factory=utcnow)
