"""Every visible string goes through the catalogs; English and Russian stay complete and consistent."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from ioperator.core.i18n import LOCALES_DIR, catalog, language_from_accept_header, translate

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "ioperator"
KEY_PATTERNS = [
    re.compile(r'\bt\(\s*"([a-z_]+\.[a-z_.]+)"'),  # components: t("nav.team")
    re.compile(r'\b_t\(\s*"([a-z_]+\.[a-z_.]+)"'),  # states: base._t("team.added")
    re.compile(
        r"\b(?:ServiceError|NotFound|PermissionDenied|ValidationFailed|Conflict|TooManyAttempts|"
        r'NotAuthenticated|InvalidCredentials|require_\w+)\(\s*"(error\.[a-z_.]+)"'
    ),
    re.compile(r'"(error\.[a-z_]+)"'),
    re.compile(r'(?:label|title|hint|description)_key\s*=\s*"([a-z_]+\.[a-z_.]+)"'),
    re.compile(r'NavItem\(\s*"([a-z_]+\.[a-z_.]+)"'),
    re.compile(r'^\s*"([a-z_]+\.[a-z_]+)",\s*$', re.M),  # page title keys passed positionally
]


def _raw(lang: str) -> dict[str, str]:
    return json.loads((LOCALES_DIR / f"{lang}.json").read_text(encoding="utf-8"))


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_catalogs_have_the_same_keys_and_placeholders() -> None:
    en, ru = _raw("en"), _raw("ru")
    assert set(en) == set(ru)
    for key in en:
        assert _placeholders(en[key]) == _placeholders(ru[key]), key
        assert ru[key].strip(), key


def test_every_key_used_in_code_exists() -> None:
    used: set[str] = set()
    for path in SOURCE.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in KEY_PATTERNS:
            used.update(pattern.findall(text))
    used = {k for k in used if not k.endswith(".")}
    assert len(used) > 60  # the scan itself works
    missing = sorted(k for k in used if k not in _raw("en"))
    assert missing == []


def test_dynamic_keys_exist() -> None:
    from ioperator.models.user import Role
    from ioperator.services.onboarding import STEPS

    en = _raw("en")
    for role in Role:
        assert f"role.{role.value}" in en
    assert len(STEPS) >= 4
    for key in ("account", "profile", "business", "team", "channel", "crm"):
        assert f"onboarding.{key}.title" in en and f"onboarding.{key}.hint" in en


def test_translate_formats_and_falls_back() -> None:
    assert translate("error.password_too_short", "ru", min=10) == "Пароль должен содержать не менее 10 символов."
    assert translate("error.password_too_short", "xx", min=10).startswith("The password")
    assert translate("no.such.key") == "no.such.key"
    assert catalog("ru")["nav.team"] == "Команда"


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        ("de-DE,en;q=0.5", "en"),
        ("", "en"),
        ("fr;q=0.9, ru;q=0.95", "ru"),
        ("garbage;;q=x", "en"),
    ],
)
def test_language_from_accept_header(header: str, lang: str) -> None:
    assert language_from_accept_header(header) == lang


def test_format_datetime_in_the_business_time_zone() -> None:
    from datetime import UTC, datetime

    from ioperator.core.i18n import format_datetime

    moment = datetime(2026, 11, 23, 11, 5, tzinfo=UTC)
    assert format_datetime(moment, "Europe/Moscow") == "2026-11-23 14:05 MSK"
    assert format_datetime(moment, "Not/AZone") == "2026-11-23 11:05 UTC"
    assert format_datetime(None, "UTC") == ""


def test_every_provider_is_translated() -> None:
    from ioperator.adapters import registry

    en, ru = _raw("en"), _raw("ru")
    for cls in registry.all_adapters():
        keys = [f"provider.{cls.slug}.description"]
        for field in cls.form_fields():
            keys += [f"provider.{cls.slug}.{field.name}", f"provider.{cls.slug}.{field.name}.help"]
        for key in keys:
            assert key in en and key in ru, key
