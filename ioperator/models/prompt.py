"""The agent's prompts: several named prompts per business, one active; every save an immutable version."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from ioperator.core.db import utcnow


class Prompt(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("business_id", "name", name="uq_prompt_name"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=120)
    language: str = Field(default="en", max_length=8)
    template_slug: str = Field(default="", max_length=40)  # decides the required sections
    is_active: bool = False
    current_version: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class PromptVersion(SQLModel, table=True):
    __tablename__ = "prompt_version"
    __table_args__ = (sa.UniqueConstraint("prompt_id", "number", name="uq_prompt_version_number"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    prompt_id: int = Field(foreign_key="prompt.id", index=True, ondelete="CASCADE")
    number: int
    source: str = Field(sa_type=sa.Text)
    note: str = Field(default="", max_length=300)
    author_id: int | None = Field(default=None, foreign_key="app_user.id", ondelete="SET NULL")
    restored_from: int | None = None  # the version number this one restores
    created_at: datetime = Field(default_factory=utcnow)


class PromptVariable(SQLModel, table=True):
    """A custom variable the owner defines, usable in every prompt of the business as `{{name}}`."""

    __tablename__ = "prompt_variable"
    __table_args__ = (sa.UniqueConstraint("business_id", "name", name="uq_prompt_variable_name"),)

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=40)
    description: str = Field(default="", max_length=200)
    value: str = Field(default="", sa_type=sa.Text)
    updated_at: datetime = Field(default_factory=utcnow)
