"""Only with `IOPERATOR_BENCH_ROUTES=true`: the baseline `bench/config_api.py` compares the Config API with."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ioperator.core.errors import NotFound
from ioperator.services import bot_config

router = APIRouter(prefix="/api/bench", include_in_schema=False)


@router.get("/bare")
async def bare() -> Response:
    """The same bytes `GET /api/v1/config` served last, with no auth and no database work."""
    body = bot_config.last_served_body()
    if body is None:
        raise NotFound()
    return Response(body, media_type="application/json", headers={"ETag": '"bare"'})
