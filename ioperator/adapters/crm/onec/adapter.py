"""1C:Enterprise through its standard OData interface (reference §7, [client/belief]).

The infobase publication's OData root (`…/odata/standard.odata`) with HTTP Basic auth of a 1C user;
JSON via `$format=json`; lists as `{"value": [...]}`, read page by page with `$top`/`$skip`. Which
catalogs hold services, counterparties and staff is configuration-specific, so it is mapped in the
settings. 1C has no standard booking model: slots and bookings are left to per-customer work.
"""

from __future__ import annotations

import base64
import re
from typing import Any, ClassVar, cast
from urllib.parse import quote, urlsplit

import httpx

from ioperator.adapters import phones
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.crm.base import CrmAdapter, CrmClient, CrmService, CrmStaff
from ioperator.adapters.crm.onec.config import OneCConfig
from ioperator.adapters.errors import AdapterError, InvalidAuth, ProviderError, Unsupported
from ioperator.adapters.numbers import decimal
from ioperator.adapters.registry import register
from ioperator.adapters.resilience import ProviderHttp, RateLimit, account_key

Json = dict[str, Any]
ENTITY_SET = re.compile(r'<EntitySet\s+Name="([^"]+)"')
KEEP = ",'()"  # left as they are in OData option values
NOT_STANDARD = "depends on the 1C configuration; not part of the standard OData interface"


