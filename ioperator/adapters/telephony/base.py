"""Telephony providers (Telnyx, Twilio, Vonage) behind one typed interface.

The business brings its own account. Connecting runs `test_connection()` (account name, balance),
then — when iOperator has a public HTTPS address — `provision()` creates the provider-side object
that sends calls to us (a Telnyx Call Control application, a Twilio TwiML app, the Vonage
application's answer/event URLs) and returns what `deprovision()` needs to undo it. Without a public
address the page shows `manual_steps()` instead.

The official SDKs are used (`telnyx`, `twilio`, `vonage`). Sync SDKs run in a worker thread
(`asyncio.to_thread`), each with an explicit timeout and no SDK-side retries; every SDK exception
becomes one of the typed AdapterErrors. The adapter takes its API address from `base_url` (the
provider's real address by default) so tests can point it at a local fake. Later issues extend this
interface with calls, transfer, recording and browser tokens.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from ioperator.adapters.base import Adapter

NUMBER_TYPES = ("local", "mobile", "toll_free", "national", "other")


@dataclass(frozen=True)
class ProvisionContext:
    """Where the provider must send calls and events for one connected account.

    `webhook_base` is `<public base>/webhooks/<slug>/<integration id>`; the routes below it are the
    adapter's to name, through `voice_url` (a call arrives: what to do) and `events_url` (call
    progress, recordings). `label` names what we create at the provider ("iOperator · Blue Door").
    """

    integration_id: int
    webhook_base: str
    label: str

    @property
    def voice_url(self) -> str:
        return f"{self.webhook_base}/voice"

    @property
    def events_url(self) -> str:
        return f"{self.webhook_base}/events"


@dataclass(frozen=True)
class ManualStep:
    """One step of setting the provider up by hand: a translated instruction and the value to paste."""

    label_key: str  # i18n key, e.g. "telephony.manual.twilio.voice_url"
    value: str = ""


@dataclass(frozen=True)
class ProviderNumber:
    """A number owned by the account, in provider-neutral form."""

    provider_ref: str  # the provider's id: Telnyx number id, Twilio PN sid, Vonage "<country>:<msisdn>"
    e164: str  # "+14155550100"
    friendly_name: str  # the provider's label, or "" when it has none
    number_type: str  # one of NUMBER_TYPES
    country: str  # ISO 3166 alpha-2, upper case; derived from the number when the provider omits it
    voice: bool  # derived where the provider does not say (Telnyx: a voice connection is set)
    sms: bool
    status: str  # the provider's status, lower case ("active", "purchase-pending", ...)
    routed_here: bool  # the number already sends its calls to what `provision()` created


class TelephonyAdapter(Adapter):
    kind: ClassVar[str] = "telephony"

    @abc.abstractmethod
    async def provision(self, ctx: ProvisionContext) -> dict[str, str]:
        """Create the provider-side application pointing at `ctx`; return what deprovision needs."""

    @abc.abstractmethod
    async def deprovision(self, state: Mapping[str, str]) -> None:
        """Remove what `provision` created; an object already gone at the provider is not an error."""

    @classmethod
    @abc.abstractmethod
    def manual_steps(cls, ctx: ProvisionContext) -> list[ManualStep]:
        """How to point the account at iOperator by hand (no public HTTPS address)."""

    @abc.abstractmethod
    async def list_numbers(self, state: Mapping[str, str]) -> list[ProviderNumber]:
        """Every number of the account, through all pages. `state` is what provision returned
        (possibly empty), used to tell whether a number is routed here."""

    @abc.abstractmethod
    async def route_number_here(self, number: ProviderNumber, state: Mapping[str, str]) -> None:
        """Point the number's voice routing at the provisioned application (needs a provision state)."""
