"""A fake Bitrix24 portal answering an incoming webhook: `/rest/<user_id>/<code>/<method>[.json]`.

It checks what Bitrix24 checks (the webhook's user and secret code in the path, the webhook's
permissions per method, required parameters), answers with Bitrix24's shapes and error bodies
(reference/crm-and-channels.md §4 and the official REST docs), pages lists by 50 (`start`, `next`,
`total`), and throttles like the cloud: a leaky bucket that drains `drain` requests a second and
answers 503 QUERY_LIMIT_EXCEEDED once more than `burst` requests are queued.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

USER_ID = 1
CODE = "abc123def456ghi7"
FAILURES = ("rate_limited", "server_error", "timeout", "garbage", "error")
WEEK = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

Params = dict[str, Any]


class BitrixError(Exception):
    def __init__(self, status: int, error: str | int, description: str) -> None:
        super().__init__(description)
        self.status, self.error, self.description = status, error, description


@dataclass
class Seen:
    """One request as the portal saw it (the secret code is kept as its last 4 characters)."""

    method: str
    http_method: str
    user_id: int
    code_tail: str
    params: Params
    content_type: str
    at: float = field(default_factory=time.monotonic)


def _arg(params: Params, name: str, default: Any = None) -> Any:
    """crm.* methods take FIELDS/fields, FILTER/filter...: look a key up in any case."""
    for key in (name, name.upper(), name.lower()):
        if key in params:
            return params[key]
    return default


def _need(params: Params, name: str) -> Any:
    value = _arg(params, name)
    if value is None:
        raise BitrixError(400, 100, f"Could not find value for parameter {{{name}}}")
    return value


def _period(raw: Any) -> tuple[int, int, str]:
    period = raw if isinstance(raw, dict) else {}
    start, end = period.get("from"), period.get("to")
    if not isinstance(start, dict) or not isinstance(end, dict):
        raise BitrixError(400, 0, "Required fields: datePeriod")
    begin, finish = start.get("timestamp"), end.get("timestamp")
    zone = start.get("timezone")
    if not isinstance(begin, int) or not isinstance(finish, int) or begin >= finish or not isinstance(zone, str):
        raise BitrixError(400, 422, "Invalid date period")
    return begin, finish, zone


class FakeBitrix24:
    """One portal with one webhook: users, booking resources with slot templates, bookings,
    CRM contacts and deals, every request seen, and failures to inject."""

    def __init__(
        self,
        *,
        user_id: int = USER_ID,
        code: str = CODE,
        scopes: tuple[str, ...] = ("crm", "user", "booking"),
        burst: int = 50,
        drain: float = 2.0,
        page_size: int = 50,
        timeout_delay: float = 2.0,
    ) -> None:
        self.user_id, self.code, self.scopes = user_id, code, list(scopes)
        self.burst, self.drain, self.page_size, self.timeout_delay = burst, drain, page_size, timeout_delay
        self.users: dict[int, dict[str, Any]] = {}
        self.resources: dict[int, dict[str, Any]] = {}
        self.templates: dict[int, list[dict[str, Any]]] = {}
        self.bookings: dict[int, dict[str, Any]] = {}
        self.booking_clients: dict[int, list[dict[str, Any]]] = {}
        self.deleted_bookings: dict[int, dict[str, Any]] = {}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.deals: dict[int, dict[str, Any]] = {}
        self.requests: list[Seen] = []
        self._ids = iter(range(100, 10**9))
        self._failures: list[tuple[str, dict[str, Any]]] = []
        self._level, self._drained_at = 0.0, time.monotonic()
        self.add_user("Admin", "Adminov", user_id=user_id, position="Director")
        self._methods: dict[str, Callable[[Params], Any]] = {
            "profile": self._profile,
            "scope": lambda params: list(self.scopes),
            "user.get": self._user_get,
            "booking.v1.resource.list": self._resource_list,
            "booking.v1.resource.slots.list": self._slots_list,
            "booking.v1.booking.list": self._booking_list,
            "booking.v1.booking.add": self._booking_add,
            "booking.v1.booking.client.set": self._client_set,
            "booking.v1.booking.delete": self._booking_delete,
            "crm.duplicate.findbycomm": self._find_by_comm,
            "crm.contact.get": self._contact_get,
            "crm.contact.add": self._contact_add,
            "crm.deal.add": self._deal_add,
            "crm.deal.update": self._deal_update,
        }
        self.app = Starlette(routes=[Route("/rest/{user_id}/{code}/{method}", self._handle, methods=["GET", "POST"])])

    # --- seeding -------------------------------------------------------------------------------

    def add_user(
        self, name: str, last_name: str = "", *, user_id: int = 0, position: str = "", active: bool = True
    ) -> int:
        user_id = user_id or next(self._ids)
        self.users[user_id] = {
            "ID": str(user_id),
            "ACTIVE": active,
            "NAME": name,
            "LAST_NAME": last_name,
            "EMAIL": f"user{user_id}@example.com",
            "WORK_POSITION": position,
            "UF_DEPARTMENT": [1],
        }
        return user_id

    def add_resource(self, name: str, *, slots: list[dict[str, Any]] | None = None, type_id: int = 1) -> int:
        """A bookable resource; `slots` is its template (see `window`), none = no booking hours set."""
        resource_id = next(self._ids)
        self.resources[resource_id] = {
            "id": resource_id,
            "name": name,
            "typeId": type_id,
            "isMain": "Y",
            "description": None,
        }
        if slots:
            self.templates[resource_id] = [{"id": next(self._ids), **slot} for slot in slots]
        return resource_id

    def add_booking(self, resource_ids: list[int], start: datetime, end: datetime, name: str = "Busy") -> int:
        booking_id = next(self._ids)
        zone = str(getattr(start.tzinfo, "key", "UTC"))
        self.bookings[booking_id] = {
            "id": booking_id,
            "name": name,
            "description": None,
            "resourceIds": list(resource_ids),
            "datePeriod": {
                "from": {"timestamp": int(start.timestamp()), "timezone": zone},
                "to": {"timestamp": int(end.timestamp()), "timezone": zone},
            },
        }
        return booking_id

    def add_contact(self, name: str, phones: list[str], emails: list[str] | None = None, last_name: str = "") -> int:
        contact_id = next(self._ids)
        self.contacts[contact_id] = {
            "ID": str(contact_id),
            "NAME": name,
            "LAST_NAME": last_name,
            "PHONE": [
                {"ID": str(next(self._ids)), "VALUE_TYPE": "WORK", "VALUE": p, "TYPE_ID": "PHONE"} for p in phones
            ],
            "EMAIL": [
                {"ID": str(next(self._ids)), "VALUE_TYPE": "WORK", "VALUE": e, "TYPE_ID": "EMAIL"} for e in emails or []
            ],
        }
        return contact_id

    def seed_catalog(self, services: int = 5000, staff: int = 200) -> None:
        """Many resources (each with a template) and users, for paging and benchmarks."""
        for n in range(services):
            self.add_resource(f"Resource {n + 1}", slots=[window(540, 1080, WEEK[:5], 30)])
        for n in range(staff):
            self.add_user(f"Employee{n + 1}", "Test", position="Master")

    def fail_next(
        self,
        kind: str,
        times: int = 1,
        *,
        method: str | None = None,
        status: int = 400,
        error: str | int = "",
        description: str = "",
    ) -> None:
        """The next `times` requests (of `method`, when given) fail: rate_limited (503
        QUERY_LIMIT_EXCEEDED), server_error, timeout, garbage (non-JSON 200), or error (`status` with
        `error`/`description`)."""
        assert kind in FAILURES, kind
        options = {"method": method, "status": status, "error": error, "description": description}
        self._failures.extend([(kind, options)] * times)

    def reset(self) -> None:
        """Forget requests, pending failures and the bucket's level (the data stays)."""
        self.requests.clear()
        self._failures.clear()
        self._level, self._drained_at = 0.0, time.monotonic()

    def methods_seen(self) -> list[str]:
        return [seen.method for seen in self.requests]

    # --- transport -----------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        method = request.path_params["method"].removesuffix(".json")
        user_id, code = request.path_params["user_id"], request.path_params["code"]
        params = await _params(request)
        seen = Seen(
            method,
            request.method,
            int(user_id) if user_id.isdigit() else -1,
            code[-4:],
            params or {},
            request.headers.get("content-type", ""),
        )
        self.requests.append(seen)
        if not self._admit():
            return _error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        failure = next((f for f in self._failures if f[1]["method"] in (None, method)), None)
        if failure is not None:
            self._failures.remove(failure)
            return await self._fail(request, *failure)
        if user_id != str(self.user_id) or code != self.code:
            return _error(401, "NO_AUTH_FOUND", "Wrong authorization data")
        handler = self._methods.get(method)
        if handler is None:
            return _error(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
        scope = method.split(".", 1)[0]
        if scope in ("crm", "user", "booking") and scope not in self.scopes:
            # the official system-errors page says 401; our reference notes 403 — the code is what matters
            return _error(
                401, "insufficient_scope", "The request requires higher privileges than provided by the webhook token"
            )
        if params is None:
            return _error(400, "INVALID_REQUEST", "Invalid JSON body")
        try:
            answer = handler(params)
        except BitrixError as exc:
            return _error(exc.status, exc.error, exc.description)
        if isinstance(answer, _Page):
            return _ok(answer.result, total=answer.total, next_start=answer.next_start)
        return _ok(answer)

    def _admit(self) -> bool:
        """The cloud's leaky bucket: it drains `drain`/s; a request over `burst` queued is refused."""
        now = time.monotonic()
        self._level = max(0.0, self._level - (now - self._drained_at) * self.drain)
        self._drained_at = now
        if self._level + 1 > self.burst:
            return False
        self._level += 1
        return True

    async def _fail(self, request: Request, kind: str, options: dict[str, Any]) -> Response:
        if kind == "rate_limited":
            return _error(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
        if kind == "server_error":
            return _error(500, "INTERNAL_SERVER_ERROR", "Internal server error")
        if kind == "timeout":
            deadline = time.monotonic() + self.timeout_delay
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.02)
            return _error(504, "INTERNAL_SERVER_ERROR", "Gateway timeout")
        if kind == "garbage":
            return PlainTextResponse("<html><body>502 Bad Gateway</body></html>", media_type="text/html")
        return _error(options["status"], options["error"], options["description"])

    def _page(self, rows: list[Any], params: Params) -> _Page:
        start = _arg(params, "start", 0)
        start = int(start) if isinstance(start, int | str) and str(start).isdigit() else 0
        chunk = rows[start : start + self.page_size]
        following = start + self.page_size if start + self.page_size < len(rows) else None
        return _Page(chunk, len(rows), following)

    # --- methods -------------------------------------------------------------------------------

    def _profile(self, params: Params) -> Any:
        user = self.users[self.user_id]
        return {"ID": user["ID"], "ADMIN": True, "NAME": user["NAME"], "LAST_NAME": user["LAST_NAME"]}

    def _user_get(self, params: Params) -> Any:
        wanted = _arg(params, "filter", {}) or {}
        active = wanted.get("ACTIVE") if isinstance(wanted, dict) else None
        rows = [u for _, u in sorted(self.users.items()) if active is None or u["ACTIVE"] == bool(active)]
        return self._page(rows, params)

    def _resource_list(self, params: Params) -> Any:
        page = self._page([r for _, r in sorted(self.resources.items())], params)
        return _Page({"resource": page.result}, page.total, page.next_start)

    def _slots_list(self, params: Params) -> Any:
        resource = _need(params, "resourceId")
        if not isinstance(resource, int) or resource not in self.resources:
            raise BitrixError(400, 1009, "Resource not found")
        return {"slots": self.templates.get(resource, [])}

    def _booking_list(self, params: Params) -> Any:
        rows = list(self.bookings.values())
        within = (_arg(params, "filter", {}) or {}).get("within")
        if within is not None:
            start, end = within.get("dateFrom"), within.get("dateTo")
            if start is None or end is None:
                raise BitrixError(400, 0, "Required fields: dateFrom, dateTo")
            rows = [
                b
                for b in rows
                if b["datePeriod"]["from"]["timestamp"] < int(end) and b["datePeriod"]["to"]["timestamp"] > int(start)
            ]
        page = self._page(sorted(rows, key=lambda b: b["id"]), params)
        return _Page({"booking": page.result}, page.total, page.next_start)

    def _booking_add(self, params: Params) -> Any:
        fields = _need(params, "fields")
        resources = fields.get("resourceIds") if isinstance(fields, dict) else None
        if not isinstance(resources, list) or not resources or any(r not in self.resources for r in resources):
            raise BitrixError(400, 1018, "Empty resource collection")
        begin, finish, _ = _period(fields.get("datePeriod"))
        for other in self.bookings.values():
            span = other["datePeriod"]
            if (
                set(resources) & set(other["resourceIds"])
                and span["from"]["timestamp"] < finish
                and span["to"]["timestamp"] > begin
            ):
                raise BitrixError(400, 1018, "Resources are unavailable for the specified time period")
        booking_id = next(self._ids)
        self.bookings[booking_id] = {
            "id": booking_id,
            "name": str(fields.get("name") or ""),
            "description": fields.get("description"),
            "resourceIds": resources,
            "datePeriod": fields["datePeriod"],
        }
        return {"id": booking_id}

    def _client_set(self, params: Params) -> Any:
        booking = _need(params, "bookingId")
        clients = _need(params, "clients")
        if booking not in self.bookings:
            raise BitrixError(400, 1021, "Booking not found")
        for client in clients if isinstance(clients, list) else [{}]:
            client = client if isinstance(client, dict) else {}
            kind = client.get("type")
            if (
                not isinstance(kind, dict)
                or kind.get("module") != "crm"
                or kind.get("code") not in ("CONTACT", "COMPANY")
            ):
                raise BitrixError(400, 0, "Required fields: clients.type")
            if kind["code"] == "CONTACT" and client.get("id") not in self.contacts:
                raise BitrixError(400, 0, "Client not found")
        self.booking_clients[booking] = list(clients)
        return True

    def _booking_delete(self, params: Params) -> Any:
        booking = _need(params, "id")
        if booking not in self.bookings:
            raise BitrixError(400, 1021, "Booking not found")
        self.deleted_bookings[booking] = self.bookings.pop(booking)
        return True

    def _find_by_comm(self, params: Params) -> Any:
        kind, values = _arg(params, "type"), _arg(params, "values")
        if kind not in ("PHONE", "EMAIL"):
            raise BitrixError(400, "Communication type is not defined", "Parameter 'type' is required.")
        if not isinstance(values, list) or not values or len(values) > 20:
            raise BitrixError(400, "Communication values is not defined", "Parameter 'values' is required.")
        wanted = {str(v) for v in values}
        found = sorted(int(c["ID"]) for c in self.contacts.values() if wanted & {m["VALUE"] for m in c[kind]})
        return {"CONTACT": found} if found else []  # an empty match is a list, not an object

    def _contact_get(self, params: Params) -> Any:
        contact = self.contacts.get(_need(params, "id"))
        if contact is None:
            raise BitrixError(400, "", "Not found")
        return contact

    def _contact_add(self, params: Params) -> Any:
        fields = _need(params, "fields")
        if not isinstance(fields, dict) or not (fields.get("NAME") or fields.get("LAST_NAME")):
            raise BitrixError(400, "", "Required fields are not filled: Name")
        contact_id = self.add_contact(
            str(fields.get("NAME") or ""),
            [str(p.get("VALUE")) for p in fields.get("PHONE") or []],
            [str(e.get("VALUE")) for e in fields.get("EMAIL") or []],
            str(fields.get("LAST_NAME") or ""),
        )
        self.contacts[contact_id]["SOURCE_DESCRIPTION"] = fields.get("SOURCE_DESCRIPTION")
        return contact_id

    def _deal_add(self, params: Params) -> Any:
        fields = _need(params, "fields")
        if not isinstance(fields, dict) or not fields.get("TITLE"):
            raise BitrixError(400, "", "Required fields are not filled: Title")
        category = int(fields.get("CATEGORY_ID") or 0)
        deal_id = next(self._ids)
        stage = "NEW" if category == 0 else f"C{category}:NEW"
        self.deals[deal_id] = {"ID": str(deal_id), "STAGE_ID": stage, **fields, "CATEGORY_ID": category}
        return deal_id

    def _deal_update(self, params: Params) -> Any:
        deal = self.deals.get(_need(params, "id"))
        fields = _need(params, "fields")
        if deal is None:
            raise BitrixError(400, "", "Not found")
        stage = fields.get("STAGE_ID") if isinstance(fields, dict) else None
        if stage is not None:
            prefix = "" if deal["CATEGORY_ID"] == 0 else f"C{deal['CATEGORY_ID']}:"
            if not str(stage).startswith(prefix) or str(stage).removeprefix(prefix) not in ("NEW", "WON", "LOSE"):
                raise BitrixError(400, "", f"Stage {stage} does not belong to the deal's pipeline")
        deal.update(fields)
        return True


@dataclass
class _Page:
    result: Any
    total: int
    next_start: int | None


def window(start: int, end: int, days: list[str], size: int, zone: str = "Europe/Moscow") -> dict[str, Any]:
    """A slot-template line as `booking.v1.resource.slots.set` takes it (minutes of the day)."""
    return {"from": start, "to": end, "weekDays": days, "slotSize": size, "timezone": zone}


def _time() -> dict[str, Any]:
    now = time.time()
    stamp = datetime.now().astimezone().isoformat(timespec="seconds")
    return {
        "start": now,
        "finish": now + 0.01,
        "duration": 0.01,
        "processing": 0.005,
        "date_start": stamp,
        "date_finish": stamp,
        "operating_reset_at": int(now) + 600,
        "operating": 0,
    }


def _ok(result: Any, *, total: int | None = None, next_start: int | None = None) -> JSONResponse:
    body: dict[str, Any] = {"result": result}
    if next_start is not None:
        body["next"] = next_start
    if total is not None:
        body["total"] = total
    body["time"] = _time()
    return JSONResponse(body)


def _error(status: int, error: str | int, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=status)


async def _params(request: Request) -> Params | None:
    """Query parameters overlaid with a JSON body; None when the body is not a JSON object."""
    params: Params = dict(request.query_params)
    raw = await request.body()
    if request.method == "POST" and raw.strip():
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(body, dict):
            return None
        params.update(body)
    return params
