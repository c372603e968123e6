"""API keys for bot engines: create (shown once), list, revoke, and authenticate a request.

A key is `iop_<public id>_<secret>`: 8 + 32 random URL-safe characters with a recognisable
prefix (secret scanners can match `iop_`). Only the public id, the last four characters and a
SHA-256 of the whole key are stored — a key is 190+ random bits, so a fast hash is the right one —
and the hash is compared in constant time.
"""

from __future__ import annotations

import re
import secrets
import string
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ioperator.core import crypto
from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import NotFound, ValidationFailed
from ioperator.models.api_key import ApiKey
from ioperator.models.user import Role
from ioperator.services import audit

PREFIX = "iop_"
_ALPHABET = string.ascii_letters + string.digits
_PUBLIC_ID_LENGTH = 8
_SECRET_LENGTH = 32
_KEY_RE = re.compile(rf"^iop_([A-Za-z0-9]{{{_PUBLIC_ID_LENGTH}}})_([A-Za-z0-9]{{{_SECRET_LENGTH}}})$")
NAME_MAX_LENGTH = 80
LAST_USED_RESOLUTION = timedelta(minutes=1)
# key id -> when this worker last recorded a use (monotonic seconds): the requests in flight at the minute's turn
# all hold an old `last_used_at`, and would each try the UPDATE.
_marked_here: dict[int, float] = {}


@dataclass(frozen=True)
class CreatedKey:
    key: ApiKey
    token: str  # the full key: shown once, never stored


@dataclass(frozen=True)
class KeyAuth:
    """An authenticated API key: the tenant it acts for."""

    key_id: int
    public_id: str
    business_id: int
    last_used_at: datetime | None

    @property
    def tenant(self) -> TenantContext:
        # A bot engine reads configuration and books for customers: operator rights, no user.
        return TenantContext(business_id=self.business_id, user_id=None, role=Role.OPERATOR)


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def display_prefix(key: ApiKey) -> str:
    """How the dashboard names a key: `iop_AbC123xy_…wxyz`."""
    return f"{PREFIX}{key.public_id}_…{key.last4}"


def list_keys(*, session: Session, tenant: TenantContext) -> list[ApiKey]:
    query = select(ApiKey).where(ApiKey.business_id == tenant.business_id)
    return list(session.exec(query.order_by(col(ApiKey.created_at).desc(), col(ApiKey.id).desc())).all())


def create_key(*, session: Session, tenant: TenantContext, name: str, expires_at: datetime | None = None) -> CreatedKey:
    tenant.require_manager()
    name = " ".join(name.split())
    if not name:
        raise ValidationFailed("error.field_required", field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationFailed("api_keys.error.name_too_long", field="name", max=NAME_MAX_LENGTH)
    if expires_at is not None:
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at <= utcnow():
            raise ValidationFailed("api_keys.error.expiry_in_past", field="expires_at")
    public_id = _random(_PUBLIC_ID_LENGTH)
    token = f"{PREFIX}{public_id}_{_random(_SECRET_LENGTH)}"
    key = ApiKey(
        business_id=tenant.business_id,
        name=name,
        public_id=public_id,
        last4=token[-4:],
        key_hash=crypto.hash_token(token),
        created_by=tenant.user_id,
        expires_at=expires_at,
    )
    session.add(key)
    session.flush()
    audit.record(
        session=session,
        business=tenant.business_id,
        action=audit.KEY_CREATED,
        by_user=tenant.user_id,
        by_key=key.id,
        detail=name,
    )
    return CreatedKey(key=key, token=token)


def get_key_or_raise(*, session: Session, tenant: TenantContext, key_id: int) -> ApiKey:
    key = session.exec(select(ApiKey).where(ApiKey.id == key_id, ApiKey.business_id == tenant.business_id)).first()
    if key is None:
        raise NotFound("api_keys.error.not_found")
    return key


def revoke_key(*, session: Session, tenant: TenantContext, key_id: int) -> ApiKey:
    """Revoked keys stop working at once (every request reads the key row); revoking twice is a no-op."""
    tenant.require_manager()
    key = get_key_or_raise(session=session, tenant=tenant, key_id=key_id)
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        key.revoked_by = tenant.user_id
        session.add(key)
        audit.record(
            session=session,
            business=tenant.business_id,
            action=audit.KEY_REVOKED,
            by_user=tenant.user_id,
            by_key=key.id,
            detail=key.name,
        )
    return key


def is_expired(key: ApiKey, now: datetime | None = None) -> bool:
    if key.expires_at is None:
        return False
    expires = key.expires_at if key.expires_at.tzinfo else key.expires_at.replace(tzinfo=UTC)
    return expires <= (now or utcnow())


def authenticate(*, session: Session, token: str | None) -> KeyAuth | None:
    """The key's tenant, or None for a missing, malformed, unknown, revoked or expired key."""
    match = _KEY_RE.match(token or "")
    if match is None:
        return None
    table = ApiKey.__table__  # type: ignore[attr-defined]
    columns = ("id", "business_id", "key_hash", "revoked_at", "expires_at", "last_used_at")
    row = session.execute(
        sa.select(*(table.c[name] for name in columns)).where(table.c.public_id == match.group(1))
    ).first()
    if row is None:
        crypto.tokens_equal(crypto.hash_token(token or ""), "0" * 64)  # same work as a known id
        return None
    key_id, business_id, key_hash, revoked_at, expires_at, last_used_at = row
    if not crypto.tokens_equal(crypto.hash_token(token or ""), key_hash) or revoked_at is not None:
        return None
    if expires_at is not None:
        expires = expires_at if expires_at.tzinfo else expires_at.replace(tzinfo=UTC)
        if expires <= utcnow():
            return None
    return KeyAuth(key_id=key_id, public_id=match.group(1), business_id=business_id, last_used_at=last_used_at)


def mark_used(*, session: Session, auth: KeyAuth, fetched_config: bool) -> bool:
    """Record the use at most once a minute per key (one conditional UPDATE, safe across workers).

    Returns True when this request wrote it; a config fetch then also goes into the audit log.
    """
    now = utcnow()
    marked = _marked_here.get(auth.key_id)
    if marked is not None and time.monotonic() - marked < LAST_USED_RESOLUTION.total_seconds():
        return False  # this worker wrote it within the minute; the snapshot in `auth` may predate that write
    if auth.last_used_at is not None:
        last = auth.last_used_at if auth.last_used_at.tzinfo else auth.last_used_at.replace(tzinfo=UTC)
        if now - last < LAST_USED_RESOLUTION:
            return False
    table = ApiKey.__table__  # type: ignore[attr-defined]
    cutoff = now - LAST_USED_RESOLUTION
    result = session.execute(
        sa.update(table)
        .where(table.c.id == auth.key_id)
        .where(sa.or_(table.c.last_used_at.is_(None), table.c.last_used_at < cutoff))
        .values(last_used_at=now)
    )
    _marked_here[auth.key_id] = time.monotonic()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    if fetched_config:
        audit.record(session=session, business=auth.business_id, action=audit.CONFIG_FETCHED, by_key=auth.key_id)
    return True
