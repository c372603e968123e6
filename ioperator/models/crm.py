"""A local copy of each connected CRM's catalog: what the AI agent knows about services and staff."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from ioperator.core.db import utcnow


class CrmServiceRow(SQLModel, table=True):
    __tablename__ = "crm_service"
    __table_args__ = (sa.UniqueConstraint("integration_id", "external_id", name="uq_crm_service_external"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    integration_id: int = Field(foreign_key="integration.id", index=True, ondelete="CASCADE")
    external_id: str = Field(max_length=120)
    name: str = Field(max_length=300)
    category: str = Field(default="", max_length=200)
    price: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    price_max: Decimal | None = Field(default=None, max_digits=12, decimal_places=2)
    duration_minutes: int | None = None
    staff_ids: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    active: bool = True  # False once the CRM no longer lists it (kept, never silently deleted)
    synced_at: datetime = Field(default_factory=utcnow)


class CrmStaffRow(SQLModel, table=True):
    __tablename__ = "crm_staff"
    __table_args__ = (sa.UniqueConstraint("integration_id", "external_id", name="uq_crm_staff_external"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    integration_id: int = Field(foreign_key="integration.id", index=True, ondelete="CASCADE")
    external_id: str = Field(max_length=120)
    name: str = Field(max_length=200)
    position: str = Field(default="", max_length=200)
    active: bool = True
    synced_at: datetime = Field(default_factory=utcnow)
