"""Reading Bitrix24 answers defensively: a shape we do not expect is a ProviderError, never a
KeyError or a ValueError."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ioperator.adapters.errors import ProviderError


def obj(value: Any, where: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if where:
        raise ProviderError(f"{where}: unexpected answer")
    return {}


def items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def rows(result: Any, key: str) -> list[Any]:
    """`result.<key>[…]` of a booking.v1 list method."""
    return items(obj(result).get(key))


def digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def ident(value: Any) -> str:
    """An id Bitrix24 sent (an integer, or its digits as a string)."""
    if isinstance(value, bool) or not isinstance(value, int | str) or not digits(str(value).strip()):
        raise ProviderError("Bitrix24 answered without an id")
    return str(value).strip()


def number(value: Any, what: str) -> int:
    """An id we were given (a service, client or booking id) as Bitrix24's integer."""
    text = str(value).strip()
    if not digits(text):
        raise ProviderError(f"not a Bitrix24 {what} id")
    return int(text)


def join(*parts: Any) -> str:
    return " ".join(str(part).strip() for part in parts if isinstance(part, str) and part.strip())


def first_value(values: Any) -> str:
    """The first `VALUE` of a multi-field (`PHONE`, `EMAIL`: `[{"VALUE": …, "VALUE_TYPE": …}]`)."""
    listed = items(values)
    first = obj(listed[0]) if listed else {}
    return str(first.get("VALUE") or "")


def period(row: Any) -> tuple[datetime, datetime]:
    """A booking's `datePeriod` as UTC datetimes."""
    span = obj(obj(row).get("datePeriod"))
    begin, end = obj(span.get("from")).get("timestamp"), obj(span.get("to")).get("timestamp")
    if not isinstance(begin, int | float | str) or not isinstance(end, int | float | str):
        raise ProviderError("booking.v1.booking.list: a booking without its time")
    try:
        return datetime.fromtimestamp(float(begin), UTC), datetime.fromtimestamp(float(end), UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise ProviderError("booking.v1.booking.list: a booking without a valid time") from None
