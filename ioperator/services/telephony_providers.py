"""The business's telephony providers: connect (test, then set the provider side up), enable/disable,
the one default for outbound calls, manual set-up, disconnect.

Statuses as the Providers page shows them:
  not_configured - no credentials stored;
  error          - the last connection test failed;
  configured     - credentials work, but the provider is disabled or calls cannot reach iOperator yet
                   (no public address and the manual set-up not confirmed);
  active         - enabled, and the provider side points at iOperator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from ioperator.adapters import registry
from ioperator.adapters.telephony.base import ManualStep, TelephonyAdapter
from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import NotFound, ValidationFailed
from ioperator.models.integration import EventKind, Integration, IntegrationStatus
from ioperator.services import business as business_service
from ioperator.services import integration_events, integrations, telephony_setup

KIND = "telephony"
NOT_CONFIGURED, ERROR, CONFIGURED, ACTIVE = "not_configured", "error", "configured", "active"


@dataclass(frozen=True)
class ProviderView:
    """One provider card: the catalog entry, and the business's connection to it if any."""

    cls: type[TelephonyAdapter]
    integration: Integration | None
    status: str


def adapter_classes() -> list[type[TelephonyAdapter]]:
    return [cls for cls in registry.all_adapters(KIND) if issubclass(cls, TelephonyAdapter)]


def status_of(integration: Integration | None) -> str:
    if integration is None or integration.status is IntegrationStatus.DISCONNECTED:
        return NOT_CONFIGURED
    if integration.status is IntegrationStatus.ERROR:
        return ERROR
    if integration.enabled and telephony_setup.is_provisioned(integration.provider_state):
        return ACTIVE
    return CONFIGURED


def connected(*, session: Session, tenant: TenantContext, enabled_only: bool = False) -> list[Integration]:
    rows = [
        row
        for row in integrations.list_integrations(session=session, tenant=tenant, kind=KIND)
        if row.status is not IntegrationStatus.DISCONNECTED
    ]
    return [row for row in rows if row.enabled] if enabled_only else rows


def list_providers(*, session: Session, tenant: TenantContext) -> list[ProviderView]:
    by_provider = {
        row.provider: row for row in integrations.list_integrations(session=session, tenant=tenant, kind=KIND)
    }
    return [
        ProviderView(cls, by_provider.get(cls.slug), status_of(by_provider.get(cls.slug))) for cls in adapter_classes()
    ]


def get_provider_or_raise(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    row = integrations.get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if row.kind != KIND:
        raise NotFound("error.integration_not_found")
    return row


def default_provider(*, session: Session, tenant: TenantContext) -> Integration | None:
    return next((row for row in connected(session=session, tenant=tenant) if row.is_default), None)


async def connect(
    *, session: Session, tenant: TenantContext, provider: str, values: dict[str, Any], integration_id: int | None = None
) -> Integration:
    """Test the credentials, set the provider side up, store. The first provider becomes the default."""
    cls = registry.get(provider)
    if cls is None or not issubclass(cls, TelephonyAdapter):
        raise NotFound("error.provider_not_found")
    if integration_id is not None:
        get_provider_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    row = await integrations.connect(
        session=session, tenant=tenant, provider=provider, values=values, integration_id=integration_id
    )
    if default_provider(session=session, tenant=tenant) is None and row.enabled:
        row.is_default = True
        session.add(row)
        session.flush()
    return row


async def test(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    tenant.require_manager()  # the outcome becomes the provider's status
    get_provider_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    return await integrations.test(session=session, tenant=tenant, integration_id=integration_id)


async def disconnect(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    get_provider_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    row = await integrations.disconnect(session=session, tenant=tenant, integration_id=integration_id)
    _pick_default(session=session, tenant=tenant)
    return row


def set_enabled(*, session: Session, tenant: TenantContext, integration_id: int, enabled: bool) -> Integration:
    """A disabled provider keeps its credentials but is not synced or used; it cannot stay the default."""
    tenant.require_manager()
    row = _connected_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if row.enabled != enabled:
        row.enabled = enabled
        if not enabled:
            row.is_default = False
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
        _pick_default(session=session, tenant=tenant)
    return row


def make_default(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    """The provider outbound calls go through; exactly one per business (a partial unique index holds it)."""
    tenant.require_manager()
    row = _connected_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if not row.enabled:
        raise ValidationFailed("telephony.error.default_disabled")
    for other in connected(session=session, tenant=tenant):
        if other.is_default and other.id != row.id:
            other.is_default = False
            session.add(other)
    session.flush()
    if not row.is_default:
        row.is_default = True
        row.updated_at = utcnow()
        session.add(row)
        session.flush()
    return row


def manual_steps(*, session: Session, tenant: TenantContext, integration_id: int) -> list[ManualStep]:
    row = get_provider_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    cls = _class(row)
    name = business_service.get_business(session=session, tenant=tenant).name
    return telephony_setup.manual_steps(cls, row, name)


def confirm_manual_setup(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    """The owner says the provider now points at the URLs shown: record it (calls can arrive)."""
    tenant.require_manager()
    row = _connected_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if not row.provider_state:
        row.provider_state = {telephony_setup.MANUAL: "1"}
        row.updated_at = utcnow()
        session.add(row)
        integration_events.record_event(session=session, integration=row, kind=EventKind.RECONFIGURED, detail="manual")
    return row


async def provision_now(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    """Let iOperator create the provider side now (a public HTTPS address has been configured since)."""
    tenant.require_manager()
    row = _connected_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if telephony_setup.public_webhook_base() is None:
        raise ValidationFailed("error.public_url_required", url=telephony_setup.context(row, "").webhook_base)
    if row.provider_state and not telephony_setup.is_manual(row.provider_state):
        return row
    adapter = integrations.build_adapter(row)
    assert isinstance(adapter, TelephonyAdapter)
    name = business_service.get_business(session=session, tenant=tenant).name
    row.provider_state = await integrations.call(adapter.provision(telephony_setup.context(row, name)))
    row.updated_at = utcnow()
    session.add(row)
    integration_events.record_event(session=session, integration=row, kind=EventKind.RECONFIGURED, detail="provisioned")
    return row


# --- helpers ----------------------------------------------------------------------------------
def _class(row: Integration) -> type[TelephonyAdapter]:
    cls = registry.get(row.provider)
    assert cls is not None and issubclass(cls, TelephonyAdapter)
    return cls


def _connected_or_raise(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    row = get_provider_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if row.status is IntegrationStatus.DISCONNECTED:
        raise ValidationFailed("error.integration_disconnected")
    return row


def _pick_default(*, session: Session, tenant: TenantContext) -> None:
    """When the default went away and exactly one enabled provider is left, it becomes the default."""
    rows = connected(session=session, tenant=tenant, enabled_only=True)
    if any(row.is_default for row in rows) or len(rows) != 1:
        return
    rows[0].is_default = True
    session.add(rows[0])
    session.flush()
