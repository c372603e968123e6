"""A fake YCLIENTS / Altegio REST API v1 (one platform): the company, services, staff, a working-hours
schedule, clients and records, under `/api/v1`.

It checks what the platform checks (reference/crm-and-channels.md §1-2, §16): the `Accept` header,
`Authorization: Bearer <partner>` on partner methods and `Bearer <partner>, User <user>` on user
methods (401 otherwise), the company in the path (404), required fields; and it answers in the v2
envelope `{"success", "data", "meta"}`, with `meta.message` on errors. Free time is computed from
the schedule and disappears once booked; booking a taken time answers 422 "time is busy".
Serve it with `tests.fakes.runner.serve(fake.app)`; the API is at `<url>/api/v1`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

ACCEPTED = {"application/vnd.yclients.v2+json", "application/vnd.api.v2+json", "application/json"}
AUTH = re.compile(r"Bearer ([^\s,]+)(?:, User ([^\s,]+))?")
FAILURES = ("rate_limited", "server_error", "timeout", "garbage", "license")
MAX_PAGE_SIZE = 200

MESSAGES = {
    "ru": {
        "partner": "Неверный токен партнёра",
        "user": "Необходима авторизация пользователя",
        "company": "Филиал не найден.",
        "service": "Услуга не найдена.",
        "record": "Запись не найдена.",
        "license": "Необходимо продлить лицензию в филиале с id {company}",
        "limit": "Превышен лимит запросов",
        "busy": "К сотруднику {name}({staff}) нельзя записаться на {when}. "
        "Выбранное время уже занято или является нерабочим.",
        "busy_code": "Не удалось сохранить запись 1",
        "required": "Не заполнено обязательное поле {name}",
        "phone": "Неверный формат телефона",
    },
    "en": {
        "partner": "Invalid partner token",
        "user": "User authorization is required",
        "company": "Location not found.",
        "service": "Service not found.",
        "record": "Appointment not found.",
        "license": "The license of location {company} must be renewed",
        "limit": "Too many requests",
        "busy": "The time is busy: team member {name}({staff}) cannot be booked at {when}.",
        "busy_code": "Appointment 1 could not be saved",
        "required": "The field {name} is required",
        "phone": "Invalid phone number",
    },
}

Handler = Callable[[Request, int, Any], Awaitable[Response]]


def ok(data: Any, meta: Any = None, status: int = 200) -> JSONResponse:
    return JSONResponse({"success": True, "data": data, "meta": [] if meta is None else meta}, status_code=status)


def error(status: int, message: str, **meta: Any) -> JSONResponse:
    body = {"success": False, "data": None, "meta": {"message": message, **meta}}
    return JSONResponse(body, status_code=status)


def phone_digits(value: Any) -> str:
    return "".join(ch for ch in str(value) if ch.isdigit())


@dataclass
class Seen:
    """One request as the fake saw it (the Authorization value is kept: tests assert its exact form)."""

    method: str
    path: str  # without the /api/v1 prefix
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: Any
    at: float = field(default_factory=time.monotonic)


class FakeYclients:
    """One company (location) with its catalog, schedule, clients and records; failures to inject."""

    def __init__(
        self,
        *,
        partner_token: str,
        user_token: str,
        company_id: int = 4564,
        title: str = "Барбершоп Пушкин",
        timezone: str = "Europe/Moscow",
        lang: str = "ru",
        e164_phones: bool = False,  # Altegio keeps "+13155550175"; YCLIENTS "79161234567"
        hours: tuple[int, int] = (10, 18),
        step_minutes: int = 60,
        timeout_delay: float = 2.0,
    ) -> None:
        self.partner_token, self.user_token = partner_token, user_token
        self.company = {"id": company_id, "title": title, "timezone": timezone, "phone_confirmation": False}
        self.tz = ZoneInfo(timezone)
        self.text = MESSAGES[lang]
        self.e164_phones = e164_phones
        self.hours, self.step = hours, timedelta(minutes=step_minutes)
        self.timeout_delay = timeout_delay
        self.categories: dict[int, dict[str, Any]] = {}
        self.services: dict[int, dict[str, Any]] = {}
        self.staff: dict[int, dict[str, Any]] = {}
        self.clients: dict[int, dict[str, Any]] = {}
        self.records: dict[int, dict[str, Any]] = {}
        self.days_off: set[date] = set()
        self.requests: list[Seen] = []
        self.legacy_auth_errors = False  # answer 401 as {"error_code", "error_message"}
        self.busy_with_code = False  # answer a taken time with error code 433 instead of the wording
        self._failures: list[tuple[str, int | None, str]] = []  # (kind, Retry-After, path prefix)
        self._ids = itertools.count(1000)
        partner, user, either = "partner", "user", "either"
        routes = [
            self._route("/company/{company:int}", self._company, "GET", partner),
            self._route("/user/permissions/{company:int}", self._permissions, "GET", user),
            self._route("/company/{company:int}/service_categories", self._categories, "GET", either),
            self._route("/company/{company:int}/services", self._services, "GET", user),
            self._route("/company/{company:int}/services/{service:int}", self._services, "GET", user),
            self._route("/company/{company:int}/staff", self._staff_list, "GET", either),
            self._route("/book_staff/{company:int}", self._book_staff, "GET", partner),
            self._route("/book_times/{company:int}/{staff:int}/{day}", self._book_times, "GET", partner),
            self._route("/company/{company:int}/clients/search", self._search_clients, "POST", user),
            self._route("/clients/{company:int}", self._create_client, "POST", user),
            self._route("/records/{company:int}", self._create_record, "POST", user),
            self._route("/record/{company:int}/{record:int}", self._delete_record, "DELETE", user),
        ]
        self.app = Starlette(routes=[Mount("/api/v1", routes=routes)])

    # --- Seeding ---------------------------------------------------------------------------------

    def add_category(self, title: str) -> int:
        cid = next(self._ids)
        self.categories[cid] = {"id": cid, "title": title, "api_id": "", "weight": 0, "staff": []}
        return cid

    def add_staff(self, name: str, position: str = "Барбер", *, fired: bool = False, hidden: bool = False) -> int:
        sid = next(self._ids)
        self.staff[sid] = {
            "id": sid,
            "name": name,
            "company_id": self.company["id"],
            "specialization": position.lower(),
            "position": {"id": 1, "title": position} if position else [],
            "avatar": "https://yclients.com/images/no-master-sm.png",
            "fired": int(fired),
            "status": 0,
            "hidden": int(hidden),
        }
        return sid

    def add_service(
        self,
        title: str,
        category_id: int,
        price_min: int,
        price_max: int | None = None,
        *,
        staff: dict[int, int],  # staff id -> seance length in seconds
        active: bool = True,
    ) -> int:
        sid = next(self._ids)
        self.services[sid] = {
            "id": sid,
            "title": title,
            "category_id": category_id,
            "price_min": price_min,
            "price_max": price_min if price_max is None else price_max,
            "active": int(active),
            "staff": dict(staff),
        }
        return sid

    def add_client(self, name: str, phone: str, email: str = "") -> int:
        cid = next(self._ids)
        self.clients[cid] = {"id": cid, "name": name, "phone": self._stored_phone(phone), "email": email}
        return cid

    def seed_catalog(self, services: int = 5000, staff: int = 200, *, seed: int = 7) -> None:
        """A large, deterministic catalog: `staff` people, `services` services each done by 1 to 3 of them."""
        rng = random.Random(seed)
        people = [self.add_staff(f"Мастер {n}", rng.choice(["Барбер", "Стилист", "Колорист"])) for n in range(staff)]
        groups = [self.add_category(f"Категория {n}") for n in range(max(1, services // 50))]
        for n in range(services):
            performers = {
                sid: rng.choice([1800, 2700, 3600]) for sid in rng.sample(people, min(len(people), rng.randint(1, 3)))
            }
            price = rng.randrange(500, 5000, 100)
            self.add_service(f"Услуга {n}", rng.choice(groups), price, price + rng.choice([0, 500]), staff=performers)

    def add_record(self, staff_id: int, service_id: int, start: datetime, client_id: int) -> int:
        """A booking made elsewhere (the admin's journal): its time is no longer free."""
        rid = next(self._ids)
        length = self.services[service_id]["staff"][staff_id]
        self.records[rid] = {
            "id": rid,
            "staff_id": staff_id,
            "services": [{"id": service_id}],
            "client_id": client_id,
            "start": start,
            "length": length,
            "comment": "",
            "deleted": False,
        }
        return rid

    def fail_next(self, kind: str, times: int = 1, *, retry_after: int | None = None, on: str = "") -> None:
        """The next `times` requests (to paths starting with `on`, if given) fail: rate_limited (429,
        Retry-After if given), server_error (500), timeout (held until the caller hangs up), garbage
        (non-JSON 200) or license (402)."""
        assert kind in FAILURES, kind
        self._failures.extend([(kind, retry_after, on)] * times)

    def clear_failures(self) -> None:
        self._failures.clear()

    def active_records(self) -> list[dict[str, Any]]:
        return [record for record in self.records.values() if not record["deleted"]]

    def calls(self, method: str | None = None) -> list[Seen]:
        return [seen for seen in self.requests if method is None or seen.method == method]

    def busiest_window(self, seconds: float = 1.0) -> int:
        """The most requests seen within any `seconds`-long window."""
        times = sorted(seen.at for seen in self.requests)
        return max((sum(1 for t in times[i:] if t < start + seconds) for i, start in enumerate(times)), default=0)

    # --- Plumbing --------------------------------------------------------------------------------

    def _route(self, path: str, handler: Handler, method: str, scope: str) -> Route:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            body: Any = None
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = ...
            headers = {k: request.headers.get(k, "") for k in ("authorization", "accept", "content-type")}
            rest = request.url.path.removeprefix("/api/v1")
            self.requests.append(Seen(method, rest, list(request.query_params.multi_items()), headers, body))
            failure = next((f for f in self._failures if rest.startswith(f[2])), None)
            if failure is not None:
                self._failures.remove(failure)
                return await self._fail(request, failure[0], failure[1])
            refused = self._check(headers, scope)
            if refused is not None:
                return refused
            if request.path_params["company"] != self.company["id"]:
                return error(404, self.text["company"])
            if method == "POST" and (body is ... or not headers["content-type"].startswith("application/json")):
                return error(400, "Bad Request")
            return await handler(request, request.path_params["company"], body)

        return Route(path, endpoint, methods=[method])

    def _check(self, headers: dict[str, str], scope: str) -> Response | None:
        if headers["accept"].split(";")[0].strip() not in ACCEPTED:
            return error(406, "Not Acceptable")
        match = AUTH.fullmatch(headers["authorization"])
        if match is None or match.group(1) != self.partner_token:
            return self._unauthorized(self.text["partner"])
        user = match.group(2)
        if (user is None and scope == "user") or (user is not None and user != self.user_token):
            return self._unauthorized(self.text["user"])
        return None

    def _unauthorized(self, message: str) -> JSONResponse:
        if self.legacy_auth_errors:
            return JSONResponse({"error_code": 20, "error_message": message}, status_code=401)
        return error(401, message)

    async def _fail(self, request: Request, kind: str, retry_after: int | None) -> Response:
        if kind == "rate_limited":
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
            response = error(429, self.text["limit"])
            response.headers.update(headers or {})
            return response
        if kind == "server_error":
            return error(500, "Internal Server Error")
        if kind == "timeout":
            deadline = time.monotonic() + self.timeout_delay
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.02)
            return error(504, "Gateway Timeout")
        if kind == "license":
            return error(402, self.text["license"].format(company=self.company["id"]))
        return PlainTextResponse("<html><body>502 Bad Gateway</body></html>", media_type="text/html")

    def _stored_phone(self, phone: str) -> str:
        digits = phone_digits(phone)
        return f"+{digits}" if self.e164_phones else digits

    # --- Catalog ---------------------------------------------------------------------------------

    async def _company(self, request: Request, company: int, body: Any) -> Response:
        return ok(self.company)

    async def _permissions(self, request: Request, company: int, body: Any) -> Response:
        return ok({"timetable": {"timetable_access": True, "master_id": 0}, "other": {"send_sms": True}})

    async def _categories(self, request: Request, company: int, body: Any) -> Response:
        data = list(self.categories.values())
        return ok(data, {"total_count": len(data)})

    async def _services(self, request: Request, company: int, body: Any) -> Response:
        wanted = request.path_params.get("service")
        if wanted is not None:
            if wanted not in self.services:
                return error(404, self.text["service"])
            return ok(self._service_json(self.services[wanted]))
        data = [self._service_json(service) for service in self.services.values()]
        return ok(data, {"total_count": len(data)})

    @staticmethod
    def _service_json(service: dict[str, Any]) -> dict[str, Any]:
        """As the platform sends it: numbers as strings, durations in seconds per staff member."""
        staff = [{"id": str(sid), "seance_length": str(length)} for sid, length in service["staff"].items()]
        prices = {key: f"{service[key]:.2f}" for key in ("price_min", "price_max")}
        fields = {
            "id": str(service["id"]),
            "category_id": str(service["category_id"]),
            "active": str(service["active"]),
        }
        return {**service, **fields, **prices, "discount": "0", "comment": "", "api_id": "", "staff": staff}

    async def _staff_list(self, request: Request, company: int, body: Any) -> Response:
        data = list(self.staff.values())
        return ok(data, {"total_count": len(data)})

    # --- Free time -------------------------------------------------------------------------------

    def _length(self, service_ids: list[int], staff_id: int) -> int | None:
        if not service_ids:
            return 3600
        lengths = [self.services[s]["staff"].get(staff_id) for s in service_ids if s in self.services]
        if not lengths or any(length is None for length in lengths):
            return None
        return sum(length for length in lengths if length is not None)

    def _free(self, staff_id: int, start: datetime, length: int) -> bool:
        local = start.astimezone(self.tz)
        opens = local.replace(hour=self.hours[0], minute=0, second=0, microsecond=0)
        closes = local.replace(hour=self.hours[1], minute=0, second=0, microsecond=0)
        end = start + timedelta(seconds=length)
        if local.date() in self.days_off or start < opens or end > closes:
            return False
        return not any(
            r["staff_id"] == staff_id and r["start"] < end and start < r["start"] + timedelta(seconds=r["length"])
            for r in self.active_records()
        )

    def _bookable_staff(self, service_ids: list[int]) -> list[int]:
        return [
            sid
            for sid, person in self.staff.items()
            if not person["fired"] and not person["hidden"] and self._length(service_ids, sid) is not None
        ]

    async def _book_times(self, request: Request, company: int, body: Any) -> Response:
        try:
            day = date.fromisoformat(request.path_params["day"])
            service_ids = [int(v) for v in request.query_params.getlist("service_ids[]")]
        except ValueError:
            return error(400, "Bad Request")
        wanted = request.path_params["staff"]
        people = self._bookable_staff(service_ids) if wanted == 0 else [wanted]
        start = datetime(day.year, day.month, day.day, self.hours[0], tzinfo=self.tz)
        seances: list[dict[str, Any]] = []
        while start.hour < self.hours[1]:
            for sid in people:
                length = self._length(service_ids, sid) if sid in self.staff else None
                if length is not None and self._free(sid, start, length):
                    seances.append({"time": start.strftime("%H:%M"), "seance_length": length, "datetime": start})
                    break
            start += self.step
        return ok([{**s, "datetime": s["datetime"].isoformat()} for s in seances])

    async def _book_staff(self, request: Request, company: int, body: Any) -> Response:
        try:
            service_ids = [int(v) for v in request.query_params.getlist("service_ids[]")]
            raw = request.query_params.get("datetime")
            when = datetime.fromisoformat(raw) if raw else None
        except ValueError:
            return error(400, "Bad Request")
        data = []
        for sid in self._bookable_staff(service_ids):
            length = self._length(service_ids, sid) or 3600
            bookable = when is None or (when.tzinfo is not None and self._free(sid, when, length))
            data.append({**self.staff[sid], "bookable": bookable, "seances": []})
        return ok(data)

    # --- Clients and records ---------------------------------------------------------------------

    async def _search_clients(self, request: Request, company: int, body: Any) -> Response:
        if not isinstance(body, dict):
            return error(400, "Bad Request")
        page, size = body.get("page", 1), body.get("page_size", 25)
        fields = body.get("fields") or ["id"]
        if not isinstance(page, int) or not isinstance(size, int) or page < 1 or not 1 <= size <= MAX_PAGE_SIZE:
            return error(400, "Недопустимое значение фильтра", errors={"page_size": ["1..200"]})
        found = list(self.clients.values())
        for flt in body.get("filters") or []:
            if not isinstance(flt, dict) or flt.get("type") != "quick_search":
                return error(400, "Недопустимое значение фильтра", errors={"filters": ["quick_search only"]})
            value = str((flt.get("state") or {}).get("value", "")).lower()
            digits = phone_digits(value)
            found = [c for c in found if value in c["name"].lower() or (digits and digits in phone_digits(c["phone"]))]
        rows = found[(page - 1) * size : page * size]
        data = [{key: c[key] for key in fields if key in c} for c in rows]
        return ok(data, {"total_count": len(found)})

    async def _create_client(self, request: Request, company: int, body: Any) -> Response:
        if not isinstance(body, dict):
            return error(400, "Bad Request")
        for name in ("name", "phone"):
            if not body.get(name):
                return error(422, self.text["required"].format(name=name), errors={name: ["required"]})
        if not self._phone_ok(str(body["phone"])):
            return error(422, self.text["phone"], errors={"phone": ["format"]})
        cid = self.add_client(str(body["name"]), str(body["phone"]), str(body.get("email", "")))
        return ok(self.clients[cid], status=201)

    def _phone_ok(self, phone: str) -> bool:
        pattern = r"\+\d{8,15}" if self.e164_phones else r"\+?\d{8,15}"
        return re.fullmatch(pattern, phone) is not None

    async def _create_record(self, request: Request, company: int, body: Any) -> Response:
        if not isinstance(body, dict):
            return error(400, "Bad Request")
        required = ("staff_id", "services", "client", "datetime", "seance_length", "save_if_busy", "send_sms")
        missing = next((name for name in required if name not in body), None)
        if missing:
            return error(422, self.text["required"].format(name=missing), errors={missing: ["required"]})
        staff_id, services, client = body["staff_id"], body["services"], body["client"]
        try:
            start = datetime.fromisoformat(str(body["datetime"]))
            service_ids = [int(item["id"]) for item in services]
            length = int(body["seance_length"])
        except (ValueError, TypeError, KeyError):
            return error(422, "Bad Request", errors={"services": ["invalid"]})
        if start.tzinfo is None or staff_id not in self.staff or not service_ids or length <= 0:
            return error(422, "Bad Request", errors={"staff_id": ["invalid"]})
        if any(sid not in self.services for sid in service_ids):
            return error(404, self.text["service"])
        if not isinstance(client, dict) or not self._phone_ok(str(client.get("phone", ""))):
            return error(422, self.text["phone"], errors={"client": ["phone"]})
        if not body["save_if_busy"] and not self._free(staff_id, start, length):
            return self._busy(staff_id, start)
        phone = self._stored_phone(str(client["phone"]))
        client_id = next((cid for cid, c in self.clients.items() if c["phone"] == phone), None)
        if client_id is None:
            client_id = self.add_client(str(client.get("name", "")), phone, str(client.get("email", "")))
        rid = self.add_record(staff_id, service_ids[0], start, client_id)
        self.records[rid].update(services=services, length=length, comment=body.get("comment", ""))
        staff = self.staff[staff_id]
        data = {
            "id": rid,
            "services": services,
            "client": self.clients[client_id],
            "staff": {"id": staff_id, "name": staff["name"], "spec": staff["specialization"]},
            "datetime": start.isoformat(),
            "seance_length": length,
            "comment": body.get("comment", ""),
            "create_date": "2030-01-01 10:00:00",
            "documents": [],
        }
        return ok(data, status=201)

    def _busy(self, staff_id: int, start: datetime) -> Response:
        if self.busy_with_code:
            return JSONResponse({"error_code": 433, "error_message": self.text["busy_code"]}, status_code=422)
        when = start.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return error(422, self.text["busy"].format(name=self.staff[staff_id]["name"], staff=staff_id, when=when))

    async def _delete_record(self, request: Request, company: int, body: Any) -> Response:
        record = self.records.get(request.path_params["record"])
        if record is None or record["deleted"]:
            return error(404, self.text["record"])
        record["deleted"] = True
        return Response(status_code=204)
