"""The request and response bodies of the telephony API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import BaseModel, ConfigDict, Field

from ioperator.api.v1.integrations import CatalogField
from ioperator.models.integration import IntegrationPublic
from ioperator.models.telephony import Presence

MAX_ID = 2_147_483_647
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
BodyId = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- providers --------------------------------------------------------------------------------
class ConnectionOut(IntegrationPublic):
    """The business's connection to a provider: secrets only masked, never their values."""

    enabled: bool
    is_default: bool
    provisioned: bool  # the provider side points at iOperator (created by iOperator, or by hand)
    manual: bool  # the provider side was set up by hand (confirmed by the owner)


class ProviderOut(BaseModel):
    slug: str
    title: str
    description: str
    logo: str
    docs_url: str
    available: bool
    fields: list[CatalogField]
    status: Literal["not_configured", "error", "configured", "active"]
    connection: ConnectionOut | None = Field(description="None until the provider is connected.")


class ProviderConnectIn(_In):
    provider: str = Field(min_length=1, max_length=40)
    config: dict[str, Any] = Field(max_length=20)


class ProviderConfigIn(_In):
    config: dict[str, Any] = Field(max_length=20, description="Blank secrets keep the stored ones.")


class ProviderEnabledIn(_In):
    enabled: bool


class SetupStepOut(BaseModel):
    label: str
    value: str


class SetupOut(BaseModel):
    steps: list[SetupStepOut]
    webhook_base: str
    voice_url: str
    events_url: str
    can_provision: bool = Field(description="iOperator has a public HTTPS address: it can set the provider up itself.")
    provisioned: bool
    manual: bool


# --- numbers ----------------------------------------------------------------------------------
class ProviderSyncOut(BaseModel):
    integration_id: int
    provider: str
    fetched: int
    added: int
    updated: int
    deactivated: int
    error: str = Field(description="Why this provider failed (its numbers were left as they were); empty on success.")


class NumbersSyncOut(BaseModel):
    providers: list[ProviderSyncOut]
    fetched: int
    changed: int


class NumberOut(BaseModel):
    id: int
    e164: str
    display: str
    friendly_name: str
    number_type: str
    country: str
    voice: bool
    sms: bool
    integration_id: int
    provider: str
    provider_status: str
    active: bool
    routed_here: bool
    route: Literal["none", "user", "external"]
    route_user_id: int | None
    route_user_name: str
    forward_to: str
    forward_to_display: str
    synced_at: datetime


class RoutingIn(_In):
    mode: Literal["none", "user", "external"]
    user_id: BodyId | None = None
    forward_to: str = Field("", max_length=40, description="E.164, for mode `external`.")


# --- members ----------------------------------------------------------------------------------
class ProfileOut(BaseModel):
    presence: Presence
    presence_at: datetime | None
    primary_number_id: int | None
    forwarding_number: str
    receive_in_browser: bool
    forward_when_offline: bool
    voicemail_enabled: bool


class MemberOut(BaseModel):
    id: int
    name: str
    email: str
    role: str
    profile: ProfileOut
    numbers: list[NumberOut]


class MemberIn(_In):
    number_ids: list[BodyId] = Field(max_length=1000)
    primary_number_id: BodyId | None = None
    forwarding_number: str = Field("", max_length=40)
    receive_in_browser: bool
    forward_when_offline: bool
    voicemail_enabled: bool


class StatusOut(BaseModel):
    presence: Presence


class StatusIn(_In):
    presence: Presence
