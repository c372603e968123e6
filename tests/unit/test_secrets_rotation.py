"""`rotate-secrets` re-encrypts every EncryptedString column with the newest key."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlmodel import Session

from ioperator.core import crypto
from ioperator.core.config import reset_settings
from ioperator.core.db import EncryptedString
from ioperator.services import secrets_rotation

metadata = sa.MetaData()
vault = sa.Table(
    "test_vault",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("secret", EncryptedString, nullable=True),
)


def test_encrypted_columns_are_discovered() -> None:
    assert [c.name for c in secrets_rotation.encrypted_columns(metadata)] == ["secret"]


def test_rotate_all_reencrypts_with_newest_key(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("IOPERATOR_SECRET_KEYS", old)
    reset_settings()
    try:
        metadata.create_all(db.connection())
        db.connection().execute(vault.insert(), [{"id": 1, "secret": "alpha-1234"}, {"id": 2, "secret": None}])
        raw_before = db.connection().execute(sa.text("SELECT secret FROM test_vault WHERE id = 1")).scalar_one()
        assert "alpha" not in raw_before

        monkeypatch.setenv("IOPERATOR_SECRET_KEYS", f"{new},{old}")
        reset_settings()
        assert secrets_rotation.rotate_all(session=db, metadata=metadata) == 1

        monkeypatch.setenv("IOPERATOR_SECRET_KEYS", new)  # old key retired
        reset_settings()
        value = db.connection().execute(sa.select(vault.c.secret).where(vault.c.id == 1)).scalar_one()
        assert value == "alpha-1234"
        raw_after = db.connection().execute(sa.text("SELECT secret FROM test_vault WHERE id = 1")).scalar_one()
        assert raw_after != raw_before
        with pytest.raises(crypto.DecryptionError):
            crypto.decrypt(raw_before)
    finally:
        monkeypatch.undo()
        reset_settings()
