"""amoCRM API v4 over one account's ProviderHttp: JSON in, HAL JSON out, problem+json errors, and
204 with no body for an empty result. Nothing here puts the token into an error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from ioperator.adapters import phones
from ioperator.adapters.errors import AdapterError, InvalidAuth, ProviderError
from ioperator.adapters.resilience import ProviderHttp

_DETAIL_LIMIT = 200


def map_error(response: httpx.Response) -> AdapterError | None:
    """amoCRM's problem+json errors as typed errors; None lets ProviderHttp retry 429 and 5xx."""
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return None
    try:
        problem = response.json()
    except ValueError:
        problem = {}
    problem = problem if isinstance(problem, dict) else {}
    reason = str(problem.get("detail") or problem.get("title") or f"HTTP {status}")[:_DETAIL_LIMIT]
    if status == 401:
        return InvalidAuth("amoCRM refused the access token", field="access_token")
    if status == 402:
        return ProviderError("the amoCRM account is not paid", field="base_url")
    if status == 403:
        return ProviderError(f"amoCRM refused access: {reason}", field="access_token")
    for request in items(problem.get("validation-errors")):
        for error in items(obj(request).get("errors")):
            item = obj(error)
            return ProviderError(f"{item.get('path', '')}: {item.get('detail', reason)}"[:_DETAIL_LIMIT])
    return ProviderError(reason)


class AmoClient:
    """Calls of one account; every call goes through its ProviderHttp (limit, retries, typed errors)."""

    def __init__(self, api: ProviderHttp) -> None:
        self.api = api

    async def call(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """A JSON answer, None for 204 (amoCRM's empty result), or a typed AdapterError.

        amoCRM reads are GET and writes POST or PATCH, so ProviderHttp's default is right: a read is
        retried after a 5xx or a timeout, a write only after a 429 or a connection never made."""
        what = path.removeprefix("/api/v4/")
        try:
            response = await self.api.request(method, path, params=params, json=json)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise ProviderError(f"{what} failed ({type(exc).__name__})") from None
        if 300 <= response.status_code < 400:
            raise ProviderError("amoCRM redirected the call: check the account address", field="base_url")
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise ProviderError(f"{what}: amoCRM answered something that is not JSON") from None


def obj(value: Any, where: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if where:
        raise ProviderError(f"{where}: unexpected answer")
    return {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def embedded(body: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """`_embedded.<key>[…]` of a HAL answer, objects only."""
    return [item for item in items(obj(body.get("_embedded")).get(key)) if isinstance(item, dict)]


def ident(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProviderError("amoCRM answered without an id")
    return str(value)


def number(value: str, what: str) -> int:
    text = value.strip()
    if not (text.isascii() and text.isdigit()):
        raise ProviderError(f"not an amoCRM {what} id")
    return int(text)


def field_values(entity: dict[str, Any], code: str) -> Iterator[str]:
    """The values of a contact's multi-field (`PHONE`, `EMAIL`) as strings, in order."""
    for field in items(entity.get("custom_fields_values")):
        if obj(field).get("field_code") == code:
            yield from (str(obj(v).get("value")) for v in items(field.get("values")) if obj(v).get("value"))


def e164_or_empty(raw: str, region: str | None) -> str:
    try:
        return phones.e164(raw, region)
    except ProviderError:
        return ""
