"""Bitrix24 REST through an incoming webhook: `POST <webhook>/<method>` with a JSON body.

Answers are `{"result": …, "total": N, "next": 50, "time": {…}}`; failures are HTTP 4xx/5xx with
`{"error": "CODE", "error_description": "…"}` (booking.* methods use numeric codes). List methods
page by 50: pass `next` back as `start`. The webhook's secret code is part of every URL, so nothing
here ever puts a URL, a request or an httpx message into an error.

Every method is a POST, reads too, so whether a call may be repeated is told by its name (`is_read`):
a read is retried after a 5xx or a timeout; anything else (`.add`, `.update`, `.delete`,
`booking.v1.booking.client.set`, a method we have not classified) is sent again only when Bitrix24
surely did not act on it — it asked to slow down, or the connection was never made — since a repeat
could duplicate a contact, a booking or a deal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from ioperator.adapters.errors import AdapterError, InvalidAuth, ProviderError, RateLimited, SlotUnavailable
from ioperator.adapters.resilience import ProviderHttp

PAGE_SIZE = 50
MAX_PAGES = 2_000  # 100 000 items: a guard against a portal that keeps answering `next`
_DETAIL_LIMIT = 200
_SLOW_DOWN = {"QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT"}
_BAD_WEBHOOK = {"NO_AUTH_FOUND", "INVALID_CREDENTIALS", "EXPIRED_TOKEN", "INVALID_TOKEN", "WRONG_AUTH_TYPE"}
_RETRY_ON_SERVER = {"INTERNAL_SERVER_ERROR", "ERROR_UNEXPECTED_ANSWER"}
_PLAIN_REASONS = {
    "ACCESS_DENIED": "the REST API is available only on paid Bitrix24 plans",
    "OVERLOAD_LIMIT": "Bitrix24 has blocked the REST API of this portal for overload; ask Bitrix24 support",
    "INVALID_REQUEST": "Bitrix24 accepts REST calls over HTTPS only",
    "USER_ACCESS_ERROR": "the webhook's user has no access",
    "PORTAL_DELETED": "the portal is closed or deleted",
}
# Reads: methods that change nothing. The rest are treated as writes, so an unlisted method is never repeated.
_READ_METHODS = {"profile", "scope", "methods", "crm.duplicate.findbycomm"}
_READ_ACTIONS = {"list", "get", "fields"}  # the last part: `user.get`, `booking.v1.resource.slots.list`
SLOT_TAKEN = "1018"  # booking.v1.booking.add: "resources are unavailable for the specified time period"
BOOKING_NOT_FOUND = "1021"


def method_scope(method: str) -> str:
    """The webhook permission a method needs: `crm.contact.add` → crm, `booking.v1.…` → booking."""
    return method.split(".", 1)[0]


def is_read(method: str) -> bool:
    """Whether a method only reads, and so may be repeated after a 5xx or a timeout."""
    return method in _READ_METHODS or method.rsplit(".", 1)[-1] in _READ_ACTIONS


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _method_of(response: httpx.Response) -> str:
    try:
        last = response.request.url.path.rstrip("/").rsplit("/", 1)[-1]
    except RuntimeError:  # a response built without a request
        return "call"
    return last.removesuffix(".json") or "call"


def map_error(response: httpx.Response) -> AdapterError | None:
    """Bitrix24's error bodies as typed errors; None lets ProviderHttp map the status."""
    status = response.status_code
    if status < 400:
        return None
    try:
        body = _object(response.json())
    except ValueError:
        body = {}
    method = _method_of(response)
    code = body.get("error")
    description = str(body.get("error_description") or "")[:_DETAIL_LIMIT]
    if code is None or code == "":
        if status == 401:
            return InvalidAuth("Bitrix24 refused the webhook", field="webhook_url")
        return ProviderError(f"{method}: {description}") if description and status < 500 else None
    name = str(code).upper()
    if name in _SLOW_DOWN:
        return RateLimited(f"Bitrix24 asks to slow down ({name})")
    if name in _BAD_WEBHOOK:
        return InvalidAuth("Bitrix24 refused the webhook (wrong, deleted or expired)", field="webhook_url")
    if name == "INSUFFICIENT_SCOPE":
        scope = method_scope(method)
        return ProviderError(
            f"the webhook lacks the “{scope}” permission needed for {method}", field="webhook_url", scope=scope
        )
    if name in _PLAIN_REASONS:
        return ProviderError(_PLAIN_REASONS[name], field="webhook_url")
    if name == "ERROR_METHOD_NOT_FOUND":
        return ProviderError(f"{method} is not available on this portal (module off or permission missing)")
    if name in _RETRY_ON_SERVER or status >= 500:
        return None  # retried, then CannotConnect
    if method == "booking.v1.booking.add" and name == SLOT_TAKEN:
        return SlotUnavailable(description or "the time is taken")
    return ProviderError(f"{method}: {description or name}", code=name)


class Bitrix24Client:
    """Calls methods of one webhook; every call goes through the account's ProviderHttp."""

    def __init__(self, api: ProviderHttp) -> None:
        self.api = api

    async def call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        """One method's `result`, or a typed AdapterError."""
        return (await self._body(method, params or {}))["result"]

    async def list_all(self, method: str, params: dict[str, Any], items: Callable[[Any], list[Any]]) -> list[Any]:
        """Every page of a list method (`start` = the previous answer's `next`)."""
        collected: list[Any] = []
        start = 0
        for _ in range(MAX_PAGES):
            body = await self._body(method, {**params, "start": start})
            collected.extend(items(body["result"]))
            following = body.get("next")
            if not isinstance(following, int) or isinstance(following, bool) or following <= start:
                return collected
            start = following
        raise ProviderError(f"{method}: more than {MAX_PAGES} pages")

    async def _body(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        try:
            response = await self.api.request("POST", method, json=params, idempotent=is_read(method))
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ProviderError(f"{method} failed ({type(exc).__name__})") from None
        try:
            data = response.json()
        except ValueError:
            raise ProviderError(f"{method}: Bitrix24 answered something that is not JSON") from None
        if not isinstance(data, dict) or "result" not in data:
            reason = _object(data).get("error_description") or _object(data).get("error") or "no result"
            raise ProviderError(f"{method}: {str(reason)[:_DETAIL_LIMIT]}")
        return data
