"""Settings, the development key, production refusal, MultiFernet encryption, rotation and masking."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from ioperator.core import crypto
from ioperator.core.config import ConfigurationError, Settings


def test_development_generates_one_key_with_mode_0600(tmp_path: Path) -> None:
    settings = Settings(env="development", data_dir=tmp_path, secret_keys=[])
    first = settings.encryption_keys()
    key_file = tmp_path / "secret.key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert Settings(env="development", data_dir=tmp_path, secret_keys=[]).encryption_keys() == first
    Fernet(first[0].encode())  # a valid Fernet key


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    settings = Settings(env="production", data_dir=tmp_path, secret_keys=[])
    with pytest.raises(ConfigurationError, match="IOPERATOR_SECRET_KEYS"):
        settings.check_production_ready()
    assert not (tmp_path / "secret.key").exists()


def test_production_starts_with_keys(tmp_path: Path) -> None:
    key = Fernet.generate_key().decode()
    Settings(env="production", data_dir=tmp_path, secret_keys=[key]).check_production_ready()


def test_lists_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IOPERATOR_SECRET_KEYS", " a , b,")
    monkeypatch.setenv("IOPERATOR_CORS_ALLOWED_ORIGINS", "https://a.example.com,https://b.example.com")
    settings = Settings()
    assert settings.secret_keys == ["a", "b"]
    assert settings.effective_cors_origins == ["https://a.example.com", "https://b.example.com"]


def test_cors_defaults_to_the_public_url_only() -> None:
    settings = Settings(public_base_url="https://app.example.com/", cors_allowed_origins=[])
    assert settings.effective_cors_origins == ["https://app.example.com"]


def test_default_database_is_sqlite_under_data(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url="")
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'ioperator.db'}"


def _use_keys(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    from ioperator.core.config import reset_settings

    monkeypatch.setenv("IOPERATOR_SECRET_KEYS", ",".join(keys))
    reset_settings()


@pytest.fixture
def restore_settings(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from ioperator.core.config import reset_settings

    yield
    monkeypatch.undo()
    reset_settings()


def test_encrypt_round_trip_and_ciphertext_hides_the_secret() -> None:
    token = crypto.encrypt("sk-live-123456")
    assert "123456" not in token
    assert crypto.decrypt(token) == "sk-live-123456"


def test_rotation_by_adding_a_key(monkeypatch: pytest.MonkeyPatch, restore_settings: None) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    _use_keys(monkeypatch, old)
    stored = crypto.encrypt("token-abc")
    _use_keys(monkeypatch, new, old)  # the new key goes in front
    assert crypto.decrypt(stored) == "token-abc"  # old ciphertext still readable
    rotated = crypto.rotate(stored)
    _use_keys(monkeypatch, new)  # the old key can now be dropped
    assert crypto.decrypt(rotated) == "token-abc"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored)


def test_invalid_key_is_reported(monkeypatch: pytest.MonkeyPatch, restore_settings: None) -> None:
    _use_keys(monkeypatch, "not-a-key")
    with pytest.raises(ValueError, match="not a valid Fernet key"):
        crypto.encrypt("x")


@pytest.mark.parametrize(
    ("secret", "masked"),
    [("", ""), (None, ""), ("short", "••••"), ("12345678", "••••"), ("sk-live-abcd1234", "••••1234")],
)
def test_mask(secret: str | None, masked: str) -> None:
    assert crypto.mask(secret) == masked


def test_token_hash_is_stable_and_not_the_token() -> None:
    token = crypto.new_token()
    assert crypto.hash_token(token) == crypto.hash_token(token)
    assert token not in crypto.hash_token(token)
    assert len(crypto.hash_token(token)) == 64
