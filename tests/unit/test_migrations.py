"""The Alembic migrations build exactly the schema the models describe, and go down and up again."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import ioperator.models  # noqa: F401
from ioperator.core import migrations
from ioperator.core.db import get_engine, make_engine


def test_models_match_migrations() -> None:
    with get_engine().connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


def test_business_owned_tables_have_an_indexed_business_id() -> None:
    for table in SQLModel.metadata.sorted_tables:
        if table.name == "business":
            continue
        assert "business_id" in table.columns, table.name
        assert any(index.columns.keys() == ["business_id"] for index in table.indexes), table.name


def test_downgrade_and_upgrade_on_a_fresh_database(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    with engine.begin() as conn:
        migrations.upgrade("head", connection=conn)
        assert {"business", "app_user", "auth_session"} <= set(sa.inspect(conn).get_table_names())
        migrations.downgrade("base", connection=conn)
        assert set(sa.inspect(conn).get_table_names()) <= {"alembic_version"}
        migrations.upgrade("head", connection=conn)
    engine.dispose()
