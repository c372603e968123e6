"""Starter prompts an owner picks from: `ioperator/prompt_templates/<slug>.<language>.md`.

Each template already uses the built-in variables and has its required `##` sections.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from ioperator.core.i18n import normalize_language
from ioperator.services.prompt_render import required_sections_for

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "prompt_templates"
SLUGS: tuple[str, ...] = ("restaurant", "salon", "clinic")


@dataclass(frozen=True)
class Template:
    slug: str
    title_key: str  # `prompt.template.<slug>`
    language: str
    body: str
    required_sections: tuple[str, ...]


@functools.cache
def _load(slug: str, language: str) -> Template:
    body = (TEMPLATES_DIR / f"{slug}.{language}.md").read_text(encoding="utf-8")
    return Template(
        slug=slug,
        title_key=f"prompt.template.{slug}",
        language=language,
        body=body,
        required_sections=tuple(required_sections_for(slug, language)),
    )


def list_templates(language: str) -> list[Template]:
    """Every starter template in `language` (unknown languages get English)."""
    lang = normalize_language(language)
    return [_load(slug, lang) for slug in SLUGS]


def get_template(slug: str, language: str) -> Template | None:
    if slug not in SLUGS:
        return None
    return _load(slug, normalize_language(language))
