"""Shared test set-up: settings for tests, a migrated database, one rolled-back session per test.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL names another one
(`.ci/run` runs the suite again against the local PostgreSQL).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest_plugins = ["tests.integration_env", "tests.telephony_env"]  # fake providers: `fakes`, `phones`

_TMP = Path(tempfile.mkdtemp(prefix="ioperator-tests-"))
TEST_KEY = "Yw8Qm4y5h0cVvYp0S1mB7rK2t3n9aQf6uXcL1eJ8dZo="
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{_TMP / 'test.db'}"

os.environ.update(
    {
        "IOPERATOR_ENV": "development",
        "IOPERATOR_DATA_DIR": str(_TMP / "data"),
        "IOPERATOR_DATABASE_URL": TEST_DATABASE_URL,
        "IOPERATOR_SECRET_KEYS": TEST_KEY,
        "IOPERATOR_REDIS_URL": "",
        "IOPERATOR_LOG_JSON": "true",
        "IOPERATOR_PUBLIC_BASE_URL": "http://localhost:3000",
    }
)
for name in ("IOPERATOR_CORS_ALLOWED_ORIGINS", "IOPERATOR_METRICS_TOKEN"):
    os.environ.pop(name, None)

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session  # noqa: E402

from ioperator.core import crypto  # noqa: E402
from ioperator.core.config import reset_settings  # noqa: E402
from ioperator.core.db import get_engine, reset_engine  # noqa: E402


def _fresh_schema() -> None:
    """Drop whatever an earlier run left, then migrate to head."""
    from ioperator.core import migrations

    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        existing = sa.MetaData()
        existing.reflect(engine)
        existing.drop_all(engine)
    migrations.upgrade("head")


@pytest.fixture(scope="session", autouse=True)
def migrated_database() -> Iterator[None]:
    reset_settings()
    reset_engine()
    crypto._fernet_for.cache_clear()
    _fresh_schema()
    yield
    reset_engine()


@pytest.fixture
def db(migrated_database: None) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = get_engine().connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture(autouse=True)
def _reset_login_throttle() -> Iterator[None]:
    from ioperator.services import login_throttle

    login_throttle.reset()
    yield
    login_throttle.reset()


@pytest.fixture(autouse=True)
def _reset_api_limits_and_config_cache() -> Iterator[None]:
    """Rolled-back tests reuse row ids: no cached configuration or request counter may outlive a test."""
    from ioperator.services import api_keys, api_rate_limit, bot_config

    api_rate_limit.reset()
    bot_config.forget()
    api_keys._marked_here.clear()
    yield
    bot_config.forget()
    api_keys._marked_here.clear()
