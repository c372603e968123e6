"""Vonage's answers read into our types: the application's voice webhooks (what `provision` changes and
`deprovision` puts back) and owned numbers (reference §4)."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

import phonenumbers

from ioperator.adapters import phones
from ioperator.adapters.errors import ProviderError
from ioperator.adapters.telephony.base import ProviderNumber

Json = dict[str, Any]
WEBHOOKS = ("answer_url", "event_url")
WRITABLE = ("name", "capabilities", "privacy", "keys")  # what PUT /v2/applications/{id} takes
NUMBER_TYPES = {"landline": "local", "mobile-lvn": "mobile", "landline-toll-free": "toll_free"}


def writable(app: Any) -> Json:
    """The application as PUT takes it: every capability and the public key kept, read-only fields left out."""
    if not isinstance(app, dict) or not isinstance(app.get("name"), str):
        raise ProviderError("Vonage returned an application without a name")
    return {name: copy.deepcopy(app[name]) for name in WRITABLE if app.get(name) is not None}


def point_voice_at(app: Any, answer_url: str, event_url: str) -> tuple[Json, dict[str, str]]:
    """The PUT body that sends the application's calls to us, and the state that undoes it."""
    body = writable(app)
    capabilities = body.setdefault("capabilities", {})
    found = capabilities.get("voice")
    had_voice = isinstance(found, dict)
    voice: Json = found if isinstance(found, dict) else {}
    hooks = voice.get("webhooks")
    webhooks: Json = hooks if isinstance(hooks, dict) else {}
    previous = {name: webhooks.get(name) if isinstance(webhooks.get(name), dict) else None for name in WEBHOOKS}
    for name, address in (("answer_url", answer_url), ("event_url", event_url)):
        # keep Vonage's connect/socket timeouts the owner may have tuned
        webhooks[name] = {**(previous[name] or {}), "address": address, "http_method": "POST"}
    voice["webhooks"] = webhooks
    capabilities["voice"] = voice
    state = {
        "answer_url": answer_url,
        "event_url": event_url,
        "previous_answer_url": json.dumps(previous["answer_url"], sort_keys=True),
        "previous_event_url": json.dumps(previous["event_url"], sort_keys=True),
        "had_voice": "true" if had_voice else "false",
    }
    return body, state


def restore_voice(app: Any, state: Mapping[str, str]) -> Json | None:
    """The PUT body that puts back the webhooks `provision` replaced, or None when none of ours is left
    (a webhook the owner has changed since is not touched)."""
    body = writable(app)
    capabilities = body.get("capabilities")
    voice = capabilities.get("voice") if isinstance(capabilities, dict) else None
    if not isinstance(capabilities, dict) or not isinstance(voice, dict) or not isinstance(voice.get("webhooks"), dict):
        return None
    webhooks = voice["webhooks"]
    restored = False
    for name in WEBHOOKS:
        current = webhooks.get(name)
        if not state.get(name) or not isinstance(current, dict) or current.get("address") != state.get(name):
            continue
        previous = _object(state.get(f"previous_{name}"))
        if previous is None:
            webhooks.pop(name, None)
        else:
            webhooks[name] = previous
        restored = True
    if not restored:
        return None
    if state.get("had_voice") == "false" and not webhooks:
        capabilities.pop("voice")
    elif not webhooks:
        voice.pop("webhooks")
    return body


def _object(raw: str | None) -> Json | None:
    try:
        value = json.loads(raw or "null")
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def provider_number(item: Any, app_id: str) -> ProviderNumber | None:
    """One `OwnedNumber` of the SDK, or None when its msisdn is not a phone number."""
    msisdn = "".join(ch for ch in str(getattr(item, "msisdn", None) or "") if ch.isdigit())
    try:
        number = phones.parse(f"+{msisdn}")
    except ProviderError:
        return None
    country = str(getattr(item, "country", None) or "").upper()
    if len(country) != 2:
        region = phonenumbers.region_code_for_number(number) or phonenumbers.region_code_for_country_code(
            number.country_code or 0
        )
        country = region if region and region not in ("ZZ", "001") else ""
    features = getattr(item, "features", None)
    named = {str(feature).upper() for feature in features or []}
    number_type = str(getattr(item, "type", None) or "")
    return ProviderNumber(
        provider_ref=f"{country}:{msisdn}",
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        friendly_name="",  # Vonage numbers carry no label
        number_type=NUMBER_TYPES.get(number_type, "other"),
        country=country,
        # Vonage lists features on every number; without them assume what every Vonage number does
        voice="VOICE" in named if features is not None else True,
        sms="SMS" in named if features is not None else number_type == "mobile-lvn",
        status="active",  # GET /account/numbers lists only the numbers the account holds
        routed_here=bool(app_id) and getattr(item, "app_id", None) == app_id,
    )


def split_ref(ref: str) -> tuple[str, str]:
    """`("GB", "447700900000")` from the provider ref `GB:447700900000`."""
    country, _, msisdn = ref.partition(":")
    if len(country) != 2 or not country.isalpha() or not msisdn.isdigit():
        raise ProviderError("not a Vonage number reference", field="number")
    return country.upper(), msisdn
