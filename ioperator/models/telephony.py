"""Telephony: the business's phone numbers (synced from its providers) and each member's telephony profile.

A number's routing and its user's assignment are one fact: a number routed to "ring a user" is that
user's number. So the Users page and the Numbers page edit the same column and cannot disagree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ioperator.core.db import utcnow


class Presence(StrEnum):
    ONLINE = "online"
    BUSY = "busy"
    DND = "dnd"
    OFFLINE = "offline"


class PhoneNumber(SQLModel, table=True):
    __tablename__ = "phone_number"
    __table_args__ = (
        sa.UniqueConstraint("integration_id", "provider_ref", name="uq_phone_number_provider_ref"),
        sa.CheckConstraint("route_user_id IS NULL OR forward_to = ''", name="ck_phone_number_one_route"),
    )

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    integration_id: int = Field(foreign_key="integration.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=40)
    provider_ref: str = Field(max_length=120)
    e164: str = Field(max_length=20, index=True)
    friendly_name: str = Field(default="", max_length=200)
    number_type: str = Field(default="other", max_length=20)
    country: str = Field(default="", max_length=2)
    voice: bool = True
    sms: bool = False
    provider_status: str = Field(default="active", max_length=40)
    active: bool = True  # False once the provider no longer lists it (kept, never silently deleted)
    routed_here: bool = False  # the provider sends this number's calls to iOperator
    # Routing: ring a member, or forward to an outside number, or neither.
    route_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True, ondelete="SET NULL")
    forward_to: str = Field(default="", max_length=20)
    first_seen_at: datetime = Field(default_factory=utcnow)
    synced_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TelephonyProfile(SQLModel, table=True):
    __tablename__ = "telephony_profile"
    __table_args__ = (sa.UniqueConstraint("user_id", name="uq_telephony_profile_user"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", ondelete="CASCADE")
    primary_number_id: int | None = Field(default=None, foreign_key="phone_number.id", ondelete="SET NULL")
    forwarding_number: str = Field(default="", max_length=20)
    receive_in_browser: bool = True
    forward_when_offline: bool = False
    voicemail_enabled: bool = True
    presence: Presence = Field(
        default=Presence.OFFLINE,
        sa_type=sa.Enum(Presence, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
    )
    presence_at: datetime | None = None
    updated_at: datetime = Field(default_factory=utcnow)
