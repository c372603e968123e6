"""API keys: shown once, stored as a hash, every way a key can fail, revocation, expiry, last use and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, select

from ioperator.core import crypto
from ioperator.core.errors import NotFound, PermissionDenied, ValidationFailed
from ioperator.models.api_key import ApiKey, AuditEvent
from ioperator.models.user import Role
from ioperator.services import api_keys, audit
from tests.factories import context_for, make_business, make_member


def test_a_key_is_shown_once_and_stored_only_as_a_hash(db: Session) -> None:
    tenant = make_business(db)
    created = api_keys.create_key(session=db, tenant=tenant.ctx, name="  Production   bot ")
    token, key = created.token, created.key
    assert token.startswith("iop_") and len(token) == 4 + 8 + 1 + 32
    assert key.name == "Production bot"
    assert key.key_hash == crypto.hash_token(token) and token not in key.key_hash
    assert key.last4 == token[-4:]
    assert api_keys.display_prefix(key) == f"iop_{key.public_id}_…{token[-4:]}"
    stored = db.exec(select(ApiKey)).one()
    assert token not in repr(stored.model_dump())
    assert api_keys.authenticate(session=db, token=token) is not None


def test_each_key_is_different_and_a_business_holds_several(db: Session) -> None:
    tenant = make_business(db)
    tokens = {api_keys.create_key(session=db, tenant=tenant.ctx, name=f"k{i}").token for i in range(5)}
    assert len(tokens) == 5
    assert len(api_keys.list_keys(session=db, tenant=tenant.ctx)) == 5


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "Bearer",
        "iop_",
        "iop_short_key",
        "sk_live_" + "a" * 40,
        "iop_ABCDEFGH_" + "x" * 31,
        "iop_ABCDEFGH_" + "x" * 33,
    ],
)
def test_malformed_keys_are_refused(db: Session, token: str | None) -> None:
    assert api_keys.authenticate(session=db, token=token) is None


def test_unknown_and_tampered_keys_are_refused(db: Session) -> None:
    tenant = make_business(db)
    token = api_keys.create_key(session=db, tenant=tenant.ctx, name="k").token
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    unknown = "iop_ZZZZZZZZ_" + token.split("_")[2]
    assert api_keys.authenticate(session=db, token=tampered) is None
    assert api_keys.authenticate(session=db, token=unknown) is None


def test_revoked_keys_stop_at_once_and_revoking_twice_is_harmless(db: Session) -> None:
    tenant = make_business(db)
    created = api_keys.create_key(session=db, tenant=tenant.ctx, name="k")
    api_keys.revoke_key(session=db, tenant=tenant.ctx, key_id=created.key.id or 0)
    assert api_keys.authenticate(session=db, token=created.token) is None
    api_keys.revoke_key(session=db, tenant=tenant.ctx, key_id=created.key.id or 0)
    revoked = [e for e in audit.list_events(session=db, tenant=tenant.ctx) if e.action == audit.KEY_REVOKED]
    assert len(revoked) == 1 and revoked[0].user_id == tenant.owner.id


def test_expired_keys_are_refused(db: Session) -> None:
    tenant = make_business(db)
    created = api_keys.create_key(
        session=db, tenant=tenant.ctx, name="k", expires_at=datetime.now(UTC) + timedelta(hours=1)
    )
    assert api_keys.authenticate(session=db, token=created.token) is not None
    created.key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(created.key)
    db.flush()
    assert api_keys.is_expired(created.key)
    assert api_keys.authenticate(session=db, token=created.token) is None


def test_bad_input_is_refused_and_nothing_is_stored(db: Session) -> None:
    tenant = make_business(db)
    with pytest.raises(ValidationFailed) as blank:
        api_keys.create_key(session=db, tenant=tenant.ctx, name="   ")
    assert blank.value.field == "name"
    with pytest.raises(ValidationFailed) as long_name:
        api_keys.create_key(session=db, tenant=tenant.ctx, name="x" * 81)
    assert long_name.value.field == "name"
    with pytest.raises(ValidationFailed) as past:
        api_keys.create_key(session=db, tenant=tenant.ctx, name="k", expires_at=datetime.now(UTC) - timedelta(days=1))
    assert past.value.field == "expires_at"
    assert api_keys.list_keys(session=db, tenant=tenant.ctx) == []
    assert db.exec(select(AuditEvent)).all() == []


def test_operators_cannot_create_or_revoke(db: Session) -> None:
    tenant = make_business(db)
    operator = context_for(make_member(db, tenant, Role.OPERATOR))
    admin = context_for(make_member(db, tenant, Role.ADMIN))
    with pytest.raises(PermissionDenied):
        api_keys.create_key(session=db, tenant=operator, name="k")
    key = api_keys.create_key(session=db, tenant=admin, name="by admin").key
    with pytest.raises(PermissionDenied):
        api_keys.revoke_key(session=db, tenant=operator, key_id=key.id or 0)
    assert [k.name for k in api_keys.list_keys(session=db, tenant=operator)] == ["by admin"]


def test_another_business_cannot_revoke(db: Session) -> None:
    a, b = make_business(db), make_business(db)
    created = api_keys.create_key(session=db, tenant=a.ctx, name="k")
    with pytest.raises(NotFound):
        api_keys.revoke_key(session=db, tenant=b.ctx, key_id=created.key.id or 0)
    assert api_keys.authenticate(session=db, token=created.token) is not None


def test_use_is_recorded_at_most_once_a_minute_and_config_fetches_are_audited(db: Session) -> None:
    tenant = make_business(db)
    created = api_keys.create_key(session=db, tenant=tenant.ctx, name="k")
    auth = api_keys.authenticate(session=db, token=created.token)
    assert auth is not None and auth.last_used_at is None
    assert api_keys.mark_used(session=db, auth=auth, fetched_config=True) is True
    # a second worker that authenticated before the write still finds the row fresh: no second write
    assert api_keys.mark_used(session=db, auth=auth, fetched_config=True) is False
    again = api_keys.authenticate(session=db, token=created.token)
    assert again is not None and again.last_used_at is not None
    assert api_keys.mark_used(session=db, auth=again, fetched_config=True) is False
    fetched = [e for e in audit.list_events(session=db, tenant=tenant.ctx) if e.action == audit.CONFIG_FETCHED]
    assert len(fetched) == 1 and fetched[0].api_key_id == created.key.id
    # a minute later it is recorded again
    db.expire_all()
    row = db.get(ApiKey, created.key.id)
    assert row is not None
    row.last_used_at = datetime.now(UTC) - timedelta(seconds=61)
    db.add(row)
    db.flush()
    api_keys._marked_here.clear()  # another worker
    later = api_keys.authenticate(session=db, token=created.token)
    assert later is not None and api_keys.mark_used(session=db, auth=later, fetched_config=False) is True
    assert len([e for e in audit.list_events(session=db, tenant=tenant.ctx) if e.action == audit.CONFIG_FETCHED]) == 1


def test_key_tenant_is_its_business_with_operator_rights(db: Session) -> None:
    a, _ = make_business(db), make_business(db)
    token = api_keys.create_key(session=db, tenant=a.ctx, name="k").token
    auth = api_keys.authenticate(session=db, token=token)
    assert auth is not None
    assert auth.tenant.business_id == a.business.id and auth.tenant.user_id is None
    assert not auth.tenant.can_manage
