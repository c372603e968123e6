"""Database engine, sessions, and the column type for secrets encrypted at rest."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeDecorator
from sqlmodel import Session, create_engine

from ioperator.core import crypto
from ioperator.core.config import get_settings


def utcnow() -> datetime:
    """Aware UTC now (SQLModel's UTCDateTime columns store and return aware UTC)."""
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@functools.cache
def get_engine() -> Engine:
    settings = get_settings()
    url = settings.effective_database_url
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        from pathlib import Path

        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    return make_engine(url)


def reset_engine() -> None:
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def begin_write(session: Session) -> None:
    """Take SQLite's write lock up front for a short read-then-write transaction.

    A deferred SQLite transaction that reads and then writes after another connection committed
    fails at once with "database is locked" (SQLITE_BUSY_SNAPSHOT; the busy timeout does not apply).
    `BEGIN IMMEDIATE` makes concurrent writers queue on the busy timeout instead. Only for short
    transactions (webhook intake): never hold it across a call to a provider. No-op elsewhere.
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not getattr(raw, "in_transaction", True):
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def ping() -> bool:
    """True when the database answers a trivial query."""
    try:
        with get_engine().connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except sa.exc.SQLAlchemyError:
        return False


class EncryptedString(TypeDecorator[str]):
    """A text column whose value is encrypted with MultiFernet before it is stored.

    `ioperator rotate-secrets` finds every column of this type and re-encrypts it with the newest key.
    """

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else crypto.encrypt(value)

    def process_result_value(self, value: str | None, dialect: sa.Dialect) -> str | None:
        return None if value is None else crypto.decrypt(value)
