"""API keys of the signed-in user's business (owners and admins manage them; operators read)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from ioperator.api.deps import DbSession, Tenant, require_json
from ioperator.models.api_key import ApiKey, AuditEvent
from ioperator.services import api_keys, audit

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"], dependencies=[Depends(require_json)])


class ApiKeyOut(BaseModel):
    id: int
    name: str
    prefix: str = Field(description="`iop_<id>_…<last four>`: enough to recognise the key, never to use it.")
    created_by: int | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    active: bool


class ApiKeyCreate(BaseModel):
    name: str = Field(max_length=200)
    expires_at: datetime | None = None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The full key. It is shown only in this response.")


class AuditOut(BaseModel):
    id: int
    action: str
    user_id: int | None
    api_key_id: int | None
    detail: str
    created_at: datetime


def _out(key: ApiKey) -> ApiKeyOut:
    return ApiKeyOut(
        id=key.id or 0,
        name=key.name,
        prefix=api_keys.display_prefix(key),
        created_by=key.created_by,
        created_at=key.created_at,
        expires_at=key.expires_at,
        revoked_at=key.revoked_at,
        last_used_at=key.last_used_at,
        active=key.revoked_at is None and not api_keys.is_expired(key),
    )


def _audit_out(event: AuditEvent) -> AuditOut:
    return AuditOut(
        id=event.id or 0,
        action=event.action,
        user_id=event.user_id,
        api_key_id=event.api_key_id,
        detail=event.detail,
        created_at=event.created_at,
    )


@router.get("", response_model=list[ApiKeyOut])
def list_keys(session: DbSession, tenant: Tenant) -> list[ApiKeyOut]:
    return [_out(key) for key in api_keys.list_keys(session=session, tenant=tenant)]


@router.post("", response_model=ApiKeyCreated, status_code=201)
def create_key(body: ApiKeyCreate, session: DbSession, tenant: Tenant) -> ApiKeyCreated:
    created = api_keys.create_key(session=session, tenant=tenant, name=body.name, expires_at=body.expires_at)
    return ApiKeyCreated(**_out(created.key).model_dump(), key=created.token)


@router.delete("/{key_id}", response_model=ApiKeyOut)
def revoke_key(key_id: int, session: DbSession, tenant: Tenant) -> ApiKeyOut:
    return _out(api_keys.revoke_key(session=session, tenant=tenant, key_id=key_id))


@router.get("/activity", response_model=list[AuditOut])
def activity(session: DbSession, tenant: Tenant) -> list[AuditOut]:
    return [_audit_out(event) for event in audit.list_events(session=session, tenant=tenant)]
