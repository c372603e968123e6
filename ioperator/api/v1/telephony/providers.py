"""Telephony providers: connect, enable, default, test and set up at the provider."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlmodel import Session

from ioperator.api.deps import DbSession, Tenant
from ioperator.api.errors import request_language
from ioperator.api.v1.integrations import CatalogField
from ioperator.api.v1.telephony.schemas import (
    ConnectionOut,
    ProviderConfigIn,
    ProviderConnectIn,
    ProviderEnabledIn,
    ProviderOut,
    RowId,
    SetupOut,
    SetupStepOut,
)
from ioperator.core.auth import TenantContext
from ioperator.core.i18n import translate
from ioperator.models.integration import Integration
from ioperator.services import integration_catalog, integrations, telephony_providers, telephony_setup

router = APIRouter()


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
