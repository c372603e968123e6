"""Bitrix24: Online Booking (booking.v1) for services and bookings, CRM contacts for clients, users
for staff, through one incoming webhook (reference/crm-and-channels.md §4).

* Services are Online Booking resources (specialists, rooms, equipment): bookings belong to them.
* Free time = the resource's slot template (or the configured working hours) minus its bookings.
* A booking is `booking.v1.booking.add` + `booking.v1.booking.client.set` (the CRM contact), and,
  when a pipeline is configured, a CRM deal; cancelling deletes the booking and loses the deal.
* Clients are matched by exact phone strings (Bitrix24 does not normalise): we search the E.164
  form with and without `+`, and write E.164.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import httpx

from ioperator.adapters import phones
from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.crm.base import CrmAdapter, CrmBooking, CrmClient, CrmService, CrmSlot, CrmStaff
from ioperator.adapters.crm.bitrix24 import parse, schedule
from ioperator.adapters.crm.bitrix24.client import Bitrix24Client, map_error
from ioperator.adapters.crm.bitrix24.config import Bitrix24Config, minutes, phone_region
from ioperator.adapters.errors import AdapterError, ProviderError, SlotUnavailable
from ioperator.adapters.registry import register
from ioperator.adapters.resilience import ProviderHttp, RateLimit, account_key

log = logging.getLogger(__name__)
NEEDED_SCOPES = {"crm": {"crm"}, "user": {"user", "user_brief", "user_basic"}, "booking": {"booking"}}
MAX_DAYS = 62
CONTACT = {"module": "crm", "code": "CONTACT"}


@register
class Bitrix24Adapter(CrmAdapter):
    slug: ClassVar[str] = "bitrix24"
    position: ClassVar[int] = 40
    title: ClassVar[str] = "Bitrix24"
    description: ClassVar[str] = "Book clients into Bitrix24 Online Booking and keep them as CRM contacts."
    docs_url: ClassVar[str] = "https://apidocs.bitrix24.com/api-reference/booking/index.html"
    logo: ClassVar[str] = "/logos/bitrix24.svg"
    default_base_url: ClassVar[str] = ""  # every portal has its own address: the webhook's
    rate_limit: ClassVar[RateLimit] = RateLimit(2, 1.0)  # the cloud's leaky bucket drains 2 requests/s
    timeout_seconds: ClassVar[float] = 20.0
    Config = Bitrix24Config
    config: Bitrix24Config

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        assert isinstance(config, Bitrix24Config)
        webhook = config.webhook_url.get_secret_value()
        parts = urlsplit(webhook)
        # An override (a proxy, a test fake) replaces the portal's origin; the secret path stays.
        super().__init__(config, http=http, base_url=base_url or f"https://{parts.netloc}")
        self.host = parts.hostname or ""
        self.zone = ZoneInfo(config.timezone)
        self.region = phone_region(self.host)
        api = ProviderHttp(
            http,
            base_url=f"{self.base_url}{parts.path}",
            key=account_key(self.slug, self.base_url, webhook),
            limit=self.rate_limit,
            retry=self.retry_policy,
            timeout=self.timeout_seconds,
            map_error=map_error,
        )
        self.client = Bitrix24Client(api)

    async def test_connection(self) -> ConnectionInfo:
        profile = parse.obj(await self.client.call("profile"), "profile")
        granted = await self.client.call("scope")
        if not isinstance(granted, list):
            raise ProviderError("scope: unexpected answer")
        scopes = {str(scope) for scope in granted}
        missing = [name for name, accepted in NEEDED_SCOPES.items() if not scopes & accepted]
        if missing:
            raise ProviderError(
                f"the webhook lacks the permissions: {', '.join(missing)}", field="webhook_url", scope=missing[0]
            )
        user = parse.join(profile.get("NAME"), profile.get("LAST_NAME"))
        details = {
            "user": user,
            "user_id": str(profile.get("ID", "")),
            "admin": "yes" if profile.get("ADMIN") is True else "no",
            "scopes": ", ".join(sorted(scopes)),
        }
        return ConnectionInfo(title=self.host, details=details)

    async def list_services(self) -> list[CrmService]:
        rows = await self.client.list_all(
            "booking.v1.resource.list", {"order": {"id": "ASC"}}, lambda r: parse.rows(r, "resource")
        )
        services = []
        for row in rows:
            item = parse.obj(row, "booking.v1.resource.list")
            services.append(
                CrmService(external_id=parse.ident(item.get("id")), name=str(item.get("name") or "").strip())
            )
        return services

    async def list_staff(self) -> list[CrmStaff]:
        rows = await self.client.list_all("user.get", {"FILTER": {"ACTIVE": True}}, parse.items)
        staff = []
        for row in rows:
            user = parse.obj(row, "user.get")
            name = parse.join(user.get("NAME"), user.get("LAST_NAME")) or str(user.get("EMAIL") or "")
            staff.append(CrmStaff(parse.ident(user.get("ID")), name, str(user.get("WORK_POSITION") or "")))
        return staff

    async def free_slots(self, *, service_id: str, staff_id: str | None, start: date, end: date) -> list[CrmSlot]:
        """Free starts of resource `service_id` from `start` to `end` inclusive (`staff_id` is not used:
        in Online Booking the resource is who or what is booked)."""
        if (end - start).days > MAX_DAYS:
            raise ProviderError(f"ask for at most {MAX_DAYS} days of free time at once")
        found = await self._free(parse.number(service_id, "service_id"), start, end)
        return [CrmSlot(start=begin, duration_minutes=size) for begin, size in found]

    async def find_client(self, phone: str) -> CrmClient | None:
        number = phones.e164(phone, self.region)
        found = await self.client.call(
            "crm.duplicate.findbycomm",
            {"entity_type": "CONTACT", "type": "PHONE", "values": [number, number.lstrip("+")]},
        )
        ids = parse.obj(found).get("CONTACT") if found != [] else []  # an empty match is `[]`, not `{}`
        if not isinstance(ids, list) or not ids:
            return None
        contact = parse.obj(
            await self.client.call("crm.contact.get", {"id": min(parse.number(i, "CONTACT") for i in ids)})
        )
        name = parse.join(contact.get("NAME"), contact.get("SECOND_NAME"), contact.get("LAST_NAME"))
        return CrmClient(parse.ident(contact.get("ID")), name, number, parse.first_value(contact.get("EMAIL")))

    async def create_client(self, *, name: str, phone: str, email: str = "") -> CrmClient:
        number = phones.e164(phone, self.region)
        fields: dict[str, Any] = {
            "NAME": name.strip() or number,
            "PHONE": [{"VALUE": number, "VALUE_TYPE": "WORK"}],
            "SOURCE_DESCRIPTION": "iOperator",
        }
        if email:
            fields["EMAIL"] = [{"VALUE": email, "VALUE_TYPE": "WORK"}]
        new_id = await self.client.call("crm.contact.add", {"FIELDS": fields, "PARAMS": {"REGISTER_SONET_EVENT": "N"}})
        return CrmClient(parse.ident(new_id), fields["NAME"], number, email)

    async def create_booking(
        self, *, service_id: str, staff_id: str | None, start: datetime, client: CrmClient, comment: str = ""
    ) -> CrmBooking:
        resource, contact = parse.number(service_id, "service_id"), parse.number(client.external_id, "client")
        start = start if start.tzinfo else start.replace(tzinfo=self.zone)
        day = start.astimezone(UTC).date()
        slot = next(
            (s for s in await self._free(resource, day - timedelta(1), day + timedelta(1)) if s[0] == start), None
        )
        if slot is None:
            raise SlotUnavailable("this time is not free in Bitrix24")
        begin, size = slot
        end, zone_name = begin + timedelta(minutes=size), str(getattr(begin.tzinfo, "key", self.config.timezone))
        period = {
            "from": {"timestamp": int(begin.timestamp()), "timezone": zone_name},
            "to": {"timestamp": int(end.timestamp()), "timezone": zone_name},
        }
        fields = {"resourceIds": [resource], "name": client.name or client.phone, "description": comment}
        added = await self.client.call("booking.v1.booking.add", {"fields": {**fields, "datePeriod": period}})
        booking_id = parse.ident(parse.obj(added).get("id") if isinstance(added, dict) else added)
        try:
            linked = await self.client.call(
                "booking.v1.booking.client.set",
                {"bookingId": int(booking_id), "clients": [{"id": contact, "type": CONTACT}]},
            )
            if linked is not True:
                raise ProviderError("booking.v1.booking.client.set did not confirm")
            deal = await self._add_deal(begin, contact, staff_id, comment)
        except AdapterError:
            await self._undo_booking(booking_id)
            raise
        external = booking_id if deal is None else f"{booking_id}:{deal}:{self.config.deal_pipeline_id}"
        details = {"booking_id": booking_id, "end": end.isoformat(), **({"deal_id": deal} if deal else {})}
        return CrmBooking(external, begin, service_id, staff_id, client.external_id, details=details)

    async def cancel_booking(self, booking_id: str) -> None:
        """`<booking>` or `<booking>:<deal>:<pipeline>`: the deal is lost first, so a retry redoes both."""
        booking, *deal = booking_id.split(":")
        if len(deal) == 2:
            pipeline = parse.number(deal[1], "pipeline")
            stage = "LOSE" if pipeline == 0 else f"C{pipeline}:LOSE"
            updated = await self.client.call(
                "crm.deal.update", {"ID": parse.number(deal[0], "deal"), "FIELDS": {"STAGE_ID": stage}}
            )
            if updated is not True:
                raise ProviderError("crm.deal.update did not confirm")
        if await self.client.call("booking.v1.booking.delete", {"id": parse.number(booking, "booking")}) is not True:
            raise ProviderError("booking.v1.booking.delete did not confirm")

    async def _free(self, resource: int, first: date, last: date) -> list[tuple[datetime, int]]:
        template = parse.obj(await self.client.call("booking.v1.resource.slots.list", {"resourceId": resource}))
        windows = [w for raw in parse.items(template.get("slots")) if (w := schedule.parse_window(raw, self.zone))]
        if not windows:
            days = frozenset(schedule.WEEK_DAYS.index(day) for day in self.config.work_days.split(","))
            span = (minutes(self.config.work_start), minutes(self.config.work_end))
            windows = [schedule.Window(*span, days, self.config.slot_minutes, self.zone)]
        since = datetime.combine(first - timedelta(1), time(), UTC)  # a day of margin for any time zone
        until = datetime.combine(last + timedelta(2), time(), UTC)
        within = {"dateFrom": int(since.timestamp()), "dateTo": int(until.timestamp())}
        rows = await self.client.list_all(
            "booking.v1.booking.list", {"filter": {"within": within}}, lambda r: parse.rows(r, "booking")
        )
        busy = [parse.period(row) for row in rows if _booked(row, resource)]
        return schedule.free_slots(windows, busy, first, last, datetime.now(UTC))

    async def _add_deal(self, start: datetime, contact: int, staff_id: str | None, comment: str) -> str | None:
        if self.config.deal_pipeline_id is None:
            return None
        fields: dict[str, Any] = {
            "TITLE": f"Booking {start:%d.%m.%Y %H:%M}",
            "CATEGORY_ID": self.config.deal_pipeline_id,
            "CONTACT_IDS": [contact],
            "BEGINDATE": start.isoformat(),
            "COMMENTS": comment,
            "SOURCE_DESCRIPTION": "iOperator",
        }
        if staff_id and parse.digits(staff_id):
            fields["ASSIGNED_BY_ID"] = int(staff_id)
        return parse.ident(
            await self.client.call("crm.deal.add", {"FIELDS": fields, "PARAMS": {"REGISTER_SONET_EVENT": "N"}})
        )

    async def _undo_booking(self, booking_id: str) -> None:
        """The booking was made but its client or deal was not: remove it rather than leave half a booking."""
        try:
            await self.client.call("booking.v1.booking.delete", {"id": int(booking_id)})
        except AdapterError as exc:
            log.warning("bitrix24: booking %s was left without its client (%s)", booking_id, exc.key)


def _booked(row: Any, resource: int) -> bool:
    return str(resource) in {str(r) for r in parse.items(parse.obj(row).get("resourceIds"))}
