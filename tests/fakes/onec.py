"""A fake 1C:Enterprise standard OData interface (v3) under `/salon/odata/standard.odata`.

It checks HTTP Basic auth of an infobase user (401 otherwise), serves `$metadata` (EDMX listing the
published entity sets), JSON only with `$format=json` (Atom XML otherwise), catalogs as
`{"odata.metadata","value":[...]}` with `$filter` (`eq`, `substringof`, `and`), `$select`, `$top`,
`$skip`, single records as `Catalog_X(guid'…')`, tabular sections as their own entity sets
(`Catalog_X_Section`, keyed by the owner's Ref_Key), POST to create, and errors as
`{"odata.error":{"code","message":{"lang","value"}}}` (reference/crm-and-channels.md §7).
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route

PREFIX = "/salon/odata/standard.odata"
EMPTY = "00000000-0000-0000-0000-000000000000"
FAILURES = ("rate_limited", "server_error", "timeout", "garbage")
SINGLE = re.compile(r"^(\w+)\(guid'([0-9a-f-]{36})'\)$")
CLAUSES = (
    (re.compile(r"^(\w+) eq (true|false)$"), lambda row, m: row.get(m[1]) is (m[2] == "true")),
    (re.compile(r"^(\w+) eq '((?:[^']|'')*)'$"), lambda row, m: str(row.get(m[1])) == m[2].replace("''", "'")),
    (re.compile(r"^substringof\('((?:[^']|'')*)', (\w+)\)$"), lambda row, m: m[1] in str(row.get(m[2]) or "")),
)
Row = dict[str, Any]


def odata_error(status: int, message: str, code: str = "-1") -> JSONResponse:
    return JSONResponse(
        {"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}}, status_code=status
    )


@dataclass
class Seen:
    method: str
    resource: str
    raw_query: str
    query: dict[str, str]
    authorization: str
    body: Any
    at: float
    status: int = 0


@dataclass
class FakeOneC:
    username: str = "Администратор"
    password: str = "s3cret-1c"
    hold_seconds: float = 2.0
    sets: dict[str, list[Row]] = field(default_factory=dict)  # published catalogs
    seen: list[Seen] = field(default_factory=list)
    _failures: list[tuple[str, int, str | None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        route = Route("/{resource:path}", self._handle, methods=["GET", "POST"])
        self.app = Starlette(routes=[Mount(PREFIX, routes=[route])])

    # --- seeding -----------------------------------------------------------------------------------

    def publish(self, *names: str) -> None:
        for name in names:
            self.sets.setdefault(name, [])

    def add(self, entity_set: str, description: str, **attributes: Any) -> str:
        key = str(uuid.uuid4())
        rows = self.sets.setdefault(entity_set, [])
        row = {"Ref_Key": key, "DataVersion": "AAAAAQAAAAA=", "DeletionMark": False, "Parent_Key": EMPTY}
        row |= {"IsFolder": False, "Code": f"{len(rows) + 1:09d}", "Description": description, **attributes}
        rows.append(row)
        return key

    def add_counterparty(self, name: str, phone: str, **attributes: Any) -> str:
        line = {"LineNumber": "1", "Тип": "Телефон", "НомерТелефона": phone, "Представление": phone}
        return self.add("Catalog_Контрагенты", name, КонтактнаяИнформация=[line], **attributes)

    def seed_catalog(self, services: int = 5000, staff: int = 200) -> None:
        folders = [self.add("Catalog_Номенклатура", f"Group {n}", IsFolder=True, Цена=None) for n in range(20)]
        for n in range(services):
            self.add("Catalog_Номенклатура", f"Service {n}", Parent_Key=folders[n % 20], Цена=1000 + n)
        for n in range(staff):
            self.add("Catalog_Сотрудники", f"Employee {n}")

    def fail_next(self, kind: str, times: int = 1, *, retry_after: int = 1, resource: str | None = None) -> None:
        assert kind in FAILURES, kind
        self._failures.extend([(kind, retry_after, resource)] * times)

    def reset(self) -> None:
        self.sets.clear()
        self.seen.clear()
        self._failures.clear()

    def calls(self, resource: str) -> list[Seen]:
        return [seen for seen in self.seen if seen.resource == resource]

    # --- dispatch ----------------------------------------------------------------------------------

    async def _handle(self, request: Request) -> Response:
        resource = request.path_params["resource"]
        raw = await request.body()
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode(errors="replace")
        authorization = request.headers.get("authorization", "")
        seen = Seen(
            request.method, resource, request.url.query, dict(request.query_params), authorization, body, time.time()
        )
        self.seen.append(seen)
        response = await self._answer(request, resource, body)
        seen.status = response.status_code
        return response

    def _authorized(self, header: str) -> bool:
        if not header.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        return (user, password) == (self.username, self.password)

    async def _answer(self, request: Request, resource: str, body: Any) -> Response:
        failure = next((f for f in self._failures if f[2] in (None, resource)), None)
        if failure is not None:
            self._failures.remove(failure)
            return await self._fail(request, failure[0], failure[1])
        if not self._authorized(request.headers.get("authorization", "")):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="1C:Enterprise"'})
        if resource == "$metadata":
            return self._metadata()
        if request.query_params.get("$format") != "json":
            return Response("<feed xmlns='http://www.w3.org/2005/Atom'/>", media_type="application/atom+xml")
        single = SINGLE.match(resource)
        if single:
            row = next((r for r in self._rows(single[1]) or [] if r["Ref_Key"] == single[2]), None)
            return JSONResponse(row) if row else odata_error(404, "Объект не найден", "6")
        rows = self._rows(resource)
        if rows is None:
            return odata_error(404, f"Не найден ресурс '{resource}'", "4")
        if request.method == "POST":
            return self._create(resource, body)
        return self._query(resource, rows, request.query_params)

    async def _fail(self, request: Request, kind: str, retry_after: int) -> Response:
        if kind == "rate_limited":
            return PlainTextResponse("Too Many Requests", status_code=429, headers={"Retry-After": str(retry_after)})
        if kind == "server_error":
            return odata_error(500, "Внутренняя ошибка сервера 1С:Предприятия")
        if kind == "timeout":
            deadline = time.monotonic() + self.hold_seconds
            while time.monotonic() < deadline and not await request.is_disconnected():
                await asyncio.sleep(0.02)
            return odata_error(500, "held")
        return PlainTextResponse("<html><body>Service Unavailable</body></html>", media_type="text/html")

    def _rows(self, name: str) -> list[Row] | None:
        """A catalog's rows, or a tabular section's lines (`<Catalog>_<Section>`, Ref_Key = the owner)."""
        if name in self.sets:
            return self.sets[name]
        for catalog, rows in self.sets.items():
            section = name.removeprefix(f"{catalog}_")
            if section != name and any(isinstance(row.get(section), list) for row in rows):
                return [{"Ref_Key": row["Ref_Key"], **line} for row in rows for line in row.get(section) or []]
        return None

    def _metadata(self) -> Response:
        names = list(self.sets)
        for catalog, rows in self.sets.items():
            sections = {key for row in rows for key, value in row.items() if isinstance(value, list)}
            names += [f"{catalog}_{section}" for section in sorted(sections)]
        entity_sets = "".join(f'<EntitySet Name="{name}" EntityType="StandardODATA.{name}"/>' for name in names)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?><edmx:Edmx Version="1.0" '
            'xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx"><edmx:DataServices><Schema '
            f'Namespace="StandardODATA"><EntityContainer Name="EnterpriseV8">{entity_sets}'
            "</EntityContainer></Schema></edmx:DataServices></edmx:Edmx>"
        )
        return Response(xml, media_type="application/xml")

    def _query(self, name: str, rows: list[Row], query: Any) -> Response:
        where = query.get("$filter", "")
        matched = rows
        for clause in (part.strip() for part in where.split(" and ") if part.strip()):
            test = next(((check, m) for pattern, check in CLAUSES if (m := pattern.match(clause))), None)
            if test is None:
                return odata_error(400, f"Ошибка в параметре $filter: {clause}", "14")
            matched = [row for row in matched if test[0](row, test[1])]
        known = {key for row in rows for key in row}
        selected = [name.strip() for name in query.get("$select", "").split(",") if name.strip()]
        unknown = [name for name in selected if rows and name not in known]
        if unknown:
            return odata_error(400, f"Неизвестное поле: {unknown[0]}", "9")
        try:
            skip, top = int(query.get("$skip", "0")), int(query.get("$top", str(len(matched))))
        except ValueError:
            return odata_error(400, "Неправильное значение $top или $skip", "14")
        page = matched[skip : skip + top]
        value = [{k: row[k] for k in selected if k in row} if selected else row for row in page]
        return JSONResponse({"odata.metadata": f"http://fake{PREFIX}/$metadata#{name}", "value": value})

    def _create(self, name: str, body: Any) -> Response:
        if not isinstance(body, dict) or not body.get("Description"):
            return odata_error(400, "Не заполнено поле Description", "15")
        key = self.add(name, body["Description"], **{k: v for k, v in body.items() if k != "Description"})
        return JSONResponse(next(r for r in self.sets[name] if r["Ref_Key"] == key), status_code=201)
