"""Free tables, computed: iikoCloud gives the tables of each restaurant section
(`reserve/available_restaurant_sections`) and the reservations on them
(`reserve/restaurant_sections_workload`); a time is free when some table has no reservation overlapping
[start, start + duration). All times here are naive and local to the terminal, as iiko writes them."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ioperator.adapters.crm.iiko.client import parse_datetime
from ioperator.adapters.errors import ProviderError

HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Table:
    id: str
    name: str
    capacity: int
    section_id: str


@dataclass(frozen=True)
class Reserve:
    table_ids: frozenset[str]
    start: datetime
    minutes: int

    def overlaps(self, start: datetime, minutes: int) -> bool:
        return self.start < start + timedelta(minutes=minutes) and start < self.start + timedelta(minutes=self.minutes)


def parse_hours(value: str) -> tuple[time, time]:
    """`10:00-22:00` -> (10:00, 22:00); a closing time not after the opening one is the next day."""
    match = HOURS.match(value)
    if not match:
        raise ValueError("opening hours look like 10:00-22:00")
    hour_open, minute_open, hour_close, minute_close = (int(part) for part in match.groups())
    return time(hour_open, minute_open), time(hour_close, minute_close)


def tables_from(sections_body: dict[str, Any]) -> list[Table]:
    sections = sections_body.get("restaurantSections")
    if not isinstance(sections, list):
        raise ProviderError("iiko returned no restaurant sections")
    tables: list[Table] = []
    for section in sections:
        if not isinstance(section, dict) or not isinstance(section.get("tables"), list):
            continue
        for table in section["tables"]:
            if not isinstance(table, dict) or table.get("isDeleted") or not isinstance(table.get("id"), str):
                continue
            capacity = table.get("seatingCapacity")
            name = table.get("name") or f"#{table.get('number', '?')}"
            tables.append(
                Table(
                    id=table["id"],
                    name=str(name),
                    capacity=capacity if isinstance(capacity, int) else 0,
                    section_id=str(section.get("id", "")),
                )
            )
    return tables


def reserves_from(workload_body: dict[str, Any]) -> list[Reserve]:
    reserves = workload_body.get("reserves")
    if not isinstance(reserves, list):
        raise ProviderError("iiko returned no workload")
    found: list[Reserve] = []
    for reserve in reserves:
        if not isinstance(reserve, dict):
            continue
        start = parse_datetime(reserve.get("estimatedStartTime"))
        minutes = reserve.get("durationInMinutes")
        table_ids = reserve.get("tableIds")
        if start is None or not isinstance(minutes, int) or not isinstance(table_ids, list):
            raise ProviderError("iiko returned a reservation without time, duration or tables")
        found.append(Reserve(frozenset(str(table_id) for table_id in table_ids), start, minutes))
    return found


def free_tables(tables: Iterable[Table], reserves: list[Reserve], start: datetime, minutes: int) -> list[Table]:
    """Tables without a reservation overlapping the time, smallest first (keep big tables for big groups)."""
    busy = {table_id for reserve in reserves if reserve.overlaps(start, minutes) for table_id in reserve.table_ids}
    return sorted((table for table in tables if table.id not in busy), key=lambda table: (table.capacity, table.name))


def pick_table(tables: list[Table], guests: int) -> Table:
    """The smallest table that seats the party, else the biggest there is."""
    fitting = [table for table in tables if table.capacity >= guests]
    return fitting[0] if fitting else max(tables, key=lambda table: table.capacity)


def seating_times(day: date, hours: tuple[time, time], minutes: int, step: int) -> list[datetime]:
    """Start times on `day` from opening, every `step` minutes, that end by closing time."""
    opening = datetime.combine(day, hours[0])
    closing = datetime.combine(day, hours[1])
    if closing <= opening:
        closing += timedelta(days=1)
    times: list[datetime] = []
    moment = opening
    while moment + timedelta(minutes=minutes) <= closing:
        times.append(moment)
        moment += timedelta(minutes=step)
    return times
