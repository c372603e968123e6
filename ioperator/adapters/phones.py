"""Phone numbers for providers: parsed with `phonenumbers`, written the way each system expects."""

from __future__ import annotations

import phonenumbers

from ioperator.adapters.errors import ProviderError


def parse(raw: str, default_region: str | None = None) -> phonenumbers.PhoneNumber:
    try:
        number = phonenumbers.parse(raw, default_region)
    except phonenumbers.NumberParseException:
        raise ProviderError("not a phone number", field="phone") from None
    if not phonenumbers.is_possible_number(number):
        raise ProviderError("not a phone number", field="phone")
    return number


def e164(raw: str, default_region: str | None = None) -> str:
    """`+79161234567`"""
    return phonenumbers.format_number(parse(raw, default_region), phonenumbers.PhoneNumberFormat.E164)


def digits(raw: str, default_region: str | None = None) -> str:
    """`79161234567` (YCLIENTS)"""
    return e164(raw, default_region).lstrip("+")
