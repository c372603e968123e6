"""Integrations of the signed-in user's business, and the public provider catalog."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from ioperator.api.deps import DbSession, Tenant, require_json
from ioperator.api.errors import request_language
from ioperator.core.errors import ServiceError
from ioperator.models.integration import IntegrationEventPublic, IntegrationPublic
from ioperator.services import crm_sync, integration_catalog, integration_events, integrations

router = APIRouter(prefix="/api/v1/integrations", tags=["integrations"], dependencies=[Depends(require_json)])


class CatalogField(BaseModel):
    name: str
    title: str
    help: str
    secret: bool
    required: bool
    default: str
    input_type: str


class CatalogProvider(BaseModel):
    slug: str
    kind: str
    title: str
    description: str
    docs_url: str
    logo: str
    available: bool
    unavailable_reason: str
    allow_multiple: bool
    operations: list[str]
    unsupported: dict[str, str]
    fields: list[CatalogField]
    config_schema: dict[str, Any]


class ConnectIn(BaseModel):
    provider: str
    config: dict[str, Any]


class ReconfigureIn(BaseModel):
    config: dict[str, Any]


class EventsPage(BaseModel):
    items: list[IntegrationEventPublic]
    total: int
    page: int
    page_size: int


@router.get("/catalog", response_model=list[CatalogProvider], summary="Every provider and its config schema")
def catalog(request: Request, kind: str | None = None) -> list[CatalogProvider]:
    lang = request_language(request)
    return [
        CatalogProvider(
            **{k: v for k, v in entry.__dict__.items() if k != "fields"},
            fields=[CatalogField(**{k: getattr(f, k) for k in CatalogField.model_fields}) for f in entry.fields],
        )
        for entry in integration_catalog.catalog(lang=lang, kind=kind)
    ]


@router.get("", response_model=list[IntegrationPublic], summary="Your business's integrations")
def list_integrations(session: DbSession, tenant: Tenant, kind: str | None = None) -> list[IntegrationPublic]:
    return [
        integrations.to_public(i) for i in integrations.list_integrations(session=session, tenant=tenant, kind=kind)
    ]


@router.post("", response_model=IntegrationPublic, status_code=201, summary="Connect (tested before it is saved)")
async def connect(body: ConnectIn, session: DbSession, tenant: Tenant) -> IntegrationPublic:
    integration = await integrations.connect(session=session, tenant=tenant, provider=body.provider, values=body.config)
    if integration.kind == "crm":
        with contextlib.suppress(ServiceError):  # a failed first sync is kept as the integration's error
            await crm_sync.sync_catalog(session=session, tenant=tenant, integration_id=integration.id or 0)
    return integrations.to_public(integration)


@router.get("/{integration_id}", response_model=IntegrationPublic, summary="One integration")
def get_integration(integration_id: int, session: DbSession, tenant: Tenant) -> IntegrationPublic:
    return integrations.to_public(
        integrations.get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    )


@router.put("/{integration_id}", response_model=IntegrationPublic, summary="Change the config (blank secrets kept)")
async def reconfigure(
    integration_id: int, body: ReconfigureIn, session: DbSession, tenant: Tenant
) -> IntegrationPublic:
    current = integrations.get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    integration = await integrations.connect(
        session=session, tenant=tenant, provider=current.provider, values=body.config, integration_id=integration_id
    )
    return integrations.to_public(integration)


@router.post("/{integration_id}/test", response_model=IntegrationPublic, summary="Re-run the connection test")
async def test(integration_id: int, session: DbSession, tenant: Tenant) -> IntegrationPublic:
    return integrations.to_public(
        await integrations.test(session=session, tenant=tenant, integration_id=integration_id)
    )


@router.delete("/{integration_id}", response_model=IntegrationPublic, summary="Disconnect (undone at the provider)")
async def disconnect(integration_id: int, session: DbSession, tenant: Tenant) -> IntegrationPublic:
    return integrations.to_public(
        await integrations.disconnect(session=session, tenant=tenant, integration_id=integration_id)
    )


class SyncOut(BaseModel):
    services: int
    staff: int
    changed: int


@router.post("/{integration_id}/sync", response_model=SyncOut, summary="Copy the CRM's services and staff now")
async def sync(integration_id: int, session: DbSession, tenant: Tenant) -> SyncOut:
    result = await crm_sync.sync_catalog(session=session, tenant=tenant, integration_id=integration_id)
    return SyncOut(services=result.services, staff=result.staff, changed=result.changed)


@router.get("/{integration_id}/events", response_model=EventsPage, summary="The event log, newest first")
def events(
    integration_id: int, session: DbSession, tenant: Tenant, page: int = Query(1, ge=1, le=10_000)
) -> EventsPage:
    rows, total = integration_events.list_events(
        session=session, tenant=tenant, integration_id=integration_id, page=page
    )
    return EventsPage(
        items=[IntegrationEventPublic.model_validate(r) for r in rows],
        total=total,
        page=page,
        page_size=integration_events.EVENTS_PAGE_SIZE,
    )
