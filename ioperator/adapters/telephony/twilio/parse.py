"""Twilio's IncomingPhoneNumber resources, normalised into ProviderNumber.

An item carries `sid` (PN…), `phone_number` (E.164), `friendly_name`, `capabilities` (`{"voice","sms","mms",
"fax"}` booleans; older answers capitalise the keys), `voice_application_sid`, `status` (`in-use`) and, in
newer answers only, `type` (`local`, `mobile`, `tollfree`…). There is no country: it comes from the number.
"""

from __future__ import annotations

import logging
from typing import Any

import phonenumbers

from ioperator.adapters import phones
from ioperator.adapters.errors import ProviderError
from ioperator.adapters.telephony.base import ProviderNumber

log = logging.getLogger(__name__)
TYPES = {
    "local": "local",
    "mobile": "mobile",
    "national": "national",
    "tollfree": "toll_free",
    "toll-free": "toll_free",
    "toll_free": "toll_free",
}
DERIVED_TYPES = {
    phonenumbers.PhoneNumberType.MOBILE: "mobile",
    phonenumbers.PhoneNumberType.TOLL_FREE: "toll_free",
    phonenumbers.PhoneNumberType.FIXED_LINE: "local",
    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE: "local",
}
STATUSES = {"in-use": "active", "": "active"}  # Twilio's "in-use" is everyone else's "active"


def number(item: Any, app_sid: str) -> ProviderNumber | None:
    """One owned number; None (logged) for an item without a sid or a usable phone number."""
    sid, raw = getattr(item, "sid", None), getattr(item, "phone_number", None)
    try:
        if not isinstance(sid, str) or not sid or not isinstance(raw, str):
            raise ProviderError("no sid or number")
        e164 = phones.e164(raw)
    except ProviderError:
        log.warning("skipped a Twilio number that has no sid or no valid phone number (%s)", sid)
        return None
    parsed = phonenumbers.parse(e164)
    voice, sms = _capabilities(item)
    status = str(getattr(item, "status", None) or "").strip().lower()
    application = getattr(item, "voice_application_sid", None)
    return ProviderNumber(
        provider_ref=sid,
        e164=e164,
        friendly_name=str(getattr(item, "friendly_name", None) or ""),
        number_type=TYPES.get(str(getattr(item, "type", None) or "").strip().lower()) or _derived_type(parsed),
        country=_country(parsed),
        voice=voice,
        sms=sms,
        status=STATUSES.get(status, status),
        routed_here=bool(app_sid) and application == app_sid,
    )


def _capabilities(item: Any) -> tuple[bool, bool]:
    raw = getattr(item, "capabilities", None)
    if isinstance(raw, dict):
        flags = {str(key).lower(): value is True or str(value).lower() == "true" for key, value in raw.items()}
        return flags.get("voice", False), flags.get("sms", False)
    # No capabilities in the answer: judge by what the number is configured to do.
    voice = any(getattr(item, name, None) for name in ("voice_application_sid", "voice_url", "trunk_sid"))
    sms = any(getattr(item, name, None) for name in ("sms_application_sid", "sms_url"))
    return voice, sms


def _derived_type(parsed: phonenumbers.PhoneNumber) -> str:
    return DERIVED_TYPES.get(phonenumbers.number_type(parsed), "other")


def _country(parsed: phonenumbers.PhoneNumber) -> str:
    region = phonenumbers.region_code_for_number(parsed) or phonenumbers.region_code_for_country_code(
        parsed.country_code or 0
    )
    return "" if not region or region == "ZZ" else region.upper()
