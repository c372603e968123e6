"""Free time in Bitrix24 Online Booking, which has no "free slots" method: a resource's slot
template (`booking.v1.resource.slots.list`: minutes of the day, week days, slot size, time zone)
cut into slots, minus the bookings that overlap them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEK_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class Window:
    """One line of a slot template: bookable from `start` to `end` minute of the day."""

    start: int
    end: int
    week_days: frozenset[int]  # 0 = Monday
    slot_minutes: int
    zone: ZoneInfo


def zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_window(raw: Any, fallback_zone: ZoneInfo) -> Window | None:
    """A template line from Bitrix24, or None when it is not one we can use."""
    if not isinstance(raw, dict):
        return None
    start, end, size = raw.get("from"), raw.get("to"), raw.get("slotSize")
    days = raw.get("weekDays")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end, size)):
        return None
    assert isinstance(start, int) and isinstance(end, int) and isinstance(size, int)
    if not (0 <= start < end <= MINUTES_PER_DAY and size > 0) or not isinstance(days, list):
        return None
    week_days = frozenset(WEEK_DAYS.index(day) for day in days if day in WEEK_DAYS)
    tz = zone(str(raw.get("timezone") or "")) or fallback_zone
    return Window(start, end, week_days, size, tz) if week_days else None


def free_slots(
    windows: Iterable[Window],
    busy: Iterable[tuple[datetime, datetime]],
    first: date,
    last: date,
    now: datetime,
) -> list[tuple[datetime, int]]:
    """(start, minutes) of every slot from `first` to `last` (inclusive, in each window's zone) that
    starts after `now` and overlaps no busy interval; sorted by start, without duplicates."""
    taken = [(begin.astimezone(UTC), end.astimezone(UTC)) for begin, end in busy]
    found: dict[datetime, tuple[datetime, int]] = {}
    for window in windows:
        for begin in _starts(window, first, last):
            end = begin + timedelta(minutes=window.slot_minutes)
            utc_begin, utc_end = begin.astimezone(UTC), end.astimezone(UTC)
            if utc_begin <= now or any(b < utc_end and utc_begin < e for b, e in taken):
                continue
            found.setdefault(utc_begin, (begin, window.slot_minutes))
    return [found[key] for key in sorted(found)]


def _starts(window: Window, first: date, last: date) -> Iterator[datetime]:
    day = first
    while day <= last:
        if day.weekday() in window.week_days:
            midnight = datetime.combine(day, time(), tzinfo=window.zone)
            minute = window.start
            while minute + window.slot_minutes <= window.end:
                yield midnight + timedelta(minutes=minute)  # wall-clock time of that day
                minute += window.slot_minutes
        day += timedelta(days=1)
