"""The REST side of the app: one FastAPI app that Reflex mounts its own routes inside."""

from __future__ import annotations

from fastapi import FastAPI

from ioperator.api import auth, ops, webhooks
from ioperator.api.errors import install_error_handlers
from ioperator.api.v1 import account, api_keys, bot, business, integrations, prompts, team, telephony
from ioperator.core.config import VERSION, get_settings
from ioperator.core.errors import NotFound


def build_api() -> FastAPI:
    api = FastAPI(
        title="iOperator API",
        version=VERSION,
        docs_url="/api/docs",
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
        openapi_url="/api/openapi.json",
    )
    install_error_handlers(api)
    for router in (
        ops.router,
        auth.router,
        account.router,
        business.router,
        team.router,
        integrations.router,
        prompts.router,
        api_keys.router,
        telephony.router,
        bot.router,
        webhooks.router,
    ):
        api.include_router(router)

    if get_settings().bench_routes:
        from ioperator.api import bench

        api.include_router(bench.router)

    @api.api_route("/api/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    def unknown_api_route(path: str) -> None:
        """Unknown `/api/...` addresses answer JSON, not the dashboard's HTML page."""
        raise NotFound()

    return api
