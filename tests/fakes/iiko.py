"""A fake iikoCloud (iikoTransport) API: access tokens that expire, organizations, terminal groups, the
menu, tables and their workload, loyalty guests, and table reservations as asynchronous commands whose
state flips InProgress -> Success | Error after a number of polls.

Shapes follow reference/crm-and-channels.md §6 and specs/iikocloud-openapi.json; errors are
`{"correlationId","errorDescription","error"}`. Serve it with `tests.fakes.runner.serve(fake.app)`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

FAILURES = ("rate_limited", "server_error", "timeout", "garbage", "stale_token", "request_timeout")
DATETIME = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$")
PHONE = re.compile(r"^\+\d{8,}$")
Body = dict[str, Any]
Handler = Callable[[Body], Response]


def _error(status: int, description: str, code: str | None = None) -> JSONResponse:
    body = {"correlationId": str(uuid.uuid4()), "errorDescription": description, "error": code}
    return JSONResponse(body, status_code=status)


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str) or not DATETIME.match(value):
        return None
    return datetime.strptime(value, "%Y-%m-%d %H:%M:%S.%f")


def _start(reserve: Body) -> datetime:
    return datetime.strptime(reserve["estimatedStartTime"], "%Y-%m-%d %H:%M:%S.%f")


@dataclass
class Seen:
    method: str
    path: str
    authorization: str
    body: Any
    at: float
    status: int = 0


@dataclass
class Command:
    organization_id: str
    polls_left: int
    error: str | None
    on_success: Callable[[], None] = lambda: None
    state: str = "InProgress"


@dataclass
class Failure:
    kind: str
    path: str | None
    retry_after: int


@dataclass
class FakeIiko:
    """In-memory iikoCloud. `token_ttl` is how long a token lives (short in tests); `command_polls` is how
    many status polls answer InProgress before a command finishes."""

    token_ttl: float = 3600.0
    command_polls: int = 1
    hold_seconds: float = 2.0
    api_logins: set[str] = field(default_factory=set)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expires at (Unix time)
    organizations: list[Body] = field(default_factory=list)
    terminal_groups: list[Body] = field(default_factory=list)
    sections: list[Body] = field(default_factory=list)
    groups: list[Body] = field(default_factory=list)
    products: list[Body] = field(default_factory=list)
    guests: dict[str, Body] = field(default_factory=dict)  # id -> guest
    reserves: dict[str, Body] = field(default_factory=dict)  # id -> reserve
    commands: dict[str, Command] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    tokens_issued: int = 0
    _failures: list[Failure] = field(default_factory=list)
    _command_errors: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        routes: dict[str, Handler] = {
            "access_token": self._access_token,
            "organizations": self._organizations,
            "terminal_groups": self._terminal_groups,
            "nomenclature": self._nomenclature,
            "reserve/available_restaurant_sections": self._sections,
            "reserve/restaurant_sections_workload": self._workload,
            "reserve/create": self._reserve_create,
            "reserve/cancel": self._reserve_cancel,
            "commands/status": self._command_status,
            "loyalty/iiko/customer/info": self._customer_info,
            "loyalty/iiko/customer/create_or_update": self._customer_upsert,
        }
        self._routes = routes
        self.app = Starlette(routes=[Route("/api/1/{method:path}", self._handle, methods=["POST", "GET"])])

    # --- seeding -----------------------------------------------------------------------------------

    def seed_restaurant(self, api_login: str, *, tables: int = 3) -> tuple[str, str]:
        """One organization with one terminal group and one hall of `tables` tables (2, 4, 6... seats)."""
        self.api_logins.add(api_login)
        org = self.add_organization("Blue Door")
        group = self.add_terminal_group(org, "Hall terminal")
        self.add_section(group, "Main hall", [(f"Table {n}", 2 * n) for n in range(1, tables + 1)])
        return org, group

    def add_organization(self, name: str, org_id: str | None = None) -> str:
        org_id = org_id or str(uuid.uuid4())
        self.organizations.append({"id": org_id, "name": name, "code": None, "responseType": "Simple"})
        return org_id

    def add_terminal_group(self, org_id: str, name: str) -> str:
        group_id = str(uuid.uuid4())
        item = {"id": group_id, "organizationId": org_id, "name": name, "address": "", "timeZone": "03:00:00"}
        self.terminal_groups.append(item)
        return group_id

    def add_section(self, group_id: str, name: str, tables: list[tuple[str, int]]) -> list[str]:
        items: list[Body] = [
            {"id": str(uuid.uuid4()), "number": n, "name": table_name, "seatingCapacity": seats, "revision": 1}
            | {"isDeleted": False, "posId": str(uuid.uuid4())}
            for n, (table_name, seats) in enumerate(tables, start=1)
        ]
        self.sections.append({"id": str(uuid.uuid4()), "terminalGroupId": group_id, "name": name, "tables": items})
        return [item["id"] for item in items]

    def table_ids(self) -> list[str]:
        return [table["id"] for section in self.sections for table in section["tables"]]

    def add_product(self, name: str, prices: list[float], group_id: str | None = None, **extra: Any) -> str:
        product_id = str(uuid.uuid4())
        size_prices = [
            {
                "sizeId": None if len(prices) == 1 else f"size-{i}",
                "price": {"currentPrice": price, "isIncludedInMenu": True, "nextIncludedInMenu": True},
            }
            for i, price in enumerate(prices)
        ]
        self.products.append(
            {"id": product_id, "name": name, "type": "dish", "groupId": group_id, "parentGroup": group_id}
            | {"sizePrices": size_prices, "isDeleted": False, "modifiers": [], "groupModifiers": []}
            | extra
        )
        return product_id

    def add_group(self, name: str) -> str:
        group_id = str(uuid.uuid4())
        self.groups.append({"id": group_id, "name": name, "parentGroup": None, "isIncludedInMenu": True})
        return group_id

    def seed_catalog(self, products: int = 5000, groups: int = 50) -> None:
        ids = [self.add_group(f"Group {n}") for n in range(groups)]
        for n in range(products):
            self.add_product(f"Dish {n}", [100.0 + n % 900], ids[n % groups] if ids else None)

    def add_guest(self, phone: str, name: str, surname: str = "", email: str = "") -> str:
        guest_id = str(uuid.uuid4())
        self.guests[guest_id] = {"id": guest_id, "phone": phone, "name": name, "surname": surname, "email": email}
        return guest_id

    def add_reserve(self, table_id: str, start: str, minutes: int = 120) -> str:
        reserve_id = str(uuid.uuid4())
        self.reserves[reserve_id] = {
            "id": reserve_id,
            "tableIds": [table_id],
            "estimatedStartTime": start,
            "durationInMinutes": minutes,
            "guestsCount": 2,
            "status": "New",
        }
        return reserve_id

    # --- failures, tokens --------------------------------------------------------------------------

    def fail_next(self, kind: str, times: int = 1, *, path: str | None = None, retry_after: int = 1) -> None:
        """The next `times` requests (to `path`, e.g. "nomenclature", when given) fail as `kind`."""
        assert kind in FAILURES, kind
        self._failures.extend([Failure(kind, path, retry_after)] * times)

    def fail_next_command(self, reason: str) -> None:
        """The next command created ends in state Error with this errorReason."""
        self._command_errors.append(reason)

    def expire_tokens(self) -> None:
        """Revoke every token (as iiko does after an hour or on a key change): the next call gets 401."""
        self.tokens.clear()

    def reset(self) -> None:
        for items in (self.organizations, self.terminal_groups, self.sections, self.groups, self.products):
            items.clear()
        for mapping in (self.guests, self.reserves, self.commands, self.tokens):
            mapping.clear()
        self.api_logins.clear()
        self.seen.clear()
        self._failures.clear()
        self._command_errors.clear()
        self.tokens_issued = 0

    def calls(self, method: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == f"/api/1/{method}"]

    # --- dispatch ----------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        method = request.path_params["method"]
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else {}
        except ValueError:
            body = None
        seen = Seen(request.method, request.url.path, request.headers.get("authorization", ""), body, time.time())
        self.seen.append(seen)
        response = await self._answer(request, method, body)
        seen.status = response.status_code
        return response

    async def _answer(self, request: Request, method: str, body: Any) -> Response:
        failure = next((f for f in self._failures if f.path in (None, method)), None)
        if failure is not None:
            self._failures.remove(failure)
            return await self._fail(request, failure)
        handler = self._routes.get(method)
        if handler is None:
            return _error(404, "Not found")
        if not isinstance(body, dict):
            return _error(400, "Request body is not a valid JSON object")
        if method != "access_token":
            token = request.headers.get("authorization", "").removeprefix("Bearer ")
            if self.tokens.get(token, 0.0) <= time.time():
                return _error(401, "Unauthorized")
        return handler(body)

    async def _fail(self, request: Request, failure: Failure) -> Response:
        if failure.kind == "rate_limited":
            response = _error(429, "Too many requests", "TooManyRequests")
            response.headers["Retry-After"] = str(failure.retry_after)
            return response
        if failure.kind == "server_error":
            return _error(500, "Internal server error")
        if failure.kind == "request_timeout":
            return _error(408, "Request timeout")
        if failure.kind == "stale_token":
            return _error(401, "Unauthorized")
        if failure.kind == "timeout":
            deadline = time.monotonic() + self.hold_seconds
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.02)
            return _error(500, "held")
        return PlainTextResponse("<html>502 Bad Gateway</html>", media_type="text/html")

    # --- methods -----------------------------------------------------------------------------------

    def _access_token(self, body: Body) -> Response:
        login = body.get("apiLogin")
        if not isinstance(login, str) or not login:
            return _error(400, "apiLogin is required")
        if login not in self.api_logins:
            return _error(401, f"Login '{login}' is not authorized")
        self.tokens_issued += 1
        expires = time.time() + self.token_ttl
        payload = json.dumps({"exp": expires, "jti": str(uuid.uuid4())}).encode()
        token = ".".join(
            base64.urlsafe_b64encode(part).decode().rstrip("=") for part in (b'{"alg":"HS256"}', payload, b"sig")
        )
        self.tokens[token] = expires
        return JSONResponse({"correlationId": str(uuid.uuid4()), "token": token})

    def _org_error(self, org_id: Any) -> Response | None:
        if not any(org["id"] == org_id for org in self.organizations):
            return _error(400, f"Organization {org_id} is not available for this apiLogin")
        return None

    def _organizations(self, body: Body) -> Response:
        wanted = body.get("organizationIds")
        found = [org for org in self.organizations if not wanted or org["id"] in wanted]
        return JSONResponse({"correlationId": str(uuid.uuid4()), "organizations": found})

    def _terminal_groups(self, body: Body) -> Response:
        org_ids = body.get("organizationIds")
        if not isinstance(org_ids, list) or not org_ids:
            return _error(400, "organizationIds is required")
        wrappers = [
            {"organizationId": org_id, "items": [g for g in self.terminal_groups if g["organizationId"] == org_id]}
            for org_id in org_ids
        ]
        return JSONResponse(
            {"correlationId": str(uuid.uuid4()), "terminalGroups": wrappers, "terminalGroupsInSleep": []}
        )

    def _nomenclature(self, body: Body) -> Response:
        if error := self._org_error(body.get("organizationId")):
            return error
        menu = {"groups": self.groups, "productCategories": [], "products": self.products, "sizes": [], "revision": 7}
        return JSONResponse({"correlationId": str(uuid.uuid4()), **menu})

    def _sections(self, body: Body) -> Response:
        groups = body.get("terminalGroupIds")
        if not isinstance(groups, list) or not groups:
            return _error(400, "terminalGroupIds is required")
        found = [section for section in self.sections if section["terminalGroupId"] in groups]
        return JSONResponse({"correlationId": str(uuid.uuid4()), "restaurantSections": found, "revision": 1})

    def _workload(self, body: Body) -> Response:
        section_ids, since, until = body.get("restaurantSectionIds"), _parse(body.get("dateFrom")), body.get("dateTo")
        if not isinstance(section_ids, list) or since is None or (until is not None and _parse(until) is None):
            return _error(400, "restaurantSectionIds and dateFrom (yyyy-MM-dd HH:mm:ss.fff) are required")
        tables = {t["id"] for s in self.sections if s["id"] in section_ids for t in s["tables"]}
        upto = _parse(until) or datetime.max
        found = [
            {k: r[k] for k in ("id", "tableIds", "estimatedStartTime", "durationInMinutes", "guestsCount")}
            for r in self.reserves.values()
            if r["status"] == "New" and tables.intersection(r["tableIds"]) and since <= _start(r) <= upto
        ]
        return JSONResponse({"correlationId": str(uuid.uuid4()), "reserves": found})

    def _command(self, org_id: str, on_success: Callable[[], None], error: str | None = None) -> str:
        correlation_id = str(uuid.uuid4())
        error = self._command_errors.pop(0) if self._command_errors else error
        self.commands[correlation_id] = Command(org_id, self.command_polls, error, on_success)
        return correlation_id

    def _reserve_create(self, body: Body) -> Response:
        required = ("organizationId", "customer", "phone", "durationInMinutes", "shouldRemind", "tableIds")
        missing = [name for name in (*required, "estimatedStartTime") if body.get(name) is None]
        if missing:
            return _error(400, f"Required fields are missing: {', '.join(missing)}")
        if error := self._org_error(body["organizationId"]):
            return error
        start = _parse(body["estimatedStartTime"])
        if start is None:
            return _error(400, "estimatedStartTime must be in format yyyy-MM-dd HH:mm:ss.fff")
        if start > datetime.now() + timedelta(days=90):
            return _error(400, "Reservation can be made up to 90 days prior to the date")
        if not PHONE.match(str(body["phone"])):
            return _error(400, "Phone must begin with symbol '+' and must be at least 8 digits", "InvalidPhone")
        customer = body["customer"]
        if not isinstance(customer, dict) or customer.get("type") != "regular" or not customer.get("name"):
            return _error(400, "Customer name is not specified", "CustomerNameNotSpecified")
        if not set(body["tableIds"]) <= set(self.table_ids()) or not body["tableIds"]:
            return _error(400, "Table not found")
        reserve_id = str(body.get("id") or uuid.uuid4())
        if reserve_id in self.reserves:
            return _error(400, f"Reserve {reserve_id} already exists", "DuplicatedOrderId")
        minutes = int(body["durationInMinutes"])
        busy = any(
            set(r["tableIds"]) & set(body["tableIds"])
            and r["status"] == "New"
            and _start(r) < start + timedelta(minutes=minutes)
            and start < _start(r) + timedelta(minutes=r["durationInMinutes"])
            for r in self.reserves.values()
        )
        reserve = {
            "id": reserve_id,
            "tableIds": list(body["tableIds"]),
            "estimatedStartTime": body["estimatedStartTime"],
            "durationInMinutes": minutes,
            "guestsCount": int((body.get("guests") or {}).get("count") or body.get("guestsCount") or 1),
            "status": "New",
            "phone": body["phone"],
            "customerName": customer["name"],
            "comment": body.get("comment", ""),
        }

        def created() -> None:
            self.reserves[reserve_id] = reserve
            if not any(g["phone"] == body["phone"] for g in self.guests.values()):
                self.add_guest(body["phone"], customer["name"])

        correlation_id = self._command(body["organizationId"], created, "Table is busy" if busy else None)
        info = {"id": reserve_id, "organizationId": body["organizationId"], "timestamp": int(time.time() * 1000)}
        info |= {"creationStatus": "InProgress", "errorInfo": None, "isDeleted": False, "reserve": None}
        return JSONResponse({"correlationId": correlation_id, "reserveInfo": info})

    def _reserve_cancel(self, body: Body) -> Response:
        if error := self._org_error(body.get("organizationId")):
            return error
        reserve = self.reserves.get(str(body.get("reserveId")))
        if reserve is None:
            return _error(400, f"Reserve {body.get('reserveId')} not found")
        if body.get("cancelReason") not in ("ClientNotAppeared", "ClientRefused", "Other"):
            return _error(400, "cancelReason must be ClientNotAppeared, ClientRefused or Other")

        def cancelled() -> None:
            reserve["status"] = "Cancelled"
            reserve["cancelReason"] = body["cancelReason"]

        status_error = None if reserve["status"] == "New" else "Only reserves with status New can be cancelled"
        return JSONResponse({"correlationId": self._command(body["organizationId"], cancelled, status_error)})

    def _command_status(self, body: Body) -> Response:
        command = self.commands.get(str(body.get("correlationId")))
        if command is None or command.organization_id != body.get("organizationId"):
            return _error(400, "Command not found")
        if command.state == "InProgress":
            if command.polls_left > 0:
                command.polls_left -= 1
                return JSONResponse({"state": "InProgress"})
            command.state = "Error" if command.error else "Success"
            if command.state == "Success":
                command.on_success()
        if command.state == "Error":
            return JSONResponse({"state": "Error", "errorReason": command.error, "exception": None})
        return JSONResponse({"state": "Success"})

    def _find_guest(self, phone: Any) -> Body | None:
        return next((guest for guest in self.guests.values() if guest["phone"] == phone), None)

    def _customer_info(self, body: Body) -> Response:
        if body.get("type") != "phone" or not body.get("phone"):
            return _error(400, "type and phone are required")
        if error := self._org_error(body.get("organizationId")):
            return error
        guest = self._find_guest(body["phone"])
        if guest is None:
            return _error(400, f"There is no user with phone {body['phone']}")
        return JSONResponse({**guest, "cards": [], "categories": [], "walletBalances": [], "isDeleted": False})

    def _customer_upsert(self, body: Body) -> Response:
        if error := self._org_error(body.get("organizationId")):
            return error
        phone = body.get("phone")
        if not phone and not body.get("id"):
            return _error(400, "Not empty phone or cardTrack or id is required")
        if phone and not PHONE.match(str(phone)):
            return _error(400, "Invalid phone", "InvalidPhone")
        guest = self._find_guest(phone) or self.guests.get(str(body.get("id")))
        if guest is None:
            guest_id = self.add_guest(str(phone), str(body.get("name") or ""), email=str(body.get("email") or ""))
            return JSONResponse({"id": guest_id})
        guest.update({k: v for k, v in body.items() if k in ("name", "email") and v})
        return JSONResponse({"id": guest["id"]})
