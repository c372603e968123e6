"""Reading what YCLIENTS / Altegio send, defensively: numbers often come as strings ("1000.00", "16"),
`position` may be an object or `[]`, and anything unexpected becomes a short ProviderError rather
than a KeyError or ValueError escaping."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ioperator.adapters.crm.base import CrmService
from ioperator.adapters.errors import ProviderError


def obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def objects(value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise ProviderError(f"unexpected list of {what}")
    return [item for item in value if isinstance(item, dict)]


def text(value: Any) -> str:
    return "" if value is None or isinstance(value, dict | list) else str(value).strip()


def number(value: Any, default: int = 0) -> int:
    try:
        return int(str(value).split(".")[0]) if value not in (None, "") else default
    except ValueError:
        return default


def row_id(row: dict[str, Any], what: str) -> str:
    value = text(row.get("id"))
    if not value:
        raise ProviderError(f"a {what} without an id")
    return value


def id_digits(value: str, what: str) -> str:
    """An id we put into a path: digits only, so nothing else can reach the URL."""
    if not str(value).isdigit():
        raise ProviderError(f"not a {what} id: {str(value)[:20]!r}")
    return str(int(value))


def flag(value: Any) -> bool:
    return value is True or text(value) not in ("", "0", "False", "false")


def money(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def minutes(seconds: Any) -> int | None:
    """Durations travel in seconds."""
    value = number(seconds)
    return value // 60 if value > 0 else None


def moment(value: Any) -> datetime:
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        raise ProviderError("a time the platform sent is not ISO 8601") from None
    if parsed.tzinfo is None:
        raise ProviderError("a time the platform sent has no time zone")
    return parsed


def position(staff: dict[str, Any]) -> str:
    return text(obj(staff.get("position")).get("title")) or text(staff.get("specialization"))


def seance_length(service: dict[str, Any], staff_id: str) -> int:
    """Seconds the service takes with this staff member (0 when they do not perform it)."""
    performers = service.get("staff") or []
    if not isinstance(performers, list):
        raise ProviderError("unexpected list of the service's staff")
    lengths = [number(s.get("seance_length")) for s in performers if isinstance(s, dict)]
    ids = [text(s.get("id")) for s in performers if isinstance(s, dict)]
    return next((length for sid, length in zip(ids, lengths, strict=True) if sid == staff_id), 0)


def service(row: dict[str, Any], categories: dict[str, str]) -> CrmService:
    performers = [s for s in row.get("staff") or [] if isinstance(s, dict) and text(s.get("id"))]
    lengths = [m for m in (minutes(s.get("seance_length")) for s in performers) if m]
    low, high = money(row.get("price_min")), money(row.get("price_max"))
    return CrmService(
        external_id=row_id(row, "service"),
        name=text(row.get("title")),
        price=low,
        price_max=high if high is not None and low is not None and high > low else None,
        duration_minutes=min(lengths) if lengths else None,  # it varies by staff member; the shortest
        category=categories.get(text(row.get("category_id")), ""),
        staff_ids=tuple(text(s.get("id")) for s in performers),
    )
