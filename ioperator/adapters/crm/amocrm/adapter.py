"""amoCRM / Kommo (API v4): users as staff, contacts as clients, and each booking as a lead linked
to the client's contact (reference/crm-and-channels.md §5).

amoCRM keeps deals, not a schedule: there is no free time to read and no service catalog, so
`free_slots` and `list_services` are unsupported. A booking is `POST /api/v4/leads` (array body)
named with the visit time, optionally with the time in a date-time field; cancelling moves the lead
to the system status 143 "closed - lost".
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import httpx

from ioperator.adapters import phones
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.crm.amocrm import client as wire
from ioperator.adapters.crm.amocrm.client import AmoClient, map_error
from ioperator.adapters.crm.amocrm.config import AmoCrmConfig
from ioperator.adapters.crm.base import CrmAdapter, CrmBooking, CrmClient, CrmStaff
from ioperator.adapters.errors import AdapterError, ProviderError
from ioperator.adapters.registry import register
from ioperator.adapters.resilience import ProviderHttp, RateLimit, account_key

log = logging.getLogger(__name__)
CLOSED_LOST = 143  # a system status of every pipeline
PAGE_LIMIT = 250
MAX_PAGES = 400


@register
class AmoCrmAdapter(CrmAdapter):
    slug: ClassVar[str] = "amocrm"
    position: ClassVar[int] = 50
    title: ClassVar[str] = "amoCRM / Kommo"
    description: ClassVar[str] = "Record bookings as amoCRM or Kommo leads linked to the customer's contact."
    docs_url: ClassVar[str] = "https://www.amocrm.ru/developers/content/crm_platform/api-reference"
    logo: ClassVar[str] = "/logos/amocrm.svg"
    default_base_url: ClassVar[str] = ""  # every account has its own address
    rate_limit: ClassVar[RateLimit] = RateLimit(7, 1.0)
    unsupported_reasons: ClassVar[dict[str, str]] = {
        "list_services": "amoCRM has no catalog of services (its optional Lists have no standard price or duration)",
        "free_slots": "amoCRM has no schedule: it keeps leads and contacts, not working hours or appointments",
    }
    Config = AmoCrmConfig
    config: AmoCrmConfig

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        assert isinstance(config, AmoCrmConfig)
        super().__init__(config, http=http, base_url=base_url or config.base_url)
        token = config.access_token.get_secret_value()
        self.region = "RU" if config.base_url.endswith(".amocrm.ru") else None
        self.zone = ZoneInfo(config.timezone)
        api = ProviderHttp(
            http,
            base_url=self.base_url,
            key=account_key(self.slug, self.base_url, token),
            limit=self.rate_limit,
            retry=self.retry_policy,
            timeout=self.timeout_seconds,
            headers={"Authorization": f"Bearer {token}"},
            map_error=map_error,
        )
        self.client = AmoClient(api)

    async def test_connection(self) -> ConnectionInfo:
        account = wire.obj(await self.client.call("GET", "/api/v4/account"), "account")
        if "id" not in account:
            raise ProviderError("account: unexpected answer")
        details = {key: str(account.get(key) or "") for key in ("id", "subdomain", "currency")}
        return ConnectionInfo(title=str(account.get("name") or details["subdomain"]), details=details)

    async def list_staff(self) -> list[CrmStaff]:
        staff: list[CrmStaff] = []
        for page in range(1, MAX_PAGES + 1):
            body = wire.obj(await self.client.call("GET", "/api/v4/users", params={"page": page, "limit": PAGE_LIMIT}))
            for user in wire.embedded(body, "users"):
                if wire.obj(user.get("rights")).get("is_active") is not False:
                    staff.append(CrmStaff(wire.ident(user.get("id")), str(user.get("name") or user.get("email") or "")))
            if "next" not in wire.obj(body.get("_links")):
                return staff
        raise ProviderError(f"users: more than {MAX_PAGES} pages")

    async def find_client(self, phone: str) -> CrmClient | None:
        """amoCRM's `query` is a substring search over filled fields, not normalised: search the
        national digits (they sit inside +7…, 7… and 8… alike) and keep contacts whose number matches."""
        number = phones.e164(phone, self.region)
        national = str(phones.parse(number).national_number)
        body = await self.client.call("GET", "/api/v4/contacts", params={"query": national, "limit": 50})
        for contact in sorted(wire.embedded(wire.obj(body), "contacts"), key=lambda c: str(c.get("id")).zfill(20)):
            if number in {wire.e164_or_empty(value, self.region) for value in wire.field_values(contact, "PHONE")}:
                emails = wire.field_values(contact, "EMAIL")
                return CrmClient(
                    wire.ident(contact.get("id")), str(contact.get("name") or ""), number, next(emails, "")
                )
        return None

    async def create_client(self, *, name: str, phone: str, email: str = "") -> CrmClient:
        number = phones.e164(phone, self.region)
        fields = [{"field_code": "PHONE", "values": [{"value": number, "enum_code": "WORK"}]}]
        if email:
            fields.append({"field_code": "EMAIL", "values": [{"value": email, "enum_code": "WORK"}]})
        display = name.strip() or number
        contact = {"name": display, "custom_fields_values": fields}
        created = wire.embedded(
            wire.obj(await self.client.call("POST", "/api/v4/contacts", json=[contact])), "contacts"
        )
        if not created:
            raise ProviderError("contacts: no contact was created")
        return CrmClient(wire.ident(created[0].get("id")), display, number, email)

    async def create_booking(
        self, *, service_id: str, staff_id: str | None, start: datetime, client: CrmClient, comment: str = ""
    ) -> CrmBooking:
        start = start if start.tzinfo else start.replace(tzinfo=self.zone)
        lead: dict[str, Any] = {
            "name": f"Booking {start.astimezone(self.zone):%d.%m.%Y %H:%M}",
            "_embedded": {
                "contacts": [{"id": wire.number(client.external_id, "client")}],
                "tags": [{"name": "iOperator"}],
            },
        }
        if self.config.pipeline_id:
            lead["pipeline_id"] = self.config.pipeline_id
        if self.config.status_id:
            lead["status_id"] = self.config.status_id
        if staff_id:
            lead["responsible_user_id"] = wire.number(staff_id, "staff")
        if self.config.start_field_id:
            lead["custom_fields_values"] = [
                {"field_id": self.config.start_field_id, "values": [{"value": int(start.timestamp())}]}
            ]
        created = wire.embedded(wire.obj(await self.client.call("POST", "/api/v4/leads", json=[lead])), "leads")
        if not created:
            raise ProviderError("leads: no lead was created")
        lead_id = wire.ident(created[0].get("id"))
        details = {"lead_id": lead_id, "name": lead["name"]}
        text = "\n".join(line for line in (f"Service: {service_id}" if service_id else "", comment) if line)
        if text:
            details["note"] = await self._add_note(lead_id, text)
        return CrmBooking(lead_id, start, service_id, staff_id, client.external_id, details=details)

    async def cancel_booking(self, booking_id: str) -> None:
        lead = wire.number(booking_id, "lead")
        updated = wire.obj(await self.client.call("PATCH", f"/api/v4/leads/{lead}", json={"status_id": CLOSED_LOST}))
        if str(updated.get("id")) != str(lead):
            raise ProviderError("leads: the lead was not updated")

    async def _add_note(self, lead_id: str, text: str) -> str:
        """The comment as a note on the lead. The lead exists already: a failed note must not make the
        caller book again, so it is logged and reported in the booking's details instead."""
        note = [{"note_type": "common", "params": {"text": text}}]
        try:
            await self.client.call("POST", f"/api/v4/leads/{lead_id}/notes", json=note)
        except AdapterError as exc:
            log.warning("amocrm: the note on lead %s was not saved (%s)", lead_id, exc.key)
            return "not saved"
        return "saved"
