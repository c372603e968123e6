"""A fake Twilio REST API 2010-04-01: accounts and their balance, TwiML Applications, IncomingPhoneNumbers.

It checks what Twilio checks (reference/telephony-providers.md §3, §6): HTTP Basic auth with
`AccountSid:AuthToken` or `ApiKeySid:ApiKeySecret` (else 401 `{"code":20003,"message":"Authenticate",...}`),
the account SID in the path belonging to those credentials (else 404 20404, as Twilio answers), form-encoded
POST bodies, valid callback URLs and methods (400 21502 / 20001) and a VoiceApplicationSid of the same account
(400 21218). It answers in Twilio's shapes: errors `{"code","message","more_info","status"}`, RFC 2822 dates,
201 for creates, 204 for deletes, and lists with exactly one resource key plus the meta keys, paged by
`PageSize` (default 50, at most 1000, and at most `max_page_size`) with `Page`/`PageToken` in `next_page_uri`.

Serve it with `tests.fakes.runner.serve(fake.app)` and give the adapter that URL as its base URL.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

import phonenumbers
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

API = "/2010-04-01"
FAILURES = ("invalid_auth", "rate_limited", "server_error", "timeout")
METHODS = ("GET", "POST")
Body = dict[str, Any]
Endpoint = Callable[[Request, "Account"], Awaitable[Response]]
NUMBER_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "tollfree",
}
# Form parameters the fake stores, by resource (Twilio's CamelCase -> the JSON field).
APPLICATION_FIELDS = (
    "FriendlyName", "VoiceUrl", "VoiceMethod", "VoiceFallbackUrl", "VoiceFallbackMethod", "StatusCallback",
    "StatusCallbackMethod", "VoiceCallerIdLookup", "SmsUrl", "SmsMethod", "SmsFallbackUrl", "SmsFallbackMethod",
    "SmsStatusCallback", "MessageStatusCallback", "PublicApplicationConnectEnabled",
)  # fmt: skip
NUMBER_FIELDS = (
    "FriendlyName", "VoiceApplicationSid", "VoiceUrl", "VoiceMethod", "VoiceFallbackUrl", "VoiceFallbackMethod",
    "StatusCallback", "StatusCallbackMethod", "SmsApplicationSid", "SmsUrl", "SmsMethod", "TrunkSid",
)  # fmt: skip


def snake(name: str) -> str:
    return "".join(f"_{ch.lower()}" if ch.isupper() and i else ch.lower() for i, ch in enumerate(name))


def now() -> str:
    return format_datetime(datetime.now(UTC).replace(microsecond=0))  # "Tue, 01 Jul 2025 12:00:00 +0000"


def error(status: int, code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }
    return JSONResponse(body, status_code=status, headers=headers)


def not_found(path: str) -> JSONResponse:
    return error(404, 20404, f"The requested resource {path} was not found")


@dataclass
class Account:
    sid: str
    auth_token: str
    friendly_name: str
    balance: str | None  # None: Balance.json answers 404
    currency: str = "USD"
    status: str = "active"  # active | suspended | closed
    type: str = "Full"  # Trial | Full
    api_keys: dict[str, str] = field(default_factory=dict)  # SK… -> secret
    created: str = field(default_factory=now)

    def resource(self) -> Body:
        base = f"{API}/Accounts/{self.sid}"
        names = ("applications", "incoming_phone_numbers", "calls", "recordings", "balance")
        paths = ("Applications", "IncomingPhoneNumbers", "Calls", "Recordings", "Balance")
        return {
            "auth_token": self.auth_token,
            "date_created": self.created,
            "date_updated": self.created,
            "friendly_name": self.friendly_name,
            "owner_account_sid": self.sid,
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {name: f"{base}/{path}.json" for name, path in zip(names, paths, strict=True)},
            "type": self.type,
            "uri": f"{base}.json",
        }


@dataclass
class Failure:
    kind: str
    retry_after: int | None
    path: str | None
    skip: int  # matching requests to let through first


@dataclass
class Seen:
    method: str
    path: str
    query: dict[str, list[str]]
    form: dict[str, list[str]]
    username: str  # the Basic-auth user (AC… or SK…); never the secret
    content_type: str
    at: float
    status: int = 0


class FakeTwilio:
    """Accounts, numbers and TwiML apps, every request seen, and failures to inject."""

    def __init__(self, *, hold_seconds: float = 2.0, max_page_size: int = 1000) -> None:
        self.hold_seconds = hold_seconds  # how long a "timeout" failure keeps the caller waiting
        self.max_page_size = self._initial_page_size = max_page_size  # lower it to force several pages
        self.accounts: dict[str, Account] = {}
        self.numbers: dict[str, Body] = {}  # PN… -> IncomingPhoneNumber resource (list order = insertion)
        self.applications: dict[str, Body] = {}  # AP… -> Application resource
        self.requests: list[tuple[str, str]] = []  # (method, path)
        self.seen: list[Seen] = []
        self._failures: list[Failure] = []
        self._generated: dict[str, int] = {}  # country -> candidates tried by add_numbers
        account = f"{API}/Accounts/{{account}}"
        routes: list[tuple[str, Endpoint, list[str]]] = [
            (f"{account}.json", self._account, ["GET"]),
            (f"{account}/Balance.json", self._balance, ["GET"]),
            (f"{account}/Applications.json", self._applications, ["GET", "POST"]),
            (f"{account}/Applications/{{sid}}.json", self._application, ["GET", "POST", "DELETE"]),
            (f"{account}/IncomingPhoneNumbers.json", self._numbers, ["GET"]),
            (f"{account}/IncomingPhoneNumbers/{{sid}}.json", self._number, ["GET", "POST", "DELETE"]),
        ]
        self.app = Starlette(
            routes=[Route(path, self._guarded(handler), methods=methods) for path, handler, methods in routes]
            + [Route("/{rest:path}", self._guarded(self._unknown), methods=["GET", "POST", "DELETE", "PUT"])]
        )

    # --- seeding and inspection ----------------------------------------------------------------------

    def add_account(
        self,
        account_sid: str,
        auth_token: str,
        friendly_name: str = "Blue Door",
        balance: str = "25.40",
        api_keys: dict[str, str] | None = None,
    ) -> str:
        self.accounts[account_sid] = Account(account_sid, auth_token, friendly_name, balance, api_keys=api_keys or {})
        return account_sid

    def add_number(self, e164: str, **fields: Any) -> str:
        """An owned number of `fields["account_sid"]` (default: the first account added); returns its PN sid.
        `fields` override the resource's JSON fields (e.g. `type=None`, `capabilities={"Voice": True}`)."""
        return self._add_number(phonenumbers.parse(e164), now(), fields)

    def _add_number(self, parsed: phonenumbers.PhoneNumber, created: str, fields: dict[str, Any]) -> str:
        account_sid = fields.pop("account_sid", None) or next(iter(self.accounts), None)
        assert account_sid in self.accounts, "add_account() first"
        sid = "PN" + uuid.uuid4().hex
        self.numbers[sid] = {
            "account_sid": account_sid,
            "address_requirements": "none",
            "address_sid": None,
            "api_version": "2010-04-01",
            "beta": False,
            "capabilities": {"voice": True, "sms": True, "mms": True, "fax": False},
            "date_created": created,
            "date_updated": created,
            "emergency_status": "Inactive",
            "emergency_address_sid": None,
            "emergency_address_status": "unregistered",
            "friendly_name": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL),
            "identity_sid": None,
            "origin": "twilio",
            "phone_number": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
            "sid": sid,
            "sms_application_sid": "",
            "sms_fallback_method": "POST",
            "sms_fallback_url": "",
            "sms_method": "POST",
            "sms_url": "",
            "status_callback": "",
            "status_callback_method": "POST",
            "trunk_sid": None,
            "uri": f"{API}/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json",
            "voice_application_sid": "",
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_url": None,
            "bundle_sid": None,
            "voice_receive_mode": "voice",
            "status": "in-use",
            "type": NUMBER_TYPES.get(phonenumbers.number_type(parsed), "local"),
        } | fields
        return sid

    def add_numbers(self, count: int, country: str = "US", **fields: Any) -> list[str]:
        """`count` distinct numbers valid for `phonenumbers` (US: +1 415 2xx xxxx), not owned yet."""
        taken = {number["phone_number"] for number in self.numbers.values()}
        if country == "US":
            base = "4152000000"
        else:
            example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.FIXED_LINE)
            assert example is not None, f"no example number for {country}"
            base = phonenumbers.national_significant_number(example)
        code = phonenumbers.country_code_for_region(country)
        sids: list[str] = []
        tried, created = self._generated.get(country, 0), now()
        while len(sids) < count:
            assert tried < 10**6, f"ran out of {country} numbers"
            candidate = f"+{code}{base[:-6]}{(int(base[-6:]) + tried) % 10**6:06d}"
            tried += 1
            parsed = phonenumbers.parse(candidate)
            if candidate not in taken and phonenumbers.is_valid_number(parsed):
                sids.append(self._add_number(parsed, created, dict(fields)))
        self._generated[country] = tried
        return sids

    def remove_number(self, ref: str) -> None:
        self.numbers.pop(ref, None)

    def fail_next(
        self, kind: str, times: int = 1, *, retry_after: int | None = None, path: str | None = None, skip: int = 0
    ) -> None:
        """The next `times` requests (to `path`, when given; after letting `skip` of them through) fail as `kind`:
        "invalid_auth" (401 20003), "rate_limited" (429 20429, with Retry-After when given), "server_error"
        (500 20500) or "timeout" (the answer is held for `hold_seconds`)."""
        assert kind in FAILURES, kind
        self._failures.extend(Failure(kind, retry_after, path, skip) for _ in range(times))

    def reset(self) -> None:
        self.max_page_size = self._initial_page_size
        for mapping in (self.accounts, self.numbers, self.applications, self._generated):
            mapping.clear()
        for items in (self.requests, self.seen, self._failures):
            items.clear()

    def calls(self, path: str, method: str | None = None) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path and method in (None, seen.method)]

    # --- gate: record, inject failures, check auth ---------------------------------------------------

    def _guarded(self, handler: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            seen, early, account = await self._gate(request)
            response = early or await handler(request, account)  # type: ignore[arg-type]
            seen.status = response.status_code
            return response

        return endpoint

    async def _gate(self, request: Request) -> tuple[Seen, Response | None, Account | None]:
        path = request.url.path
        raw = (await request.body()).decode(errors="replace")
        content_type = request.headers.get("content-type", "")
        form = parse_qs(raw, keep_blank_values=True) if "x-www-form-urlencoded" in content_type else {}
        username, password = _basic(request.headers.get("authorization", ""))
        query = parse_qs(request.url.query, keep_blank_values=True)
        seen = Seen(request.method, path, query, form, username, content_type, time.time())
        request.state.form = form
        self.requests.append((request.method, path))
        self.seen.append(seen)
        failure = next((f for f in self._failures if f.path in (None, path)), None)
        if failure is not None and failure.skip:
            failure.skip -= 1
        elif failure is not None:
            self._failures.remove(failure)
            return seen, await self._fail(request, failure.kind, failure.retry_after), None
        account = self._authenticated(username, password)
        if account is None:
            return seen, _unauthenticated(), None
        if request.method == "POST" and raw and "x-www-form-urlencoded" not in content_type:
            return seen, error(400, 20001, "Requests must be application/x-www-form-urlencoded"), None
        owner = request.path_params.get("account")
        if owner is not None and owner != account.sid:  # another account's resources: Twilio says 404
            return seen, not_found(path), None
        return seen, None, account

    def _authenticated(self, username: str, password: str) -> Account | None:
        if username.startswith("AC"):
            account = self.accounts.get(username)
            return account if account is not None and password and password == account.auth_token else None
        for account in self.accounts.values():
            if username in account.api_keys and password and account.api_keys[username] == password:
                return account
        return None

    async def _fail(self, request: Request, kind: str, retry_after: int | None) -> Response:
        if kind == "invalid_auth":
            return _unauthenticated()
        if kind == "rate_limited":
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            return error(429, 20429, "Too Many Requests", headers)
        if kind == "server_error":
            return error(500, 20500, "An internal server error has occurred")
        deadline = time.monotonic() + self.hold_seconds  # "timeout": hold the answer, then give up
        while time.monotonic() < deadline and not await request.is_disconnected():
            await asyncio.sleep(0.02)
        return error(502, 20500, "Bad Gateway")

    # --- endpoints ---------------------------------------------------------------------------------

    async def _unknown(self, request: Request, account: Account) -> Response:
        return not_found(request.url.path)

    async def _account(self, request: Request, account: Account) -> Response:
        return JSONResponse(account.resource())

    async def _balance(self, request: Request, account: Account) -> Response:
        if account.balance is None:
            return not_found(request.url.path)
        return JSONResponse({"account_sid": account.sid, "balance": account.balance, "currency": account.currency})

    async def _applications(self, request: Request, account: Account) -> Response:
        if request.method == "GET":
            mine = [app for app in self.applications.values() if app["account_sid"] == account.sid]
            return self._page(request, "applications", mine)
        form = _form(request.state.form)
        invalid = _invalid(form)
        if invalid is not None:
            return invalid
        sid, created = "AP" + uuid.uuid4().hex, now()
        self.applications[sid] = {
            "account_sid": account.sid,
            "api_version": "2010-04-01",
            "date_created": created,
            "date_updated": created,
            "friendly_name": form.get("FriendlyName", ""),
            "message_status_callback": None,
            "sid": sid,
            "sms_fallback_method": "POST",
            "sms_fallback_url": None,
            "sms_method": "POST",
            "sms_status_callback": None,
            "sms_url": None,
            "status_callback": None,
            "status_callback_method": "POST",
            "uri": f"{API}/Accounts/{account.sid}/Applications/{sid}.json",
            "voice_caller_id_lookup": False,
            "voice_fallback_method": "POST",
            "voice_fallback_url": None,
            "voice_method": "POST",
            "voice_url": None,
            "public_application_connect_enabled": False,
        } | {snake(name): _typed(form[name]) for name in APPLICATION_FIELDS if name in form}
        return JSONResponse(self.applications[sid], status_code=201)

    async def _application(self, request: Request, account: Account) -> Response:
        app = self.applications.get(request.path_params["sid"])
        if app is None or app["account_sid"] != account.sid:
            return not_found(request.url.path)
        if request.method == "DELETE":
            del self.applications[app["sid"]]
            return Response(status_code=204)
        if request.method == "POST":
            form = _form(request.state.form)
            invalid = _invalid(form)
            if invalid is not None:
                return invalid
            app |= {snake(name): _typed(form[name]) for name in APPLICATION_FIELDS if name in form}
            app["date_updated"] = now()
        return JSONResponse(app)

    async def _numbers(self, request: Request, account: Account) -> Response:
        wanted = request.query_params.get("PhoneNumber")
        mine = [
            number
            for number in self.numbers.values()
            if number["account_sid"] == account.sid and wanted in (None, number["phone_number"])
        ]
        return self._page(request, "incoming_phone_numbers", mine)

    async def _number(self, request: Request, account: Account) -> Response:
        number = self.numbers.get(request.path_params["sid"])
        if number is None or number["account_sid"] != account.sid:
            return not_found(request.url.path)
        if request.method == "DELETE":
            del self.numbers[number["sid"]]
            return Response(status_code=204)
        if request.method == "POST":
            form = _form(request.state.form)
            invalid = _invalid(form)
            if invalid is not None:
                return invalid
            for name in ("VoiceApplicationSid", "SmsApplicationSid"):
                app = self.applications.get(form.get(name, ""))
                if form.get(name) and (app is None or app["account_sid"] != account.sid):
                    return error(400, 21218, f"{name} is not valid")
            number |= {snake(name): form[name] for name in NUMBER_FIELDS if name in form}
            number["date_updated"] = now()
        return JSONResponse(number)

    def _page(self, request: Request, key: str, items: list[Body]) -> Response:
        query = request.query_params
        try:
            size, page = int(query.get("PageSize", "50")), int(query.get("Page", "0"))
        except ValueError:
            return error(400, 20001, "Invalid paging parameter")
        if not 1 <= size <= 1000 or page < 0:
            return error(400, 20001, "PageSize must be between 1 and 1000")
        size = min(size, self.max_page_size)
        start = page * size
        token = query.get("PageToken", "")
        if token:
            sids = [item["sid"] for item in items]
            if token[2:] not in sids:
                return error(400, 20001, "Invalid PageToken")
            anchor = sids.index(token[2:])
            start = anchor + 1 if token.startswith("PA") else max(0, anchor - size)
        chunk = items[start : start + size]
        filters = {k: v for k, v in query.items() if k not in ("PageSize", "Page", "PageToken")}

        def uri(number: int, page_token: str | None = None) -> str:
            params = filters | {"PageSize": size, "Page": number} | ({"PageToken": page_token} if page_token else {})
            return f"{request.url.path}?{urlencode(params)}"

        following = uri(page + 1, "PA" + chunk[-1]["sid"]) if chunk and start + size < len(items) else None
        previous = uri(page - 1, "PB" + chunk[0]["sid"]) if chunk and page > 0 else None
        return JSONResponse(
            {
                key: chunk,
                "end": start + max(len(chunk) - 1, 0),
                "first_page_uri": uri(0),
                "next_page_uri": following,
                "page": page,
                "page_size": size,
                "previous_page_uri": previous,
                "start": start,
                "uri": f"{request.url.path}?{request.url.query}" if request.url.query else request.url.path,
            }
        )


def _basic(header: str) -> tuple[str, str]:
    if not header.startswith("Basic "):
        return "", ""
    try:
        decoded = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    username, _, password = decoded.partition(":")
    return username, password


def _unauthenticated() -> JSONResponse:
    return error(401, 20003, "Authenticate", {"WWW-Authenticate": 'Basic realm="Twilio API"'})


def _form(raw: dict[str, list[str]]) -> dict[str, str]:
    return {name: values[-1] for name, values in raw.items()}


def _typed(value: str) -> Any:
    return {"true": True, "false": False}.get(value.lower(), value)


def _invalid(form: dict[str, str]) -> JSONResponse | None:
    for name, value in form.items():
        if name.endswith(("Url", "Callback")) and value and not value.startswith(("http://", "https://")):
            return error(400, 21502, f"{name} is not valid")
        if name.endswith("Method") and value.upper() not in METHODS:
            return error(400, 20001, f"{name} must be GET or POST")
        if name == "FriendlyName" and len(value) > 64:
            return error(400, 20001, "FriendlyName must be at most 64 characters")
    return None
