"""EasyWeek public API v2 (reference §3, [client]: two public clients agree, no official reference).

Every request carries `Authorization: Bearer <API key>`, `Workspace: <slug>` and `Accept: application/json`.
Lists come in pages: `{"data": [...], "links": {"next": url | null}, "meta": {...}}`. Customers are not
created on their own: their phone and name travel inside `POST /bookings`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, cast
from urllib.parse import urlsplit

import httpx
from pydantic import Field, SecretStr

from ioperator.adapters import phones
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.crm.base import CrmAdapter, CrmBooking, CrmClient, CrmService, CrmSlot, CrmStaff
from ioperator.adapters.crm.easyweek import parse
from ioperator.adapters.crm.easyweek.parse import Json
from ioperator.adapters.errors import ProviderError
from ioperator.adapters.numbers import decimal
from ioperator.adapters.registry import register
from ioperator.adapters.resilience import ProviderHttp, RateLimit, account_key

MAX_RANGE_DAYS = 90  # time-slots takes about three months at most


class EasyWeekConfig(ProviderConfig):
    api_key: SecretStr = Field(
        title="API key",
        description="EasyWeek → Settings → Integrations → API: create a key and paste it here.",
    )
    workspace: str = Field(
        min_length=1,
        title="Workspace",
        description="Your workspace slug: the part of my.easyweek.io/<workspace> you see after signing in.",
        examples=["blue-door-salon"],
    )
    location_uuid: str = Field(
        default="",
        title="Location ID",
        description="The location to book in; leave empty to use your first location.",
        examples=["9a1f6f0e-3c4b-4f7a-9d8e-0a1b2c3d4e5f"],
    )


@register
class EasyWeekAdapter(CrmAdapter):
    slug = "easyweek"
    position = 30
    title = "EasyWeek"
    description = "Book EasyWeek services into your staff's free time slots."
    docs_url = "https://github.com/easyweek/oauth2-public-doc"
    logo = "/logos/easyweek.svg"
    default_base_url = "https://my.easyweek.io/api/public/v2"
    rate_limit = RateLimit(1, 1.0)  # 60 requests a minute per key
    unsupported_reasons = {
        "create_client": "EasyWeek has no confirmed call to create a customer; their details travel with the booking.",
    }
    page_size: ClassVar[int] = 100
    max_pages: ClassVar[int] = 500
    Config = EasyWeekConfig

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        super().__init__(config, http=http, base_url=base_url)
        self.settings = cast(EasyWeekConfig, config)
        api_key = self.settings.api_key.get_secret_value()
        headers = {"Authorization": f"Bearer {api_key}", "Workspace": self.settings.workspace}
        self.api = ProviderHttp(
            http,
            base_url=self.base_url,
            key=account_key(self.slug, self.base_url, api_key, self.settings.workspace),
            limit=self.rate_limit,
            retry=self.retry_policy,
            timeout=self.timeout_seconds,
            headers={**headers, "Accept": "application/json"},
            map_error=parse.map_error,
        )
        self._location: Json | None = None

    async def test_connection(self) -> ConnectionInfo:
        if (await self._get("/ping")).get("ping") != "pong":
            raise ProviderError("EasyWeek did not answer the ping")
        location = await self._chosen_location()
        details = {"workspace": self.settings.workspace, "location_uuid": location["uuid"]}
        return ConnectionInfo(title=str(location.get("name") or self.settings.workspace), details=details)

    async def list_services(self) -> list[CrmService]:
        location = await self._chosen_location()
        services: list[CrmService] = []
        for item in await self._pages(f"/locations/{parse.segment(location['uuid'])}/services"):
            if not isinstance(item.get("uuid"), str) or not isinstance(item.get("name"), str):
                continue
            category = item.get("category")
            services.append(
                CrmService(
                    external_id=item["uuid"],
                    name=item["name"],
                    price=decimal(item.get("price")),
                    duration_minutes=parse.minutes(item.get("duration")),
                    category=str(category.get("name") or "") if isinstance(category, dict) else "",
                )
            )
        return services

    async def list_staff(self) -> list[CrmStaff]:
        location = await self._chosen_location()
        staff: list[CrmStaff] = []
        for item in await self._pages(f"/locations/{parse.segment(location['uuid'])}/staffers"):
            if not isinstance(item.get("uuid"), str):
                continue
            name = " ".join(str(item[key]) for key in ("first_name", "last_name") if item.get(key))
            staff.append(CrmStaff(item["uuid"], name or item["uuid"], str(item.get("position") or "")))
        return staff

    async def free_slots(self, *, service_id: str, staff_id: str | None, start: date, end: date) -> list[CrmSlot]:
        location = await self._chosen_location()
        zone = parse.zone_of(location)
        slots: list[CrmSlot] = []
        while start <= end:
            until = min(end, start + timedelta(days=MAX_RANGE_DAYS - 1))
            params = {"service_uuid": service_id, "range_start": start.isoformat(), "range_end": until.isoformat()}
            params |= {"timezone": zone.key} | ({"staffer_uuid": staff_id} if staff_id else {})
            body = await self._get(f"/locations/{parse.segment(location['uuid'])}/time-slots", params)
            slots.extend(parse.slots(body.get("data"), zone, staff_id))
            start = until + timedelta(days=1)
        return slots

    async def find_client(self, phone: str) -> CrmClient | None:
        number = phones.e164(phone)
        found = await self._get("/customers", {"phone": number, "page": 1, "per_page": 20})
        data = found.get("data")
        for item in data if isinstance(data, list) else []:
            if not isinstance(item, dict) or not isinstance(item.get("uuid"), str):
                continue
            if parse.same_number(item.get("phone"), number):
                name = " ".join(str(item[key]) for key in ("first_name", "last_name") if item.get(key))
                return CrmClient(item["uuid"], name, number, str(item.get("email") or ""))
        return None

    async def create_booking(
        self, *, service_id: str, staff_id: str | None, start: datetime, client: CrmClient, comment: str = ""
    ) -> CrmBooking:
        location = await self._chosen_location()
        zone = parse.zone_of(location)
        moment = start if start.tzinfo else start.replace(tzinfo=zone)
        first, _, last = client.name.strip().partition(" ")
        body: Json = {
            "location_uuid": location["uuid"],
            "service_uuid": service_id,
            "reserved_on": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": zone.key,
            "customer_phone": phones.e164(client.phone),
            "customer_first_name": first or "Guest",
            "customer_last_name": last.strip(),
            "booking_comment": comment,
            "source": "bot",
        }
        if staff_id:
            body["staffer_uuid"] = staff_id
        if client.email:
            body["customer_email"] = client.email
        data = (await self._send("POST", "/bookings", body)).get("data")
        if not isinstance(data, dict) or not isinstance(data.get("uuid"), str):
            raise ProviderError("EasyWeek did not return the booking")
        customer = data.get("customer")
        customer_id = customer.get("uuid") if isinstance(customer, dict) else None
        return CrmBooking(
            external_id=data["uuid"],
            start=moment,
            service_id=service_id,
            staff_id=staff_id,
            client_id=customer_id if isinstance(customer_id, str) else (client.external_id or None),
            details={"location_uuid": location["uuid"]},
        )

    async def cancel_booking(self, booking_id: str) -> None:
        body = {"cancel_reason": "customer_request", "internal_notes": ""}
        await self.api.request("PUT", f"/bookings/{parse.segment(booking_id)}/status/cancel", json=body)

    # --- helpers -----------------------------------------------------------------------------------

    async def _get(self, path: str, params: Any = None) -> Json:
        return parse.json_object(await self.api.request("GET", path, params=params))

    async def _send(self, method: str, path: str, body: Json) -> Json:
        return parse.json_object(await self.api.request(method, path, json=body))

    async def _pages(self, path: str) -> list[Json]:
        """Every item of a paged list, following `links.next` (only on EasyWeek's own host)."""
        items: list[Json] = []
        url, params = path, cast(dict[str, int] | None, {"page": 1, "per_page": self.page_size})
        for _ in range(self.max_pages):
            body = await self._get(url, params)
            data = body.get("data")
            if not isinstance(data, list):
                raise ProviderError("EasyWeek returned a page without data")
            items.extend(item for item in data if isinstance(item, dict))
            links = body.get("links")
            following = links.get("next") if isinstance(links, dict) else None
            if not isinstance(following, str) or not following or not data:
                return items
            if urlsplit(following).netloc != urlsplit(self.base_url).netloc:
                raise ProviderError("EasyWeek pointed the next page at another host")
            url, params = following, None
        raise ProviderError("EasyWeek returned too many pages")

    async def _chosen_location(self) -> Json:
        if self._location is None:
            locations = [item for item in await self._pages("/locations") if isinstance(item.get("uuid"), str)]
            wanted = self.settings.location_uuid
            chosen = next((item for item in locations if item["uuid"] == wanted), None) if wanted else None
            if wanted and chosen is None:
                raise ProviderError("the workspace has no location with this ID", field="location_uuid")
            if not locations:
                raise ProviderError("the workspace has no location", field="location_uuid")
            self._location = chosen or locations[0]
        return self._location
