"""A fake amoCRM / Kommo account (API v4): account, users, contacts, leads and their notes.

It checks what amoCRM checks (`Authorization: Bearer <token>`, array bodies for POST, contacts,
pipelines and statuses that exist), answers with the HAL shapes and problem+json errors of
reference/crm-and-channels.md §5, returns 204 with no body for an empty list, pages users (`page`,
`limit` ≤ 250, `_links.next`), and answers 429 past `rps` requests in any second.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
FAILURES = ("rate_limited", "server_error", "timeout", "garbage", "error")
WON, LOST = 142, 143
MAIN_PIPELINE, FIRST_STATUS = 1000, 1001


@dataclass
class Seen:
    """One request as the account saw it (the token is kept as its last 4 characters)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    token_tail: str
    content_type: str
    at: float = field(default_factory=time.monotonic)


class Problem(Exception):
    def __init__(self, status: int, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.extra = status, detail, extra


def problem(status: int, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = {"title": title, "type": f"https://httpstatus.es/{status}", "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def hal(body: Any, status: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status, media_type="application/hal+json")


TITLES = {400: "Bad Request", 401: "Unauthorized", 402: "Payment Required", 403: "Forbidden", 404: "Not Found"}


class FakeAmoCrm:
    """One account: users, pipelines, contacts, leads, notes, every request seen, failures to inject."""

    def __init__(self, *, token: str = TOKEN, rps: int = 7, timeout_delay: float = 2.0) -> None:
        self.token, self.rps, self.timeout_delay = token, rps, timeout_delay
        self.account = {"id": 29_000_001, "name": "Cafe Aroma", "subdomain": "cafe", "currency": "RUB"}
        self.users: dict[int, dict[str, Any]] = {}
        self.pipelines: dict[int, set[int]] = {MAIN_PIPELINE: {FIRST_STATUS, 1002}}
        self.contacts: dict[int, dict[str, Any]] = {}
        self.leads: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[dict[str, Any]]] = {}
        self.requests: list[Seen] = []
        self._ids = iter(range(5_000_000, 10**9))
        self._user_ids = iter(range(7_000_002, 8_000_000))
        self._recent: deque[float] = deque()
        self._failures: list[tuple[str, dict[str, Any]]] = []
        self.add_user("Owner", email="owner@example.com", user_id=7_000_001)
        self.app = Starlette(
            routes=[
                Route("/api/v4/account", self._account, methods=["GET"]),
                Route("/api/v4/users", self._users, methods=["GET"]),
                Route("/api/v4/contacts", self._contacts, methods=["GET", "POST"]),
                Route("/api/v4/leads", self._leads, methods=["POST"]),
                Route("/api/v4/leads/{lead_id:int}", self._lead, methods=["GET", "PATCH"]),
                Route("/api/v4/leads/{lead_id:int}/notes", self._notes, methods=["POST"]),
            ],
            middleware=[Middleware(_Gate, fake=self)],
        )

    # --- seeding -------------------------------------------------------------------------------

    def add_user(self, name: str, *, email: str = "", user_id: int = 0, active: bool = True) -> int:
        user_id = user_id or next(self._user_ids)
        rights = {"leads": {"view": "A", "edit": "A"}, "is_admin": False, "is_free": False, "is_active": active}
        self.users[user_id] = {
            "id": user_id,
            "name": name,
            "email": email or f"u{user_id}@example.com",
            "rights": rights,
        }
        return user_id

    def add_contact(self, name: str, phones: list[str], emails: list[str] | None = None) -> int:
        contact_id = next(self._ids)
        fields = [_multi("PHONE", "Телефон", phones), _multi("EMAIL", "Email", emails or [])]
        self.contacts[contact_id] = {
            "id": contact_id,
            "name": name,
            "responsible_user_id": 7_000_001,
            "custom_fields_values": [f for f in fields if f["values"]] or None,
        }
        return contact_id

    def add_lead(self, name: str, contact_id: int | None = None, **fields: Any) -> int:
        contacts = [{"id": contact_id}] if contact_id else []
        return int(self._add_leads({"name": name, "_embedded": {"contacts": contacts}, **fields})["id"])

    def add_pipeline(self, statuses: int = 3) -> tuple[int, list[int]]:
        pipeline = next(self._ids)
        ids = [next(self._ids) for _ in range(statuses)]
        self.pipelines[pipeline] = set(ids)
        return pipeline, ids

    def seed_catalog(self, services: int = 0, staff: int = 200, contacts: int = 1000) -> None:
        """Many users and contacts (amoCRM has no services: `services` is accepted and ignored)."""
        for n in range(staff):
            self.add_user(f"Manager {n + 1}")
        for n in range(contacts):
            self.add_contact(f"Client {n + 1}", [f"+7900{n:07d}"])

    def fail_next(
        self, kind: str, times: int = 1, *, path: str | None = None, status: int = 400, detail: str = "", **extra: Any
    ) -> None:
        """The next `times` requests (to a path ending with `path`, when given) fail: rate_limited
        (429), server_error (502), timeout, garbage (non-JSON 200), or error (a problem+json with
        `status`, `detail` and `extra` members)."""
        assert kind in FAILURES, kind
        self._failures.extend([(kind, {"path": path, "status": status, "detail": detail, **extra})] * times)

    def reset(self) -> None:
        self.requests.clear()
        self._failures.clear()
        self._recent.clear()

    def paths_seen(self) -> list[str]:
        return [f"{seen.method} {seen.path}" for seen in self.requests]

    # --- transport -----------------------------------------------------------------------------

    async def gate(self, request: Request) -> Response | None:
        """What every request meets first: the record, the rate limit, failures, the token."""
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode(errors="replace")
        authorization = request.headers.get("authorization", "")
        self.requests.append(
            Seen(
                request.method,
                request.url.path,
                dict(request.query_params),
                body,
                authorization[-4:],
                request.headers.get("content-type", ""),
            )
        )
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        self._recent.append(now)
        if len(self._recent) > self.rps:
            return problem(429, "Too Many Requests", "Too many requests")
        failure = next((f for f in self._failures if request.url.path.endswith(f[1]["path"] or "")), None)
        if failure is not None:
            self._failures.remove(failure)
            return await self._fail(request, failure[0], {k: v for k, v in failure[1].items() if k != "path"})
        if authorization != f"Bearer {self.token}":
            return problem(401, "Unauthorized", "Account not found or token is invalid")
        if request.method in ("POST", "PATCH") and isinstance(body, str):
            return problem(400, "Bad Request", "Request body is not valid JSON")
        request.state.body = body
        return None

    async def _fail(self, request: Request, kind: str, options: dict[str, Any]) -> Response:
        if kind == "rate_limited":
            return problem(429, "Too Many Requests", "Too many requests")
        if kind == "server_error":
            return problem(502, "Bad Gateway", "")
        if kind == "timeout":
            deadline = time.monotonic() + self.timeout_delay
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.02)
            return problem(504, "Gateway Timeout", "")
        if kind == "garbage":
            return PlainTextResponse("<html><body>nginx</body></html>", media_type="text/html")
        status = options.pop("status")
        return problem(status, TITLES.get(status, "Error"), options.pop("detail"), **options)

    # --- endpoints -----------------------------------------------------------------------------

    async def _account(self, request: Request) -> Response:
        return hal({**self.account, "country": "RU", "current_user_id": 7_000_001, "_links": _self("/api/v4/account")})

    async def _users(self, request: Request) -> Response:
        try:
            page, limit = int(request.query_params.get("page", 1)), int(request.query_params.get("limit", 50))
        except ValueError:
            return problem(400, "Bad Request", "page and limit must be integers")
        if not 1 <= limit <= 250 or page < 1:
            return problem(400, "Bad Request", "limit must be from 1 to 250")
        rows = [u for _, u in sorted(self.users.items())]
        chunk = rows[(page - 1) * limit : page * limit]
        if not chunk:
            return Response(status_code=204)
        links = _self(f"/api/v4/users?page={page}&limit={limit}")
        if page * limit < len(rows):
            links["next"] = {"href": f"/api/v4/users?page={page + 1}&limit={limit}"}
        pages = -(-len(rows) // limit)
        return hal(
            {
                "_total_items": len(rows),
                "_page": page,
                "_page_count": pages,
                "_links": links,
                "_embedded": {"users": chunk},
            }
        )

    async def _contacts(self, request: Request) -> Response:
        if request.method == "POST":
            return self._answer(self._add_contacts, request.state.body, "contacts")
        query = request.query_params.get("query", "")
        limit = min(int(request.query_params.get("limit", 50) or 50), 250)
        found = [c for _, c in sorted(self.contacts.items()) if not query or query.lower() in _text(c)]
        if not found:
            return Response(status_code=204)  # an empty result has no body at all
        return hal({"_page": 1, "_links": _self("/api/v4/contacts"), "_embedded": {"contacts": found[:limit]}})

    async def _leads(self, request: Request) -> Response:
        return self._answer(self._add_leads, request.state.body, "leads")

    async def _lead(self, request: Request) -> Response:
        lead = self.leads.get(request.path_params["lead_id"])
        if lead is None:
            return problem(404, "Not Found", "Lead not found")
        if request.method == "GET":
            return hal(lead)
        body = request.state.body
        if not isinstance(body, dict):
            return problem(400, "Bad Request", "Request body must be an object")
        status = body.get("status_id")
        if status is not None and status not in (WON, LOST) and status not in self.pipelines[lead["pipeline_id"]]:
            return _invalid("status_id", "Status not found in the pipeline")
        lead.update({k: v for k, v in body.items() if k in ("status_id", "name", "price", "loss_reason_id")})
        lead["updated_at"] = int(time.time())
        return hal({"id": lead["id"], "updated_at": lead["updated_at"], "_links": _self(f"/api/v4/leads/{lead['id']}")})

    async def _notes(self, request: Request) -> Response:
        lead_id = request.path_params["lead_id"]
        if lead_id not in self.leads:
            return problem(404, "Not Found", "Lead not found")

        def add(item: dict[str, Any]) -> dict[str, Any]:
            if item.get("note_type") != "common" or not isinstance(item.get("params"), dict):
                raise Problem(400, "note_type and params are required", path="note_type")
            note = {"id": next(self._ids), "entity_id": lead_id, **item}
            self.notes.setdefault(lead_id, []).append(note)
            return {"id": note["id"], "entity_id": lead_id}

        return self._answer(add, request.state.body, "notes")

    # --- creation ------------------------------------------------------------------------------

    def _answer(self, add: Callable[[dict[str, Any]], dict[str, Any]], body: Any, key: str) -> Response:
        """POST bodies are arrays of objects; each gets a `request_id` ("0", "1", …) in the answer."""
        if not isinstance(body, list) or not body or not all(isinstance(item, dict) for item in body):
            return problem(400, "Bad Request", "Request body must be a non-empty array of objects")
        created = []
        try:
            for n, item in enumerate(body):
                created.append({**add(item), "request_id": str(n)})
        except Problem as exc:
            return _invalid(exc.extra.get("path", ""), exc.detail)
        return hal({"_links": _self(f"/api/v4/{key}"), "_embedded": {key: created}})

    def _add_contacts(self, item: dict[str, Any]) -> dict[str, Any]:
        fields = item.get("custom_fields_values") or []
        for f in fields:
            if f.get("field_code") not in ("PHONE", "EMAIL") or not isinstance(f.get("values"), list):
                raise Problem(400, "Field not found", path="custom_fields_values.0.field_code")
        contact_id = next(self._ids)
        self.contacts[contact_id] = {
            "id": contact_id,
            "name": str(item.get("name") or item.get("first_name") or ""),
            "responsible_user_id": 7_000_001,
            "custom_fields_values": [
                _multi(f["field_code"], f["field_code"].title(), [v["value"] for v in f["values"]]) for f in fields
            ]
            or None,
        }
        return {"id": contact_id}

    def _add_leads(self, item: dict[str, Any]) -> dict[str, Any]:
        pipeline = item.get("pipeline_id", MAIN_PIPELINE)
        if pipeline not in self.pipelines:
            raise Problem(400, "Pipeline not found", path="pipeline_id")
        status = item.get("status_id", min(self.pipelines[pipeline]))
        if status not in self.pipelines[pipeline]:
            raise Problem(400, "Status not found in the pipeline", path="status_id")
        embedded = item.get("_embedded") or {}
        for n, contact in enumerate(embedded.get("contacts") or []):
            if contact.get("id") not in self.contacts:
                raise Problem(400, "Contact not found", path=f"_embedded.contacts.{n}.id")
        responsible = item.get("responsible_user_id", 7_000_001)
        if responsible not in self.users:
            raise Problem(400, "User not found", path="responsible_user_id")
        lead_id = next(self._ids)
        self.leads[lead_id] = {
            "id": lead_id,
            "name": str(item.get("name") or f"Сделка #{lead_id}"),
            "price": item.get("price", 0),
            "pipeline_id": pipeline,
            "status_id": status,
            "responsible_user_id": responsible,
            "custom_fields_values": item.get("custom_fields_values"),
            "_embedded": {"contacts": embedded.get("contacts") or [], "tags": embedded.get("tags") or []},
        }
        return {"id": lead_id}


class _Gate:
    """ASGI middleware: the fake's gate runs before any route (and for unknown paths too)."""

    def __init__(self, app: Any, fake: FakeAmoCrm) -> None:
        self.app, self.fake = app, fake

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        refused = await self.fake.gate(request)
        if refused is not None:
            await refused(scope, receive, send)
            return
        body = await request.body()  # cached: hand the same bytes to the route

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def _multi(code: str, name: str, values: list[str]) -> dict[str, Any]:
    return {
        "field_id": {"PHONE": 101, "EMAIL": 102}.get(code, 100),
        "field_name": name,
        "field_code": code,
        "field_type": "multitext",
        "values": [{"value": v, "enum_id": 201, "enum_code": "WORK"} for v in values],
    }


def _text(contact: dict[str, Any]) -> str:
    """What `query` searches: the name and every filled field, as text (substring, not normalised)."""
    values = [str(v.get("value")) for f in contact.get("custom_fields_values") or [] for v in f["values"]]
    return " ".join([contact["name"], *values]).lower()


def _self(href: str) -> dict[str, Any]:
    return {"self": {"href": href}}


def _invalid(path: str, detail: str) -> JSONResponse:
    errors = [{"request_id": "0", "errors": [{"code": "NotSupportedChoice", "path": path, "detail": detail}]}]
    return problem(400, "Bad Request", "Request validation failed", **{"validation-errors": errors})
