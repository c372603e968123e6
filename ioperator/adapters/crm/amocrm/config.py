"""What the owner types to connect amoCRM or Kommo: the account's address and a long-lived token."""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator

from ioperator.adapters.base import ProviderConfig

ACCOUNT_HOSTS = (".amocrm.ru", ".amocrm.com", ".kommo.com")
SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class AmoCrmConfig(ProviderConfig):
    base_url: str = Field(
        title="Account address",
        description="The address you open your account at: https://<name>.amocrm.ru, .amocrm.com or .kommo.com.",
        examples=["https://yourcompany.amocrm.ru"],
        json_schema_extra={"format": "uri"},
    )
    access_token: SecretStr = Field(
        title="Long-lived token",
        description=(
            "Settings → Integrations → Create integration (private) → Keys and scopes → Long-lived token. "
            "An administrator creates it; choose how long it lasts."
        ),
        examples=["eyJ0eXAiOiJKV1QiLCJhbGciOi…"],
    )
    pipeline_id: int | None = Field(
        None,
        ge=1,
        title="Pipeline ID (optional)",
        description=(
            "Where new leads go: the number at the end of the pipeline's address in Leads. Empty = the main pipeline."
        ),
    )
    status_id: int | None = Field(
        None,
        ge=1,
        title="Stage ID (optional)",
        description="The stage of that pipeline new leads start in. Empty = its first stage.",
    )
    start_field_id: int | None = Field(
        None,
        ge=1,
        title="Visit time field ID (optional)",
        description=(
            "A lead field of the Date and time type to hold the visit time (Settings → fields → the field's ID)."
        ),
    )
    timezone: str = Field(
        "Europe/Moscow",
        title="Time zone",
        description="The time zone the visit time is written in, in the lead's name (an IANA name).",
        examples=["Europe/Moscow"],
    )

    @field_validator("base_url")
    @classmethod
    def _account_address(cls, value: str) -> str:
        parts = urlsplit(value if "://" in value else f"https://{value}")
        host = (parts.hostname or "").lower()
        suffix = next((s for s in ACCOUNT_HOSTS if host.endswith(s)), "")
        if parts.scheme != "https" or not suffix or not SUBDOMAIN.match(host.removesuffix(suffix)) or parts.port:
            raise ValueError("the account address looks like https://yourcompany.amocrm.ru or .kommo.com")
        if parts.path.strip("/") or parts.query or parts.username:
            raise ValueError("only the account address, without a path: https://yourcompany.amocrm.ru")
        return f"https://{host}"

    @field_validator("access_token")
    @classmethod
    def _token_shape(cls, value: SecretStr) -> SecretStr:
        token = value.get_secret_value().removeprefix("Bearer ").strip()
        if len(token) < 20 or any(ch.isspace() for ch in token):
            raise ValueError("paste the whole long-lived token (a long string without spaces)")
        return SecretStr(token)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as Europe/Moscow") from None
        return value
