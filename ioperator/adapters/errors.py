"""Typed adapter errors. Each has a stable key (`integration.error.<key>` in the catalogs) and may
name the config field it concerns, so the setup form can show it on that field."""

from __future__ import annotations

from typing import Any, ClassVar


class AdapterError(Exception):
    key: ClassVar[str] = "provider_error"

    def __init__(self, detail: str = "", *, field: str | None = None, **params: Any) -> None:
        self.detail = detail
        self.field = field
        self.params = params
        super().__init__(f"{self.key}: {detail}" if detail else self.key)


class InvalidAuth(AdapterError):
    """The provider refused the credentials."""

    key = "invalid_auth"


class CannotConnect(AdapterError):
    """The provider could not be reached (DNS, refused, TLS, timeout, 5xx)."""

    key = "cannot_connect"


class RateLimited(AdapterError):
    """The provider asked us to slow down."""

    key = "rate_limited"

    def __init__(self, detail: str = "", *, retry_after: int | None = None, field: str | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(detail, field=field, seconds=retry_after or 0)


class ProviderError(AdapterError):
    """The provider answered something we did not expect; `detail` carries its reason."""

    key = "provider_error"


class Unsupported(AdapterError):
    """The provider does not offer this operation; `detail` says why."""

    key = "unsupported"


class MalformedPayload(AdapterError):
    """A webhook delivery could not be understood."""

    key = "malformed_payload"


ERROR_KEYS = ("invalid_auth", "cannot_connect", "rate_limited", "provider_error", "unsupported")


class SlotUnavailable(ProviderError):
    """The chosen time was taken (or closed) between the slot search and the booking."""

    key = "slot_unavailable"
