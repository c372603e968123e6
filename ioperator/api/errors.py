"""The one place where errors become HTTP responses: `{"error": {"code", "message", "field"?}}`."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ioperator.core.errors import ServiceError
from ioperator.core.i18n import language_from_accept_header, translate
from ioperator.core.logging import get_logger

log = get_logger("api")


def request_language(request: Request) -> str:
    """The signed-in user's language, else the browser's Accept-Language."""
    return getattr(request.state, "language", None) or language_from_accept_header(
        request.headers.get("accept-language")
    )


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        headers = dict(getattr(exc, "headers", None) or {})
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            headers["Retry-After"] = str(retry_after)
        return JSONResponse({"error": exc.as_dict(request_language(request))}, status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        fields = [
            {"field": ".".join(str(p) for p in err.get("loc", ())[1:]), "message": err.get("msg", "")}
            for err in exc.errors()
        ]
        message = translate("error.validation_failed", request_language(request))
        return JSONResponse(error_body("validation_failed", message, fields=fields), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = translate(f"error.{code}", request_language(request))
        return JSONResponse(error_body(code, message), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(
            error_body("internal_error", translate("error.internal_error", request_language(request))), status_code=500
        )
