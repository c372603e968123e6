"""A business's integrations: catalog, connect (test before save), test, disconnect, event log.

Connecting follows the Home Assistant config-flow pattern: the provider's connection test runs
before anything is stored; a failure raises IntegrationFailed naming the field, and the caller's
transaction keeps nothing. Secrets are stored encrypted and only ever shown masked.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session, col, select

from ioperator.adapters import registry
from ioperator.adapters.base import Adapter, ProviderConfig
from ioperator.adapters.channels.base import ChannelAdapter, ConnectContext, SetupStep
from ioperator.adapters.errors import AdapterError, InvalidAuth, RateLimited
from ioperator.adapters.telephony.base import TelephonyAdapter
from ioperator.core import crypto
from ioperator.core.auth import TenantContext
from ioperator.core.config import get_settings
from ioperator.core.db import utcnow
from ioperator.core.errors import IntegrationFailed, NotFound, ValidationFailed
from ioperator.core.http import http_client, provider_base_url
from ioperator.models.business import Business
from ioperator.models.integration import (
    EventKind,
    Integration,
    IntegrationPublic,
    IntegrationStatus,
)
from ioperator.services import integration_events, telephony_setup


# --- reading ----------------------------------------------------------------------------------
def list_integrations(*, session: Session, tenant: TenantContext, kind: str | None = None) -> list[Integration]:
    query = select(Integration).where(Integration.business_id == tenant.business_id)
    if kind:
        query = query.where(Integration.kind == kind)
    return list(session.exec(query.order_by(col(Integration.id))).all())


def get_integration(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration | None:
    return session.exec(
        select(Integration).where(Integration.id == integration_id, Integration.business_id == tenant.business_id)
    ).first()


def get_integration_or_raise(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    integration = get_integration(session=session, tenant=tenant, integration_id=integration_id)
    if integration is None:
        raise NotFound("error.integration_not_found")
    return integration


def to_public(integration: Integration) -> IntegrationPublic:
    secrets = stored_secrets(integration)
    return IntegrationPublic(
        id=integration.id or 0,
        provider=integration.provider,
        kind=integration.kind,
        status=integration.status,
        config=dict(integration.config),
        secrets_set=sorted(secrets),
        masked_secrets={name: crypto.mask(value) for name, value in secrets.items()},
        found_title=integration.found_title,
        found_details=dict(integration.found_details),
        error_message=integration.error_message,
        last_sync_at=integration.last_sync_at,
        last_event_at=integration.last_event_at,
        connected_by=integration.connected_by,
        connected_at=integration.connected_at,
    )


def stored_secrets(integration: Integration) -> dict[str, str]:
    return dict(json.loads(integration.secrets)) if integration.secrets else {}


def webhook_url(integration: Integration) -> str:
    return f"{get_settings().effective_webhook_base_url}/webhooks/{integration.provider}/{integration.id}"


def setup_steps(integration: Integration) -> list[SetupStep]:
    cls = registry.get(integration.provider)
    if not (cls and issubclass(cls, ChannelAdapter) and integration.webhook_secret):
        return []
    return cls.setup_steps(_context(integration))


# --- connecting -------------------------------------------------------------------------------
async def connect(
    *,
    session: Session,
    tenant: TenantContext,
    provider: str,
    values: dict[str, Any],
    integration_id: int | None = None,
) -> Integration:
    """Test the credentials, set the provider side up, then store. Blank secrets keep stored ones."""
    tenant.require_manager()
    cls = _adapter_class(provider)
    existing = (
        get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
        if integration_id is not None
        else _single_instance(session=session, tenant=tenant, cls=cls)
    )
    if existing is not None and existing.provider != provider:
        raise NotFound("error.integration_not_found")
    config = _parse_config(cls, values, stored=stored_secrets(existing) if existing else {})
    if issubclass(cls, ChannelAdapter):
        _require_public_webhook_url()
    adapter = _build(cls, config)
    info = await call(adapter.test_connection())

    integration = existing or Integration(
        business_id=tenant.business_id,
        provider=cls.slug,
        kind=cls.kind,
        instance_key=cls.slug if not cls.allow_multiple else f"{cls.slug}:{crypto.new_token(8)}",
    )
    was_connected = integration.status is not IntegrationStatus.DISCONNECTED and integration.id is not None
    integration.webhook_secret = integration.webhook_secret or crypto.new_token(24)
    session.add(integration)
    session.flush()  # the id goes into the webhook URL
    previous = _stored_config(cls, existing) if was_connected and existing and existing.secrets else None
    if isinstance(adapter, ChannelAdapter):
        integration.provider_state = await call(adapter.connect(_context(integration)))
        if previous is not None and previous != config:
            await _undo_previous(previous, cls, integration)
    elif isinstance(adapter, TelephonyAdapter):
        old = _build(cls, previous) if previous is not None else None
        integration.provider_state = await call(
            telephony_setup.provision(
                adapter,
                integration,
                business_name=_business_name(session, tenant),
                previous=old if isinstance(old, TelephonyAdapter) else None,
                credentials_changed=previous is not None and previous != config,
            )
        )

    now = utcnow()
    integration.config = config.public_values()
    integration.secrets = json.dumps(config.secret_values())
    integration.status = IntegrationStatus.CONNECTED
    integration.found_title = info.title[:200]
    integration.found_details = dict(info.details)
    integration.error_message = ""
    integration.updated_at = now
    if not was_connected:
        integration.connected_by = tenant.user_id
        integration.connected_at = now
    session.add(integration)
    integration_events.record_event(
        session=session,
        integration=integration,
        kind=EventKind.RECONFIGURED if was_connected else EventKind.CONNECTED,
        detail=info.title,
    )
    return integration


async def test(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    """Re-run the connection test with the stored config; the outcome becomes the status."""
    integration = get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if integration.status is IntegrationStatus.DISCONNECTED:
        raise ValidationFailed("error.integration_disconnected")
    cls = _adapter_class(integration.provider)
    adapter = _build(cls, _stored_config(cls, integration))
    try:
        info = await call(adapter.test_connection())
    except IntegrationFailed as exc:
        integration.status = IntegrationStatus.ERROR
        integration.error_message = exc.message("en")[:500]
        integration_events.record_event(
            session=session, integration=integration, kind=EventKind.TEST_FAILED, detail=exc.adapter_key
        )
    else:
        integration.status = IntegrationStatus.CONNECTED
        integration.error_message = ""
        integration.found_title = info.title[:200]
        integration.found_details = dict(info.details)
        integration_events.record_event(
            session=session, integration=integration, kind=EventKind.TESTED, detail=info.title
        )
    integration.updated_at = utcnow()
    session.add(integration)
    session.flush()
    return integration


async def disconnect(*, session: Session, tenant: TenantContext, integration_id: int) -> Integration:
    """Undo connect at the provider, then forget the secrets (the event log stays)."""
    tenant.require_manager()
    integration = get_integration_or_raise(session=session, tenant=tenant, integration_id=integration_id)
    if integration.status is IntegrationStatus.DISCONNECTED:
        return integration
    cls = _adapter_class(integration.provider)
    detail = ""
    adapter = _build(cls, _stored_config(cls, integration))
    undo = (
        adapter.disconnect(_context(integration), dict(integration.provider_state))
        if isinstance(adapter, ChannelAdapter)
        else telephony_setup.deprovision(adapter, integration)
        if isinstance(adapter, TelephonyAdapter)
        else None
    )
    if undo is not None:
        try:
            await call(undo)
        except IntegrationFailed as exc:
            if exc.adapter_key != InvalidAuth.key:
                raise  # the provider side could still be undone later: keep everything as it is
            detail = exc.adapter_key  # revoked credentials: nothing is left to undo at the provider
    if isinstance(adapter, TelephonyAdapter):
        telephony_setup.release_numbers(session, integration)
    integration.status = IntegrationStatus.DISCONNECTED
    integration.is_default = False
    integration.secrets = None
    integration.webhook_secret = None
    integration.provider_state = {}
    integration.error_message = ""
    integration.updated_at = utcnow()
    session.add(integration)
    integration_events.record_event(
        session=session, integration=integration, kind=EventKind.DISCONNECTED, detail=detail
    )
    return integration


# --- helpers ----------------------------------------------------------------------------------
def _adapter_class(provider: str) -> type[Adapter]:
    cls = registry.get(provider)
    if cls is None:
        raise NotFound("error.provider_not_found")
    if not cls.available:
        raise ValidationFailed("error.provider_unavailable", reason=cls.unavailable_reason)
    return cls


def _single_instance(*, session: Session, tenant: TenantContext, cls: type[Adapter]) -> Integration | None:
    if cls.allow_multiple:
        return None
    return session.exec(
        select(Integration).where(Integration.business_id == tenant.business_id, Integration.instance_key == cls.slug)
    ).first()


def _parse_config(cls: type[Adapter], values: dict[str, Any], *, stored: dict[str, str]) -> ProviderConfig:
    known = {f.name for f in cls.form_fields()}
    merged = {k: v for k, v in values.items() if k in known}
    for name in cls.Config.secret_fields():
        if not str(merged.get(name) or "").strip() and name in stored:
            merged[name] = stored[name]  # left blank: keep the stored secret
    merged = {k: v for k, v in merged.items() if not (isinstance(v, str) and not v.strip())}
    try:
        return cls.parse_config(merged)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first.get("loc") else None
        key = "error.field_required" if first.get("type") == "missing" else "error.field_invalid"
        raise ValidationFailed(key, field=field) from None


def _stored_config(cls: type[Adapter], integration: Integration) -> ProviderConfig:
    return cls.parse_config({**integration.config, **stored_secrets(integration)})


def build_adapter(integration: Integration) -> Adapter:
    """An adapter for a connected integration, with its stored config."""
    cls = _adapter_class(integration.provider)
    return _build(cls, _stored_config(cls, integration))


def _build(cls: type[Adapter], config: ProviderConfig) -> Adapter:
    return cls(config, http=http_client(), base_url=provider_base_url(cls.slug))


def _context(integration: Integration) -> ConnectContext:
    return ConnectContext(
        integration_id=integration.id or 0,
        webhook_url=webhook_url(integration),
        webhook_secret=integration.webhook_secret or "",
    )


async def _undo_previous(previous: ProviderConfig, cls: type[Adapter], integration: Integration) -> None:
    """Credentials changed (e.g. another bot): remove our webhook from the old account, best effort."""
    old = _build(cls, previous)
    if isinstance(old, ChannelAdapter):
        # the old credentials may be revoked: then nothing more can be done with them
        with contextlib.suppress(AdapterError):
            await old.disconnect(_context(integration), dict(integration.provider_state))


def _business_name(session: Session, tenant: TenantContext) -> str:
    business = session.get(Business, tenant.business_id)
    return business.name if business else ""


def _require_public_webhook_url() -> None:
    base = get_settings().effective_webhook_base_url
    if not base.startswith("https://"):
        raise ValidationFailed("error.public_url_required", url=base)


async def call(awaitable: Any) -> Any:
    """Await a provider call; adapter errors become the service error the UI and API show."""
    try:
        return await awaitable
    except AdapterError as exc:
        retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
        raise IntegrationFailed(
            exc.key, field=exc.field, retry_after=retry_after, detail=exc.detail, seconds=retry_after or ""
        ) from None
