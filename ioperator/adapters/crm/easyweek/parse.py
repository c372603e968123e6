"""EasyWeek's answers, read defensively: error bodies (Laravel style `{"message","errors"}`), JSON objects,
time zones, time slots, durations, prices and phone numbers."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from ioperator.adapters.crm.base import CrmSlot
from ioperator.adapters.errors import AdapterError, InvalidAuth, ProviderError, SlotUnavailable

Json = dict[str, Any]
SLOT_FIELDS = ("reserved_on", "time", "slot", "staffer_uuid", "start")  # 422 on these: the time is gone
ISO_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


def map_error(response: httpx.Response) -> AdapterError | None:
    status = response.status_code
    if status < 400 or status == 429 or status >= 500:
        return None
    if status == 401:
        return InvalidAuth("EasyWeek refused the API key", field="api_key")
    if status == 403:
        return InvalidAuth("EasyWeek refused the workspace for this API key", field="workspace")
    try:
        body = response.json()
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    message = str(body.get("message") or f"EasyWeek answered HTTP {status}")[:200]
    errors = body.get("errors")
    if status == 422 and isinstance(errors, dict) and any(key in errors for key in SLOT_FIELDS):
        return SlotUnavailable(message)
    return ProviderError(message)


def json_object(response: httpx.Response) -> Json:
    try:
        body = response.json()
    except ValueError:
        raise ProviderError("EasyWeek sent something that is not JSON") from None
    if not isinstance(body, dict):
        raise ProviderError("unexpected answer from EasyWeek")
    return body


def segment(value: str) -> str:
    return quote(value, safe="")


def zone_of(location: Json) -> ZoneInfo:
    raw = location.get("timezone")
    name = raw.get("name") if isinstance(raw, dict) else raw
    try:
        return ZoneInfo(str(name)) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def slots(data: Any, zone: ZoneInfo, staff_id: str | None) -> list[CrmSlot]:
    if not isinstance(data, dict) or not isinstance(data.get("dates"), list):
        raise ProviderError("EasyWeek returned no time slots")
    if isinstance(data.get("timezone"), str):
        zone = zone_of({"timezone": data["timezone"]})
    found: list[CrmSlot] = []
    for day in data["dates"]:
        for slot in (day.get("slots") or []) if isinstance(day, dict) else []:
            start = _moment(slot.get("start"), zone) if isinstance(slot, dict) else None
            if start is None:
                raise ProviderError("EasyWeek returned a slot without a start")
            end = _moment(slot.get("end"), zone)
            minutes = int((end - start).total_seconds() // 60) if end and end > start else None
            staffer = slot.get("staffer_uuid")
            found.append(CrmSlot(start, minutes, staffer if isinstance(staffer, str) and staffer else staff_id))
    return found


def _moment(value: Any, zone: ZoneInfo) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def minutes(duration: Any) -> int | None:
    if isinstance(duration, int) and not isinstance(duration, bool):
        return duration
    if isinstance(duration, dict):
        match = ISO_DURATION.match(str(duration.get("iso_8601") or ""))
        if match and any(match.groups()):
            hours, minutes, seconds = (int(part or 0) for part in match.groups())
            return hours * 60 + minutes + seconds // 60
        value = duration.get("value")
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    return None


def same_number(raw: Any, number: str) -> bool:
    digits = "".join(ch for ch in str(raw or "") if ch.isdigit())
    return bool(digits) and digits == number.lstrip("+")
