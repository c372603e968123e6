"""What a 1C infobase needs: its OData address, a user, and which catalogs hold what (configuration-specific)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from ioperator.adapters.base import ProviderConfig

NAME = re.compile(r"^[A-Za-zА-Яа-яЁё_][0-9A-Za-zА-Яа-яЁё_]*$")


class OneCConfig(ProviderConfig):
    base_url: str = Field(
        title="OData address",
        description="The infobase publication's OData root, published with the standard OData interface enabled.",
        examples=["https://1c.example.com/salon/odata/standard.odata"],
        json_schema_extra={"format": "uri"},
    )
    username: str = Field(
        min_length=1,
        title="1C user",
        description="An infobase user allowed to read these catalogs and to add counterparties.",
    )
    password: SecretStr = Field(title="Password", description="That user's password.")
    services_catalog: str = Field(
        default="Catalog_Номенклатура",
        title="Services catalog",
        description="The OData entity set of services or goods (add it to the OData interface composition).",
    )
    price_field: str = Field(
        default="",
        title="Price attribute",
        description="An attribute of the services catalog holding the price; empty shows no prices.",
    )
    counterparties_catalog: str = Field(
        default="Catalog_Контрагенты",
        title="Clients catalog",
        description="The OData entity set of clients (counterparties).",
    )
    name_field: str = Field(
        default="Description", title="Client name attribute", description="Where a client's name is kept."
    )
    phone_field: str = Field(
        default="КонтактнаяИнформация/НомерТелефона",
        title="Client phone attribute",
        description="An attribute, or Table/Column of a tabular section, holding the client's phone.",
    )
    staff_catalog: str = Field(
        default="Catalog_Сотрудники",
        title="Staff catalog",
        description="The OData entity set of employees; empty if staff is not shared.",
    )

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("an http(s) address such as https://host/base/odata/standard.odata")
        return value.rstrip("/")

    @field_validator("services_catalog", "counterparties_catalog", "name_field", "price_field", "staff_catalog")
    @classmethod
    def _name(cls, value: str) -> str:
        if value and not NAME.match(value):
            raise ValueError("a 1C name: letters, digits and _")
        return value

    @field_validator("phone_field")
    @classmethod
    def _phone_path(cls, value: str) -> str:
        if not all(NAME.match(part) for part in value.split("/")) or value.count("/") > 1:
            raise ValueError("an attribute name, or TabularSection/Column")
        return value
