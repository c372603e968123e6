"""WhatsApp Cloud API (Meta Graph): connection test and webhook intake.

The owner creates the Meta app, sets our callback URL and verify token on its WhatsApp webhook
and subscribes the `messages` field; we only check the credentials and read what Meta delivers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.channels import meta
from ioperator.adapters.channels.base import ChannelAdapter, ConnectContext, InboundMessage, SetupStep
from ioperator.adapters.errors import MalformedPayload
from ioperator.adapters.registry import register

_CAPTIONED = ("image", "video", "document")


@register
class WhatsAppAdapter(ChannelAdapter):
    slug: ClassVar[str] = "whatsapp"
    position: ClassVar[int] = 20
    title: ClassVar[str] = "WhatsApp"
    description: ClassVar[str] = "Answer customers on WhatsApp through the WhatsApp Business Cloud API from Meta."
    docs_url: ClassVar[str] = "https://developers.facebook.com/docs/whatsapp/cloud-api/get-started"
    logo: ClassVar[str] = "/logos/whatsapp.svg"
    default_base_url: ClassVar[str] = "https://graph.facebook.com"
    uses_verify_handshake: ClassVar[bool] = True

    class Config(ProviderConfig):
        phone_number_id: meta.GraphId = Field(
            title="Phone number ID",
            description="In Meta for Developers → WhatsApp → API Setup.",
            examples=["106540352242922"],
        )
        access_token: SecretStr = Field(
            title="Access token",
            description=(
                "A permanent token of a system user with the whatsapp_business_messaging permission "
                "(Meta Business settings → Users → System users → Generate token)."
            ),
            examples=["EAAG…"],
        )
        app_secret: meta.AppSecret

    config: Config

    async def test_connection(self) -> ConnectionInfo:
        body = await meta.graph_call(
            self.http,
            "GET",
            meta.graph_url(self.base_url, self.config.phone_number_id),
            params={"fields": "display_phone_number,verified_name,code_verification_status,quality_rating"},
            token=self.config.access_token.get_secret_value(),
            auth_field="access_token",
            id_field="phone_number_id",
            timeout=self.timeout_seconds,
        )
        return ConnectionInfo(
            title=str(body.get("verified_name") or body.get("display_phone_number") or self.config.phone_number_id),
            details={
                "phone": str(body.get("display_phone_number") or ""),
                "verified": str(body.get("code_verification_status") or ""),
                "quality": str(body.get("quality_rating") or ""),
            },
        )

    async def connect(self, ctx: ConnectContext) -> dict[str, str]:
        """Nothing to do at Meta: the webhook is configured per app by the owner (see `setup_steps`)."""
        return {}

    async def disconnect(self, ctx: ConnectContext, state: Mapping[str, str]) -> None:
        """Nothing to undo: `connect` changed nothing at Meta, and the callback URL belongs to the
        owner's app. Once the integration is gone our route refuses its deliveries."""

    @classmethod
    def setup_steps(cls, ctx: ConnectContext) -> list[SetupStep]:
        return [
            SetupStep("integration.setup.callback_url", ctx.webhook_url),
            SetupStep("integration.setup.verify_token", ctx.webhook_secret),
        ]

    @classmethod
    def verify_delivery(
        cls, *, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], webhook_secret: str
    ) -> bool:
        return meta.verify_signature(headers, body, secrets.get("app_secret", ""))

    @classmethod
    def verify_handshake(cls, *, params: Mapping[str, str], webhook_secret: str) -> str | None:
        return meta.verify_handshake(params, webhook_secret)

    @classmethod
    def parse_delivery(cls, body: bytes) -> list[InboundMessage]:
        inbound: list[InboundMessage] = []
        for entry in meta.load_delivery(body, "whatsapp_business_account"):
            for change in meta.dict_list(entry, "changes"):
                if change.get("field") != "messages":
                    continue
                value = change.get("value")
                if not isinstance(value, dict):
                    raise MalformedPayload("change without a value")
                names = {
                    str(contact.get("wa_id")): _profile_name(contact) for contact in meta.dict_list(value, "contacts")
                }
                inbound.extend(_message(message, names) for message in meta.dict_list(value, "messages"))
        return inbound


def _message(message: dict[str, Any], names: Mapping[str, str]) -> InboundMessage:
    wa_id = meta.required_id(message, "from")
    return InboundMessage(
        provider_message_id=meta.required_id(message, "id"),
        chat_id=wa_id,
        sender_id=wa_id,
        sender_name=names.get(wa_id, ""),
        sender_username="",
        sender_phone="+" + wa_id,
        text=_text(message),
        sent_at=meta.utc_time(message.get("timestamp")),
    )


def _text(message: dict[str, Any]) -> str:
    kind = message.get("type")
    content = message.get(kind) if isinstance(kind, str) else None
    if not isinstance(content, dict):
        return ""
    if kind == "text":
        return str(content.get("body") or "")
    return str(content.get("caption") or "") if kind in _CAPTIONED else ""


def _profile_name(contact: dict[str, Any]) -> str:
    profile = contact.get("profile")
    return str(profile.get("name") or "") if isinstance(profile, dict) else ""
