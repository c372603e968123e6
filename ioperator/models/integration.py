"""A business's connection to an outside system (channel, CRM, telephony), and its event log."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from ioperator.core.db import EncryptedString, utcnow


class IntegrationStatus(StrEnum):
    CONNECTED = "connected"
    ERROR = "error"
    DISCONNECTED = "disconnected"


class EventKind(StrEnum):
    CONNECTED = "connected"
    RECONFIGURED = "reconfigured"
    TESTED = "tested"
    TEST_FAILED = "test_failed"
    WEBHOOK_RECEIVED = "webhook_received"
    WEBHOOK_REJECTED = "webhook_rejected"
    DISCONNECTED = "disconnected"
    SYNCED = "synced"
    SYNC_FAILED = "sync_failed"


def _enum(enum: type[StrEnum]) -> sa.Enum:
    return sa.Enum(enum, native_enum=False, length=24, values_callable=lambda e: [m.value for m in e])


class Integration(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("business_id", "instance_key", name="uq_integration_instance"),
        # One default outbound telephony provider per business.
        sa.Index(
            "uq_integration_default",
            "business_id",
            unique=True,
            sqlite_where=sa.text("is_default"),
            postgresql_where=sa.text("is_default"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=40)
    kind: str = Field(max_length=20)
    # The provider slug for single-instance providers, so the database keeps one per business.
    instance_key: str = Field(max_length=80)
    status: IntegrationStatus = Field(default=IntegrationStatus.DISCONNECTED, sa_type=_enum(IntegrationStatus))
    config: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Secret config values as one JSON object, encrypted at rest (MultiFernet).
    secrets: str | None = Field(default=None, sa_column=Column(EncryptedString, nullable=True))
    # Random per integration: Telegram's secret_token, Meta's verify token.
    webhook_secret: str | None = Field(default=None, sa_column=Column(EncryptedString, nullable=True))
    # What connect did at the provider, so disconnect can undo it.
    provider_state: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # What the connection test found (bot name, phone number, account name).
    found_title: str = Field(default="", max_length=200)
    found_details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    error_message: str = Field(default="", max_length=500)
    # Telephony: a disabled provider keeps its credentials but is not synced or used for calls.
    enabled: bool = True
    is_default: bool = False
    last_sync_at: datetime | None = None
    last_event_at: datetime | None = None
    connected_by: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    connected_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class IntegrationEvent(SQLModel, table=True):
    __tablename__ = "integration_event"
    __table_args__ = (sa.Index("ix_integration_event_integration_created", "integration_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    kind: EventKind = Field(sa_type=_enum(EventKind))
    detail: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class IntegrationPublic(SQLModel):
    """An integration as the dashboard and API show it: no secret values, ever."""

    id: int
    provider: str
    kind: str
    status: IntegrationStatus
    config: dict[str, Any]
    secrets_set: list[str]  # names of the secret fields that have a stored value
    masked_secrets: dict[str, str]  # "••••1234"
    found_title: str
    found_details: dict[str, Any]
    error_message: str
    last_sync_at: datetime | None
    last_event_at: datetime | None
    connected_by: int | None
    connected_at: datetime | None


class IntegrationEventPublic(SQLModel):
    id: int
    kind: EventKind
    detail: str
    created_at: datetime
