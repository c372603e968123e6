"""The one Settings object. Nothing else in the app reads the environment."""

from __future__ import annotations

import functools
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VERSION = "0.1.0"


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class ConfigurationError(RuntimeError):
    """The settings cannot be used as they are; the message says what to change."""


def _split_list(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


class Settings(BaseSettings):
    """Every setting of iOperator. Each is read from `IOPERATOR_<NAME>` (or a `.env` file)."""

    model_config = SettingsConfigDict(env_prefix="IOPERATOR_", env_file=".env", extra="ignore", validate_default=True)

    env: Environment = Field(
        Environment.DEVELOPMENT,
        description="`development` or `production`. Production refuses to start without secret keys.",
    )
    data_dir: Path = Field(
        PROJECT_ROOT / "data",
        description="Where the embedded database and the generated development key live.",
    )
    database_url: str = Field(
        "",
        description="SQLAlchemy URL. Empty means SQLite at `<data_dir>/ioperator.db`. "
        "PostgreSQL: `postgresql+psycopg://user:pass@host/db`.",
    )
    redis_url: str = Field(
        "",
        description="Redis URL. When set, Reflex keeps page state there (several workers can serve any "
        "browser) and login throttling is shared across workers.",
    )
    secret_keys: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated Fernet keys, newest first. Secrets are encrypted with the first; "
        "all are tried for decryption. Add a new key in front to rotate, then run `ioperator rotate-secrets`.",
    )
    public_base_url: str = Field(
        "http://localhost:3000",
        description="The address users open. Used for links and as the default CORS origin.",
    )
    cors_allowed_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated origins allowed to call the API with credentials. "
        "Empty means only `public_base_url`.",
    )
    trusted_proxy_hops: int = Field(
        0,
        ge=0,
        description="Reverse proxies in front of the app. With N > 0 the client address is taken from the N-th "
        "address from the right of `X-Forwarded-For` (login throttling, session records).",
    )
    webhook_base_url: str = Field(
        "",
        description="The public HTTPS address providers send webhooks to (Telegram, WhatsApp, Instagram). "
        "Empty means `public_base_url`; channels need it to be `https://`.",
    )
    provider_base_urls: dict[str, str] = Field(
        default_factory=dict,
        description='JSON map of provider slug to API address, e.g. `{"telegram": "http://127.0.0.1:8081"}`: '
        "a local Bot API server, a proxy, or the test fakes. Empty uses each provider's public API.",
    )
    integration_event_retention_days: int = Field(
        90, ge=1, description="How long each integration's event log is kept, in days."
    )
    prompt_max_length: int = Field(30_000, ge=1000, description="The longest agent prompt accepted, in characters.")
    allow_signup: bool = Field(True, description="Whether anyone may create a new business at /signup.")
    session_ttl_hours: int = Field(
        24 * 14, ge=1, description="How long a sign-in lasts, in hours (the cookie expires with it)."
    )
    login_max_failures: int = Field(
        10, ge=1, description="Failed logins per email or address before logins are refused for a while."
    )
    login_slowdown_after: int = Field(3, ge=1, description="Failed logins after which each further attempt is delayed.")
    login_window_minutes: int = Field(
        15, ge=1, description="The window in which failed logins are counted, and the lockout length."
    )
    password_min_length: int = Field(10, ge=8, description="Shortest password accepted.")
    api_rate_limit: str = Field(
        "20/second;600/minute",
        description="Requests each API key may make to the bot engines' API (`/api/v1/config`, `/api/v1/bot/...`), "
        "as `limits` notation separated by `;`. Over it the API answers 429 with `Retry-After`.",
    )
    bench_routes: bool = Field(
        False,
        description="Adds `GET /api/bench/bare` (the last served configuration, no auth or database) for "
        "`bench/config_api.py`. Leave off in production.",
    )
    metrics_token: str = Field("", description="If set, `GET /metrics` requires `Authorization: Bearer <token>`.")
    log_level: str = Field("INFO", description="Python log level.")
    log_json: bool = Field(True, description="Log one JSON object per line (with the request id).")

    _split = field_validator("secret_keys", "cors_allowed_origins", mode="before")(_split_list)

    @field_validator("api_rate_limit")
    @classmethod
    def _check_rate_limit(cls, value: str) -> str:
        from limits import parse_many

        try:
            parse_many(value)
        except ValueError:
            raise ValueError("use `limits` notation such as `20/second;600/minute`") from None
        return value

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'ioperator.db'}"

    @property
    def effective_webhook_base_url(self) -> str:
        return (self.webhook_base_url or self.public_base_url).rstrip("/")

    @property
    def effective_cors_origins(self) -> list[str]:
        return self.cors_allowed_origins or [self.public_base_url.rstrip("/")]

    @property
    def dev_key_path(self) -> Path:
        return self.data_dir / "secret.key"

    def encryption_keys(self) -> list[str]:
        """The Fernet keys to use; in development a key is generated once into `data/`."""
        if self.secret_keys:
            return self.secret_keys
        if self.is_production:
            raise ConfigurationError(
                "IOPERATOR_SECRET_KEYS is not set. In production iOperator refuses to start without "
                "an encryption key. Generate one with `ioperator generate-key`."
            )
        return [_read_or_create_dev_key(self.dev_key_path)]

    def check_production_ready(self) -> None:
        """Raise ConfigurationError if the app must not start with these settings."""
        self.encryption_keys()


def _read_or_create_dev_key(path: Path) -> str:
    from cryptography.fernet import Fernet

    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode()
    tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    try:
        os.link(tmp, path)  # atomic: a concurrent worker that lost the race reads the winner's key
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


@functools.cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests change the environment)."""
    get_settings.cache_clear()
