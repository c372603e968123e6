"""A fake Telnyx API v2 under `/v2`: balance, Call Control applications and owned phone numbers.

It checks what Telnyx checks (reference/telephony-providers.md §2, §6): `Authorization: Bearer <API key>`
(401 `{"errors":[{"code","title","detail"}]}`), the required fields of a new application and a known
connection on a number update (422 in the same shape), unknown ids (404). Lists are paged by
`page[number]`/`page[size]` with `meta {page_number, page_size, total_pages, total_results}`, which the
SDK's auto-pagination needs. Serve it with `tests.fakes.runner.serve(fake.app)` and point the adapter at
`<url>/v2`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import phonenumbers
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

PREFIX = "/v2"
FAILURES = ("invalid_auth", "rate_limited", "server_error", "timeout")
Body = dict[str, Any]
Endpoint = Callable[[Request], Awaitable[Response]]
NUMBER_KINDS = {"local": phonenumbers.PhoneNumberType.FIXED_LINE, "mobile": phonenumbers.PhoneNumberType.MOBILE}
NUMBER_KINDS["toll_free"] = phonenumbers.PhoneNumberType.TOLL_FREE


def errors(status: int, code: str, title: str, detail: str, pointer: str = "", **headers: str) -> JSONResponse:
    error: Body = {"code": code, "title": title, "detail": detail}
    if pointer:
        error["source"] = {"pointer": pointer}
    return JSONResponse({"errors": [error]}, status_code=status, headers=headers or None)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@dataclass
class Seen:
    method: str
    path: str  # the full path, /v2/...
    query: dict[str, str]
    authorization: str
    body: Any
    status: int = 0


class FakeTelnyx:
    """The Telnyx API of one or more accounts (numbers and applications are shared between their keys)."""

    def __init__(self, *, hold_seconds: float = 2.0, page_size: int = 20, max_page_size: int = 250) -> None:
        self.hold_seconds = hold_seconds  # how long a "timeout" failure holds its answer
        self.page_size = page_size  # when the client sends no page[size]
        self.max_page_size = max_page_size  # Telnyx serves at most 250; lower it to force several pages
        self._paging = (page_size, max_page_size)
        self.accounts: dict[str, Body] = {}  # API key -> balance record
        self.numbers: dict[str, Body] = {}  # number id -> phone number record
        self.applications: dict[str, Body] = {}  # Call Control application id -> record
        self.connections: set[str] = set()  # other connections (SIP, credential) numbers may point at
        self.requests: list[tuple[str, str]] = []
        self.seen: list[Seen] = []
        self._failures: list[tuple[str, str | None]] = []
        self._ids = itertools.count(2_000_000_000_000_000_001)
        endpoints: list[tuple[str, Endpoint, list[str]]] = [
            ("/balance", self._balance, ["GET"]),
            ("/call_control_applications", self._create_application, ["POST"]),
            ("/call_control_applications/{id}", self._application, ["GET", "DELETE"]),
            ("/phone_numbers", self._list_numbers, ["GET"]),
            ("/phone_numbers/{id}", self._number, ["GET", "PATCH"]),
        ]
        routes = [Route(PREFIX + path, self._guarded(handler), methods=methods) for path, handler, methods in endpoints]
        self.app = Starlette(routes=routes)

    # --- seeding and inspection ----------------------------------------------------------------------

    def add_account(
        self, api_key: str, balance: str = "300.00", currency: str = "USD", credit_limit: str = "100.00"
    ) -> None:
        available = Decimal(balance) + Decimal(credit_limit)
        self.accounts[api_key] = {
            "record_type": "balance",
            "balance": balance,
            "credit_limit": credit_limit,
            "available_credit": f"{available:.2f}",
            "currency": currency,
            "pending": "0.00",
        }

    def add_number(self, e164: str, **fields: Any) -> str:
        """Seed an owned number; `fields` override the record (e.g. connection_id, phone_number_type)."""
        number_id = str(next(self._ids))
        parsed = phonenumbers.parse(e164)
        kind = phonenumbers.number_type(parsed)
        number_type = {
            phonenumbers.PhoneNumberType.MOBILE: "mobile",
            phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
        }
        stamp = _now()
        record: Body = {
            "id": number_id,
            "record_type": "phone_number",
            "phone_number": phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164),
            "status": "active",
            "tags": [],
            "external_pin": None,
            "connection_id": None,
            "connection_name": None,
            "customer_reference": None,
            "messaging_profile_id": None,
            "messaging_profile_name": None,
            "billing_group_id": None,
            "emergency_enabled": False,
            "emergency_address_id": None,
            "call_forwarding_enabled": True,
            "cnam_listing_enabled": False,
            "caller_id_name_enabled": False,
            "call_recording_enabled": False,
            "t38_fax_gateway_enabled": False,
            "hd_voice_enabled": False,
            "deletion_lock_enabled": False,
            "inbound_call_screening": "disabled",
            "phone_number_type": number_type.get(kind, "local"),
            "country_iso_alpha2": phonenumbers.region_code_for_number(parsed),
            "source_type": "number_order",
            "purchased_at": stamp,
            "created_at": stamp,
            "updated_at": stamp,
        }
        record.update(fields)
        if record["connection_id"] and record["connection_id"] not in self.applications:
            self.connections.add(str(record["connection_id"]))
        self.numbers[number_id] = record
        return number_id

    def add_numbers(self, count: int, country: str = "US", kind: str = "local") -> list[str]:
        """Seed `count` distinct numbers that `phonenumbers` holds valid (US: +1 415 201 xxxx and up)."""
        taken = {record["phone_number"] for record in self.numbers.values()}
        example = phonenumbers.example_number_for_type(country, NUMBER_KINDS[kind])
        if example is None:
            raise ValueError(f"no example number for {country}")
        start = 4152010000 if (country, kind) == ("US", "local") else int(example.national_number or 0)
        refs: list[str] = []
        candidate = start
        while len(refs) < count:
            number = phonenumbers.PhoneNumber(country_code=example.country_code, national_number=candidate)
            text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            candidate += 1
            if text in taken or not phonenumbers.is_valid_number(number):
                continue
            taken.add(text)
            refs.append(self.add_number(text))
        return refs

    def add_application(self, application_name: str, webhook_event_url: str, **fields: Any) -> str:
        """Seed a Call Control application as if created through the API; returns its id."""
        app_id = str(next(self._ids))
        self.applications[app_id] = self._application_record(
            app_id, {"application_name": application_name, "webhook_event_url": webhook_event_url, **fields}
        )
        return app_id

    def remove_number(self, ref: str) -> None:
        self.numbers.pop(ref, None)

    def fail_next(self, kind: str, times: int = 1, *, path: str | None = None) -> None:
        """The next `times` requests (to `path`, e.g. "/v2/balance", when given) fail as `kind`."""
        assert kind in FAILURES, kind
        self._failures.extend([(kind, path)] * times)

    def reset(self) -> None:
        self.page_size, self.max_page_size = self._paging
        for mapping in (self.accounts, self.numbers, self.applications):
            mapping.clear()
        self.connections.clear()
        self.requests.clear()
        self.seen.clear()
        self._failures.clear()

    def calls(self, path: str, method: str | None = None) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path and method in (None, seen.method)]

    # --- gate: record, inject failures, check auth ---------------------------------------------------

    def _guarded(self, handler: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            seen, early = await self._gate(request)
            response = early or await handler(request)
            seen.status = response.status_code
            return response

        return endpoint

    async def _gate(self, request: Request) -> tuple[Seen, Response | None]:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode(errors="replace")
        authorization = request.headers.get("authorization", "")
        seen = Seen(request.method, request.url.path, dict(request.query_params), authorization, body)
        self.seen.append(seen)
        self.requests.append((request.method, request.url.path))
        failure = next((f for f in self._failures if f[1] in (None, request.url.path)), None)
        if failure is not None:
            self._failures.remove(failure)
            return seen, await self._fail(request, failure[0])
        if not authorization.startswith("Bearer ") or authorization.removeprefix("Bearer ") not in self.accounts:
            return seen, self._unauthorized()
        if isinstance(body, str):
            return seen, errors(400, "10015", "Bad Request", "The request body is not valid JSON.")
        return seen, None

    @staticmethod
    def _unauthorized() -> JSONResponse:
        return errors(401, "10009", "Authentication failed", "Could not understand the provided credentials.")

    async def _fail(self, request: Request, kind: str) -> Response:
        if kind == "invalid_auth":
            return self._unauthorized()
        if kind == "rate_limited":
            detail = "Too many requests, please try again later."
            return errors(429, "10011", "Too many requests", detail, **{"Retry-After": "1"})
        if kind == "server_error":
            return errors(500, "10007", "Unexpected error", "An unexpected error occured.")
        deadline = time.monotonic() + self.hold_seconds
        while time.monotonic() < deadline and not await request.is_disconnected():
            await asyncio.sleep(0.02)
        return errors(504, "10008", "Gateway timeout", "The upstream service did not answer in time.")

    # --- endpoints ---------------------------------------------------------------------------------

    def _account(self, request: Request) -> Body:
        return self.accounts[request.headers["authorization"].removeprefix("Bearer ")]

    async def _balance(self, request: Request) -> Response:
        return JSONResponse({"data": self._account(request)})

    async def _create_application(self, request: Request) -> Response:
        body = await request.json()
        if not isinstance(body, dict):
            return errors(422, "10015", "Bad Request", "The request body must be a JSON object.")
        for name in ("application_name", "webhook_event_url"):
            if not isinstance(body.get(name), str) or not body[name].strip():
                return errors(422, "10005", "Missing required parameter", f"{name} is required.", f"/{name}")
        if not body["webhook_event_url"].startswith(("http://", "https://")):
            detail = "webhook_event_url must include a scheme, such as 'https'."
            return errors(422, "10015", "Invalid value", detail, "/webhook_event_url")
        if body.get("webhook_api_version", "1") not in ("1", "2"):
            return errors(422, "10015", "Invalid value", "webhook_api_version must be 1 or 2.", "/webhook_api_version")
        app_id = str(next(self._ids))
        record = self.applications[app_id] = self._application_record(app_id, body)
        return JSONResponse({"data": record}, status_code=201)

    @staticmethod
    def _application_record(app_id: str, body: Body) -> Body:
        stamp = _now()
        return {
            "id": app_id,
            "record_type": "call_control_application",
            "application_name": body["application_name"],
            "webhook_event_url": body["webhook_event_url"],
            "webhook_event_failover_url": body.get("webhook_event_failover_url", ""),
            "webhook_api_version": body.get("webhook_api_version", "1"),
            "webhook_timeout_secs": body.get("webhook_timeout_secs"),
            "active": body.get("active", True),
            "anchorsite_override": body.get("anchorsite_override", "Latency"),
            "dtmf_type": body.get("dtmf_type", "RFC 2833"),
            "first_command_timeout": body.get("first_command_timeout", False),
            "first_command_timeout_secs": body.get("first_command_timeout_secs", 30),
            "inbound": {"channel_limit": None, "shaken_stir_enabled": False, "sip_subdomain": None}
            | (body.get("inbound") or {}),
            "outbound": {"channel_limit": None, "outbound_voice_profile_id": None} | (body.get("outbound") or {}),
            "tags": [],
            "created_at": stamp,
            "updated_at": stamp,
        }

    async def _application(self, request: Request) -> Response:
        app_id = request.path_params["id"]
        record = self.applications.get(app_id)
        if record is None:
            detail = "The requested resource or URL could not be found."
            return errors(404, "10005", "Resource not found", detail)
        if request.method == "DELETE":
            del self.applications[app_id]
            for number in self.numbers.values():  # its numbers are left without a voice connection
                if number["connection_id"] == app_id:
                    number.update(connection_id=None, connection_name=None)
        return JSONResponse({"data": record})

    async def _list_numbers(self, request: Request) -> Response:
        query = request.query_params
        try:
            page = int(query.get("page[number]", "1"))
            size = int(query.get("page[size]", str(self.page_size)))
        except ValueError:
            return errors(400, "10015", "Bad Request", "page[number] and page[size] must be integers.")
        if page < 1 or size < 1:
            return errors(400, "10015", "Bad Request", "page[number] and page[size] must be positive.")
        size = min(size, self.max_page_size)
        records = list(self.numbers.values())
        total_pages = max(1, -(-len(records) // size))
        meta = {"page_number": page, "page_size": size, "total_pages": total_pages, "total_results": len(records)}
        return JSONResponse({"data": records[(page - 1) * size : page * size], "meta": meta})

    async def _number(self, request: Request) -> Response:
        record = self.numbers.get(request.path_params["id"])
        if record is None:
            detail = "The requested resource or URL could not be found."
            return errors(404, "10005", "Resource not found", detail)
        if request.method == "PATCH":
            body = await request.json()
            if not isinstance(body, dict):
                return errors(422, "10015", "Bad Request", "The request body must be a JSON object.")
            if "connection_id" in body:
                connection = body["connection_id"]
                if connection and connection not in self.applications and connection not in self.connections:
                    return errors(422, "10015", "Invalid value", "The connection_id is invalid.", "/connection_id")
                app = self.applications.get(connection) if connection else None
                record["connection_id"] = connection or None
                record["connection_name"] = app["application_name"] if app else None
            for name in ("customer_reference", "tags", "billing_group_id", "hd_voice_enabled"):
                if name in body:
                    record[name] = body[name]
            record["updated_at"] = _now()
        return JSONResponse({"data": record})
