"""Phone numbers: sync from the providers, list, and route."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlmodel import Session

from ioperator.api.deps import DbSession, Tenant
from ioperator.api.errors import request_language
from ioperator.api.v1.telephony.schemas import NumberOut, NumbersSyncOut, ProviderSyncOut, RoutingIn, RowId
from ioperator.core.auth import TenantContext
from ioperator.models.telephony import PhoneNumber
from ioperator.services import team, telephony_numbers, validation

router = APIRouter()


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


@router.post("/numbers/sync", response_model=NumbersSyncOut, summary="Fetch the numbers of every enabled provider now")
async def sync_numbers(request: Request, session: DbSession, tenant: Tenant) -> NumbersSyncOut:
    report = await telephony_numbers.sync_numbers(session=session, tenant=tenant, language=request_language(request))
    return NumbersSyncOut(
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
