"""Service errors. Each has a stable code, an HTTP status and a translated message.

Errors flow one way: adapter error -> service error -> one API exception handler (JSON
`{"error": {"code", "message", "field"}}`) or a message in the page.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ioperator.core.i18n import translate


class ServiceError(Exception):
    code: ClassVar[str] = "error"
    status: ClassVar[int] = 400

    def __init__(self, key: str | None = None, *, field: str | None = None, **params: Any) -> None:
        self.key = key or f"error.{self.code}"
        self.field = field
        self.params = params
        super().__init__(translate(self.key, "en", **params))

    def message(self, lang: str = "en") -> str:
        return translate(self.key, lang, **self.params)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message(lang)}
        if self.field:
            body["field"] = self.field
        return body


class NotFound(ServiceError):
    code = "not_found"
    status = 404


class NotAuthenticated(ServiceError):
    code = "not_authenticated"
    status = 401


class PermissionDenied(ServiceError):
    code = "permission_denied"
    status = 403


class ValidationFailed(ServiceError):
    code = "validation_failed"
    status = 422


class Conflict(ServiceError):
    code = "conflict"
    status = 409


class TooManyAttempts(ServiceError):
    code = "too_many_attempts"
    status = 429

    def __init__(self, key: str | None = None, *, retry_after: int, **params: Any) -> None:
        self.retry_after = retry_after
        minutes = max(1, -(-retry_after // 60))
        super().__init__(key, minutes=minutes, **params)


class InvalidCredentials(ServiceError):
    code = "invalid_credentials"
    status = 401


class IntegrationFailed(ServiceError):
    """A provider refused or failed a connection step; `key` is `integration.error.<adapter key>`."""

    STATUS_BY_KEY: ClassVar[dict[str, int]] = {
        "invalid_auth": 422,
        "cannot_connect": 502,
        "rate_limited": 429,
        "provider_error": 502,
        "unsupported": 422,
        "slot_unavailable": 409,
    }

    def __init__(
        self, adapter_key: str, *, field: str | None = None, retry_after: int | None = None, **params: Any
    ) -> None:
        self.adapter_key = adapter_key
        self.code = adapter_key  # type: ignore[misc]
        self.status = self.STATUS_BY_KEY.get(adapter_key, 502)  # type: ignore[misc]
        self.retry_after = retry_after
        super().__init__(f"integration.error.{adapter_key}", field=field, **params)


class ProviderFailed(ServiceError):
    """A bot engine's CRM operation failed at the provider: 502/503 (501 when the system lacks it), with the
    provider's own reason in `reason` so the engine can tell the customer something true."""

    STATUS_BY_KEY: ClassVar[dict[str, int]] = {
        "invalid_auth": 502,
        "cannot_connect": 503,
        "rate_limited": 503,
        "provider_error": 502,
        "unsupported": 501,
        "slot_unavailable": 409,
    }

    def __init__(self, adapter_key: str, *, provider: str, reason: str = "", retry_after: int | None = None) -> None:
        self.adapter_key = adapter_key
        self.code = adapter_key  # type: ignore[misc]
        self.status = self.STATUS_BY_KEY.get(adapter_key, 502)  # type: ignore[misc]
        self.retry_after = retry_after
        self.provider = provider
        self.reason = reason
        super().__init__(f"integration.error.{adapter_key}", detail=reason, seconds=retry_after or "")

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        body = super().as_dict(lang)
        body["provider"] = self.provider
        if self.reason:
            body["reason"] = self.reason
        return body


class RateLimitExceeded(ServiceError):
    """Too many requests for one API key: 429 with Retry-After."""

    code = "rate_limited"
    status = 429

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = max(1, retry_after)
        super().__init__("api.error.rate_limited", seconds=self.retry_after)


class ApiKeyRejected(ServiceError):
    """No usable API key: 401 with `WWW-Authenticate: Bearer`."""

    code = "invalid_api_key"
    status = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": 'Bearer realm="iOperator"'}
