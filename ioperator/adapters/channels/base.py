"""Messaging channels: connect (register our webhook), disconnect (undo it), and webhook intake.

Webhook checks are class methods without network access: the route verifies a delivery against the
integration's own secrets *before* parsing it, then hands the raw body to `parse_delivery`.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from ioperator.adapters.base import Adapter


@dataclass(frozen=True)
class ConnectContext:
    """What connect/disconnect needs besides the config."""

    integration_id: int
    webhook_url: str  # <webhook base URL>/webhooks/<slug>/<integration id>
    webhook_secret: str  # random per integration: Telegram's secret_token, Meta's verify token


@dataclass(frozen=True)
class SetupStep:
    """A value the owner pastes into the provider's console (callback URL, verify token)."""

    label_key: str  # i18n key
    value: str


@dataclass(frozen=True)
class InboundMessage:
    """One customer message from a verified delivery, in provider-neutral form."""

    provider_message_id: str  # unique per integration (a redelivery carries the same id)
    chat_id: str  # the conversation at the provider (Telegram chat, WhatsApp wa_id, IG sender)
    sender_id: str
    sender_name: str
    sender_username: str
    sender_phone: str  # E.164 when the channel reveals it (WhatsApp), else ""
    text: str
    sent_at: datetime


class ChannelAdapter(Adapter):
    kind: ClassVar[str] = "channel"
    # Meta sends a GET handshake with hub.verify_token before it delivers anything.
    uses_verify_handshake: ClassVar[bool] = False

    @abc.abstractmethod
    async def connect(self, ctx: ConnectContext) -> dict[str, str]:
        """Set the provider side up (e.g. register our webhook); return what disconnect needs."""

    @abc.abstractmethod
    async def disconnect(self, ctx: ConnectContext, state: Mapping[str, str]) -> None:
        """Undo what `connect` did at the provider."""

    @classmethod
    def setup_steps(cls, ctx: ConnectContext) -> list[SetupStep]:
        """What the owner must paste into the provider's console; none when connect does it all."""
        return []

    @classmethod
    @abc.abstractmethod
    def verify_delivery(
        cls, *, headers: Mapping[str, str], body: bytes, secrets: Mapping[str, str], webhook_secret: str
    ) -> bool:
        """True when the delivery provably comes from the provider for this integration."""

    @classmethod
    def verify_handshake(cls, *, params: Mapping[str, str], webhook_secret: str) -> str | None:
        """For a GET verification request: the challenge to echo, or None to refuse."""
        return None

    @classmethod
    @abc.abstractmethod
    def parse_delivery(cls, body: bytes) -> list[InboundMessage]:
        """The customer messages in a verified delivery (status callbacks and echoes give none).
        Raises MalformedPayload when the body is not what the provider sends."""
