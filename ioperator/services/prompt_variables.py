"""The `{{name}}` variables of the agent's prompt: what each one means and how its current value is found.

Built-in variables come from the business, its CRM catalog and its connected channels; custom variables are the
owner's own (name, description, value). Values are prompt text for the AI, written in the prompt's language (en/ru).
Pure logic: the caller reads the rows and builds a `PromptContext`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ioperator.core.i18n import normalize_language

if TYPE_CHECKING:
    from ioperator.models.business import Business
    from ioperator.models.crm import CrmServiceRow, CrmStaffRow
    from ioperator.models.integration import Integration

NAME_RE = re.compile(r"[a-z][a-z0-9_]*")
NAME_MAX_LENGTH = 40

# Words that end up in the prompt itself (the prompt's language, not the viewer's).
_WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "weekdays": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
        "min": "min",
        "h": "h",
        "up_to": "up to",
    },
    "ru": {
        "weekdays": ("понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"),
        "min": "мин",
        "h": "ч",
        "up_to": "до",
    },
}


@dataclass(frozen=True)
class CatalogService:
    """A service or menu item as the prompt shows it (from `CrmServiceRow`)."""

    name: str
    category: str = ""
    price: Decimal | None = None
    price_max: Decimal | None = None
    duration_minutes: int | None = None
    staff: tuple[str, ...] = ()  # names of the people who provide it


@dataclass(frozen=True)
class CatalogStaff:
    name: str
    position: str = ""


@dataclass(frozen=True)
class PromptContext:
    """Everything the built-in variables are resolved from. `now` is injectable for tests (aware; naive = UTC)."""

    business_name: str
    address: str = ""
    phone: str = ""
    website: str = ""
    timezone: str = "UTC"
    working_hours: str = ""  # plain text the owner wrote; may be empty
    channels: tuple[str, ...] = ()  # display names of the connected channels
    services: tuple[CatalogService, ...] = ()
    staff: tuple[CatalogStaff, ...] = ()
    custom: Mapping[str, str] = field(default_factory=dict)  # custom variable name -> value
    language: str = "en"
    now: datetime | None = None

    def local_now(self) -> datetime:
        moment = self.now or datetime.now(UTC)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            zone = ZoneInfo("UTC")
        return moment.astimezone(zone)

    def words(self) -> dict[str, Any]:
        return _WORDS[normalize_language(self.language)]


@dataclass(frozen=True)
class Variable:
    name: str
    resolve: Callable[[PromptContext], str]

    @property
    def description_key(self) -> str:
        return f"prompt.var.{self.name}"


@dataclass(frozen=True)
class VariableInfo:
    """One row of the editor's side panel: built-in rows carry an i18n key, custom rows the owner's description."""

    name: str
    builtin: bool
    description_key: str = ""
    description: str = ""

    @property
    def token(self) -> str:
        return "{{" + self.name + "}}"


def format_price(service: CatalogService, language: str = "en") -> str:
    return _price(service.price, service.price_max, _WORDS[normalize_language(language)])


def format_duration(minutes: int | None, language: str = "en") -> str:
    return _duration(minutes, _WORDS[normalize_language(language)])


def _price(low: Decimal | None, high: Decimal | None, words: dict[str, Any]) -> str:
    if low is None:
        return "" if high is None else f"{words['up_to']} {_money(high)}"
    if high is None or high <= low:
        return _money(low)
    return f"{_money(low)}–{_money(high)}"


def _duration(minutes: int | None, words: dict[str, Any]) -> str:
    if not minutes or minutes <= 0:
        return ""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} {words['min']}"
    return f"{hours} {words['h']} {rest} {words['min']}" if rest else f"{hours} {words['h']}"


def _money(value: Decimal) -> str:
    whole = int(value)
    return str(whole) if whole == value else f"{value:.2f}"


def _services(ctx: PromptContext) -> str:
    """`- Name — price — duration (staff)`, grouped under a bold line per category (in the CRM's order)."""
    words = ctx.words()
    prices: dict[tuple[Decimal | None, Decimal | None], str] = {}  # catalogs repeat a few prices and durations
    durations: dict[int | None, str] = {}
    groups: dict[str, list[str]] = {"": []}  # uncategorized first, so no item sits under another's heading
    for item in ctx.services:
        key = (item.price, item.price_max)
        price = prices.get(key)
        if price is None:
            price = prices[key] = _price(item.price, item.price_max, words)
        duration = durations.get(item.duration_minutes)
        if duration is None:
            duration = durations[item.duration_minutes] = _duration(item.duration_minutes, words)
        line = "- " + item.name
        if price:
            line += " — " + price
        if duration:
            line += " — " + duration
        if item.staff:
            line += " (" + ", ".join(item.staff) + ")"
        group = groups.get(item.category)
        if group is None:
            group = groups[item.category] = [f"\n**{item.category}**"]
        group.append(line)
    return "\n".join(line for group in groups.values() for line in group).lstrip("\n")


def _staff(ctx: PromptContext) -> str:
    return "\n".join(f"- {s.name} — {s.position}" if s.position else f"- {s.name}" for s in ctx.staff)


BUILTIN_VARIABLES: tuple[Variable, ...] = (
    Variable("business_name", lambda c: c.business_name),
    Variable("address", lambda c: c.address),
    Variable("phone", lambda c: c.phone),
    Variable("website", lambda c: c.website),
    Variable("working_hours", lambda c: c.working_hours.strip()),
    Variable("timezone", lambda c: c.timezone),
    Variable("today", lambda c: c.local_now().date().isoformat()),
    Variable("weekday", lambda c: c.words()["weekdays"][c.local_now().weekday()]),
    Variable("current_time", lambda c: c.local_now().strftime("%H:%M")),
    Variable("services", _services),
    Variable("staff", _staff),
    Variable("channels", lambda c: ", ".join(c.channels)),
)
BUILTINS: dict[str, Variable] = {v.name: v for v in BUILTIN_VARIABLES}
BUILTIN_NAMES: frozenset[str] = frozenset(BUILTINS)


def available_variables(custom: Mapping[str, str]) -> list[VariableInfo]:
    """Built-in variables, then the custom ones (`custom`: name -> description), for the editor's side panel."""
    rows = [VariableInfo(v.name, builtin=True, description_key=v.description_key) for v in BUILTIN_VARIABLES]
    rows += [
        VariableInfo(name, builtin=False, description=description)
        for name, description in sorted(custom.items())
        if name not in BUILTINS
    ]
    return rows


def custom_name_problem(name: str) -> str | None:
    """The i18n key of what is wrong with a custom variable's name, or None if it can be used."""
    if not NAME_RE.fullmatch(name) or len(name) > NAME_MAX_LENGTH:
        return "prompt.issue.custom_name_invalid"
    if name in BUILTINS:
        return "prompt.issue.custom_name_taken"
    return None


def resolve_values(ctx: PromptContext, names: Iterable[str] | None = None) -> dict[str, str]:
    """Current values of `names` (all variables when None), each resolved once; unknown names are left out."""
    wanted = set(BUILTINS) | set(ctx.custom) if names is None else set(names)
    values: dict[str, str] = {}
    for name in wanted:
        variable = BUILTINS.get(name)
        if variable is not None:
            values[name] = variable.resolve(ctx)
        elif name in ctx.custom:
            values[name] = ctx.custom[name]
    return values


def empty_names(values: Mapping[str, str]) -> set[str]:
    return {name for name, value in values.items() if not value.strip()}


def catalog_from_rows(
    services: Iterable[CrmServiceRow], staff: Iterable[CrmStaffRow]
) -> tuple[tuple[CatalogService, ...], tuple[CatalogStaff, ...]]:
    """(services, staff) from active `CrmServiceRow` / `CrmStaffRow` rows; staff ids become names."""
    staff_rows = [s for s in staff if s.active]
    names = {(s.integration_id, s.external_id): s.name for s in staff_rows}
    catalog = tuple(
        CatalogService(
            name=row.name,
            category=row.category,
            price=row.price,
            price_max=row.price_max,
            duration_minutes=row.duration_minutes,
            staff=tuple(n for i in row.staff_ids if (n := names.get((row.integration_id, i)))),
        )
        for row in services
        if row.active
    )
    return catalog, tuple(CatalogStaff(s.name, s.position) for s in staff_rows)


def channel_names(integrations: Iterable[Integration]) -> tuple[str, ...]:
    """Display names of the connected channel integrations (`Integration` rows), in a stable order."""
    from ioperator.adapters import registry

    titles = []
    for row in integrations:
        if row.kind != "channel" or row.status != "connected":
            continue
        adapter = registry.get(row.provider)
        titles.append(adapter.title if adapter else row.provider)
    return tuple(sorted(set(titles)))


def context_for_business(
    business: Business,
    *,
    working_hours: str = "",
    services: Iterable[CrmServiceRow] = (),
    staff: Iterable[CrmStaffRow] = (),
    integrations: Iterable[Integration] = (),
    custom: Mapping[str, str] | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> PromptContext:
    """A `PromptContext` from the rows a service has read (the prompt's language defaults to the business's)."""
    catalog, people = catalog_from_rows(services, staff)
    return PromptContext(
        business_name=business.name,
        address=business.address,
        phone=business.phone,
        website=business.website,
        timezone=business.timezone,
        working_hours=working_hours,
        channels=channel_names(integrations),
        services=catalog,
        staff=people,
        custom=dict(custom or {}),
        language=normalize_language(language or business.language),
        now=now,
    )
