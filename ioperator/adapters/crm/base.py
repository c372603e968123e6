"""The CRM / booking adapter interface: what the AI agent needs to see services, staff and free
time, and to book. An operation a system does not offer raises `Unsupported` with the reason, and
`supported_operations()` tells the catalog which ones each provider has."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import ClassVar

from ioperator.adapters.base import Adapter
from ioperator.adapters.errors import Unsupported
from ioperator.adapters.resilience import RateLimit, RetryPolicy

OPERATIONS = (
    "list_services",
    "list_staff",
    "free_slots",
    "find_client",
    "create_client",
    "create_booking",
    "cancel_booking",
)


@dataclass(frozen=True)
class CrmService:
    """A bookable service or a menu item."""

    external_id: str
    name: str
    price: Decimal | None = None  # the lowest price when the system gives a range
    price_max: Decimal | None = None
    duration_minutes: int | None = None
    category: str = ""
    staff_ids: tuple[str, ...] = ()  # who performs it, when the system says


@dataclass(frozen=True)
class CrmStaff:
    external_id: str
    name: str
    position: str = ""


@dataclass(frozen=True)
class CrmSlot:
    start: datetime  # aware, in the business's time zone or UTC
    duration_minutes: int | None = None
    staff_id: str | None = None


@dataclass(frozen=True)
class CrmClient:
    external_id: str
    name: str
    phone: str = ""  # E.164
    email: str = ""


@dataclass(frozen=True)
class CrmBooking:
    """A booking; `external_id` is all `cancel_booking` needs (it may pack several provider ids)."""

    external_id: str
    start: datetime
    service_id: str
    staff_id: str | None = None
    client_id: str | None = None
    status: str = "booked"
    details: dict[str, str] = field(default_factory=dict)


class CrmAdapter(Adapter):
    kind: ClassVar[str] = "crm"
    rate_limit: ClassVar[RateLimit] = RateLimit(5, 1.0)
    retry_policy: ClassVar[RetryPolicy] = RetryPolicy()
    # why an operation is missing, shown in the catalog and carried by Unsupported
    unsupported_reasons: ClassVar[dict[str, str]] = {}

    @classmethod
    def supported_operations(cls) -> list[str]:
        return [op for op in OPERATIONS if getattr(cls, op) is not getattr(CrmAdapter, op)]

    def _unsupported(self, operation: str) -> Unsupported:
        return Unsupported(self.unsupported_reasons.get(operation, f"{self.title} does not offer {operation}"))

    async def list_services(self) -> list[CrmService]:
        raise self._unsupported("list_services")

    async def list_staff(self) -> list[CrmStaff]:
        raise self._unsupported("list_staff")

    async def free_slots(self, *, service_id: str, staff_id: str | None, start: date, end: date) -> list[CrmSlot]:
        raise self._unsupported("free_slots")

    async def find_client(self, phone: str) -> CrmClient | None:
        raise self._unsupported("find_client")

    async def create_client(self, *, name: str, phone: str, email: str = "") -> CrmClient:
        raise self._unsupported("create_client")

    async def create_booking(
        self, *, service_id: str, staff_id: str | None, start: datetime, client: CrmClient, comment: str = ""
    ) -> CrmBooking:
        raise self._unsupported("create_booking")

    async def cancel_booking(self, booking_id: str) -> None:
        raise self._unsupported("cancel_booking")
