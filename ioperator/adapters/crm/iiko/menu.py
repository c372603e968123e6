"""The iiko menu (`/api/1/nomenclature`) as services: dishes and goods with their size prices,
groups as categories; modifiers and deleted items left out. Menu items have no duration."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ioperator.adapters import phones
from ioperator.adapters.crm.base import CrmService
from ioperator.adapters.errors import ProviderError


def services(body: dict[str, Any]) -> list[CrmService]:
    products, groups = body.get("products"), body.get("groups")
    if not isinstance(products, list):
        raise ProviderError("iiko returned no menu")
    names = {g["id"]: str(g.get("name", "")) for g in groups or [] if isinstance(g, dict) and "id" in g}
    services: list[CrmService] = []
    for product in products:
        if not isinstance(product, dict) or product.get("isDeleted") or product.get("type") == "modifier":
            continue
        if not isinstance(product.get("id"), str) or not isinstance(product.get("name"), str):
            continue
        prices = sorted(_prices(product.get("sizePrices")))
        services.append(
            CrmService(
                external_id=product["id"],
                name=product["name"],
                price=prices[0] if prices else None,
                price_max=prices[-1] if len(prices) > 1 and prices[-1] != prices[0] else None,
                category=names.get(product.get("parentGroup") or product.get("groupId"), ""),
            )
        )
    return services


def _prices(size_prices: Any) -> list[Decimal]:
    found: list[Decimal] = []
    for size in size_prices if isinstance(size_prices, list) else []:
        price = size.get("price") if isinstance(size, dict) else None
        if not isinstance(price, dict) or price.get("isIncludedInMenu") is False:
            continue
        value = price.get("currentPrice")
        if isinstance(value, int | float) and not isinstance(value, bool):
            try:
                found.append(Decimal(str(value)))
            except InvalidOperation:
                continue
    return found


def e164_or(raw: Any, fallback: str) -> str:
    if not isinstance(raw, str) or not raw:
        return fallback
    try:
        return phones.e164(raw)
    except ProviderError:
        return fallback
