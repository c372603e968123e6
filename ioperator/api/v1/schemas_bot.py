"""Documented shapes of the bot engines' API (what `/api/docs` shows, with examples)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ErrorDetail(BaseModel):
    code: str = Field(examples=["invalid_api_key"])
    message: str = Field(examples=["The API key is not valid: it may be mistyped, revoked or expired."])
    field: str | None = None
    provider: str | None = Field(None, description="For provider failures: the CRM's slug.")
    reason: str | None = Field(None, description="For provider failures: the provider's own words.")


class ErrorOut(BaseModel):
    error: ErrorDetail


class FieldError(BaseModel):
    field: str
    message: str


class ValidationErrorDetail(BaseModel):
    code: str = Field(examples=["validation_failed"])
    message: str
    field: str | None = None
    fields: list[FieldError] | None = None


class ValidationErrorOut(BaseModel):
    error: ValidationErrorDetail


AUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "Missing, malformed, unknown, revoked or expired API key."},
    429: {
        "model": ErrorOut,
        "description": "Over this key's rate limit; wait `Retry-After` seconds.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    },
}
PROVIDER_ERRORS: dict[int | str, dict[str, Any]] = {
    409: {"model": ErrorOut, "description": "No CRM connected, or the slot was taken meanwhile."},
    422: {"model": ValidationErrorOut, "description": "Invalid input; `field`/`fields` name what is wrong."},
    501: {"model": ErrorOut, "description": "The connected CRM does not offer this operation (`reason` says why)."},
    502: {"model": ErrorOut, "description": "The CRM refused or answered unexpectedly; `reason` is its own message."},
    503: {"model": ErrorOut, "description": "The CRM is unreachable or asks to slow down (`Retry-After` if known)."},
}


class BusinessDoc(BaseModel):
    id: int
    name: str
    address: str
    phone: str
    website: str


class LlmDoc(BaseModel):
    base_url: str
    model: str
    temperature: float | None


class SettingsDoc(BaseModel):
    language: str = Field(examples=["en"])
    timezone: str = Field(examples=["Europe/Berlin"])
    working_hours: str = Field(examples=["Mon-Fri 9:00-20:00, Sat 10:00-16:00"])
    llm: LlmDoc | None


class PromptDoc(BaseModel):
    id: int
    name: str
    language: str
    version: int = Field(description="The version number in use.")
    updated_at: datetime
    source: str = Field(description="The prompt as written, with `{{variables}}`.")
    rendered: str = Field(description="The prompt with every variable's current value filled in.")


class ChannelDoc(BaseModel):
    id: int
    provider: str = Field(examples=["telegram"])
    status: str = Field(examples=["connected"])
    title: str = Field(examples=["@cafe_bot"])
    details: dict[str, Any]
    settings: dict[str, Any] = Field(description="The channel's non-secret settings.")
    credentials: dict[str, str] = Field(description="What the engine sends replies with (e.g. `bot_token`).")


class ServiceDoc(BaseModel):
    id: str
    name: str
    category: str
    price: str | None = Field(description="Decimal as a string.", examples=["1500.00"])
    price_max: str | None
    duration_minutes: int | None
    staff_ids: list[str]


class StaffDoc(BaseModel):
    id: str
    name: str
    position: str


class CatalogDoc(BaseModel):
    services: list[ServiceDoc]
    staff: list[StaffDoc]


class CrmDoc(BaseModel):
    id: int
    provider: str = Field(examples=["yclients"])
    title: str
    status: str
    operations: list[str] = Field(description="What the Bot API can do with this CRM.")
    last_sync_at: datetime | None
    catalog: CatalogDoc


class VariableDoc(BaseModel):
    name: str
    description: str
    value: str


class ConfigOut(BaseModel):
    """The whole bot configuration of the key's business."""

    business: BusinessDoc
    settings: SettingsDoc
    prompt: PromptDoc | None = Field(description="The active prompt; null when none is active.")
    channels: list[ChannelDoc]
    crm: CrmDoc | None
    variables: list[VariableDoc]


CONFIG_EXAMPLE: dict[str, Any] = {
    "business": {"id": 7, "name": "Blue Door", "address": "1 Main St", "phone": "+4930123456", "website": ""},
    "settings": {
        "language": "en",
        "timezone": "Europe/Berlin",
        "working_hours": "Mon-Fri 9:00-20:00",
        "llm": {"base_url": "https://api.openai.com/v1", "model": "gpt-4o-mini", "temperature": 0.3},
    },
    "prompt": {
        "id": 3,
        "name": "Main",
        "language": "en",
        "version": 12,
        "updated_at": "2026-11-20T10:15:00+00:00",
        "source": "## Role\nYou are the assistant of {{business_name}}.",
        "rendered": "## Role\nYou are the assistant of Blue Door.",
    },
    "channels": [
        {
            "id": 11,
            "provider": "telegram",
            "status": "connected",
            "title": "@bluedoor_bot",
            "details": {"username": "bluedoor_bot"},
            "settings": {},
            "credentials": {"bot_token": "123456:AAE…"},
        }
    ],
    "crm": {
        "id": 12,
        "provider": "yclients",
        "title": "Blue Door salon",
        "status": "connected",
        "operations": ["list_services", "free_slots", "find_client", "create_booking", "cancel_booking"],
        "last_sync_at": "2026-11-23T06:00:00+00:00",
        "catalog": {
            "services": [
                {
                    "id": "101",
                    "name": "Haircut",
                    "category": "Hair",
                    "price": "1500.00",
                    "price_max": None,
                    "duration_minutes": 60,
                    "staff_ids": ["7"],
                }
            ],
            "staff": [{"id": "7", "name": "Anna", "position": "Stylist"}],
        },
    },
    "variables": [{"name": "promo", "description": "This week's offer", "value": "10% off on Tuesdays"}],
}


class SlotOut(BaseModel):
    start: datetime
    duration_minutes: int | None
    staff_id: str | None


class ClientOut(BaseModel):
    id: str
    name: str
    phone: str
    email: str


class ClientIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"name": "Vera Li", "phone": "+491701234567"}]})

    name: str = Field(max_length=120)
    phone: str = Field(max_length=32, description="International format (E.164 preferred).")
    email: str = Field("", max_length=254)


class BookingIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "service_id": "101",
                    "staff_id": "7",
                    "start": "2026-11-25T11:00:00+01:00",
                    "client": {"name": "Vera Li", "phone": "+491701234567"},
                    "comment": "First visit",
                }
            ]
        }
    )

    service_id: str = Field(max_length=120)
    staff_id: str | None = Field(None, max_length=120)
    start: datetime = Field(description="With an offset; without one it is the business's local time.")
    client: ClientIn
    comment: str = Field("", max_length=500)


class BookingOut(BaseModel):
    id: str = Field(description="Pass it to `DELETE /api/v1/bot/bookings/{booking_id}` to cancel.")
    start: datetime
    service_id: str
    staff_id: str | None
    client_id: str | None
    status: str


class CatalogOut(BaseModel):
    crm: str = Field(examples=["yclients"])
    services: list[ServiceDoc]
    staff: list[StaffDoc]


class SlotsQuery(BaseModel):
    service_id: str
    staff_id: str | None = None
    date_from: date
    date_to: date | None = None