@register
class OneCAdapter(CrmAdapter):
    slug = "onec"
    position = 80
    title = "1C:Enterprise"
    description = "Read services, staff and clients from a 1C infobase through its standard OData interface."
    docs_url = "https://v8.1c.ru/platforma/protokol-odata/"
    logo = "/logos/onec.svg"
    default_base_url = ""  # every infobase has its own address: it is in the config
    rate_limit = RateLimit(5, 1.0)  # not published: a 1C web server is often small
    unsupported_reasons = {"free_slots": NOT_STANDARD, "create_booking": NOT_STANDARD, "cancel_booking": NOT_STANDARD}
    page_size: ClassVar[int] = 500
    max_pages: ClassVar[int] = 1000
    phone_region: ClassVar[str] = "RU"
    Config = OneCConfig

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        settings = cast(OneCConfig, config)
        super().__init__(config, http=http, base_url=base_url or settings.base_url)
        self.settings = settings
        password = settings.password.get_secret_value()
        basic = base64.b64encode(f"{settings.username}:{password}".encode()).decode()
        self.api = ProviderHttp(
            http,
            base_url=self.base_url,
            key=account_key(self.slug, self.base_url, settings.username, password),
            limit=self.rate_limit,
            retry=self.retry_policy,
            timeout=self.timeout_seconds,
            headers={"Authorization": f"Basic {basic}", "Accept": "application/json"},
            map_error=map_error,
        )

    async def test_connection(self) -> ConnectionInfo:
        response = await self.api.request("GET", "$metadata", headers={"Accept": "application/xml"})
        published = set(ENTITY_SET.findall(response.text))
        if not published:
            raise ProviderError("this address does not serve 1C OData metadata", field="base_url")
        wanted = {"services_catalog": self.settings.services_catalog}
        wanted["counterparties_catalog"] = self.settings.counterparties_catalog
        if self.settings.staff_catalog:
            wanted["staff_catalog"] = self.settings.staff_catalog
        for field, entity_set in wanted.items():
            if entity_set not in published:
                raise ProviderError(f"{entity_set} is not in the OData interface composition", field=field)
        parts = urlsplit(self.base_url)
        title = f"{parts.netloc}{parts.path.removesuffix('/odata/standard.odata')}"
        return ConnectionInfo(title=title, details={"user": self.settings.username, "entity_sets": str(len(published))})

    async def list_services(self) -> list[CrmService]:
        price = self.settings.price_field
        select = ",".join(["Ref_Key", "Description", "Parent_Key", "IsFolder", *([price] if price else [])])
        rows = await self._all(self.settings.services_catalog, "DeletionMark eq false", select)
        folders = {row.get("Ref_Key"): str(row.get("Description") or "") for row in rows if row.get("IsFolder")}
        return [
            CrmService(
                external_id=row["Ref_Key"],
                name=str(row.get("Description") or ""),
                price=decimal(row.get(price)) if price else None,
                category=folders.get(row.get("Parent_Key"), ""),
            )
            for row in rows
            if not row.get("IsFolder") and isinstance(row.get("Ref_Key"), str)
        ]

    async def list_staff(self) -> list[CrmStaff]:
        if not self.settings.staff_catalog:
            raise Unsupported("no staff catalog is mapped in the 1C settings")
        rows = await self._all(self.settings.staff_catalog, "DeletionMark eq false", "")
        return [
            CrmStaff(row["Ref_Key"], str(row.get("Description") or ""))
            for row in rows
            if not row.get("IsFolder") and isinstance(row.get("Ref_Key"), str)
        ]

    async def find_client(self, phone: str) -> CrmClient | None:
        number = phones.e164(phone, self.phone_region)
        national = str(phones.parse(number).national_number)
        table, _, column = self.settings.phone_field.rpartition("/")
        # Stored numbers are formatted any which way ("+7 (916) 123-45-67"): ask 1C for those containing the
        # last two digits (a separator rarely splits them) and compare all the digits here.
        found = f"substringof('{national[-2:]}', {column})"
        if table:  # a tabular section is its own entity set, `<Catalog>_<Section>`, keyed by its owner's Ref_Key
            lines = await self._all(f"{self.settings.counterparties_catalog}_{table}", found, f"Ref_Key,{column}")
            owners = [line["Ref_Key"] for line in lines if _same(line.get(column), national)]
            for owner in dict.fromkeys(key for key in owners if isinstance(key, str)):
                row = await self._one(self.settings.counterparties_catalog, owner)
                if row is not None and not row.get("DeletionMark"):
                    return CrmClient(owner, str(row.get(self.settings.name_field) or ""), number)
            return None
        select = f"Ref_Key,{self.settings.name_field},{column}"
        rows = await self._all(self.settings.counterparties_catalog, f"DeletionMark eq false and {found}", select)
        for row in rows:
            if isinstance(row.get("Ref_Key"), str) and _same(row.get(column), national):
                return CrmClient(row["Ref_Key"], str(row.get(self.settings.name_field) or ""), number)
        return None

    async def create_client(self, *, name: str, phone: str, email: str = "") -> CrmClient:
        number = phones.e164(phone, self.phone_region)
        table, _, column = self.settings.phone_field.rpartition("/")
        body: Json = {"Description": name, self.settings.name_field: name}
        if table:
            body[table] = [{"LineNumber": "1", "Тип": "Телефон", column: number, "Представление": number}]
            if email:
                body[table].append({"LineNumber": "2", "Тип": "АдресЭлектроннойПочты", "Представление": email})
        else:
            body[column] = number
        created = _json(await self.api.request("POST", _url(self.settings.counterparties_catalog), json=body))
        if not isinstance(created.get("Ref_Key"), str):
            raise ProviderError("1C did not return the new counterparty's Ref_Key")
        return CrmClient(created["Ref_Key"], name, number, email)

    # --- helpers -----------------------------------------------------------------------------------

    async def _all(self, entity_set: str, where: str, select: str) -> list[Json]:
        """Every row of `entity_set` matching `where`, `page_size` rows a request."""
        rows: list[Json] = []
        for page in range(self.max_pages):
            query = {"$filter": where, "$top": self.page_size, "$skip": page * self.page_size, "$select": select}
            value = _json(await self.api.request("GET", _url(entity_set, query))).get("value")
            if not isinstance(value, list):
                raise ProviderError(f"1C returned no list for {entity_set}")
            rows.extend(row for row in value if isinstance(row, dict))
            if len(value) < self.page_size:
                return rows
        raise ProviderError(f"{entity_set} has more rows than this adapter reads")

    async def _one(self, entity_set: str, key: str) -> Json | None:
        if not re.fullmatch(r"[0-9a-fA-F-]{36}", key):
            return None
        try:
            response = await self.api.request("GET", _url(f"{entity_set}(guid'{key}')"))
        except ProviderError as exc:
            if exc.params.get("status") == 404:
                return None
            raise
        return _json(response)


def map_error(response: httpx.Response) -> AdapterError | None:
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return None
    if status == 401:
        return InvalidAuth("1C refused the user name or password", field="password")
    if status == 403:
        return InvalidAuth("this 1C user has no right to do that", field="username")
    try:
        error = response.json().get("odata.error", {})
        message = str(error.get("message", {}).get("value") or error.get("code") or "")
    except (ValueError, AttributeError):
        message = ""
    return ProviderError((message or f"1C answered HTTP {status}")[:200], status=status)


def _url(resource: str, query: dict[str, Any] | None = None) -> str:
    """`resource?$format=json&…`, spaces as %20 and `$` kept literal (1C reads OData options that way)."""
    options = {"$format": "json", **(query or {})}
    pairs = (f"{name}={quote(str(value), safe=KEEP)}" for name, value in options.items() if value != "")
    return f"{resource}?" + "&".join(pairs)


def _json(response: httpx.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        raise ProviderError("1C sent something that is not JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("unexpected answer from 1C")
    return body


def _same(stored: Any, national: str) -> bool:
    digits = "".join(ch for ch in str(stored or "") if ch.isdigit())
    return len(digits) >= len(national) and digits.endswith(national)
