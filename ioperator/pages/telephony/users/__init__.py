"""Telephony → Users: each member's status, numbers, primary outbound number, forwarding and call
preferences. Owners and admins edit them (a background event: assigning a number may call its provider);
operators read."""

from __future__ import annotations

from ioperator.pages.telephony.users.page import telephony_users_page
from ioperator.pages.telephony.users.state import TelephonyUsersState

__all__ = ["TelephonyUsersState", "telephony_users_page"]
