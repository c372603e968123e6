"""Customers, their conversations per channel, and the messages in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ioperator.core.db import utcnow


class Direction(StrEnum):
    INBOUND = "in"
    OUTBOUND = "out"


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=32, index=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ContactIdentity(SQLModel, table=True):
    """How a contact is known on one channel (Telegram user id, WhatsApp wa_id, Instagram IGSID)."""

    __tablename__ = "contact_identity"
    __table_args__ = (sa.UniqueConstraint("business_id", "channel", "external_id", name="uq_contact_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=40)
    external_id: str = Field(max_length=120)
    username: str = Field(default="", max_length=120)


class Conversation(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("integration_id", "external_chat_id", name="uq_conversation_chat"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    integration_id: int = Field(foreign_key="integration.id", index=True, ondelete="CASCADE")
    channel: str = Field(max_length=40)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    external_chat_id: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    last_message_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "provider_message_id", name="uq_message_provider_id"),
        sa.Index("ix_message_business_conversation_created", "business_id", "conversation_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    integration_id: int = Field(foreign_key="integration.id", ondelete="CASCADE")
    direction: Direction = Field(
        default=Direction.INBOUND,
        sa_type=sa.Enum(Direction, native_enum=False, length=8, values_callable=lambda e: [m.value for m in e]),
    )
    provider_message_id: str = Field(max_length=200)
    text: str = Field(default="", sa_type=sa.Text)
    sent_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
