"""The business's language model for the prompt editor's test chat: an OpenAI-compatible endpoint."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Column, Field, SQLModel

from ioperator.core.db import EncryptedString, utcnow


class LlmConfig(SQLModel, table=True):
    __tablename__ = "llm_config"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, unique=True, ondelete="CASCADE")
    base_url: str = Field(max_length=300)
    api_key: str | None = Field(default=None, sa_column=Column(EncryptedString, nullable=True))
    model: str = Field(max_length=120)
    temperature: float | None = None
    updated_at: datetime = Field(default_factory=utcnow)
