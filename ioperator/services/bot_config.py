"""What a bot engine pulls from `GET /api/v1/config`: the business's whole bot configuration.

Engines poll it often, so it is built once and cached per worker. Every request runs one small
query — `fingerprint()`, the latest change time and row count of each table the config is made of —
and the cached body is reused while the fingerprint is the same. A prompt that uses the clock
(`{{today}}`, `{{weekday}}`, `{{current_time}}`) makes the entry valid until the end of the minute.
The ETag is a hash of the body, so every worker answers the same tag for the same configuration.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from ioperator.adapters import registry
from ioperator.adapters.crm.base import CrmAdapter
from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.models.crm import CrmServiceRow, CrmStaffRow
from ioperator.models.integration import Integration, IntegrationStatus
from ioperator.services import business as business_service
from ioperator.services import integrations, llm, prompt_render, prompts

CLOCK_VARIABLES = frozenset({"today", "weekday", "current_time"})
_CACHE_SIZE = 1024


@dataclass(frozen=True)
class RenderedConfig:
    body: bytes  # compact JSON
    etag: str  # '"<hash>"'
    fingerprint: tuple[Any, ...]
    valid_until: datetime | None  # None: until the data changes


_cache: OrderedDict[int, RenderedConfig] = OrderedDict()
_lock = threading.Lock()

_FINGERPRINT_SQL = sa.text(
    """
    SELECT
      (SELECT updated_at FROM business WHERE id = :b),
      (SELECT max(updated_at) FROM integration WHERE business_id = :b),
      (SELECT count(*) FROM integration WHERE business_id = :b),
      (SELECT max(updated_at) FROM prompt WHERE business_id = :b),
      (SELECT count(*) FROM prompt WHERE business_id = :b),
      (SELECT max(updated_at) FROM prompt_variable WHERE business_id = :b),
      (SELECT count(*) FROM prompt_variable WHERE business_id = :b),
      (SELECT max(synced_at) FROM crm_service WHERE business_id = :b),
      (SELECT count(*) FROM crm_service WHERE business_id = :b),
      (SELECT max(synced_at) FROM crm_staff WHERE business_id = :b),
      (SELECT count(*) FROM crm_staff WHERE business_id = :b),
      (SELECT updated_at FROM llm_config WHERE business_id = :b)
    """
)


def fingerprint(*, session: Session, tenant: TenantContext) -> tuple[Any, ...]:
    """One round trip that changes whenever anything the config is built from changes."""
    row = session.execute(_FINGERPRINT_SQL, {"b": tenant.business_id}).one()
    return tuple(str(value) for value in row)


def current(*, session: Session, tenant: TenantContext, now: datetime | None = None) -> RenderedConfig:
    """The configuration as served: from the cache while nothing changed, else built anew."""
    moment = now or utcnow()
    stamp = fingerprint(session=session, tenant=tenant)
    with _lock:
        cached = _cache.get(tenant.business_id)
        if (
            cached is not None
            and cached.fingerprint == stamp
            and (cached.valid_until is None or moment < cached.valid_until)
        ):
            _cache.move_to_end(tenant.business_id)
            return cached
    config, uses_clock = build(session=session, tenant=tenant, now=moment)
    body = json.dumps(config, ensure_ascii=False, separators=(",", ":"), default=str).encode()
    rendered = RenderedConfig(
        body=body,
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
        fingerprint=stamp,
        valid_until=moment.replace(second=0, microsecond=0) + _MINUTE if uses_clock else None,
    )
    with _lock:
        _cache[tenant.business_id] = rendered
        _cache.move_to_end(tenant.business_id)
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return rendered


def last_served_body() -> bytes | None:
    """The most recently served body (the benchmark's baseline route returns it)."""
    with _lock:
        return next(reversed(_cache.values())).body if _cache else None


def forget(business: int | None = None) -> None:
    """Drop cached entries (tests; the fingerprint makes this unnecessary in production)."""
    with _lock:
        if business is None:
            _cache.clear()
        else:
            _cache.pop(business, None)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 weak comparison against an `If-None-Match` list (or `*`)."""
    if not if_none_match:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def build(*, session: Session, tenant: TenantContext, now: datetime | None = None) -> tuple[dict[str, Any], bool]:
    """The configuration document, and whether its rendered prompt depends on the clock."""
    business = business_service.get_business(session=session, tenant=tenant)
    rows = integrations.list_integrations(session=session, tenant=tenant)
    connected = [row for row in rows if row.status is not IntegrationStatus.DISCONNECTED]
    prompt_doc, uses_clock = _prompt(session=session, tenant=tenant, now=now)
    llm_config = llm.get_config(session=session, tenant=tenant)
    return {
        "business": {
            "id": business.id,
            "name": business.name,
            "address": business.address,
            "phone": business.phone,
            "website": business.website,
        },
        "settings": {
            "language": business.language,
            "timezone": business.timezone,
            "working_hours": business.working_hours,
            "llm": None
            if llm_config is None
            else {
                "base_url": llm_config.base_url,
                "model": llm_config.model,
                "temperature": llm_config.temperature,
            },
        },
        "prompt": prompt_doc,
        "channels": [_channel(row) for row in connected if row.kind == "channel"],
        "crm": _crm(session=session, rows=[row for row in connected if row.kind == "crm"]),
        "variables": [
            {"name": v.name, "description": v.description, "value": v.value}
            for v in prompts.list_custom_variables(session=session, tenant=tenant)
        ],
    }, uses_clock


def _prompt(*, session: Session, tenant: TenantContext, now: datetime | None) -> tuple[dict[str, Any] | None, bool]:
    prompt = prompts.get_active_prompt(session=session, tenant=tenant)
    if prompt is None or prompt.current_version == 0 or prompt.id is None:
        return None, False
    version = prompts.get_version_or_raise(
        session=session, tenant=tenant, prompt_id=prompt.id, number=prompt.current_version
    )
    used = {name for name, _ in prompt_render.find_variables(version.source)}
    rendered = prompts.render(session=session, tenant=tenant, prompt_id=prompt.id, source=version.source, now=now)
    return {
        "id": prompt.id,
        "name": prompt.name,
        "language": prompt.language,
        "version": version.number,
        "updated_at": version.created_at.astimezone(UTC).isoformat(),
        "source": version.source,
        "rendered": rendered,
    }, bool(used & CLOCK_VARIABLES)


def _channel(row: Integration) -> dict[str, Any]:
    """What an engine needs to answer on the channel: its identity and the credentials to send with."""
    return {
        "id": row.id,
        "provider": row.provider,
        "status": row.status.value,
        "title": row.found_title,
        "details": dict(row.found_details),
        "settings": dict(row.config),
        "credentials": integrations.stored_secrets(row),
    }


def _crm(*, session: Session, rows: list[Integration]) -> dict[str, Any] | None:
    if not rows:
        return None
    row = max(rows, key=lambda r: (r.connected_at or datetime.min.replace(tzinfo=UTC), r.id or 0))
    cls = registry.get(row.provider)
    services = session.exec(
        select(CrmServiceRow)
        .where(CrmServiceRow.integration_id == row.id, col(CrmServiceRow.active).is_(True))
        .order_by(col(CrmServiceRow.category), col(CrmServiceRow.name))
    ).all()
    staff = session.exec(
        select(CrmStaffRow)
        .where(CrmStaffRow.integration_id == row.id, col(CrmStaffRow.active).is_(True))
        .order_by(col(CrmStaffRow.name))
    ).all()
    return {
        "id": row.id,
        "provider": row.provider,
        "title": row.found_title,
        "status": row.status.value,
        "operations": cls.supported_operations() if cls and issubclass(cls, CrmAdapter) else [],
        "last_sync_at": row.last_sync_at.astimezone(UTC).isoformat() if row.last_sync_at else None,
        "catalog": {
            "services": [
                {
                    "id": s.external_id,
                    "name": s.name,
                    "category": s.category,
                    "price": None if s.price is None else str(s.price),
                    "price_max": None if s.price_max is None else str(s.price_max),
                    "duration_minutes": s.duration_minutes,
                    "staff_ids": list(s.staff_ids),
                }
                for s in services
            ],
            "staff": [{"id": s.external_id, "name": s.name, "position": s.position} for s in staff],
        },
    }


_MINUTE = timedelta(minutes=1)
