"""Telephony for the signed-in dashboard: providers (connect, enable, default, set-up), numbers (sync, list,
routing) and members' telephony profiles. Thin over the services, which check the roles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from ioperator.api.deps import DbSession, Tenant, require_json
from ioperator.api.errors import request_language
from ioperator.api.v1.integrations import CatalogField
from ioperator.core.auth import TenantContext
from ioperator.core.i18n import translate
from ioperator.models.integration import Integration, IntegrationPublic
from ioperator.models.telephony import PhoneNumber, Presence, TelephonyProfile
from ioperator.services import (
    integration_catalog,
    integrations,
    team,
    telephony_numbers,
    telephony_providers,
    telephony_setup,
    telephony_users,
    validation,
)

router = APIRouter(prefix="/api/v1/telephony", tags=["telephony"], dependencies=[Depends(require_json)])

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


def _connection(row: Integration | None) -> ConnectionOut | None:
    if row is None or telephony_providers.status_of(row) == telephony_providers.NOT_CONFIGURED:
        return None
    return ConnectionOut(
        **integrations.to_public(row).model_dump(),
        enabled=row.enabled,
        is_default=row.is_default,
        provisioned=telephony_setup.is_provisioned(row.provider_state),
        manual=telephony_setup.is_manual(row.provider_state),
    )


def _cards(session: Session, tenant: TenantContext, lang: str) -> list[ProviderOut]:
    entries = {e.slug: e for e in integration_catalog.catalog(lang=lang, kind=telephony_providers.KIND)}
    cards = []
    for view in telephony_providers.list_providers(session=session, tenant=tenant):
        entry = entries[view.cls.slug]
        cards.append(
            ProviderOut(
                slug=entry.slug,
                title=entry.title,
                description=entry.description,
                logo=entry.logo,
                docs_url=entry.docs_url,
                available=entry.available,
                fields=[CatalogField(**{k: getattr(f, k) for k in CatalogField.model_fields}) for f in entry.fields],
                status=view.status,
                connection=_connection(view.integration),
            )
        )
    return cards


def _card(session: Session, tenant: TenantContext, request: Request, row: Integration) -> ProviderOut:
    """The card of one provider after a change, exactly as the list shows it."""
    return next(c for c in _cards(session, tenant, request_language(request)) if c.slug == row.provider)


@router.get("/providers", response_model=list[ProviderOut], summary="Every telephony provider and its connection")
def list_providers(request: Request, session: DbSession, tenant: Tenant) -> list[ProviderOut]:
    return _cards(session, tenant, request_language(request))


@router.post(
    "/providers", response_model=ProviderOut, status_code=201, summary="Connect (tested, then set up at the provider)"
)
async def connect(body: ProviderConnectIn, request: Request, session: DbSession, tenant: Tenant) -> ProviderOut:
    row = await telephony_providers.connect(session=session, tenant=tenant, provider=body.provider, values=body.config)
    return _card(session, tenant, request, row)


@router.put("/providers/{integration_id}", response_model=ProviderOut, summary="Change the credentials")
async def reconfigure(
    integration_id: RowId, body: ProviderConfigIn, request: Request, session: DbSession, tenant: Tenant
) -> ProviderOut:
    current = telephony_providers.get_provider_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    row = await telephony_providers.connect(
        session=session, tenant=tenant, provider=current.provider, values=body.config, integration_id=integration_id
    )
    return _card(session, tenant, request, row)


@router.patch("/providers/{integration_id}", response_model=ProviderOut, summary="Enable or disable")
def set_enabled(
    integration_id: RowId, body: ProviderEnabledIn, request: Request, session: DbSession, tenant: Tenant
) -> ProviderOut:
    row = telephony_providers.set_enabled(
        session=session, tenant=tenant, integration_id=integration_id, enabled=body.enabled
    )
    return _card(session, tenant, request, row)


@router.post("/providers/{integration_id}/test", response_model=ProviderOut, summary="Re-run the connection test")
async def test(integration_id: RowId, request: Request, session: DbSession, tenant: Tenant) -> ProviderOut:
    row = await telephony_providers.test(session=session, tenant=tenant, integration_id=integration_id)
    return _card(session, tenant, request, row)


@router.post("/providers/{integration_id}/default", response_model=ProviderOut, summary="Use for outbound calls")
def make_default(integration_id: RowId, request: Request, session: DbSession, tenant: Tenant) -> ProviderOut:
    row = telephony_providers.make_default(session=session, tenant=tenant, integration_id=integration_id)
    return _card(session, tenant, request, row)


@router.get("/providers/{integration_id}/setup", response_model=SetupOut, summary="How to set the provider up by hand")
def setup(integration_id: RowId, request: Request, session: DbSession, tenant: Tenant) -> SetupOut:
    lang = request_language(request)
    steps = telephony_providers.manual_steps(session=session, tenant=tenant, integration_id=integration_id)
    row = telephony_providers.get_provider_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    urls = telephony_setup.context(row, "")
    return SetupOut(
        steps=[SetupStepOut(label=translate(s.label_key, lang), value=s.value) for s in steps],
        webhook_base=urls.webhook_base,
        voice_url=urls.voice_url,
        events_url=urls.events_url,
        can_provision=telephony_setup.public_webhook_base() is not None,
        provisioned=telephony_setup.is_provisioned(row.provider_state),
        manual=telephony_setup.is_manual(row.provider_state),
    )


@router.post(
    "/providers/{integration_id}/setup/confirm", response_model=ProviderOut, summary="The manual set-up is done"
)
def confirm_setup(integration_id: RowId, request: Request, session: DbSession, tenant: Tenant) -> ProviderOut:
    row = telephony_providers.confirm_manual_setup(session=session, tenant=tenant, integration_id=integration_id)
    return _card(session, tenant, request, row)


@router.post(
    "/providers/{integration_id}/setup/provision",
    response_model=ProviderOut,
    summary="Let iOperator set the provider up (needs a public HTTPS address)",
)
async def provision(integration_id: RowId, request: Request, session: DbSession, tenant: Tenant) -> ProviderOut:
    row = await telephony_providers.provision_now(session=session, tenant=tenant, integration_id=integration_id)
    return _card(session, tenant, request, row)


@router.delete("/providers/{integration_id}", response_model=ProviderOut, summary="Disconnect (undone at the provider)")
async def disconnect(integration_id: RowId, request: Request, session: DbSession, tenant: Tenant) -> ProviderOut:
    row = await telephony_providers.disconnect(session=session, tenant=tenant, integration_id=integration_id)
    return _card(session, tenant, request, row)


# --- numbers ----------------------------------------------------------------------------------
class ProviderSyncOut(BaseModel):
    integration_id: int
    provider: str
    fetched: int
    added: int
    updated: int
    deactivated: int
    error: str = Field(description="Why this provider failed (its numbers were left as they were); empty on success.")


class SyncOut(BaseModel):
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


def _names(session: Session, tenant: TenantContext) -> dict[int, str]:
    return {m.id or 0: m.name or m.email for m in team.list_members(session=session, tenant=tenant)}


def _number(number: PhoneNumber, names: dict[int, str]) -> NumberOut:
    return NumberOut(
        id=number.id or 0,
        e164=number.e164,
        display=validation.format_phone(number.e164),
        friendly_name=number.friendly_name,
        number_type=number.number_type,
        country=number.country,
        voice=number.voice,
        sms=number.sms,
        integration_id=number.integration_id,
        provider=number.provider,
        provider_status=number.provider_status,
        active=number.active,
        routed_here=number.routed_here,
        route=telephony_numbers.route_of(number),
        route_user_id=number.route_user_id,
        route_user_name=names.get(number.route_user_id, "") if number.route_user_id is not None else "",
        forward_to=number.forward_to,
        forward_to_display=validation.format_phone(number.forward_to),
        synced_at=number.synced_at,
    )


@router.post("/numbers/sync", response_model=SyncOut, summary="Fetch the numbers of every enabled provider now")
async def sync_numbers(request: Request, session: DbSession, tenant: Tenant) -> SyncOut:
    report = await telephony_numbers.sync_numbers(session=session, tenant=tenant, language=request_language(request))
    return SyncOut(
        providers=[
            ProviderSyncOut(
                integration_id=p.integration_id,
                provider=p.provider,
                fetched=p.fetched,
                added=p.added,
                updated=p.updated,
                deactivated=p.deactivated,
                error=p.error,
            )
            for p in report.providers
        ],
        fetched=report.fetched,
        changed=report.changed,
    )


@router.get("/numbers", response_model=list[NumberOut], summary="The business's numbers, filtered")
def list_numbers(
    session: DbSession,
    tenant: Tenant,
    provider: Annotated[str, Query(max_length=40)] = "",
    state: Literal["active", "inactive", "all"] = "active",
    search: Annotated[str, Query(max_length=100)] = "",
    capability: Literal["", "voice", "sms"] = "",
) -> list[NumberOut]:
    rows = telephony_numbers.list_numbers(
        session=session, tenant=tenant, provider=provider, state=state, search=search, capability=capability
    )
    names = _names(session, tenant)
    return [_number(n, names) for n in rows]


@router.get("/numbers/{number_id}", response_model=NumberOut, summary="One number")
def get_number(number_id: RowId, session: DbSession, tenant: Tenant) -> NumberOut:
    number = telephony_numbers.get_number_or_raise(session=session, tenant=tenant, number_id=number_id)
    return _number(number, _names(session, tenant))


@router.put("/numbers/{number_id}/routing", response_model=NumberOut, summary="Ring a member, forward, or neither")
async def set_routing(number_id: RowId, body: RoutingIn, session: DbSession, tenant: Tenant) -> NumberOut:
    number = await telephony_numbers.set_routing(
        session=session,
        tenant=tenant,
        number_id=number_id,
        mode=body.mode,
        user_id=body.user_id,
        forward_to=body.forward_to,
    )
    return _number(number, _names(session, tenant))


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


def _profile(profile: TelephonyProfile) -> ProfileOut:
    return ProfileOut(
        presence=profile.presence,
        presence_at=profile.presence_at,
        primary_number_id=profile.primary_number_id,
        forwarding_number=profile.forwarding_number,
        receive_in_browser=profile.receive_in_browser,
        forward_when_offline=profile.forward_when_offline,
        voicemail_enabled=profile.voicemail_enabled,
    )


def _member(member: telephony_users.MemberTelephony) -> MemberOut:
    user = member.user
    names = {user.id or 0: user.name or user.email}
    return MemberOut(
        id=user.id or 0,
        name=user.name,
        email=user.email,
        role=user.role,
        profile=_profile(member.profile),
        numbers=[_number(n, names) for n in member.numbers],
    )


@router.get("/users", response_model=list[MemberOut], summary="Every member's telephony profile and numbers")
def list_members(session: DbSession, tenant: Tenant) -> list[MemberOut]:
    return [_member(m) for m in telephony_users.list_members(session=session, tenant=tenant)]


@router.get("/users/{user_id}", response_model=MemberOut, summary="One member's telephony profile and numbers")
def get_member(user_id: RowId, session: DbSession, tenant: Tenant) -> MemberOut:
    return _member(telephony_users.get_member(session=session, tenant=tenant, user_id=user_id))


@router.put("/users/{user_id}", response_model=MemberOut, summary="Set a member's numbers and preferences")
async def update_member(user_id: RowId, body: MemberIn, session: DbSession, tenant: Tenant) -> MemberOut:
    member = await telephony_users.update_member(
        session=session,
        tenant=tenant,
        user_id=user_id,
        number_ids=body.number_ids,
        primary_number_id=body.primary_number_id,
        forwarding_number=body.forwarding_number,
        receive_in_browser=body.receive_in_browser,
        forward_when_offline=body.forward_when_offline,
        voicemail_enabled=body.voicemail_enabled,
    )
    return _member(member)


@router.get("/me/status", response_model=StatusOut, summary="Your own status")
def own_status(session: DbSession, tenant: Tenant) -> StatusOut:
    return StatusOut(presence=telephony_users.own_presence(session=session, tenant=tenant))


@router.put("/me/status", response_model=StatusOut, summary="Set your own status (any member)")
def set_status(body: StatusIn, session: DbSession, tenant: Tenant) -> StatusOut:
    return StatusOut(
        presence=telephony_users.set_presence(session=session, tenant=tenant, presence=body.presence).presence
    )
