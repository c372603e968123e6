"""The provider side of a telephony connection: the application that sends calls to iOperator.

`integrations.connect` calls `provision()` after the credentials passed their test; `disconnect` calls
`deprovision()`. With a public HTTPS address iOperator creates the application itself (a Telnyx Call
Control app, a Twilio TwiML app, the Vonage application's webhooks) and records it in the
integration's `provider_state`; without one, the Providers page shows the manual steps and the owner
confirms them, which records `{"manual": "1"}`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from sqlmodel import Session, select

from ioperator.adapters.errors import AdapterError
from ioperator.adapters.telephony.base import ManualStep, ProvisionContext, TelephonyAdapter
from ioperator.core.config import get_settings
from ioperator.core.db import utcnow
from ioperator.models.integration import Integration
from ioperator.models.telephony import PhoneNumber

MANUAL = "manual"


def public_webhook_base() -> str | None:
    """The public HTTPS base providers can reach, or None (then the set-up is done by hand)."""
    base = get_settings().effective_webhook_base_url.rstrip("/")
    return base if base.startswith("https://") else None


def context_base() -> str:
    """The address webhooks are built on (public or not), for the page's explanation."""
    return get_settings().effective_webhook_base_url.rstrip("/")


def context(integration: Integration, business_name: str) -> ProvisionContext:
    base = public_webhook_base() or get_settings().effective_webhook_base_url.rstrip("/")
    return ProvisionContext(
        integration_id=integration.id or 0,
        webhook_base=f"{base}/webhooks/{integration.provider}/{integration.id}",
        label=f"iOperator · {business_name}"[:64],
    )


def is_provisioned(state: Mapping[str, str]) -> bool:
    """The provider side is set up: by iOperator (an application id is recorded) or by hand."""
    return bool(state)


def is_manual(state: Mapping[str, str]) -> bool:
    return state.get(MANUAL) == "1"


def manual_steps(cls: type[TelephonyAdapter], integration: Integration, business_name: str) -> list[ManualStep]:
    return cls.manual_steps(context(integration, business_name))


async def provision(
    adapter: TelephonyAdapter,
    integration: Integration,
    *,
    business_name: str,
    previous: TelephonyAdapter | None,
    credentials_changed: bool,
) -> dict[str, str]:
    """What `provider_state` becomes after (re)connecting.

    Unchanged credentials keep the application already made (numbers stay pointed at it). Changed
    credentials remove it from the old account, best effort (those credentials may be revoked), and
    create a new one. Without a public HTTPS address nothing is created.
    """
    state = dict(integration.provider_state)
    if state and not credentials_changed:
        return state
    if state and not is_manual(state) and previous is not None:
        with contextlib.suppress(AdapterError):
            await previous.deprovision(state)
    if public_webhook_base() is None:
        return {}
    return await adapter.provision(context(integration, business_name))


async def deprovision(adapter: TelephonyAdapter, integration: Integration) -> None:
    state = dict(integration.provider_state)
    if state and not is_manual(state):
        await adapter.deprovision(state)


def release_numbers(session: Session, integration: Integration) -> None:
    """After a disconnect the account's numbers are inactive here (kept with their routing for a reconnect)."""
    now = utcnow()
    for number in session.exec(select(PhoneNumber).where(PhoneNumber.integration_id == integration.id)).all():
        if number.active or number.routed_here:
            number.active, number.routed_here, number.updated_at = False, False, now
            session.add(number)
