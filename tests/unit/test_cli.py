"""`python -m ioperator`: commands for self-hosters, with clear errors and non-zero exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, database: Path, keys: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "IOPERATOR_DATABASE_URL": f"sqlite:///{database}",
        "IOPERATOR_DATA_DIR": str(database.parent / "data"),
    }
    if keys is not None:
        env["IOPERATOR_SECRET_KEYS"] = keys
    return subprocess.run(
        [sys.executable, "-m", "ioperator", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cli.db"
    result = run_cli("migrate", database=path)
    assert result.returncode == 0, result.stderr
    assert "up to date" in result.stdout
    return path


def test_migrate_twice_changes_nothing(database: Path) -> None:
    assert run_cli("migrate", database=database).returncode == 0


def test_create_business_prints_its_id_then_user_joins_it(database: Path) -> None:
    created = run_cli(
        "create-business",
        "--name",
        "Cli Cafe",
        "--owner-email",
        "cli@example.com",
        "--owner-password",
        "correct horse battery",
        database=database,
    )
    assert created.returncode == 0, created.stderr
    business_id = created.stdout.strip()
    assert business_id.isdigit()
    user = run_cli(
        "create-user",
        "--business-id",
        business_id,
        "--email",
        "op@example.com",
        "--password",
        "operator password",
        "--role",
        "operator",
        database=database,
    )
    assert user.returncode == 0, user.stderr
    assert user.stdout.strip().isdigit()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "required"),
        (("create-business", "--name", "X"), 2, "--owner-email"),
        (
            (
                "create-user",
                "--business-id",
                "abc",
                "--email",
                "a@example.com",
                "--password",
                "p" * 12,
                "--role",
                "admin",
            ),
            2,
            "invalid int",
        ),
        (
            ("create-user", "--business-id", "1", "--email", "a@example.com", "--password", "p" * 12, "--role", "boss"),
            2,
            "invalid choice",
        ),
        (("create-business", "--name", "X", "--owner-email", "bad", "--owner-password", "p" * 12), 1, "valid email"),
        (
            ("create-business", "--name", "X", "--owner-email", "x@example.com", "--owner-password", "short"),
            1,
            "at least",
        ),
        (
            (
                "create-user",
                "--business-id",
                "999999",
                "--email",
                "a@example.com",
                "--password",
                "p" * 12,
                "--role",
                "admin",
            ),
            1,
            "Business not found",
        ),
        (("no-such-command",), 2, "invalid choice"),
    ],
)
def test_bad_arguments_fail_clearly(database: Path, args: tuple[str, ...], code: int, message: str) -> None:
    result = run_cli(*args, database=database)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicate_email_fails_without_traceback(database: Path) -> None:
    args = ("create-business", "--name", "Dup", "--owner-email", "dup@example.com", "--owner-password", "p" * 12)
    assert run_cli(*args, database=database).returncode == 0
    again = run_cli(*args, database=database)
    assert again.returncode == 1 and "already exists" in again.stderr


def test_rotate_secrets_and_generate_key(database: Path) -> None:
    key = run_cli("generate-key", database=database).stdout.strip()
    Fernet(key.encode())
    result = run_cli("rotate-secrets", database=database, keys=f"{key},{Fernet.generate_key().decode()}")
    assert result.returncode == 0, result.stderr
    assert "Re-encrypted" in result.stdout


def test_production_without_keys_refuses(database: Path) -> None:
    env_keys = ""
    result = subprocess.run(
        [sys.executable, "-m", "ioperator", "rotate-secrets"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            **os.environ,
            "IOPERATOR_ENV": "production",
            "IOPERATOR_SECRET_KEYS": env_keys,
            "IOPERATOR_DATABASE_URL": f"sqlite:///{database}",
        },
        timeout=60,
    )
    assert result.returncode == 1
    assert "IOPERATOR_SECRET_KEYS" in result.stderr
