"""The provider catalog: every registered adapter with its form fields and JSON Schema, translated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ioperator.adapters import registry
from ioperator.adapters.base import Adapter, FormField
from ioperator.adapters.crm.base import OPERATIONS, CrmAdapter
from ioperator.core.i18n import translate


@dataclass(frozen=True)
class CatalogEntry:
    slug: str
    kind: str
    title: str
    description: str
    docs_url: str
    logo: str
    available: bool
    unavailable_reason: str
    allow_multiple: bool
    operations: list[str]  # for CRMs: the operations this system supports
    unsupported: dict[str, str]  # operation -> why not
    fields: list[FormField]
    config_schema: dict[str, Any]


def catalog(*, lang: str = "en", kind: str | None = None) -> list[CatalogEntry]:
    """Every registered provider, with its form fields and JSON Schema in the reader's language."""
    return [_catalog_entry(cls, lang) for cls in registry.all_adapters(kind)]


def _catalog_entry(cls: type[Adapter], lang: str) -> CatalogEntry:
    def tr(key: str, fallback: str) -> str:
        text = translate(key, lang)
        return fallback if text == key else text

    fields = [
        FormField(
            name=f.name,
            title=tr(f"provider.{cls.slug}.{f.name}", f.title),
            help=tr(f"provider.{cls.slug}.{f.name}.help", f.help),
            secret=f.secret,
            required=f.required,
            default=f.default,
            input_type=f.input_type,
            placeholder=f.placeholder,
        )
        for f in cls.form_fields()
    ]
    schema = cls.config_schema()
    for f in fields:
        prop = schema.get("properties", {}).get(f.name, {})
        prop["title"], prop["description"] = f.title, f.help
    return CatalogEntry(
        slug=cls.slug,
        kind=cls.kind,
        title=cls.title,
        description=tr(f"provider.{cls.slug}.description", cls.description),
        docs_url=cls.docs_url,
        logo=cls.logo,
        available=cls.available,
        unavailable_reason=cls.unavailable_reason,
        allow_multiple=cls.allow_multiple,
        operations=cls.supported_operations() if issubclass(cls, CrmAdapter) else [],
        unsupported=_unsupported(cls),
        fields=fields,
        config_schema=schema,
    )


def _unsupported(cls: type[Adapter]) -> dict[str, str]:
    if not issubclass(cls, CrmAdapter):
        return {}
    supported = set(cls.supported_operations())
    return {
        op: cls.unsupported_reasons.get(op, f"{cls.title} does not offer this")
        for op in OPERATIONS
        if op not in supported
    }
