"""Instagram Direct through the Messenger API for Instagram (Meta Graph, Page access token).

The owner links the Instagram professional account to a Facebook Page, sets our callback URL and
verify token on the app's Instagram webhook and subscribes `messages`; we only check the
credentials and read what Meta delivers.
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


@register
class InstagramAdapter(ChannelAdapter):
    slug: ClassVar[str] = "instagram"
    position: ClassVar[int] = 30
    title: ClassVar[str] = "Instagram"
    description: ClassVar[str] = "Answer Instagram Direct messages of a professional account linked to a Facebook Page."
    docs_url: ClassVar[str] = "https://developers.facebook.com/docs/messenger-platform/instagram"
    logo: ClassVar[str] = "/logos/instagram.svg"
    default_base_url: ClassVar[str] = "https://graph.facebook.com"
    uses_verify_handshake: ClassVar[bool] = True

    class Config(ProviderConfig):
        account_id: meta.GraphId = Field(
            title="Instagram account ID",
            description="The numeric ID of the Instagram professional account (Meta Business Suite → Settings).",
            examples=["17841400000000000"],
        )
        page_access_token: SecretStr = Field(
            title="Page access token",
            description=(
                "A token of the Facebook Page linked to the account, with the instagram_basic and "
                "instagram_manage_messages permissions."
            ),
            examples=["EAAG…"],
        )
        app_secret: meta.AppSecret

    config: Config

    async def test_connection(self) -> ConnectionInfo:
        body = await meta.graph_call(
            self.http,
            "GET",
            meta.graph_url(self.base_url, self.config.account_id),
            params={"fields": "username,name"},
            token=self.config.page_access_token.get_secret_value(),
            auth_field="page_access_token",
            id_field="account_id",
            timeout=self.timeout_seconds,
        )
        username = "@" + str(body.get("username") or self.config.account_id)
        return ConnectionInfo(title=username, details={"username": username, "name": str(body.get("name") or "")})

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
        for entry in meta.load_delivery(body, "instagram"):
            for event in meta.dict_list(entry, "messaging"):
                message = event.get("message")
                if message is None:
                    continue  # reads, reactions, postbacks
                if not isinstance(message, dict):
                    raise MalformedPayload("message is not an object")
                if message.get("is_echo") or message.get("is_deleted"):
                    continue  # our own sends, and messages the customer took back
                inbound.append(_message(event, message))
        return inbound


def _message(event: dict[str, Any], message: dict[str, Any]) -> InboundMessage:
    sender = event.get("sender")
    sender_id = meta.required_id(sender if isinstance(sender, dict) else {}, "id")
    return InboundMessage(
        provider_message_id=meta.required_id(message, "mid"),
        chat_id=sender_id,
        sender_id=sender_id,
        sender_name="",
        sender_username="",
        sender_phone="",
        text=str(message.get("text") or ""),
        sent_at=meta.utc_time(event.get("timestamp"), milliseconds=True),
    )
