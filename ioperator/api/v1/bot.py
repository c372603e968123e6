"""The bot engines' API, authenticated with an API key: the configuration, and live CRM operations."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from ioperator.api.deps import LoopDbSession as DbSession
from ioperator.api.keyauth import ApiKeyAuth
from ioperator.api.v1 import schemas_bot as doc
from ioperator.core.errors import NotFound
from ioperator.services import api_keys, bookings, bot_config

router = APIRouter(prefix="/api/v1", tags=["bot engines"])

_CONFIG_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "model": doc.ConfigOut,
        "description": "The configuration, with an `ETag`.",
        "headers": {"ETag": {"schema": {"type": "string"}, "description": "Send it back as `If-None-Match`."}},
        "content": {"application/json": {"example": doc.CONFIG_EXAMPLE}},
    },
    304: {"description": "Unchanged since the `If-None-Match` tag: no body."},
    **doc.AUTH_ERRORS,
}


@router.get(
    "/config",
    summary="The whole bot configuration",
    description="Business, settings, active prompt (source and rendered), channels with their credentials, the "
    "connected CRM with its catalog, and custom variables. Poll with `If-None-Match`: an unchanged configuration "
    "answers `304` with no body. The response holds channel credentials: keep API keys secret.",
    response_class=Response,
    responses=_CONFIG_RESPONSES,
)
async def get_config(request: Request, auth: ApiKeyAuth, session: DbSession) -> Response:
    rendered = bot_config.current(session=session, tenant=auth.tenant)
    api_keys.mark_used(session=session, auth=auth, fetched_config=True)
    headers = {"ETag": rendered.etag, "Cache-Control": "private, no-cache"}
    if bot_config.etag_matches(request.headers.get("if-none-match"), rendered.etag):
        return Response(status_code=304, headers=headers)
    return Response(rendered.body, media_type="application/json", headers=headers)


@router.get(
    "/bot/catalog",
    summary="The CRM catalog",
    description="Services and staff of the connected CRM, from iOperator's synced copy (no CRM call).",
    response_model=doc.CatalogOut,
    responses={**doc.AUTH_ERRORS, 409: doc.PROVIDER_ERRORS[409]},
)
async def get_catalog(auth: ApiKeyAuth, session: DbSession) -> doc.CatalogOut:
    api_keys.mark_used(session=session, auth=auth, fetched_config=False)
    crm, services, staff = bookings.catalog(session=session, tenant=auth.tenant)
    return doc.CatalogOut(
        crm=crm.provider,
        services=[
            doc.ServiceDoc(
                id=s.external_id,
                name=s.name,
                category=s.category,
                price=None if s.price is None else str(s.price),
                price_max=None if s.price_max is None else str(s.price_max),
                duration_minutes=s.duration_minutes,
                staff_ids=list(s.staff_ids),
            )
            for s in services
        ],
        staff=[doc.StaffDoc(id=s.external_id, name=s.name, position=s.position) for s in staff],
    )


@router.get(
    "/bot/slots",
    summary="Free time for a service",
    description="Asks the CRM for free slots between `date_from` and `date_to` (inclusive, at most 31 days).",
    response_model=list[doc.SlotOut],
    responses={**doc.AUTH_ERRORS, **doc.PROVIDER_ERRORS},
)
async def get_slots(
    auth: ApiKeyAuth,
    session: DbSession,
    service_id: Annotated[str, Query(max_length=120, examples=["101"])],
    date_from: Annotated[date, Query(examples=["2026-11-25"])],
    date_to: Annotated[date | None, Query(examples=["2026-11-26"])] = None,
    staff_id: Annotated[str | None, Query(max_length=120, examples=["7"])] = None,
) -> list[doc.SlotOut]:
    api_keys.mark_used(session=session, auth=auth, fetched_config=False)
    slots = await bookings.free_slots(
        session=session, tenant=auth.tenant, service=service_id, staff=staff_id, start=date_from, end=date_to
    )
    return [doc.SlotOut(start=s.start, duration_minutes=s.duration_minutes, staff_id=s.staff_id) for s in slots]


@router.get(
    "/bot/clients",
    summary="Find a client by phone",
    response_model=doc.ClientOut,
    responses={
        **doc.AUTH_ERRORS,
        **doc.PROVIDER_ERRORS,
        404: {"model": doc.ErrorOut, "description": "No such client."},
    },
)
async def find_client(
    auth: ApiKeyAuth, session: DbSession, phone: Annotated[str, Query(max_length=32, examples=["+491701234567"])]
) -> doc.ClientOut:
    api_keys.mark_used(session=session, auth=auth, fetched_config=False)
    client = await bookings.find_client(session=session, tenant=auth.tenant, phone=phone)
    if client is None:
        raise NotFound("bot.error.client_not_found")
    return doc.ClientOut(id=client.external_id, name=client.name, phone=client.phone, email=client.email)


@router.post(
    "/bot/clients",
    summary="Create a client",
    status_code=201,
    response_model=doc.ClientOut,
    responses={**doc.AUTH_ERRORS, **doc.PROVIDER_ERRORS},
)
async def create_client(body: doc.ClientIn, auth: ApiKeyAuth, session: DbSession) -> doc.ClientOut:
    api_keys.mark_used(session=session, auth=auth, fetched_config=False)
    client = await bookings.create_client(
        session=session, tenant=auth.tenant, name=body.name, phone=body.phone, email=body.email
    )
    return doc.ClientOut(id=client.external_id, name=client.name, phone=client.phone, email=client.email)


@router.post(
    "/bot/bookings",
    summary="Book a service",
    description="Finds the client by phone in the CRM (or creates them) and books the slot.",
    status_code=201,
    response_model=doc.BookingOut,
    responses={**doc.AUTH_ERRORS, **doc.PROVIDER_ERRORS},
)
async def create_booking(body: doc.BookingIn, auth: ApiKeyAuth, session: DbSession) -> doc.BookingOut:
    api_keys.mark_used(session=session, auth=auth, fetched_config=False)
    booking = await bookings.create_booking(
        session=session,
        tenant=auth.tenant,
        service=body.service_id,
        staff=body.staff_id,
        start=body.start,
        client_name=body.client.name,
        client_phone=body.client.phone,
        client_email=body.client.email,
        comment=body.comment,
    )
    return doc.BookingOut(
        id=booking.external_id,
        start=booking.start,
        service_id=booking.service_id,
        staff_id=booking.staff_id,
        client_id=booking.client_id,
        status=booking.status,
    )


@router.delete(
    "/bot/bookings/{booking_id}",
    summary="Cancel a booking",
    status_code=204,
    response_class=Response,
    responses={**doc.AUTH_ERRORS, **doc.PROVIDER_ERRORS},
)
async def cancel_booking(booking_id: str, auth: ApiKeyAuth, session: DbSession) -> Response:
    api_keys.mark_used(session=session, auth=auth, fetched_config=False)
    await bookings.cancel_booking(session=session, tenant=auth.tenant, booking=booking_id)
    return Response(status_code=204)
