"""Fake Telnyx, Twilio and Vonage servers for service, API and benchmark code, wired in through settings.

`phones` gives fresh fake state with one account at each provider (the credentials below), adapters
pointed at the fakes, and an https webhook base URL (so connecting provisions the provider side).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ioperator.core.config import reset_settings
from tests.fakes.runner import serve
from tests.fakes.telnyx import PREFIX as TELNYX_PREFIX
from tests.fakes.telnyx import FakeTelnyx
from tests.fakes.twilio import FakeTwilio
from tests.fakes.vonage import FakeVonage

WEBHOOK_BASE = "https://hooks.example.com"
TELNYX_KEY = "KEY0190A1B2C3D4E5F6_abcdefghijklmnop"
TELNYX_PUBLIC_KEY = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU="  # 32 bytes, base64
TWILIO_SID = "AC3f9e1d7c5b3a19e8d7c6b5a4f3e2d1c0"
TWILIO_TOKEN = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"
VONAGE_KEY = "a1b2c3d4"
VONAGE_SECRET = "Vx9Qm2Lr7Tz4Wk1P"
VONAGE_APP = "0f1e2d3c-4b5a-4968-8776-655443322110"
_PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
VONAGE_PRIVATE_KEY = _PRIVATE.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
).decode()
VONAGE_PUBLIC_KEY = (
    _PRIVATE.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)

CONFIGS = {
    "telnyx": {"api_key": TELNYX_KEY, "public_key": TELNYX_PUBLIC_KEY},
    "twilio": {"account_sid": TWILIO_SID, "auth_token": TWILIO_TOKEN},
    "vonage": {
        "api_key": VONAGE_KEY,
        "api_secret": VONAGE_SECRET,
        "application_id": VONAGE_APP,
        "private_key": VONAGE_PRIVATE_KEY,
    },
}


@dataclass
class Phones:
    telnyx: FakeTelnyx
    twilio: FakeTwilio
    vonage: FakeVonage
    urls: dict[str, str]  # slug -> the adapter's base URL

    def reset(self) -> None:
        self.telnyx.reset()
        self.telnyx.add_account(TELNYX_KEY, balance="300.00")
        self.twilio.reset()
        self.twilio.add_account(TWILIO_SID, TWILIO_TOKEN, friendly_name="Blue Door", balance="25.40")
        self.vonage.reset()
        self.vonage.add_account(VONAGE_KEY, VONAGE_SECRET)
        self.vonage.add_application(VONAGE_APP, "Blue Door voice", VONAGE_PUBLIC_KEY)

    def fake(self, slug: str) -> FakeTelnyx | FakeTwilio | FakeVonage:
        return {"telnyx": self.telnyx, "twilio": self.twilio, "vonage": self.vonage}[slug]


@contextlib.contextmanager
def fake_phone_servers() -> Iterator[Phones]:
    """The three fakes on free ports (also used by bench/number_sync.py)."""
    telnyx, twilio, vonage = FakeTelnyx(hold_seconds=1.0), FakeTwilio(hold_seconds=1.0), FakeVonage(hold_seconds=1.0)
    with serve(telnyx.app) as telnyx_url, serve(twilio.app) as twilio_url, serve(vonage.app) as vonage_url:
        phones = Phones(
            telnyx, twilio, vonage, {"telnyx": telnyx_url + TELNYX_PREFIX, "twilio": twilio_url, "vonage": vonage_url}
        )
        phones.reset()
        yield phones


@pytest.fixture(scope="session")
def phone_servers() -> Iterator[Phones]:
    with fake_phone_servers() as phones:
        yield phones


@pytest.fixture
def phones(phone_servers: Phones, monkeypatch: pytest.MonkeyPatch) -> Iterator[Phones]:
    phone_servers.reset()
    merged = {**json.loads(os.environ.get("IOPERATOR_PROVIDER_BASE_URLS") or "{}"), **phone_servers.urls}
    monkeypatch.setenv("IOPERATOR_PROVIDER_BASE_URLS", json.dumps(merged))
    monkeypatch.setenv("IOPERATOR_WEBHOOK_BASE_URL", WEBHOOK_BASE)
    reset_settings()
    yield phone_servers
    monkeypatch.undo()
    reset_settings()
