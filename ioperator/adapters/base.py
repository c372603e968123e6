"""The base of every adapter: what a provider declares, its config model, and its form fields.

A provider module declares `slug`, `kind`, `title`, `description`, `docs_url`, `logo` and a nested
pydantic `Config` (secrets as `SecretStr`; `title` and `description` on every field). The setup
form is drawn from `Config`, so a new provider needs no page or service edits. An adapter is
built per use — `Adapter(config, http=client, base_url=...)` — and never keeps per-business state.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr, ValidationError


class ProviderConfig(BaseModel):
    """Base for each provider's `Config`: unknown keys are refused, strings are stripped."""

    # hide_input_in_errors: a validation error must never carry a token into a log or a message.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)

    @classmethod
    def secret_fields(cls) -> list[str]:
        return [name for name, info in cls.model_fields.items() if info.annotation in (SecretStr, SecretStr | None)]

    def public_values(self) -> dict[str, Any]:
        """The non-secret values (stored in clear, shown as typed)."""
        secrets = set(self.secret_fields())
        return {k: v for k, v in self.model_dump().items() if k not in secrets}

    def secret_values(self) -> dict[str, str]:
        """The secret values in clear (stored encrypted, never shown)."""
        values: dict[str, str] = {}
        for name in self.secret_fields():
            secret = getattr(self, name)
            if secret is not None:
                values[name] = secret.get_secret_value()
        return values


@dataclass(frozen=True)
class FormField:
    """One input of a setup form, derived from a Config field."""

    name: str
    title: str
    help: str
    secret: bool
    required: bool
    default: str
    input_type: str  # "text" | "password" | "url" | "number"
    placeholder: str = ""


@dataclass(frozen=True)
class ConnectionInfo:
    """What a successful connection test found, for people: `title` ("@cafe_bot") and details."""

    title: str
    details: dict[str, str] = field(default_factory=dict)


class Adapter(abc.ABC):
    slug: ClassVar[str]
    kind: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str]
    docs_url: ClassVar[str]
    logo: ClassVar[str]  # a file in assets/, e.g. "/logos/telegram.svg"
    default_base_url: ClassVar[str]
    position: ClassVar[int] = 100  # order in the catalog (lower first)
    available: ClassVar[bool] = True
    unavailable_reason: ClassVar[str] = ""
    allow_multiple: ClassVar[bool] = False
    timeout_seconds: ClassVar[float] = 10.0
    Config: ClassVar[type[ProviderConfig]]

    def __init__(self, config: ProviderConfig, *, http: httpx.AsyncClient, base_url: str | None = None) -> None:
        self.config = config
        self.http = http
        self.base_url = (base_url or self.default_base_url).rstrip("/")

    @abc.abstractmethod
    async def test_connection(self) -> ConnectionInfo:
        """Check the credentials against the provider; raise only typed AdapterErrors."""

    @classmethod
    def parse_config(cls, values: dict[str, Any]) -> ProviderConfig:
        """Validate form values; raises pydantic's ValidationError (the service maps it to fields)."""
        return cls.Config.model_validate(values)

    @classmethod
    def form_fields(cls) -> list[FormField]:
        schema = cls.Config.model_json_schema()
        required = set(schema.get("required", []))
        fields: list[FormField] = []
        for name, prop in schema.get("properties", {}).items():
            secret = prop.get("format") == "password" or name in cls.Config.secret_fields()
            input_type = (
                "password"
                if secret
                else {"integer": "number", "number": "number"}.get(
                    _json_type(prop), "url" if prop.get("format") == "uri" else "text"
                )
            )
            default = prop.get("default")
            fields.append(
                FormField(
                    name=name,
                    title=prop.get("title", name),
                    help=prop.get("description", ""),
                    secret=secret,
                    required=name in required,
                    default="" if default is None else str(default),
                    input_type=input_type,
                    placeholder=str((prop.get("examples") or [""])[0]),
                )
            )
        return fields

    @classmethod
    def config_schema(cls) -> dict[str, Any]:
        return cls.Config.model_json_schema()


def _json_type(prop: dict[str, Any]) -> str:
    if "type" in prop:
        return str(prop["type"])
    for option in prop.get("anyOf", []):
        if option.get("type") != "null":
            return str(option.get("type", "string"))
    return "string"


def validation_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic errors by field name (first error per field)."""
    errors: dict[str, str] = {}
    for error in exc.errors():
        name = str(error["loc"][0]) if error.get("loc") else ""
        errors.setdefault(name, error.get("type", "value_error"))
    return errors
