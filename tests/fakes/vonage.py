"""A fake Vonage API: one Starlette app serving, on one address, what the adapter calls on Vonage's two
hosts — rest.nexmo.com (`GET /account/get-balance`, `GET /account/numbers`, `POST /number/update`) and
api.nexmo.com (`GET|PUT|DELETE /v2/applications/{id}`, `GET /v1/calls`).

It checks what Vonage checks (reference/telephony-providers.md §4, the Numbers, Account and Application
v2 specs): Basic `api_key:api_secret` on the account, numbers and application APIs, and on the Voice API
an RS256 JWT verified against the application's public key, with the `application_id`, `iat`, `exp` and
`jti` claims. Refusals use each API's own body: the legacy `{"error-code","error-code-label"}` on
rest.nexmo.com and RFC 7807 `{"type","title","detail","instance"}` on api.nexmo.com. Numbers are paged
with `size` (at most 100) and `index` as `{"count","numbers"}`.

The fake is strict where Vonage's behaviour is not documented: a PUT of an application replaces it
whole, so a PUT without `keys.public_key` leaves the application without a key (every JWT then fails),
and a PUT without a capability removes it.

Serve it with `tests.fakes.runner.serve(fake.app)` and pass the URL as the adapter's `base_url`.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jwt
import phonenumbers
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

FAILURES = ("invalid_auth", "rate_limited", "server_error", "timeout")
LEGACY_PREFIXES = ("/account/", "/number/")  # rest.nexmo.com: the legacy error body
Body = dict[str, Any]
Endpoint = Callable[[Request, "Seen"], Awaitable[Response]]
Guarded = Callable[[Request], Awaitable[Response]]


def _legacy(status: int, label: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error-code": str(status), "error-code-label": label}, status_code=status, headers=headers)


def _problem(status: int, kind: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"https://developer.nexmo.com/api-errors#{kind}", "title": title, "detail": detail}
    return JSONResponse(body | extra | {"instance": uuid.uuid4().hex}, status_code=status)


def _unauthorized(path: str) -> JSONResponse:
    if path.startswith(LEGACY_PREFIXES):
        return _legacy(401, "authentication failed")
    return _problem(401, "unauthorized", "Invalid credentials supplied", "You did not provide correct credentials.")


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the form (dict) or the JSON body
    auth: str  # "basic:<api key>", "jwt:<application id>" or "" when refused
    claims: dict[str, Any]
    at: float
    status: int = 0


@dataclass
class FakeVonage:
    hold_seconds: float = 2.0  # how long a "timeout" failure holds the answer
    max_page_size: int = 100  # GET /account/numbers serves at most this many a page (Vonage: 100)
    accounts: dict[str, Body] = field(default_factory=dict)  # api key -> {"api_secret", "balance", ...}
    applications: dict[str, Body] = field(default_factory=dict)  # id -> the application as GET returns it
    numbers: dict[str, Body] = field(default_factory=dict)  # "<country>:<msisdn>" -> the number as listed
    requests: list[tuple[str, str]] = field(default_factory=list)  # (method, path) of every request
    seen: list[Seen] = field(default_factory=list)
    _owners: dict[str, str | None] = field(default_factory=dict)  # application id / number ref -> api key
    _failures: list[tuple[str, str | None]] = field(default_factory=list)
    _bulk: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        endpoints: list[tuple[str, Endpoint, list[str]]] = [
            ("/account/get-balance", self._balance, ["GET"]),
            ("/account/numbers", self._owned_numbers, ["GET"]),
            ("/number/update", self._update_number, ["POST"]),
            ("/v2/applications/{app_id}", self._application, ["GET", "PUT", "DELETE"]),
            ("/v1/calls", self._calls, ["GET"]),
        ]
        self.app = Starlette(routes=[Route(path, self._guarded(h), methods=m) for path, h, m in endpoints])

    # --- seeding -----------------------------------------------------------------------------------

    def add_account(self, api_key: str, api_secret: str, balance: float = 10.28) -> None:
        self.accounts[api_key] = {"api_secret": api_secret, "balance": balance, "auto_reload": False}

    def add_application(
        self,
        app_id: str,
        name: str,
        public_key_pem: str,
        *,
        api_key: str | None = None,
        capabilities: Body | None = None,
    ) -> None:
        """An application of `api_key`'s account (the last account added by default). Without
        `capabilities` it has what the dashboard gives a new voice application."""
        if capabilities is None:
            capabilities = {
                "voice": {
                    "webhooks": {
                        "answer_url": {"address": "https://example.com/webhooks/answer", "http_method": "GET"},
                        "event_url": {"address": "https://example.com/webhooks/event", "http_method": "POST"},
                    },
                    "signed_callbacks": True,
                    "conversations_ttl": 48,
                    "leg_persistence_time": 7,
                }
            }
        self.applications[app_id] = {
            "id": app_id,
            "name": name,
            "capabilities": copy.deepcopy(capabilities),
            "privacy": {"improve_ai": False},
            "keys": {"public_key": public_key_pem},
        }
        self._owners[app_id] = api_key or (list(self.accounts)[-1] if self.accounts else None)

    def remove_application(self, app_id: str) -> None:
        self.applications.pop(app_id, None)

    def add_number(self, e164: str, **fields: Any) -> str:
        """Seed an owned number; `fields` override the listing (`type`, `features`, `app_id`, `country`,
        `voiceCallbackType`, ...) and `api_key` names the owning account. Returns `<country>:<msisdn>`."""
        number = phonenumbers.parse(e164)
        msisdn = f"{number.country_code}{number.national_number}"
        owner = fields.pop("api_key", None)
        country = fields.pop("country", None) or phonenumbers.region_code_for_number(number) or "GB"
        item: Body = {"country": country, "msisdn": msisdn, "type": "landline", "features": ["VOICE", "SMS"]}
        item |= fields
        ref = f"{country}:{msisdn}"
        self.numbers[ref] = item
        self._owners[ref] = owner
        return ref

    def add_numbers(self, count: int, country: str = "US") -> list[str]:
        """`count` distinct numbers that phonenumbers holds valid (+1 415 2xx xxxx for the US)."""
        if country == "US":
            code, start = 1, 4152000000
        else:
            example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
            example = example or phonenumbers.example_number(country)
            if example is None:
                raise ValueError(f"no example number for {country}")
            code, start = example.country_code or 0, example.national_number or 0
        refs: list[str] = []
        offset = self._bulk.get(country, 0)
        while len(refs) < count:
            candidate = phonenumbers.PhoneNumber(country_code=code, national_number=start + offset)
            offset += 1
            e164 = phonenumbers.format_number(candidate, phonenumbers.PhoneNumberFormat.E164)
            if phonenumbers.is_valid_number(candidate) and f"{country}:{e164[1:]}" not in self.numbers:
                refs.append(self.add_number(e164, country=country))
        self._bulk[country] = offset
        return refs

    def remove_number(self, ref: str) -> None:
        self.numbers.pop(ref, None)
        self._owners.pop(ref, None)

    def fail_next(self, kind: str, times: int = 1, *, path: str | None = None) -> None:
        """The next `times` requests (to `path`, when given) fail as `kind`: 401 in the API's own shape,
        429 with `Retry-After: 1`, 500, or an answer held for `hold_seconds`."""
        assert kind in FAILURES, kind
        self._failures.extend([(kind, path)] * times)

    def reset(self) -> None:
        for mapping in (self.accounts, self.applications, self.numbers, self._owners, self._bulk):
            mapping.clear()
        for items in (self.requests, self.seen, self._failures):
            items.clear()

    def calls(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

    # --- gate: record, inject failures, check credentials -------------------------------------------

    def _guarded(self, handler: Endpoint) -> Guarded:
        async def endpoint(request: Request) -> Response:
            seen = await self._record(request)
            failure = next((f for f in self._failures if f[1] in (None, seen.path)), None)
            if failure is not None:
                self._failures.remove(failure)
                response = await self._fail(request, failure[0], seen.path)
            else:
                refusal = self._authenticate(request, seen)
                response = refusal or await handler(request, seen)
            seen.status = response.status_code
            return response

        return endpoint

    async def _record(self, request: Request) -> Seen:
        path = request.url.path
        self.requests.append((request.method, path))
        body: Any = None
        if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            body = dict(await request.form())
        elif (raw := await request.body()).strip():
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw.decode(errors="replace")
        seen = Seen(request.method, path, dict(request.query_params), body, "", {}, time.time())
        self.seen.append(seen)
        return seen

    async def _fail(self, request: Request, kind: str, path: str) -> Response:
        legacy = path.startswith(LEGACY_PREFIXES)
        if kind == "invalid_auth":
            return _unauthorized(path)
        if kind == "rate_limited":
            if legacy:
                return _legacy(429, "too many requests", headers={"Retry-After": "1"})
            response = _problem(429, "throttled", "Throttled", "Please wait, then retry your request")
            response.headers["Retry-After"] = "1"
            return response
        if kind == "server_error":
            if legacy:
                return _legacy(500, "internal error")
            return _problem(500, "internal-error", "Internal Error", "An internal error occurred")
        deadline = time.monotonic() + self.hold_seconds
        while time.monotonic() < deadline and not await request.is_disconnected():
            await asyncio.sleep(0.02)
        return _legacy(504, "gateway timeout") if legacy else _problem(504, "timeout", "Timeout", "Gateway timeout")

    def _authenticate(self, request: Request, seen: Seen) -> Response | None:
        header = request.headers.get("authorization", "")
        if seen.path == "/v1/calls":  # the Voice API takes only an application JWT
            claims = self._verify_jwt(header.removeprefix("Bearer ")) if header.startswith("Bearer ") else None
            if claims is None:
                return _unauthorized(seen.path)
            seen.auth, seen.claims = f"jwt:{claims['application_id']}", claims
            return None
        scheme, _, encoded = header.partition(" ")
        try:
            key, _, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            key, secret = "", ""
        account = self.accounts.get(key)
        if scheme != "Basic" or account is None or account["api_secret"] != secret:
            return _unauthorized(seen.path)
        seen.auth = f"basic:{key}"
        return None

    def _verify_jwt(self, token: str) -> dict[str, Any] | None:
        try:
            app_id = jwt.decode(token, options={"verify_signature": False}).get("application_id")
            public_key = self.applications.get(str(app_id), {}).get("keys", {}).get("public_key")
            if not public_key:
                return None
            claims = jwt.decode(
                token, public_key, algorithms=["RS256"], options={"require": ["application_id", "iat", "exp", "jti"]}
            )
        except jwt.PyJWTError:
            return None
        return claims if claims.get("application_id") == app_id else None

    def _owned(self, owner_of: str, api_key: str) -> bool:
        return self._owners.get(owner_of) in (None, api_key)

    # --- rest.nexmo.com ------------------------------------------------------------------------------

    async def _balance(self, request: Request, seen: Seen) -> Response:
        account = self.accounts[seen.auth.removeprefix("basic:")]
        return JSONResponse({"value": account["balance"], "autoReload": account["auto_reload"]})

    async def _owned_numbers(self, request: Request, seen: Seen) -> Response:
        api_key, query = seen.auth.removeprefix("basic:"), request.query_params
        try:
            size = min(int(query.get("size", "10")), self.max_page_size)
            index = int(query.get("index", "1"))
        except ValueError:
            return _legacy(400, "invalid parameter")
        if size < 1 or index < 1:
            return _legacy(400, "invalid parameter")
        chosen = [
            item
            for ref, item in self.numbers.items()
            if self._owned(ref, api_key)
            and query.get("application_id") in (None, item.get("app_id"))
            and query.get("country") in (None, item["country"])
        ]
        if not chosen:
            return JSONResponse({"count": 0})
        page = chosen[(index - 1) * size : index * size]
        return JSONResponse({"count": len(chosen), "numbers": copy.deepcopy(page)})

    async def _update_number(self, request: Request, seen: Seen) -> Response:
        api_key, form = seen.auth.removeprefix("basic:"), seen.body if isinstance(seen.body, dict) else {}
        country, msisdn = str(form.get("country", "")), str(form.get("msisdn", ""))
        if not country or not msisdn:
            return _legacy(400, "missing parameter")
        ref = f"{country}:{msisdn}"
        item = self.numbers.get(ref)
        app_id = form.get("app_id")
        if item is None or not self._owned(ref, api_key):
            return _legacy(420, "method failed")
        if app_id is not None and app_id != "":
            if app_id not in self.applications or not self._owned(str(app_id), api_key):
                return _legacy(420, "method failed")
            item["app_id"] = str(app_id)
        elif app_id == "":
            item.pop("app_id", None)
        return JSONResponse({"error-code": "200", "error-code-label": "success"})

    # --- api.nexmo.com -------------------------------------------------------------------------------

    async def _application(self, request: Request, seen: Seen) -> Response:
        app_id = request.path_params["app_id"]
        app = self.applications.get(app_id)
        if app is None or not self._owned(app_id, seen.auth.removeprefix("basic:")):
            return _problem(404, "not-found", "Not Found", f"ID '{app_id}' does not exist, or you do not have access")
        if request.method == "DELETE":
            del self.applications[app_id]
            return Response(status_code=204)
        if request.method == "PUT":
            refusal = self._replace(app, seen.body)
            if refusal is not None:
                return refusal
        return JSONResponse(app | {"_links": {"self": {"href": f"/v2/applications/{app_id}"}}})

    def _replace(self, app: Body, body: Any) -> Response | None:
        invalid: list[dict[str, str]] = []
        if not isinstance(body, dict) or not isinstance(body.get("name"), str) or not body["name"].strip():
            invalid.append({"name": "name", "reason": "must not be empty"})
            body = body if isinstance(body, dict) else {}
        capabilities = body.get("capabilities") or {}
        webhooks = (capabilities.get("voice") or {}).get("webhooks") or {}
        for hook, value in webhooks.items():
            where = f"capabilities.voice.webhooks.{hook}"
            if not isinstance(value, dict) or not isinstance(value.get("address"), str):
                invalid.append({"name": f"{where}.address", "reason": "must be a URL"})
            elif value.get("http_method", "POST") not in ("GET", "POST"):
                invalid.append({"name": f"{where}.http_method", "reason": "must be one of: GET, POST"})
        if invalid:
            detail = "The request failed due to validation errors"
            return _problem(400, "payload-validation", "Bad Request", detail, invalid_parameters=invalid)
        app["name"] = body["name"]
        app["capabilities"] = copy.deepcopy(capabilities)
        app["privacy"] = copy.deepcopy(body.get("privacy") or app.get("privacy"))
        app["keys"] = {"public_key": (body.get("keys") or {}).get("public_key")}
        return None

    async def _calls(self, request: Request, seen: Seen) -> Response:
        try:
            size = int(request.query_params.get("page_size", "10"))
            index = int(request.query_params.get("record_index", "0"))
        except ValueError:
            size, index = 0, 0
        if not 1 <= size <= 100:
            return _problem(400, "invalid-request", "Bad Request", "page_size must be between 1 and 100")
        href = f"/v1/calls?page_size={size}&record_index={index}"
        return JSONResponse(
            {
                "count": 0,
                "page_size": size,
                "record_index": index,
                "_links": {"self": {"href": href}},
                "_embedded": {"calls": []},
            }
        )
