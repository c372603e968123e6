"""A row of the Numbers table, and the helpers the Users page shares."""

from __future__ import annotations

import dataclasses

from sqlmodel import Session

from ioperator.adapters import registry
from ioperator.core.auth import TenantContext
from ioperator.core.i18n import translate
from ioperator.models.telephony import PhoneNumber
from ioperator.services import team, telephony_numbers
from ioperator.services.validation import format_phone

ALL = "all"
PAGE_SIZE = 100
NUMBER_TYPES = ("local", "mobile", "toll_free", "national", "other")
ROUTE_FIELDS = ("mode", "user_id", "forward_to")


@dataclasses.dataclass
class NumberRow:
    id: str = ""
    display: str = ""  # international format
    name: str = ""
    type_label: str = ""
    country: str = ""
    voice: bool = False
    sms: bool = False
    provider_title: str = ""
    provider_logo: str = ""
    active: bool = True
    not_pointed: bool = False  # routed, but the provider does not send its calls to iOperator yet
    route: str = telephony_numbers.ROUTE_NONE
    route_label: str = ""


# --- helpers shared with the Users page ---------------------------------------------------------
def provider_meta(slug: str) -> tuple[str, str]:
    """(title, logo) of a provider slug."""
    cls = registry.get(slug)
    return (cls.title, cls.logo) if cls is not None else (slug, "")


def route_label(number: PhoneNumber, names: dict[int, str], lang: str) -> str:
    mode = telephony_numbers.route_of(number)
    if mode == telephony_numbers.ROUTE_USER:
        name = names.get(number.route_user_id or 0, "")
        return translate("telephony.numbers.route.user", lang, name=name or "—")
    if mode == telephony_numbers.ROUTE_EXTERNAL:
        return translate("telephony.numbers.route.external", lang, number=format_phone(number.forward_to))
    return translate("telephony.numbers.route.none", lang)


def plural(key: str, count: int, lang: str) -> str:
    """`{key}.one|few|many|other` by the language's plural rule, with the count formatted."""
    if lang == "ru":
        if count % 10 == 1 and count % 100 != 11:
            form = "one"
        elif 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
            form = "few"
        else:
            form = "many"
    else:
        form = "one" if count == 1 else "other"
    shown = f"{count:,}".replace(",", "\u00a0" if lang == "ru" else ",")
    return translate(f"{key}.{form}", lang, count=shown)


def member_names(session: Session, tenant: TenantContext) -> dict[int, str]:
    return {m.id or 0: m.name or m.email for m in team.list_members(session=session, tenant=tenant)}


def label_of(number: PhoneNumber) -> str:
    """The provider's name for a number, unless it only repeats the number (Twilio's default label)."""
    digits = "".join(ch for ch in number.friendly_name if ch.isdigit())
    return "" if digits and number.e164.lstrip("+").endswith(digits) else number.friendly_name
