"""Health and metrics for operators of an installation."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from ioperator.core import db
from ioperator.core.config import VERSION, get_settings
from ioperator.core.errors import NotAuthenticated
from ioperator.core.observability import metrics_payload

router = APIRouter(tags=["operations"])


@router.get("/api/health", summary="Database reachable, and the version")
def health() -> JSONResponse:
    database_ok = db.ping()
    body = {
        "status": "ok" if database_ok else "degraded",
        "database": "ok" if database_ok else "unreachable",
        "version": VERSION,
    }
    return JSONResponse(body, status_code=200 if database_ok else 503)


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    expected = get_settings().metrics_token
    if expected:
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not secrets.compare_digest(given.encode(), expected.encode()):
            raise NotAuthenticated()
    payload, content_type = metrics_payload()
    return Response(payload, media_type=content_type)
