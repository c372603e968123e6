"""A business is the tenant: every business-owned row carries its id."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ioperator.core.db import utcnow

LANGUAGES = ("en", "ru")


class BusinessBase(SQLModel):
    name: str = Field(max_length=120)
    address: str = Field(default="", max_length=300)
    phone: str = Field(default="", max_length=32)
    website: str = Field(default="", max_length=200)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=8)
    working_hours: str = Field(default="", max_length=300)  # as people write them: "Mon-Fri 9:00-20:00"


class Business(BusinessBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BusinessUpdate(SQLModel):
    name: str | None = None
    address: str | None = None
    phone: str | None = None
    website: str | None = None
    timezone: str | None = None
    language: str | None = None
    working_hours: str | None = None


class BusinessPublic(BusinessBase):
    id: int
    created_at: datetime
