"""A fake EasyWeek public API v2 under `/api/public/v2`: locations, services, staffers, time slots
computed from working hours and bookings, customers by phone, and bookings (create, read, cancel).

It checks what EasyWeek checks (reference/crm-and-channels.md §3): `Authorization: Bearer <key>` (401
`{"message":"Unauthenticated."}`) and the `Workspace` header matching the key (403); lists are paged as
`{"data","links":{"next"},"meta"}`; a taken time is a Laravel-style 422. Serve it with
`tests.fakes.runner.serve(fake.app)` and point the adapter at `<url>/api/public/v2`.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

PREFIX = "/api/public/v2"
FAILURES = ("rate_limited", "server_error", "timeout", "garbage")
Body = dict[str, Any]
Endpoint = Callable[[Request], Awaitable[Response]]


def _message(status: int, message: str, errors: dict[str, list[str]] | None = None) -> JSONResponse:
    body: Body = {"message": message}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=status)


@dataclass
class Seen:
    method: str
    path: str  # under /api/public/v2
    query: dict[str, str]
    authorization: str
    workspace: str
    accept: str
    body: Any
    at: float
    status: int = 0


@dataclass
class FakeEasyWeek:
    hold_seconds: float = 2.0
    link_host: str | None = None  # set to make `links.next` point at another host
    keys: dict[str, str] = field(default_factory=dict)  # API key -> workspace slug
    locations: list[Body] = field(default_factory=list)
    services: dict[str, list[Body]] = field(default_factory=dict)  # location uuid -> services
    staffers: dict[str, list[Body]] = field(default_factory=dict)
    hours: tuple[int, int] = (10, 18)  # every staffer works 10:00-18:00 local, every day
    customers: list[Body] = field(default_factory=list)
    bookings: dict[str, Body] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    _failures: list[tuple[str, int, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        endpoints: list[tuple[str, Endpoint, list[str]]] = [
            ("/ping", self._ping, ["GET"]),
            ("/locations", self._locations, ["GET"]),
            ("/locations/{location}/services", self._services, ["GET"]),
            ("/locations/{location}/staffers", self._staffers, ["GET"]),
            ("/locations/{location}/time-slots", self._time_slots, ["GET"]),
            ("/customers", self._customers, ["GET"]),
            ("/bookings", self._create_booking, ["POST"]),
            ("/bookings/{booking}", self._get_booking, ["GET"]),
            ("/bookings/{booking}/status/cancel", self._cancel, ["PUT"]),
        ]
        routes = [Route(path, self._guarded(handler), methods=methods) for path, handler, methods in endpoints]
        self.app = Starlette(routes=[Mount(PREFIX, routes=routes)])

    # --- seeding -----------------------------------------------------------------------------------

    def add_location(self, name: str, timezone: str = "Europe/Moscow") -> str:
        location_id = str(uuid.uuid4())
        zone = {"name": timezone, "offset": datetime.now(ZoneInfo(timezone)).strftime("%z"), "short": ""}
        self.locations.append({"uuid": location_id, "name": name, "timezone": zone, "address": {"city": "Moscow"}})
        self.services[location_id], self.staffers[location_id] = [], []
        return location_id

    def add_service(self, location_id: str, name: str, price: float, minutes: int, category: str = "") -> str:
        service_id = str(uuid.uuid4())
        hours, rest = divmod(minutes, 60)
        duration = {
            "value": minutes,
            "label": f"{minutes} min",
            "iso_8601": f"PT{hours}H{rest}M" if hours else f"PT{rest}M",
        }
        self.services[location_id].append(
            {"uuid": service_id, "name": name, "description": "", "price": price, "currency": "RUB"}
            | {"duration": duration, "category": {"uuid": str(uuid.uuid4()), "name": category} if category else None}
        )
        return service_id

    def add_staffer(self, location_id: str, first_name: str, last_name: str = "", position: str = "") -> str:
        staffer_id = str(uuid.uuid4())
        person = {"uuid": staffer_id, "first_name": first_name, "last_name": last_name, "position": position}
        self.staffers[location_id].append(person | {"avatar": None})
        return staffer_id

    def add_customer(self, phone: str, first_name: str, last_name: str = "", email: str = "") -> str:
        customer_id = str(uuid.uuid4())
        self.customers.append(
            {"uuid": customer_id, "phone": phone, "first_name": first_name, "last_name": last_name, "email": email}
        )
        return customer_id

    def seed_catalog(self, services: int = 5000, staff: int = 200, location_id: str | None = None) -> str:
        location_id = location_id or self.add_location("Big salon")
        for n in range(services):
            self.add_service(location_id, f"Service {n}", 1000 + n, 30 + 15 * (n % 4), f"Category {n % 20}")
        for n in range(staff):
            self.add_staffer(location_id, f"Master{n}", "Lee", "Stylist")
        return location_id

    def fail_next(self, kind: str, times: int = 1, *, retry_after: int = 1, path: str | None = None) -> None:
        """The next `times` requests (to `path` under /api/public/v2, when given) fail as `kind`."""
        assert kind in FAILURES, kind
        self._failures.extend([(kind, retry_after, path)] * times)

    def reset(self) -> None:
        self.link_host = None
        for mapping in (self.keys, self.services, self.staffers, self.bookings):
            mapping.clear()
        for items in (self.locations, self.customers, self.seen, self._failures):
            items.clear()

    def calls(self, path: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.path == path]

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
        headers = request.headers
        path = request.url.path.removeprefix(PREFIX)
        seen = Seen(
            request.method, path, dict(request.query_params), headers.get("authorization", ""),
            headers.get("workspace", ""), headers.get("accept", ""), body, time.time(),
        )  # fmt: skip
        self.seen.append(seen)
        failure = next((f for f in self._failures if f[2] in (None, path)), None)
        if failure is not None:
            self._failures.remove(failure)
            return seen, await self._fail(request, failure[0], failure[1])
        key = headers.get("authorization", "").removeprefix("Bearer ")
        if not headers.get("authorization", "").startswith("Bearer ") or key not in self.keys:
            return seen, _message(401, "Unauthenticated.")
        if headers.get("workspace") != self.keys[key]:
            return seen, _message(403, "This action is unauthorized.")
        return seen, None

    async def _fail(self, request: Request, kind: str, retry_after: int) -> Response:
        if kind == "rate_limited":
            return JSONResponse(
                {"message": "Too Many Attempts."}, status_code=429, headers={"Retry-After": str(retry_after)}
            )
        if kind == "server_error":
            return _message(500, "Server Error")
        if kind == "timeout":
            deadline = time.monotonic() + self.hold_seconds
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.02)
            return _message(504, "Gateway Timeout")
        return PlainTextResponse("<html><body>Bad gateway</body></html>", media_type="text/html")

    # --- endpoints ---------------------------------------------------------------------------------

    def _page(self, request: Request, items: list[Body]) -> JSONResponse:
        try:
            page = max(1, int(request.query_params.get("page", "1")))
            per_page = min(100, max(1, int(request.query_params.get("per_page", "15"))))
        except ValueError:
            return _message(422, "The page must be an integer.", {"page": ["The page must be an integer."]})
        last = max(1, -(-len(items) // per_page))
        following = None
        if page < last:
            query = {**request.query_params, "page": str(page + 1), "per_page": str(per_page)}
            host = self.link_host or request.url.netloc
            following = f"{request.url.scheme}://{host}{request.url.path}?{urlencode(query)}"
        return JSONResponse(
            {
                "data": items[(page - 1) * per_page : page * per_page],
                "links": {"first": None, "last": None, "prev": None, "next": following},
                "meta": {"current_page": page, "last_page": last, "per_page": per_page, "total": len(items)},
            }
        )

    def _location(self, request: Request) -> Body | None:
        return next((loc for loc in self.locations if loc["uuid"] == request.path_params["location"]), None)

    async def _ping(self, request: Request) -> Response:
        return JSONResponse({"ping": "pong"})

    async def _locations(self, request: Request) -> Response:
        return self._page(request, self.locations)

    async def _services(self, request: Request) -> Response:
        if self._location(request) is None:
            return _message(404, "Location not found.")
        return self._page(request, self.services[request.path_params["location"]])

    async def _staffers(self, request: Request) -> Response:
        if self._location(request) is None:
            return _message(404, "Location not found.")
        return self._page(request, self.staffers[request.path_params["location"]])

    def _busy(self, staffer_id: str, start: datetime, minutes: int) -> bool:
        end = start + timedelta(minutes=minutes)
        for booking in self.bookings.values():
            if booking["staffer_uuid"] != staffer_id or booking["status"] == "canceled":
                continue
            taken = datetime.fromisoformat(booking["reserved_on"])
            if taken < end and start < taken + timedelta(minutes=booking["duration"]):
                return True
        return False

    def _free_staffer(self, location_id: str, service: Body, start: datetime, staffer_id: str | None) -> str | None:
        local = start.astimezone(ZoneInfo(self._zone(location_id)))
        minutes = service["duration"]["value"]
        opens = local.replace(hour=self.hours[0], minute=0, second=0, microsecond=0)
        if local < opens or local + timedelta(minutes=minutes) > opens.replace(hour=self.hours[1]):
            return None
        for staffer in self.staffers[location_id]:
            if staffer_id in (None, staffer["uuid"]) and not self._busy(staffer["uuid"], start, minutes):
                return str(staffer["uuid"])
        return None

    def _zone(self, location_id: str) -> str:
        return str(next(loc for loc in self.locations if loc["uuid"] == location_id)["timezone"]["name"])

    def _service(self, location_id: str, service_id: Any) -> Body | None:
        return next((s for s in self.services.get(location_id, []) if s["uuid"] == service_id), None)

    async def _time_slots(self, request: Request) -> Response:
        location, query = self._location(request), request.query_params
        if location is None:
            return _message(404, "Location not found.")
        service = self._service(location["uuid"], query.get("service_uuid"))
        try:
            first, last = date.fromisoformat(query["range_start"]), date.fromisoformat(query["range_end"])
            zone = ZoneInfo(query.get("timezone") or location["timezone"]["name"])
        except (KeyError, ValueError):
            return _message(422, "The range is invalid.", {"range_start": ["The range start is required."]})
        if service is None:
            return _message(422, "The selected service uuid is invalid.", {"service_uuid": ["invalid"]})
        if (last - first).days > 92:
            return _message(422, "The range is too long.", {"range_end": ["At most 3 months."]})
        minutes, dates = service["duration"]["value"], []
        for offset in range((last - first).days + 1):
            day = first + timedelta(days=offset)
            slots = []
            for step in range(self.hours[0] * 2, self.hours[1] * 2):
                start = datetime(day.year, day.month, day.day, step // 2, 30 * (step % 2), tzinfo=zone)
                if self._free_staffer(location["uuid"], service, start, query.get("staffer_uuid")):
                    end = start + timedelta(minutes=minutes)
                    slots.append({"start": start.isoformat(), "end": end.isoformat(), "price": service["price"]})
            dates.append({"date": day.isoformat(), "slots": [slot | {"quantity": 1} for slot in slots]})
        return JSONResponse({"data": {"dates": dates, "timezone": zone.key, "currency": "RUB"}})

    async def _customers(self, request: Request) -> Response:
        phone = request.query_params.get("phone")
        return self._page(request, [c for c in self.customers if phone is None or c["phone"] == phone])

    async def _create_booking(self, request: Request) -> Response:
        body = (await _json(request)) or {}
        required = ("location_uuid", "service_uuid", "reserved_on", "customer_phone", "customer_first_name")
        errors = {name: [f"The {name.replace('_', ' ')} field is required."] for name in required if not body.get(name)}
        if errors:
            return _message(422, next(iter(errors.values()))[0], errors)
        location_id = body["location_uuid"]
        service = self._service(location_id, body["service_uuid"])
        if service is None:
            return _message(422, "The selected service uuid is invalid.", {"service_uuid": ["invalid"]})
        if not str(body["customer_phone"]).startswith("+"):
            return _message(422, "The customer phone format is invalid.", {"customer_phone": ["invalid"]})
        try:
            start = datetime.fromisoformat(body["reserved_on"])
        except ValueError:
            return _message(422, "The reserved on is not a valid date.", {"reserved_on": ["invalid"]})
        staffer = self._free_staffer(location_id, service, start, body.get("staffer_uuid"))
        if staffer is None:
            message = "The selected time is not available."
            return _message(422, message, {"reserved_on": [message]})
        customer = next((c for c in self.customers if c["phone"] == body["customer_phone"]), None)
        if customer is None:
            self.add_customer(
                body["customer_phone"], body["customer_first_name"], body.get("customer_last_name", ""),
                body.get("customer_email", ""),
            )  # fmt: skip
            customer = self.customers[-1]
        booking_id = str(uuid.uuid4())
        self.bookings[booking_id] = {
            "uuid": booking_id,
            "location_uuid": location_id,
            "service_uuid": service["uuid"],
            "staffer_uuid": staffer,
            "reserved_on": start.isoformat(),
            "duration": service["duration"]["value"],
            "timezone": body.get("timezone"),
            "status": "booked",
            "booking_comment": body.get("booking_comment", ""),
            "source": body.get("source"),
            "customer": customer,
        }
        return JSONResponse({"data": self.bookings[booking_id]}, status_code=201)

    async def _get_booking(self, request: Request) -> Response:
        booking = self.bookings.get(request.path_params["booking"])
        return JSONResponse({"data": booking}) if booking else _message(404, "Booking not found.")

    async def _cancel(self, request: Request) -> Response:
        booking = self.bookings.get(request.path_params["booking"])
        if booking is None:
            return _message(404, "Booking not found.")
        body = (await _json(request)) or {}
        if not body.get("cancel_reason"):
            return _message(422, "The cancel reason field is required.", {"cancel_reason": ["required"]})
        if booking["status"] == "canceled":
            return _message(422, "The booking is already canceled.", {"status": ["already canceled"]})
        booking |= {"status": "canceled", "cancel_reason": body["cancel_reason"]}
        return JSONResponse({"data": booking})


async def _json(request: Request) -> Body | None:
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None
    return body if isinstance(body, dict) else None
