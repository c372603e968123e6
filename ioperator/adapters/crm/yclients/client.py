"""The HTTP side of YCLIENTS / Altegio (one platform, two hosts): auth headers, the v2 envelope, errors.

Two keys travel in one header: `Authorization: Bearer <partner>` for partner-only methods and
`Bearer <partner>, User <user>` for methods acting as a staff account. Answers are
`{"success": true, "data": …, "meta": …}`; errors are `{"success": false, "data": null,
"meta": {"message": …}}`, and a few endpoints answer 401 as `{"error_code": …, "error_message": …}`.
Both scopes share one rate-limit bucket (5 requests a second per account).
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from ioperator.adapters.errors import (
    AdapterError,
    InvalidAuth,
    ProviderError,
    RateLimited,
    SlotUnavailable,
)
from ioperator.adapters.resilience import ProviderHttp, RateLimit, RetryPolicy, account_key, retry_after_seconds

ACCEPT = "application/vnd.api.v2+json"
_DETAIL_LIMIT = 200
# "…Выбранное время уже занято или является нерабочим." / "The time is busy" / "time is taken"
_BUSY = re.compile(r"занят|нерабоч|busy|taken|occupied|not available|unavailable", re.IGNORECASE)
_BUSY_CODES = {433, 436}  # book_record: 433 time taken, 436 no staff member free for it
_LICENSE = re.compile(r"лицензи|licen[cs]e", re.IGNORECASE)
# "branch not found" / "no branch given" / "Location not found." (not "staff member N not found in branch M")
_COMPANY = re.compile(
    r"^\s*(филиал|компания|company|location|branch)\s+(не\s+найден|not\s+found)|^\s*не\s+указан\s+филиал", re.IGNORECASE
)
_COMPANY_PATH = re.compile(r"/company/[^/]+/?$")


class YclientsClient:
    """One account's calls: `call` reads (`partner=True` sends only the partner key, otherwise both keys),
    `write` creates and deletes with both keys; each tells ProviderHttp whether a repeat is safe."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        slug: str,
        base_url: str,
        company_id: str,
        partner_token: str,
        user_token: str,
        limit: RateLimit,
        retry: RetryPolicy,
        timeout: float,
    ) -> None:
        self._secrets = [secret for secret in (partner_token, user_token) if secret]
        self._probe = f"/company/{company_id}"  # a partner-only read, to tell which key was refused
        key = account_key(slug, base_url, partner_token, user_token)
        common = {"Accept": ACCEPT, "Content-Type": "application/json"}

        def scoped(authorization: str, field: str) -> ProviderHttp:
            return ProviderHttp(
                http,
                base_url=base_url,
                key=key,  # both scopes share one bucket
                limit=limit,
                retry=retry,
                timeout=timeout,
                headers={**common, "Authorization": authorization},
                map_error=lambda response: self._map_error(response, field),
            )

        self.partner = scoped(f"Bearer {partner_token}", "partner_token")
        self.user = scoped(f"Bearer {partner_token}, User {user_token}", "user_token")

    async def call(
        self, method: str, path: str, *, partner: bool = False, params: Any = None, json: Any = None
    ) -> tuple[Any, dict[str, Any]]:
        """A read (the client search is a POST, a read all the same): `(data, meta)` of a successful
        answer, or a typed AdapterError. Retried after a 429, a 5xx or a timeout."""
        http = self.partner if partner else self.user
        response = await self._request(http, method, path, params=params, json=json, idempotent=True)
        return self._envelope(response)

    async def write(self, method: str, path: str, *, json: Any = None) -> tuple[Any, dict[str, Any]]:
        """A user-scoped create or delete. A 5xx or a timeout may have saved it, so it is sent again only
        when the platform surely did not act on it: a 429, or a connection that was never made."""
        response = await self._request(self.user, method, path, json=json, idempotent=False)
        if method == "DELETE" and response.status_code == 204:
            return None, {}
        return self._envelope(response)

    async def _request(
        self, http: ProviderHttp, method: str, path: str, *, params: Any = None, json: Any, idempotent: bool
    ) -> httpx.Response:
        try:
            return await http.request(method, path, params=params, json=json, idempotent=idempotent)
        except InvalidAuth as refused:
            raise await self._which_key(refused) from None

    async def _which_key(self, refused: InvalidAuth) -> InvalidAuth:
        """A user-scoped 401 does not say which of the two keys was wrong: ask with the partner key alone."""
        if refused.field != "user_token":
            return refused
        try:
            await self.partner.request("GET", self._probe)
        except InvalidAuth as partner_refused:
            return partner_refused
        except AdapterError:
            return refused
        return refused

    def _envelope(self, response: httpx.Response) -> tuple[Any, dict[str, Any]]:
        body = _json(response)
        if not isinstance(body, dict):
            raise ProviderError(f"unexpected answer (HTTP {response.status_code}, not a JSON object)")
        if body.get("success") is not True or "data" not in body:
            raise ProviderError(self._message(body) or f"unexpected answer (HTTP {response.status_code})")
        meta = body.get("meta")
        return body["data"], meta if isinstance(meta, dict) else {}

    def _map_error(self, response: httpx.Response, auth_field: str) -> AdapterError | None:
        status = response.status_code
        if status < 400 or status >= 500:
            return None  # success, or a 5xx the generic mapping retries
        body = _json(response)
        message = self._message(body)
        if status == 401:
            return InvalidAuth(message or "the key was refused", field=auth_field)
        if status == 429:
            wait = retry_after_seconds(response)
            return RateLimited(message or "too many requests", retry_after=int(wait) if wait is not None else None)
        if status == 402 or _LICENSE.search(message):
            return ProviderError(message or "the company's licence has expired")
        if status == 403:
            return ProviderError(message or "access denied", field=auth_field)
        if status == 404:
            company = _COMPANY.search(message) or _COMPANY_PATH.search(response.request.url.path)
            return ProviderError(message or "not found", field="company_id" if company else None)
        if status in (409, 422) and (_codes(body) & _BUSY_CODES or _BUSY.search(message) or _conflict(body)):
            return SlotUnavailable(message or "the time is busy")
        return ProviderError(message or f"HTTP {status}")

    def _message(self, body: Any) -> str:
        """The provider's own words, short and with any key we sent blanked out."""
        if not isinstance(body, dict):
            return ""
        meta = body.get("meta")
        candidates = [meta.get("message") if isinstance(meta, dict) else None, body.get("error_message")]
        candidates.append(body.get("message"))
        text = next((str(value) for value in candidates if isinstance(value, str | int) and value != ""), "")
        for secret in self._secrets:
            text = text.replace(secret, "•••")
        return text[:_DETAIL_LIMIT]


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:  # JSONDecodeError and UnicodeDecodeError both are
        return None


def _codes(body: Any) -> set[int]:
    """Numeric error codes wherever the platform puts them (`error_code`, `code`, `meta.errors.code`…)."""
    if not isinstance(body, dict):
        return set()
    places: list[Any] = [body]
    for key in ("meta", "errors"):
        inner = body.get(key)
        if isinstance(inner, dict):
            places.extend([inner, inner.get("errors")])
    codes: set[int] = set()
    for place in places:
        if isinstance(place, dict):
            for key in ("error_code", "code"):
                value = place.get(key)
                if isinstance(value, int | str) and str(value).isdigit():
                    codes.add(int(value))
    return codes


def _conflict(body: Any) -> bool:
    meta = body.get("meta") if isinstance(body, dict) else None
    return isinstance(meta, dict) and meta.get("conflict") is True
