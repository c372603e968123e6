"""What the owner types to connect Bitrix24: the incoming webhook's URL, and the working hours used
for resources that have no slot template of their own."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator

from ioperator.adapters.base import ProviderConfig
from ioperator.adapters.crm.bitrix24.schedule import WEEK_DAYS, zone

WEBHOOK_PATH = re.compile(r"^/rest/\d+/[A-Za-z0-9_]{6,64}/?$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_REGIONS = {"ru": "RU", "by": "BY", "kz": "KZ", "ua": "UA", "uz": "UZ"}


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def phone_region(host: str) -> str | None:
    """The region for numbers written without a country code, from the portal's domain."""
    return _REGIONS.get(host.rsplit(".", 1)[-1].lower())


class Bitrix24Config(ProviderConfig):
    webhook_url: SecretStr = Field(
        title="Webhook URL",
        description=(
            "In Bitrix24: Developer resources → Other → Incoming webhook. Tick the crm, user and booking "
            "permissions, save, and paste the whole URL. It contains a secret code: keep it private."
        ),
        examples=["https://yourcompany.bitrix24.ru/rest/1/abc123def456ghi7/"],
    )
    timezone: str = Field(
        "Europe/Moscow",
        title="Time zone",
        description="The time zone of the working hours below (an IANA name such as Europe/Moscow).",
        examples=["Europe/Moscow"],
    )
    work_start: str = Field(
        "09:00",
        title="Working day starts",
        description="HH:MM. Used for resources that have no booking hours set in Bitrix24 Online Booking.",
        examples=["09:00"],
    )
    work_end: str = Field(
        "18:00",
        title="Working day ends",
        description="HH:MM, after the start. The last slot ends by this time.",
        examples=["18:00"],
    )
    work_days: str = Field(
        "Mon,Tue,Wed,Thu,Fri",
        title="Working days",
        description="Comma-separated: Mon, Tue, Wed, Thu, Fri, Sat, Sun.",
        examples=["Mon,Tue,Wed,Thu,Fri,Sat"],
    )
    slot_minutes: int = Field(
        60,
        ge=5,
        le=720,
        title="Slot length, minutes",
        description="How long one booking lasts when the resource has no slot size of its own.",
    )
    deal_pipeline_id: int | None = Field(
        None,
        ge=0,
        title="Deal pipeline (optional)",
        description=(
            "Also create a CRM deal for each booking in this pipeline (0 = the general pipeline); the deal "
            "moves to the lost stage when the booking is cancelled. Leave empty for bookings only."
        ),
        examples=[0],
    )

    @field_validator("webhook_url")
    @classmethod
    def _webhook_shape(cls, value: SecretStr) -> SecretStr:
        parts = urlsplit(value.get_secret_value())
        host = parts.hostname or ""
        if parts.scheme != "https" or "." not in host or _is_ip(host) or parts.query or parts.fragment:
            raise ValueError("the webhook URL looks like https://yourcompany.bitrix24.ru/rest/1/<code>/")
        if not WEBHOOK_PATH.match(parts.path):
            raise ValueError("the webhook URL looks like https://yourcompany.bitrix24.ru/rest/1/<code>/")
        return SecretStr(f"https://{parts.netloc}{parts.path.rstrip('/')}/")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if zone(value) is None:
            raise ValueError("an IANA time zone such as Europe/Moscow")
        return value

    @field_validator("work_start", "work_end")
    @classmethod
    def _clock(cls, value: str, info: ValidationInfo) -> str:
        if not CLOCK.match(value):
            raise ValueError("a time as HH:MM, e.g. 09:00")
        start = info.data.get("work_start")
        if info.field_name == "work_end" and isinstance(start, str) and minutes(value) <= minutes(start):
            raise ValueError("the working day must end after it starts")
        return value

    @field_validator("work_days")
    @classmethod
    def _days(cls, value: str) -> str:
        days = [day.strip().capitalize() for day in value.split(",") if day.strip()]
        if not days or any(day not in WEEK_DAYS for day in days):
            raise ValueError("days as Mon,Tue,Wed,Thu,Fri,Sat,Sun")
        return ",".join(sorted(set(days), key=WEEK_DAYS.index))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
