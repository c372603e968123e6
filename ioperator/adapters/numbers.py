"""Numbers from providers' JSON, read defensively."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def decimal(value: Any) -> Decimal | None:
    """A price or amount as Decimal; None for missing, boolean or unreadable values."""
    if value is None or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None
