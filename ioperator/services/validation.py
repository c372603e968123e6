"""Field validators shared by services. Each raises ValidationFailed naming the field."""

from __future__ import annotations

import zoneinfo

import phonenumbers
from email_validator import EmailNotValidError, validate_email

from ioperator.core.config import get_settings
from ioperator.core.errors import ValidationFailed
from ioperator.core.i18n import LANGUAGES

PASSWORD_MAX_LENGTH = 256


def email(value: str, *, field: str = "email") -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("error.email_required", field=field)
    try:
        # Intranet domains (.local, .lan, .internal) are allowed: self-hosted installations use them.
        result = validate_email(value, check_deliverability=False, globally_deliverable=False)
    except EmailNotValidError:
        raise ValidationFailed("error.email_invalid", field=field) from None
    return result.normalized.lower()


def password(value: str, *, field: str = "password") -> str:
    minimum = get_settings().password_min_length
    if len(value or "") < minimum:
        raise ValidationFailed("error.password_too_short", field=field, min=minimum)
    if len(value) > PASSWORD_MAX_LENGTH:
        raise ValidationFailed("error.password_too_long", field=field, max=PASSWORD_MAX_LENGTH)
    return value


def text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise ValidationFailed("error.field_required", field=field)
    if len(value) > max_length:
        raise ValidationFailed("error.field_too_long", field=field, max=max_length)
    return value


def language(value: str | None, *, field: str = "language") -> str:
    if value not in LANGUAGES:
        raise ValidationFailed("error.language_invalid", field=field)
    return value


def timezone(value: str | None, *, field: str = "timezone") -> str:
    value = (value or "").strip()
    if value not in zoneinfo.available_timezones():
        raise ValidationFailed("error.timezone_invalid", field=field)
    return value


def phone(value: str | None, *, field: str = "phone", required: bool = False) -> str:
    """An international number, stored in E.164; empty stays empty unless required."""
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationFailed("error.field_required", field=field)
        return ""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise ValidationFailed("error.phone_invalid", field=field) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationFailed("error.phone_invalid", field=field)
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def website(value: str | None, *, field: str = "website") -> str:
    value = (value or "").strip()
    if not value:
        return ""
    if "://" not in value:
        value = "https://" + value
    scheme, _, rest = value.partition("://")
    host = rest.split("/", 1)[0]
    if scheme not in ("http", "https") or "." not in host or " " in value or len(value) > 200:
        raise ValidationFailed("error.website_invalid", field=field)
    return value


def format_phone(value: str) -> str:
    """E.164 shown in international format for people."""
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
