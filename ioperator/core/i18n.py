"""One translation helper for every user-facing string. Catalogs: `ioperator/locales/<lang>.json`."""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
LANGUAGES: dict[str, str] = {"en": "English", "ru": "Русский"}
DEFAULT_LANGUAGE = "en"


@functools.cache
def catalog(lang: str) -> dict[str, str]:
    """The strings of one language; unknown languages get English."""
    if lang not in LANGUAGES:
        lang = DEFAULT_LANGUAGE
    with (LOCALES_DIR / f"{lang}.json").open(encoding="utf-8") as handle:
        strings: dict[str, str] = json.load(handle)
    if lang != DEFAULT_LANGUAGE:
        return {**catalog(DEFAULT_LANGUAGE), **strings}
    return strings


def translate(key: str, lang: str = DEFAULT_LANGUAGE, **params: Any) -> str:
    text = catalog(lang).get(key) or catalog(DEFAULT_LANGUAGE).get(key) or key
    if params:
        try:
            return text.format(**params)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def normalize_language(value: str | None) -> str:
    value = (value or "").strip().lower()[:2]
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def language_from_accept_header(header: str | None) -> str:
    """The first supported language in an Accept-Language header, by quality."""
    choices: list[tuple[float, str]] = []
    for part in (header or "").split(","):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        choices.append((quality, tag.strip().lower()[:2]))
    for _, lang in sorted(choices, key=lambda c: -c[0]):
        if lang in LANGUAGES:
            return lang
    return DEFAULT_LANGUAGE


def format_datetime(value: datetime | None, timezone: str) -> str:
    """`2026-11-23 14:05 MSK`: a moment shown in the business's time zone."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
