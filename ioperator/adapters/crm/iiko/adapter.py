"""iiko and Syrve (one iikoCloud API, two hosts): the menu as services, tables as free time,
guests by phone, and table reservations (asynchronous commands, awaited until the terminal answers)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from typing import Any, ClassVar, cast
from zoneinfo import ZoneInfo

import httpx
from pydantic import Field, SecretStr

from ioperator.adapters import phones
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.crm.base import CrmAdapter, CrmBooking, CrmClient, CrmService, CrmSlot
from ioperator.adapters.crm.iiko import menu, tables
from ioperator.adapters.crm.iiko.client import IikoClient, format_datetime, map_error
from ioperator.adapters.crm.iiko.config import IikoConfig
from ioperator.adapters.errors import ProviderError, SlotUnavailable
from ioperator.adapters.registry import register
from ioperator.adapters.resilience import ProviderHttp, RateLimit, account_key

GUESTS = 2  # the booking interface carries no party size; tables are chosen for two
SLOT_STEP_MINUTES = 30
MAX_DAYS_AHEAD = 90  # "Reservation can be made up to 90 days prior to the date."
NOT_FOUND = re.compile(r"no (user|customer|guest)|(user|customer|guest)s? not found|не найден", re.IGNORECASE)


@register
class IikoAdapter(CrmAdapter):
    slug = "iiko"
    position = 60
    title = "iiko"
    description = "Show the iiko menu, find free tables and book them for guests."
    docs_url = "https://api-ru.iiko.services/docs"
    logo = "/logos/iiko.svg"
    default_base_url = "https://api-ru.iiko.services"
    rate_limit = RateLimit(5, 1.0)  # not published: stay conservative
    unsupported_reasons = {
        "list_staff": "iikoCloud has no staff or schedule API for guests (only couriers); tables are booked instead.",
    }
    token_refresh_margin: ClassVar[float] = 300.0  # refresh a token this many seconds before it expires
    command_poll_attempts: ClassVar[int] = 30
    command_poll_delay: ClassVar[float] = 0.5
    phone_region: ClassVar[str | None] = "RU"  # how to read a number written without +country code

    Config = IikoConfig

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        super().__init__(config, http=http, base_url=base_url)
        self.settings = cast(IikoConfig, config)
        api_login = self.settings.api_login.get_secret_value()
        transport = ProviderHttp(
            http,
            base_url=self.base_url,
            key=account_key(self.slug, self.base_url, api_login),
            limit=self.rate_limit,
            retry=self.retry_policy,
            timeout=self.timeout_seconds,
            map_error=map_error,
        )
        self.client = IikoClient(
            transport,
            api_login,
            refresh_margin=self.token_refresh_margin,
            poll_attempts=self.command_poll_attempts,
            poll_delay=self.command_poll_delay,
        )
        self.zone = ZoneInfo(self.settings.timezone)
        self._organization_id = self.settings.organization_id
        self._terminal_group_id = self.settings.terminal_group_id

    async def test_connection(self) -> ConnectionInfo:
        organizations = await self._organizations()
        chosen = self._choose(organizations)
        self._organization_id = chosen["id"]
        details = {"organization_id": chosen["id"], "organizations": str(len(organizations))}
        return ConnectionInfo(title=str(chosen.get("name") or chosen["id"]), details=details)

    async def list_services(self) -> list[CrmService]:
        body = {"organizationId": await self._organization(), "startRevision": 0}
        return menu.services(await self.client.post("/api/1/nomenclature", body))

    async def free_slots(self, *, service_id: str, staff_id: str | None, start: date, end: date) -> list[CrmSlot]:
        """Times when a table is free for a reservation; `staff_id`, if given, is a table id."""
        minutes, hours = self.settings.reservation_minutes, tables.parse_hours(self.settings.opening_hours)
        now = datetime.now(self.zone).replace(tzinfo=None)
        end = min(end, now.date() + timedelta(days=MAX_DAYS_AHEAD))
        if end < start:
            return []
        known, reserves = await self._floor(datetime.combine(start, datetime.min.time()), (end - start).days + 1)
        known = [table for table in known if staff_id in (None, table.id)]
        slots: list[CrmSlot] = []
        for offset in range((end - start).days + 1):
            for moment in tables.seating_times(start + timedelta(days=offset), hours, minutes, SLOT_STEP_MINUTES):
                if moment > now and tables.free_tables(known, reserves, moment, minutes):
                    slots.append(CrmSlot(start=moment.replace(tzinfo=self.zone), duration_minutes=minutes))
        return slots

    async def find_client(self, phone: str) -> CrmClient | None:
        number = phones.e164(phone, self.phone_region)
        body = {"type": "phone", "phone": number, "organizationId": await self._organization()}
        try:
            guest = await self.client.post("/api/1/loyalty/iiko/customer/info", body)
        except ProviderError as exc:
            if NOT_FOUND.search(exc.detail):
                return None
            raise
        if not isinstance(guest.get("id"), str) or not guest["id"]:
            return None
        name = " ".join(part for part in (guest.get("name"), guest.get("surname")) if isinstance(part, str) and part)
        email = guest.get("email")
        return CrmClient(
            guest["id"], name, menu.e164_or(guest.get("phone"), number), email if isinstance(email, str) else ""
        )

    async def create_client(self, *, name: str, phone: str, email: str = "") -> CrmClient:
        number = phones.e164(phone, self.phone_region)
        body: dict[str, Any] = {"organizationId": await self._organization(), "phone": number, "name": name}
        if email:
            body["email"] = email
        created = await self.client.post("/api/1/loyalty/iiko/customer/create_or_update", body)
        if not isinstance(created.get("id"), str) or not created["id"]:
            raise ProviderError("iiko did not return the guest's id")
        return CrmClient(created["id"], name, number, email)

    async def create_booking(
        self, *, service_id: str, staff_id: str | None, start: datetime, client: CrmClient, comment: str = ""
    ) -> CrmBooking:
        """Reserve a table; iiko finds the guest by phone or creates one (the `customer.id` stays null)."""
        moment = (start.astimezone(self.zone) if start.tzinfo else start).replace(tzinfo=None, microsecond=0)
        minutes, number = self.settings.reservation_minutes, phones.e164(client.phone, self.phone_region)
        known, reserves = await self._floor(moment - timedelta(days=1), 2)
        free = tables.free_tables([t for t in known if staff_id in (None, t.id)], reserves, moment, minutes)
        if not free:
            raise SlotUnavailable("no table is free at that time")
        table, organization_id = tables.pick_table(free, GUESTS), await self._organization()
        body = {
            "organizationId": organization_id,
            "terminalGroupId": await self._terminal_group(),
            "id": str(uuid.uuid4()),
            "customer": {"type": "regular", "name": client.name or "Guest"},
            "phone": number,
            "guests": {"count": GUESTS},
            "comment": comment,
            "durationInMinutes": minutes,
            "shouldRemind": True,
            "tableIds": [table.id],
            "estimatedStartTime": format_datetime(moment),
        }
        answer = await self.client.post("/api/1/reserve/create", body, write=True)
        info = answer.get("reserveInfo")
        if not isinstance(info, dict) or not isinstance(info.get("id"), str):
            raise ProviderError("iiko did not return the reservation")
        if info.get("creationStatus") == "Error":
            error = info.get("errorInfo")
            message = error.get("message") if isinstance(error, dict) else None
            raise ProviderError(str(message or "iiko refused the reservation")[:200])
        if info.get("creationStatus") != "Success":
            await self.client.wait_for_command(organization_id, answer.get("correlationId"), "create the reservation")
        return CrmBooking(
            external_id=info["id"],
            start=moment.replace(tzinfo=self.zone),
            service_id=service_id,
            client_id=client.external_id or None,
            details={"table_id": table.id, "table": table.name, "organization_id": organization_id},
        )

    async def cancel_booking(self, booking_id: str) -> None:
        organization_id = await self._organization()
        body = {"organizationId": organization_id, "reserveId": booking_id, "cancelReason": "ClientRefused"}
        answer = await self.client.post("/api/1/reserve/cancel", body, write=True)
        await self.client.wait_for_command(organization_id, answer.get("correlationId"), "cancel the reservation")

    # --- helpers -----------------------------------------------------------------------------------

    async def _organizations(self) -> list[dict[str, Any]]:
        body = {"organizationIds": None, "returnAdditionalInfo": False, "includeDisabled": False}
        found = (await self.client.post("/api/1/organizations", body)).get("organizations")
        if not isinstance(found, list):
            raise ProviderError("iiko returned no organizations")
        return [org for org in found if isinstance(org, dict) and isinstance(org.get("id"), str)]

    def _choose(self, organizations: list[dict[str, Any]]) -> dict[str, Any]:
        wanted = self.settings.organization_id
        if wanted:
            for org in organizations:
                if org["id"] == wanted:
                    return org
            raise ProviderError("the API login does not see this organization", field="organization_id")
        if len(organizations) == 1:
            return organizations[0]
        if not organizations:
            raise ProviderError("the API login sees no organization")
        names = ", ".join(str(org.get("name", org["id"])) for org in organizations[:5])
        raise ProviderError(f"the API login sees several organizations ({names}): pick one", field="organization_id")

    async def _organization(self) -> str:
        if not self._organization_id:
            self._organization_id = self._choose(await self._organizations())["id"]
        return self._organization_id

    async def _terminal_group(self) -> str:
        if self._terminal_group_id:
            return self._terminal_group_id
        body = {"organizationIds": [await self._organization()], "includeDisabled": False}
        groups = (await self.client.post("/api/1/terminal_groups", body)).get("terminalGroups")
        for wrapper in groups if isinstance(groups, list) else []:
            items = wrapper.get("items") if isinstance(wrapper, dict) else None
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and isinstance(item.get("id"), str):
                    self._terminal_group_id = item["id"]
                    return item["id"]
        raise ProviderError("the organization has no terminal group", field="terminal_group_id")

    async def _floor(self, since: datetime, days: int) -> tuple[list[tables.Table], list[tables.Reserve]]:
        """The tables and their reservations from the day before `since` for `days` days (a late
        reservation the evening before may run past midnight)."""
        body = {"terminalGroupIds": [await self._terminal_group()], "returnSchema": False}
        known = tables.tables_from(await self.client.post("/api/1/reserve/available_restaurant_sections", body))
        if not known:
            return [], []
        sections = sorted({table.section_id for table in known})
        since = since.replace(hour=0, minute=0, second=0, microsecond=0)
        window = {
            "restaurantSectionIds": sections,
            "dateFrom": format_datetime(since - timedelta(days=1)),
            "dateTo": format_datetime(since + timedelta(days=days + 1)),
        }
        workload = await self.client.post("/api/1/reserve/restaurant_sections_workload", window)
        return known, tables.reserves_from(workload)


@register
class SyrveAdapter(IikoAdapter):
    slug = "syrve"
    position = 70
    title = "Syrve"
    description = "Show the Syrve menu, find free tables and book them for guests."
    docs_url = "https://api-eu.syrve.live/docs"
    logo = "/logos/syrve.svg"
    default_base_url = "https://api-eu.syrve.live"
    phone_region = None  # international: numbers must carry their country code

    class Config(IikoConfig):
        api_login: SecretStr = Field(
            title="API login",
            description="Syrve Web → Settings → API logins (Syrve Cloud API); allow menu, reserves and guests.",
            examples=["3b5e1c2a…"],
        )
        timezone: str = Field(
            default="Europe/London",
            title="Time zone",
            description="The restaurant's time zone (IANA name): Syrve reservation times are local to the terminal.",
            examples=["Europe/London"],
        )
