"""Signing in and out: credentials check, server-side sessions stored as hashes, cookie tickets.

A sign-in from a page runs over the websocket, which cannot set an HttpOnly cookie. So `login`
creates the session with a one-time ticket (60 s); the page POSTs the ticket to
`/api/auth/session`, which swaps it for the session token and sets the HttpOnly cookie.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, delete, select

from ioperator.core import crypto
from ioperator.core.auth import TenantContext, dummy_hash, hash_password, needs_rehash, verify_password
from ioperator.core.config import get_settings
from ioperator.core.db import utcnow
from ioperator.core.errors import InvalidCredentials, NotFound, ValidationFailed
from ioperator.models.auth import AuthSession
from ioperator.models.business import Business
from ioperator.models.user import User
from ioperator.services import login_throttle

COOKIE_NAME = "ioperator_session"
TICKET_TTL = timedelta(seconds=60)
LAST_SEEN_GRANULARITY = timedelta(minutes=5)

Sleeper = Callable[[float], Awaitable[None]]
_default_sleep: Sleeper = asyncio.sleep


@dataclass(frozen=True)
class SignedIn:
    """A valid session, with its user and business loaded."""

    session: AuthSession
    user: User
    business: Business

    @property
    def tenant(self) -> TenantContext:
        assert self.user.id is not None
        return TenantContext(business_id=self.business.id or 0, user_id=self.user.id, role=self.user.role)


async def authenticate(
    *, session: Session, email: str, password: str, address: str, sleep: Sleeper | None = None
) -> User:
    """The user for these credentials, or one message that does not say whether the email exists."""
    email_key = (email or "").strip().lower()
    if not email_key or not password:
        raise ValidationFailed("error.login_fields_required")
    throttle = login_throttle.check(email_key, address)
    if throttle.delay_seconds:
        await (sleep or _default_sleep)(throttle.delay_seconds)
    user = session.exec(select(User).where(User.email == email_key)).first()
    hashed = user.password_hash if user else dummy_hash()
    valid = verify_password(hashed, password)
    if user is None or not valid:
        login_throttle.record_failure(email_key, address)
        raise InvalidCredentials("error.login_invalid")
    login_throttle.record_success(email_key)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    return user


def start_session(*, session: Session, user: User, address: str = "", user_agent: str = "") -> str:
    """Create a session for `user`; returns the one-time ticket to exchange for the cookie."""
    assert user.id is not None
    ticket = crypto.new_token()
    now = utcnow()
    session.add(
        AuthSession(
            business_id=user.business_id,
            user_id=user.id,
            ticket_hash=crypto.hash_token(ticket),
            ticket_expires_at=now + TICKET_TTL,
            expires_at=now + _ttl(),
            ip=address[:64],
            user_agent=user_agent[:300],
        )
    )
    session.flush()
    purge_expired(session=session)  # housekeeping: sign-ins are rare enough to carry it
    return ticket


def exchange_ticket(*, session: Session, ticket: str) -> str | None:
    """Swap a fresh one-time ticket for the session token (the cookie value). None if invalid."""
    if not ticket:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.ticket_hash == crypto.hash_token(ticket))).first()
    if row is None:
        return None
    now = utcnow()
    row.ticket_hash = None
    if row.ticket_expires_at is None or row.ticket_expires_at < now or row.token_hash is not None:
        session.delete(row)
        session.flush()
        return None
    token = crypto.new_token()
    row.token_hash = crypto.hash_token(token)
    row.ticket_expires_at = None
    row.last_seen_at = now
    session.add(row)
    session.flush()
    return token


def resolve(*, session: Session, token: str | None) -> SignedIn | None:
    """The live session for a cookie token; None if unknown or expired (sessions last a fixed TTL)."""
    if not token:
        return None
    row = session.exec(select(AuthSession).where(AuthSession.token_hash == crypto.hash_token(token))).first()
    now = utcnow()
    if row is None:
        return None
    if row.expires_at <= now:
        session.delete(row)
        session.flush()
        return None
    user = session.get(User, row.user_id)
    business = session.get(Business, row.business_id)
    if user is None or business is None or user.business_id != row.business_id:
        return None
    if now - row.last_seen_at >= LAST_SEEN_GRANULARITY:
        row.last_seen_at = now
        session.add(row)
        session.flush()
    return SignedIn(session=row, user=user, business=business)


def end_session(*, session: Session, token: str | None) -> None:
    if token:
        session.exec(delete(AuthSession).where(col(AuthSession.token_hash) == crypto.hash_token(token)))


def end_other_sessions(*, session: Session, tenant: TenantContext, keep_token: str | None) -> int:
    """End every session of the acting user except the one carrying `keep_token`."""
    query = delete(AuthSession).where(
        col(AuthSession.user_id) == tenant.user_id, col(AuthSession.business_id) == tenant.business_id
    )
    if keep_token:
        query = query.where(col(AuthSession.token_hash) != crypto.hash_token(keep_token))
    result = session.exec(query)
    return int(getattr(result, "rowcount", 0) or 0)


def end_user_sessions(*, session: Session, tenant: TenantContext, user_id: int) -> None:
    """End every session of one member of the tenant's business (role change, removal)."""
    session.exec(
        delete(AuthSession).where(
            col(AuthSession.user_id) == user_id, col(AuthSession.business_id) == tenant.business_id
        )
    )


def list_sessions(*, session: Session, tenant: TenantContext) -> list[AuthSession]:
    """The acting user's live sessions (signed-in browsers), newest activity first."""
    return list(
        session.exec(
            select(AuthSession)
            .where(
                AuthSession.user_id == tenant.user_id,
                AuthSession.business_id == tenant.business_id,
                col(AuthSession.token_hash).is_not(None),
                AuthSession.expires_at > utcnow(),
            )
            .order_by(col(AuthSession.last_seen_at).desc(), col(AuthSession.id).desc())
        ).all()
    )


def end_own_session(*, session: Session, tenant: TenantContext, session_id: int) -> None:
    """Sign out one of the acting user's own sessions; another's is "not found"."""
    row = session.exec(
        select(AuthSession).where(
            AuthSession.id == session_id,
            AuthSession.user_id == tenant.user_id,
            AuthSession.business_id == tenant.business_id,
        )
    ).first()
    if row is None:
        raise NotFound("error.session_not_found")
    session.delete(row)
    session.flush()


def is_current(row: AuthSession, token: str | None) -> bool:
    return bool(token) and row.token_hash == crypto.hash_token(token or "")


def purge_expired(*, session: Session) -> int:
    now = utcnow()
    result = session.exec(
        delete(AuthSession).where(
            (col(AuthSession.expires_at) <= now)
            | ((col(AuthSession.token_hash).is_(None)) & (col(AuthSession.ticket_expires_at) <= now))
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)


def cookie_max_age() -> int:
    return int(_ttl().total_seconds())


def _ttl() -> timedelta:
    return timedelta(hours=get_settings().session_ttl_hours)


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Chromium/", "Chromium"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """ "Chrome on Linux" — enough for a person to recognise their browser; empty if unknown."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return f"{browser} · {system}"
    return browser or system
