"""The rows the Users page shows: a member card, and a number to pick in the edit dialog."""

from __future__ import annotations

import dataclasses

NONE = "none"
VISIBLE_CHOICES = 60
EDIT_FIELDS = ("number_ids", "primary_number_id", "forwarding_number")


@dataclasses.dataclass
class MemberRow:
    id: str = ""
    name: str = ""
    email: str = ""
    initials: str = ""
    me: bool = False
    presence: str = "offline"
    numbers: list[str] = dataclasses.field(default_factory=list)  # formatted
    primary: str = ""
    forwarding: str = ""
    receive_in_browser: bool = True
    forward_when_offline: bool = False
    voicemail: bool = True


@dataclasses.dataclass
class NumberChoice:
    id: str = ""
    label: str = ""  # formatted number
    name: str = ""  # friendly name
    note: str = ""  # who has it now ("Rings Boris", "Forwards to …"), empty when free or theirs
    inactive: bool = False


def _initials(name: str, email: str) -> str:
    parts = [p for p in (name or email).replace("@", " ").split() if p]
    return "".join(p[0] for p in parts[:2]).upper() or "?"
