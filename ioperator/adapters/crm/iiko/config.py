"""What an iiko / Syrve account needs: the API login, which restaurant, and how its tables are booked."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator

from ioperator.adapters.base import ProviderConfig
from ioperator.adapters.crm.iiko import tables


class IikoConfig(ProviderConfig):
    api_login: SecretStr = Field(
        title="API login",
        description="iikoWeb → Settings → API logins (iikoCloud API). Give it access to menu, reserves and guests.",
        examples=["3b5e1c2a…"],
    )
    organization_id: str = Field(
        default="",
        title="Organization ID",
        description="Leave empty when the API login sees one restaurant; otherwise paste the organization's ID.",
        examples=["7bc05553-4b68-44e8-b7bc-37be63c6d9e9"],
    )
    terminal_group_id: str = Field(
        default="",
        title="Terminal group ID",
        description="The terminal group that takes table reservations; empty uses the organization's first one.",
    )
    timezone: str = Field(
        default="Europe/Moscow",
        title="Time zone",
        description="The restaurant's time zone (IANA name): iiko reservation times are local to the terminal.",
        examples=["Europe/Moscow"],
    )
    opening_hours: str = Field(
        default="10:00-22:00",
        title="Opening hours",
        description="When tables can be booked, HH:MM-HH:MM; a closing time after midnight is the next day.",
        examples=["12:00-02:00"],
    )
    reservation_minutes: int = Field(
        default=120,
        ge=15,
        le=720,
        title="Reservation length (minutes)",
        description="How long a table is held for one reservation.",
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as Europe/Moscow") from None
        return value

    @field_validator("opening_hours")
    @classmethod
    def _hours_shape(cls, value: str) -> str:
        tables.parse_hours(value)
        return value
