"""Provider webhooks: `/webhooks/<provider>/<integration id>`.

The URL names the integration; the delivery is checked with *that* integration's secret over the
raw body before anything is parsed. Unknown integrations get 404, unverifiable deliveries 401,
unreadable ones 400 — and none of them stores a message.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from ioperator.adapters import registry
from ioperator.adapters.channels.base import ChannelAdapter
from ioperator.adapters.errors import MalformedPayload
from ioperator.api.deps import DbSession
from ioperator.core.db import begin_write
from ioperator.core.logging import get_logger
from ioperator.models.integration import EventKind, Integration, IntegrationStatus
from ioperator.services import inbox, integration_events, integrations

router = APIRouter(prefix="/webhooks", tags=["webhooks"], include_in_schema=False)
log = get_logger("webhooks")
MAX_BODY_BYTES = 1_000_000


@dataclass(frozen=True)
class Outcome:
    status: int
    code: str
    stored: int = 0


@router.get("/{provider}/{integration_id}")
def verify_subscription(provider: str, integration_id: int, request: Request, session: DbSession) -> Response:
    """Meta's verification handshake: echo `hub.challenge` when the verify token matches."""
    integration, cls = _live_integration(session, provider, integration_id)
    if integration is None or cls is None or not cls.uses_verify_handshake:
        return _error(404, "not_found")
    challenge = cls.verify_handshake(params=request.query_params, webhook_secret=integration.webhook_secret or "")
    if challenge is None:
        integration_events.record_event(
            session=session, integration=integration, kind=EventKind.WEBHOOK_REJECTED, detail="verify_token"
        )
        return _error(403, "forbidden")
    return PlainTextResponse(challenge)


@router.post("/{provider}/{integration_id}")
async def receive(provider: str, integration_id: int, request: Request, session: DbSession) -> Response:
    body = await request.body()
    if len(body) > MAX_BODY_BYTES:
        return _error(413, "payload_too_large")
    outcome = await run_in_threadpool(_process, session, provider, integration_id, dict(request.headers), body)
    if outcome.status != 200:
        log.info("webhook refused", extra={"provider": provider, "integration": integration_id, "why": outcome.code})
        return _error(outcome.status, outcome.code)
    return JSONResponse({"ok": True, "stored": outcome.stored})


def _process(session: Session, provider: str, integration_id: int, headers: dict[str, str], body: bytes) -> Outcome:
    begin_write(session)  # concurrent deliveries queue for SQLite's write lock instead of failing
    integration, cls = _live_integration(session, provider, integration_id)
    if integration is None or cls is None:
        return Outcome(404, "not_found")
    secrets = integrations.stored_secrets(integration)
    if not cls.verify_delivery(
        headers=headers, body=body, secrets=secrets, webhook_secret=integration.webhook_secret or ""
    ):
        integration_events.record_event(
            session=session, integration=integration, kind=EventKind.WEBHOOK_REJECTED, detail="signature"
        )
        return Outcome(401, "invalid_signature")
    try:
        messages = cls.parse_delivery(body)
    except MalformedPayload as exc:
        integration_events.record_event(
            session=session,
            integration=integration,
            kind=EventKind.WEBHOOK_REJECTED,
            detail=f"malformed: {exc.detail}"[:500],
        )
        return Outcome(400, "malformed_payload")
    stored = inbox.store_inbound(session=session, integration=integration, messages=messages)
    integration_events.record_event(
        session=session,
        integration=integration,
        kind=EventKind.WEBHOOK_RECEIVED,
        detail=f"{len(messages)} message(s), {stored} new",
    )
    return Outcome(200, "ok", stored)


def _live_integration(
    session: Session, provider: str, integration_id: int
) -> tuple[Integration, type[ChannelAdapter]] | tuple[None, None]:
    """The connected integration this URL names, and its channel adapter class; (None, None) if none."""
    integration = session.get(Integration, integration_id)
    cls = registry.get(provider)
    if (
        integration is None
        or integration.provider != provider
        or integration.status is IntegrationStatus.DISCONNECTED
        or cls is None
        or not issubclass(cls, ChannelAdapter)
    ):
        return None, None
    return integration, cls


def _error(status: int, code: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code}}, status_code=status)
