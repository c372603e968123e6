"""Server-side sign-in sessions, stored only as hashes of their tokens."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from ioperator.core.db import utcnow


class AuthSession(SQLModel, table=True):
    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    business_id: int = Field(foreign_key="business.id", index=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    # The cookie's token, hashed. Empty until the one-time ticket is exchanged for the cookie.
    token_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    # A one-time ticket the page exchanges (over HTTP) for the HttpOnly cookie; hashed, short-lived.
    ticket_hash: str | None = Field(default=None, max_length=64, unique=True, index=True)
    ticket_expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    last_seen_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    ip: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=300)


class SessionPublic(SQLModel):
    """A signed-in browser as its owner sees it (never the token or its hash)."""

    id: int
    device: str
    ip: str
    created_at: datetime
    last_seen_at: datetime
    current: bool
