"""Credentials, throttling, and server-side sessions stored only as hashes."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from ioperator.core import crypto
from ioperator.core.db import utcnow
from ioperator.core.errors import InvalidCredentials, TooManyAttempts, ValidationFailed
from ioperator.models.auth import AuthSession
from ioperator.services import auth_sessions
from tests.factories import PASSWORD, context_for, make_business


class RecordingSleep:
    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def run(coro):  # type: ignore[no-untyped-def]
    """Run a coroutine on its own loop in a worker thread (another loop may be running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def login(db: Session, email: str, password: str, address: str = "10.0.0.1", sleep: RecordingSleep | None = None):  # type: ignore[no-untyped-def]
    return run(
        auth_sessions.authenticate(
            session=db, email=email, password=password, address=address, sleep=sleep or RecordingSleep()
        )
    )


def test_correct_credentials_return_the_user(db: Session) -> None:
    tenant = make_business(db)
    user = login(db, f"  {tenant.owner.email.upper()} ", PASSWORD)
    assert user.id == tenant.owner.id
    assert user.last_login_at is not None


def test_wrong_password_and_unknown_email_look_the_same(db: Session) -> None:
    tenant = make_business(db)
    with pytest.raises(InvalidCredentials) as wrong:
        login(db, tenant.owner.email, "not the password")
    with pytest.raises(InvalidCredentials) as unknown:
        login(db, "nobody@example.com", "not the password")
    assert wrong.value.as_dict() == unknown.value.as_dict()
    assert wrong.value.status == unknown.value.status == 401


def test_empty_fields_are_rejected(db: Session) -> None:
    with pytest.raises(ValidationFailed):
        login(db, "", "")


def test_failures_slow_down_then_refuse_even_the_right_password(db: Session) -> None:
    tenant = make_business(db)
    sleep = RecordingSleep()
    for _ in range(10):  # login_max_failures
        with pytest.raises(InvalidCredentials):
            login(db, tenant.owner.email, "wrong password", sleep=sleep)
    # the first three attempts are not delayed; then 1 s, 2 s, 4 s, capped at 8 s
    assert sleep.calls == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    with pytest.raises(TooManyAttempts) as refused:
        login(db, tenant.owner.email, PASSWORD)
    assert refused.value.retry_after > 0
    assert "Try again in" in refused.value.message()
    assert "попыток" in refused.value.message("ru")


def test_unknown_emails_are_throttled_too(db: Session) -> None:
    for _ in range(10):
        with pytest.raises(InvalidCredentials):
            login(db, "ghost@example.com", "wrong password", address="10.0.0.9")
    with pytest.raises(TooManyAttempts):
        login(db, "ghost@example.com", "wrong password", address="10.0.0.10")


def test_one_address_guessing_many_emails_is_refused(db: Session) -> None:
    tenant = make_business(db)
    for n in range(10):
        with pytest.raises(InvalidCredentials):
            login(db, f"guess{n}@example.com", "wrong password", address="203.0.113.7")
    with pytest.raises(TooManyAttempts):
        login(db, tenant.owner.email, PASSWORD, address="203.0.113.7")
    assert login(db, tenant.owner.email, PASSWORD, address="198.51.100.1").id == tenant.owner.id


def test_success_clears_the_email_counter(db: Session) -> None:
    tenant = make_business(db)
    for _ in range(5):
        with pytest.raises(InvalidCredentials):
            login(db, tenant.owner.email, "wrong password", address="10.0.0.2")
    login(db, tenant.owner.email, PASSWORD, address="10.0.0.3")
    sleep = RecordingSleep()
    with pytest.raises(InvalidCredentials):
        login(db, tenant.owner.email, "wrong password", address="10.0.0.4", sleep=sleep)
    assert sleep.calls == []


def test_ticket_is_exchanged_once_for_a_token_stored_only_as_hash(db: Session) -> None:
    tenant = make_business(db)
    ticket = auth_sessions.start_session(session=db, user=tenant.owner, address="10.0.0.1", user_agent="pytest")
    token = auth_sessions.exchange_ticket(session=db, ticket=ticket)
    assert token
    assert auth_sessions.exchange_ticket(session=db, ticket=ticket) is None
    rows = db.exec(select(AuthSession).where(AuthSession.user_id == tenant.owner.id)).all()
    assert len(rows) == 1
    stored = rows[0].model_dump()
    assert token not in str(stored) and ticket not in str(stored)
    assert rows[0].token_hash == crypto.hash_token(token)
    current = auth_sessions.resolve(session=db, token=token)
    assert current is not None and current.user.id == tenant.owner.id
    assert current.tenant.business_id == tenant.business.id


def test_expired_ticket_is_refused(db: Session) -> None:
    tenant = make_business(db)
    ticket = auth_sessions.start_session(session=db, user=tenant.owner)
    row = db.exec(select(AuthSession).where(AuthSession.user_id == tenant.owner.id)).one()
    row.ticket_expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    assert auth_sessions.exchange_ticket(session=db, ticket=ticket) is None
    assert auth_sessions.exchange_ticket(session=db, ticket="") is None


def test_sessions_expire(db: Session) -> None:
    tenant = make_business(db)
    token = auth_sessions.exchange_ticket(session=db, ticket=auth_sessions.start_session(session=db, user=tenant.owner))
    row = db.exec(select(AuthSession).where(AuthSession.user_id == tenant.owner.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.add(row)
    db.flush()
    assert auth_sessions.resolve(session=db, token=token) is None
    assert auth_sessions.resolve(session=db, token="made-up") is None
    assert auth_sessions.resolve(session=db, token=None) is None


def test_end_session_and_end_other_sessions(db: Session) -> None:
    tenant = make_business(db)

    def new_token() -> str:
        token = auth_sessions.exchange_ticket(
            session=db, ticket=auth_sessions.start_session(session=db, user=tenant.owner)
        )
        assert token
        return token

    keep, other, gone = new_token(), new_token(), new_token()
    auth_sessions.end_session(session=db, token=gone)
    assert auth_sessions.resolve(session=db, token=gone) is None
    assert auth_sessions.end_other_sessions(session=db, tenant=tenant.ctx, keep_token=keep) == 1
    assert auth_sessions.resolve(session=db, token=other) is None
    assert auth_sessions.resolve(session=db, token=keep) is not None


def test_purge_expired(db: Session) -> None:
    tenant = make_business(db)
    auth_sessions.start_session(session=db, user=tenant.owner)
    row = db.exec(select(AuthSession).where(AuthSession.user_id == tenant.owner.id)).one()
    row.ticket_expires_at = utcnow() - timedelta(minutes=5)
    db.add(row)
    db.flush()
    assert auth_sessions.purge_expired(session=db) == 1


def test_list_and_end_own_sessions(db: Session) -> None:
    from ioperator.core.errors import NotFound
    from tests.factories import make_member

    tenant = make_business(db)
    first = auth_sessions.exchange_ticket(
        session=db, ticket=auth_sessions.start_session(session=db, user=tenant.owner, user_agent="A")
    )
    second = auth_sessions.exchange_ticket(
        session=db, ticket=auth_sessions.start_session(session=db, user=tenant.owner, user_agent="B")
    )
    auth_sessions.start_session(session=db, user=tenant.owner)  # a ticket never exchanged is not listed
    colleague = make_member(db, tenant)
    auth_sessions.exchange_ticket(session=db, ticket=auth_sessions.start_session(session=db, user=colleague))
    rows = auth_sessions.list_sessions(session=db, tenant=tenant.ctx)
    assert sorted(r.user_agent for r in rows) == ["A", "B"]
    assert [auth_sessions.is_current(r, first) for r in rows].count(True) == 1
    target = next(r for r in rows if r.user_agent == "B")
    auth_sessions.end_own_session(session=db, tenant=tenant.ctx, session_id=target.id or 0)
    assert auth_sessions.resolve(session=db, token=second) is None
    colleague_row = auth_sessions.list_sessions(session=db, tenant=context_for(colleague))[0]
    with pytest.raises(NotFound):  # a colleague's session, even in the same business
        auth_sessions.end_own_session(session=db, tenant=tenant.ctx, session_id=colleague_row.id or 0)


@pytest.mark.parametrize(
    ("agent", "described"),
    [
        (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36",
            "Chrome · Linux",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0",
            "Edge · Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
            "Safari · iOS",
        ),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.0; rv:120.0) Gecko/20100101 Firefox/120.0", "Firefox · macOS"),
        ("curl/8.0", ""),
        ("", ""),
    ],
)
def test_describe_user_agent(agent: str, described: str) -> None:
    assert auth_sessions.describe_user_agent(agent) == described
