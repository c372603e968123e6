"""People who sign in. Each belongs to one business, with a role in it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ioperator.core.db import utcnow


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    OPERATOR = "operator"


class UserBase(SQLModel):
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=120)
    role: Role = Field(
        default=Role.OPERATOR,
        sa_type=sa.Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
    )
    language: str = Field(default="en", max_length=8)


class User(UserBase, table=True):
    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    email: str = Field(max_length=254, unique=True, index=True)
    password_hash: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None


class MemberCreate(SQLModel):
    email: str
    name: str = ""
    role: Role = Role.OPERATOR
    password: str
    language: str | None = None


class MemberUpdate(SQLModel):
    role: Role | None = None
    name: str | None = None


class ProfileUpdate(SQLModel):
    name: str | None = None
    language: str | None = None


class UserPublic(UserBase):
    id: int
    business_id: int
    created_at: datetime
    last_login_at: datetime | None
