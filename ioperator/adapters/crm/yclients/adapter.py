"""YCLIENTS and Altegio (its international edition): the same platform and wire format on two hosts.

Services, staff, clients and bookings use the admin methods (partner + user key); free time comes
from the online-booking method `book_times` (partner key), per staff member (0 = anyone) and date.
YCLIENTS wants phones as digits (`79161234567`), Altegio in E.164 (`+13155550175`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, cast

import httpx
from pydantic import Field, SecretStr, field_validator

from ioperator.adapters import phones
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.crm.base import CrmAdapter, CrmBooking, CrmClient, CrmService, CrmSlot, CrmStaff
from ioperator.adapters.crm.yclients import parse as p
from ioperator.adapters.crm.yclients.client import YclientsClient
from ioperator.adapters.errors import ProviderError, SlotUnavailable
from ioperator.adapters.registry import register
from ioperator.adapters.resilience import RateLimit

MAX_DAYS = 31  # one book_times call per day; a month is the most the agent should ask for
SEARCH_PAGE_SIZE = 100
SEARCH_MAX_PAGES = 10
_TOKEN = re.compile(r"^[^\s,]+$")  # goes into a comma-separated header


_HOW_TO_GET_THE_USER_KEY = (
    "The user token of a staff account with access to this {place}. Get it with POST /auth (the account's login "
    "and password, sent with your partner token); it changes whenever that account's password changes."
)


class YclientsConfig(ProviderConfig):
    company_id: str = Field(
        title="Company ID",
        description="The number of your branch in YCLIENTS: the digits in the address bar when you open the "
        "booking journal.",
        examples=["123456"],
        pattern=r"^\d{1,12}$",
    )
    partner_token: SecretStr = Field(
        title="Partner token",
        description="The developer (partner) token YCLIENTS issued for your app in the Marketplace.",
    )
    user_token: SecretStr = Field(title="User token", description=_HOW_TO_GET_THE_USER_KEY.format(place="branch"))

    @field_validator("partner_token", "user_token")
    @classmethod
    def _one_token(cls, value: SecretStr) -> SecretStr:
        if not _TOKEN.match(value.get_secret_value()):
            raise ValueError("paste only the token itself (no spaces, commas or 'Bearer')")
        return value


class AltegioConfig(YclientsConfig):
    company_id: str = Field(
        title="Location ID",
        description="The number of your location in Altegio: the digits in the address bar when you open the calendar.",
        examples=["123456"],
        pattern=r"^\d{1,12}$",
    )
    partner_token: SecretStr = Field(
        title="Partner token",
        description="The developer (partner) token Altegio issued for your app in the Marketplace.",
    )
    user_token: SecretStr = Field(title="User token", description=_HOW_TO_GET_THE_USER_KEY.format(place="location"))


class YclientsPlatform(CrmAdapter):
    """The shared implementation; the two registered providers differ in host, wording and phone format."""

    rate_limit = RateLimit(5, 1.0)  # 5 requests a second (200 a minute) per account
    phone_region: ClassVar[str | None] = None
    phone_digits: ClassVar[bool] = False  # send `79161234567` instead of `+79161234567`

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        super().__init__(config, http=http, base_url=base_url)
        settings = cast(YclientsConfig, config)
        self.company_id = settings.company_id
        self.client = YclientsClient(
            http,
            slug=self.slug,
            base_url=self.base_url,
            company_id=self.company_id,
            partner_token=settings.partner_token.get_secret_value(),
            user_token=settings.user_token.get_secret_value(),
            limit=self.rate_limit,
            retry=self.retry_policy,
            timeout=self.timeout_seconds,
        )

    async def test_connection(self) -> ConnectionInfo:
        found, _ = await self.client.call("GET", f"/company/{self.company_id}", partner=True)
        company = p.obj(found)
        title = p.text(company.get("title"))
        if not title:
            raise ProviderError("the company has no title", field="company_id")
        await self.client.call("GET", f"/user/permissions/{self.company_id}")  # is the user key good here?
        return ConnectionInfo(title=title, details={"company": title, "timezone": p.text(company.get("timezone"))})

    async def list_services(self) -> list[CrmService]:
        categories, _ = await self.client.call("GET", f"/company/{self.company_id}/service_categories")
        names = {p.text(c.get("id")): p.text(c.get("title")) for c in p.objects(categories, "service categories")}
        services, _ = await self.client.call("GET", f"/company/{self.company_id}/services")
        return [p.service(s, names) for s in p.objects(services, "services") if p.flag(s.get("active", 1))]

    async def list_staff(self) -> list[CrmStaff]:
        staff, _ = await self.client.call("GET", f"/company/{self.company_id}/staff")
        return [
            CrmStaff(external_id=p.row_id(s, "staff"), name=p.text(s.get("name")), position=p.position(s))
            for s in p.objects(staff, "staff")
            if not p.flag(s.get("fired")) and not p.flag(s.get("hidden"))
        ]

    async def free_slots(self, *, service_id: str, staff_id: str | None, start: date, end: date) -> list[CrmSlot]:
        days = (end - start).days + 1
        if days > MAX_DAYS:
            raise ProviderError(f"ask for at most {MAX_DAYS} days of free time at once")
        staff, slots = p.id_digits(staff_id or "0", "staff"), []
        params = [("service_ids[]", p.id_digits(service_id, "service"))]
        for day in (start + timedelta(days=n) for n in range(max(days, 0))):
            path = f"/book_times/{self.company_id}/{staff}/{day.isoformat()}"
            seances, _ = await self.client.call("GET", path, partner=True, params=params)
            for seance in p.objects(seances, "free times"):
                minutes = p.minutes(seance.get("seance_length"))
                slots.append(CrmSlot(p.moment(seance.get("datetime")), minutes, None if staff == "0" else staff))
        return slots

    async def find_client(self, phone: str) -> CrmClient | None:
        wanted = self._e164(phone)
        for page in range(1, SEARCH_MAX_PAGES + 1):
            query = {"type": "quick_search", "state": {"value": self._wire_phone(phone)}}
            body = {"page": page, "page_size": SEARCH_PAGE_SIZE, "fields": ["id", "name", "phone", "email"]}
            body |= {"operation": "AND", "filters": [query]}
            found, meta = await self.client.call("POST", f"/company/{self.company_id}/clients/search", json=body)
            rows = p.objects(found, "clients")
            match = next((row for row in rows if self._stored_phone(row.get("phone")) == wanted), None)
            if match is not None:
                return self._client(match)
            total = p.number(meta.get("total_count"), -1)
            if len(rows) < SEARCH_PAGE_SIZE or 0 <= total <= page * SEARCH_PAGE_SIZE:
                return None
        return None

    async def create_client(self, *, name: str, phone: str, email: str = "") -> CrmClient:
        body = {"name": name, "phone": self._wire_phone(phone)} | ({"email": email} if email else {})
        created, _ = await self.client.write("POST", f"/clients/{self.company_id}", json=body)
        return self._client(p.obj(created), CrmClient("", name, self._e164(phone), email))

    async def create_booking(
        self, *, service_id: str, staff_id: str | None, start: datetime, client: CrmClient, comment: str = ""
    ) -> CrmBooking:
        if start.tzinfo is None or start.utcoffset() is None:
            raise ProviderError("the booking time has no time zone")
        service = p.id_digits(service_id, "service")
        staff = p.id_digits(staff_id, "staff") if staff_id else await self._anyone(service, start)
        found, _ = await self.client.call("GET", f"/company/{self.company_id}/services/{service}")
        details = p.obj(found[0] if isinstance(found, list) and found else found)
        length = p.seance_length(details, staff)
        if not length:
            raise ProviderError("this staff member does not perform this service")
        item: dict[str, Any] = {"id": int(service)}
        price = p.money(details.get("price_min"))
        if price is not None:
            item |= {"first_cost": float(price), "discount": 0, "cost": float(price)}
        person = {"phone": self._wire_phone(client.phone), "name": client.name} | (
            {"email": client.email} if client.email else {}
        )
        body = {
            "staff_id": int(staff),
            "services": [item],
            "client": person,
            "datetime": start.isoformat(),
            "seance_length": length,
            "save_if_busy": False,
            "send_sms": False,  # the company's own notification settings decide what the client gets
            "comment": comment,
        }
        record, _ = await self.client.write("POST", f"/records/{self.company_id}", json=body)
        record = p.obj(record)
        record_id = p.row_id(record, "booking")
        linked = p.text(p.obj(record.get("client")).get("id")) or client.external_id
        when = p.moment(record.get("datetime")) if record.get("datetime") else start
        return CrmBooking(record_id, when, service, staff, linked or None, details={"record_id": record_id})

    async def cancel_booking(self, booking_id: str) -> None:
        await self.client.write("DELETE", f"/record/{self.company_id}/{p.id_digits(booking_id, 'booking')}")

    async def _anyone(self, service: str, start: datetime) -> str:
        """A staff member free for `service` at `start` (what booking "anyone" means here)."""
        params = [("service_ids[]", service), ("datetime", start.isoformat())]
        staff, _ = await self.client.call("GET", f"/book_staff/{self.company_id}", partner=True, params=params)
        free = [s for s in p.objects(staff, "staff") if p.flag(s.get("bookable"))]
        if not free:
            raise SlotUnavailable("no staff member is free at that time")
        return p.row_id(free[0], "staff")

    def _wire_phone(self, raw: str) -> str:
        number = self._e164(raw)
        return number.lstrip("+") if self.phone_digits else number

    def _e164(self, raw: str) -> str:
        try:
            return phones.e164(raw, self.phone_region)
        except ProviderError:
            if raw.strip().startswith("+"):
                raise
            return phones.e164(f"+{raw.strip()}")  # international digits without the plus

    def _stored_phone(self, raw: Any) -> str:
        try:
            return self._e164(str(raw)) if raw else ""
        except ProviderError:
            return ""

    def _client(self, row: dict[str, Any], fallback: CrmClient | None = None) -> CrmClient:
        base = fallback or CrmClient("", "")
        return CrmClient(
            external_id=p.row_id(row, "client"),
            name=p.text(row.get("name")) or base.name,
            phone=self._stored_phone(row.get("phone")) or base.phone,
            email=p.text(row.get("email")) or base.email,
        )


@register
class YclientsAdapter(YclientsPlatform):
    slug = "yclients"
    position = 10
    title = "YCLIENTS"
    description = "Book clients into YCLIENTS: services, staff, free time and appointments."
    docs_url = "https://developers.yclients.com/ru/"
    logo = "/logos/yclients.svg"
    default_base_url = "https://api.yclients.com/api/v1"
    phone_region = "RU"
    phone_digits = True
    Config = YclientsConfig


@register
class AltegioAdapter(YclientsPlatform):
    slug = "altegio"
    position = 20
    title = "Altegio"
    description = "Book clients into Altegio: services, team members, free time and appointments."
    docs_url = "https://developer.alteg.io/"
    logo = "/logos/altegio.svg"
    default_base_url = "https://api.alteg.io/api/v1"
    Config = AltegioConfig
