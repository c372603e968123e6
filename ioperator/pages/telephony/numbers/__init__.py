"""Telephony → Numbers: every number of the connected providers, synced on demand, filtered, and routed
(ring a member, forward outside, or nothing). Provider calls (sync, routing) run in background events."""

from __future__ import annotations

from ioperator.pages.telephony.numbers.page import numbers_content, numbers_page
from ioperator.pages.telephony.numbers.rows import NumberRow, member_names, plural, provider_meta, route_label
from ioperator.pages.telephony.numbers.state import NumbersState, sync_summary

__all__ = [
    "NumberRow",
    "NumbersState",
    "member_names",
    "numbers_content",
    "numbers_page",
    "plural",
    "provider_meta",
    "route_label",
    "sync_summary",
]
