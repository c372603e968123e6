"""slug -> adapter class. Provider modules register themselves when their package is imported."""

from __future__ import annotations

from typing import TypeVar

from ioperator.adapters.base import Adapter

_ADAPTERS: dict[str, type[Adapter]] = {}
A = TypeVar("A", bound=type[Adapter])


def register(cls: A) -> A:
    if cls.slug in _ADAPTERS and _ADAPTERS[cls.slug] is not cls:
        raise ValueError(f"two adapters claim the slug {cls.slug!r}")
    _ADAPTERS[cls.slug] = cls
    return cls


def _load() -> None:
    import ioperator.adapters.channels
    import ioperator.adapters.crm
    import ioperator.adapters.telephony  # noqa: F401  (registers the CRM and telephony providers)


def get(slug: str) -> type[Adapter] | None:
    _load()
    return _ADAPTERS.get(slug)


def all_adapters(kind: str | None = None) -> list[type[Adapter]]:
    _load()
    chosen = [cls for cls in _ADAPTERS.values() if kind is None or cls.kind == kind]
    return sorted(chosen, key=lambda cls: (cls.position, cls.title))
