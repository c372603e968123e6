"""Vonage through the official SDK against the fake Vonage API over real HTTP: the config checks (the
private key pasted any way), the connection test (Basic and the application's RS256 JWT), provisioning
the owner's application and undoing it, every number through all pages, routing a number, and each
error of each operation, then the retry that recovers."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pydantic import ValidationError

from ioperator.adapters import registry
from ioperator.adapters.base import validation_errors
from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited
from ioperator.adapters.telephony.base import ManualStep, ProviderNumber, ProvisionContext
from ioperator.adapters.telephony.vonage import VonageAdapter, client
from tests.fakes.runner import serve
from tests.fakes.vonage import FakeVonage

T = TypeVar("T")
KEY = "a1b2c3d4"
SECRET = "Vx9Qm2Lr7Tz4Wk1P"
APP_ID = "0f1e2d3c-4b5a-4968-8776-655443322110"
OTHER_APP_ID = "11111111-2222-4333-8444-555555555555"
APP_NAME = "Blue Door voice"
CTX = ProvisionContext(7, "https://ioperator.example.com/webhooks/vonage/7", "iOperator · Blue Door")
ROOT = Path(__file__).resolve().parents[3]


def _pem(key: Any, fmt: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


PRIVATE = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PEM, OTHER_PEM = _pem(PRIVATE), _pem(OTHER)
PKCS1 = _pem(PRIVATE, serialization.PrivateFormat.TraditionalOpenSSL)
PUBLIC = (
    PRIVATE.public_key()
    .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    .decode()
)
BASIC = base64.b64encode(f"{KEY}:{SECRET}".encode()).decode()
KEY_BODY = "".join(PEM.splitlines()[1:-1])
CONFIG = {"api_key": KEY, "api_secret": SECRET, "application_id": APP_ID, "private_key": PEM}
ORIGINAL_VOICE: dict[str, Any] = {
    "webhooks": {
        "answer_url": {"address": "https://old.example.com/answer", "http_method": "GET", "socket_timeout": 3000},
        "event_url": {"address": "https://old.example.com/event", "http_method": "POST"},
    },
    "signed_callbacks": True,
    "conversations_ttl": 48,
}
MESSAGES = {"webhooks": {"inbound_url": {"address": "https://old.example.com/inbound", "http_method": "POST"}}}


class QuickVonage(VonageAdapter):
    """Small pages and a short timeout (not registered)."""

    timeout_seconds = 2.0
    page_size = 3


class HastyVonage(QuickVonage):
    timeout_seconds = 0.2


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[VonageAdapter], Awaitable[T]],
    url: str,
    adapter: type[VonageAdapter] = QuickVonage,
    **config: Any,
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            return await operation(adapter(adapter.parse_config(CONFIG | config), http=http, base_url=url))

    return run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeVonage, str]]:
    fake = FakeVonage(hold_seconds=1.0)
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def fake(server: tuple[FakeVonage, str]) -> FakeVonage:
    fake = server[0]
    fake.reset()
    fake.add_account(KEY, SECRET, balance=10.28)
    fake.add_application(APP_ID, APP_NAME, PUBLIC, capabilities={"voice": ORIGINAL_VOICE, "messages": MESSAGES})
    return fake


@pytest.fixture
def url(server: tuple[FakeVonage, str]) -> str:
    return server[1]


def assert_no_secret(error: Exception) -> None:
    text = f"{error} {getattr(error, 'detail', '')}"
    for secret in (SECRET, BASIC, KEY_BODY[:40], KEY_BODY[-40:]):
        assert secret not in text


# --- the config ------------------------------------------------------------------------------------

EC_PEM = _pem(ec.generate_private_key(ec.SECP256R1()))
ENCRYPTED = PRIVATE.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(b"pw")
).decode()
CONFIG_CASES: list[tuple[str, dict[str, Any], dict[str, str]]] = [
    ("valid", {}, {}),
    ("key with capitals", {"api_key": "A1B2C3D4"}, {}),
    ("key too short", {"api_key": "a1b2c3"}, {"api_key": "api_key_format"}),
    ("key is the secret", {"api_key": SECRET}, {"api_key": "api_key_format"}),
    ("secret missing", {"api_secret": ""}, {"api_secret": "api_secret_format"}),
    ("secret with a space", {"api_secret": "abc def 123"}, {"api_secret": "api_secret_format"}),
    ("application not a uuid", {"application_id": "my-app"}, {"application_id": "application_id_format"}),
    ("private key is junk", {"private_key": "hello"}, {"private_key": "private_key_format"}),
    ("private key is the public key", {"private_key": PUBLIC}, {"private_key": "private_key_format"}),
    ("private key damaged", {"private_key": PEM.replace("A", "!", 3)}, {"private_key": "private_key_format"}),
    ("private key truncated", {"private_key": PEM[:200] + PEM[-30:]}, {"private_key": "private_key_format"}),
    ("private key is EC", {"private_key": EC_PEM}, {"private_key": "private_key_not_rsa"}),
    ("private key encrypted", {"private_key": ENCRYPTED}, {"private_key": "private_key_encrypted"}),
    ("signature secret empty", {"signature_secret": ""}, {}),
    ("signature secret", {"signature_secret": "0123456789abcdef0123456789abcdef"}, {}),
    ("signature secret short", {"signature_secret": "abc"}, {"signature_secret": "signature_secret_format"}),
    ("unknown field", {"region": "eu"}, {"region": "extra_forbidden"}),
]


@pytest.mark.parametrize(("values", "errors"), [c[1:] for c in CONFIG_CASES], ids=[c[0] for c in CONFIG_CASES])
def test_the_config_is_checked_field_by_field(values: dict[str, Any], errors: dict[str, str]) -> None:
    if not errors:
        config = VonageAdapter.parse_config(CONFIG | values)
        assert config.secret_values()["private_key"] == PEM
        assert SECRET not in repr(config) and KEY_BODY[:40] not in repr(config)
        return
    with pytest.raises(ValidationError) as raised:
        VonageAdapter.parse_config(CONFIG | values)
    assert validation_errors(raised.value) == errors
    assert KEY_BODY[:40] not in str(raised.value) and SECRET not in str(raised.value)


PASTED = {
    "PKCS#8 as downloaded": PEM,
    "PKCS#8 on one line": PEM.replace("\n", ""),
    "PKCS#8 with spaces for newlines": PEM.replace("\n", " "),
    "PKCS#8 with literal \\n": PEM.replace("\n", "\\n"),
    "PKCS#8 with CRLF and indent": "  " + PEM.replace("\n", "\r\n    "),
    "PKCS#1": PKCS1,
    "PKCS#1 on one line": PKCS1.replace("\n", ""),
    "PKCS#1 with text around": "my key:\n" + PKCS1 + "\n(keep safe)",
}


@pytest.mark.parametrize("pasted", PASTED.values(), ids=PASTED.keys())
def test_a_pasted_private_key_is_stored_as_clean_pkcs8(pasted: str) -> None:
    config = VonageAdapter.parse_config(CONFIG | {"private_key": pasted, "application_id": APP_ID.upper()})
    assert config.secret_values()["private_key"] == PEM  # what the SDK accepts: "BEGIN PRIVATE KEY", 64 a line
    assert config.public_values() == {"api_key": KEY, "application_id": APP_ID}


def test_the_form_and_its_secrets() -> None:
    fields = {field.name: field for field in VonageAdapter.form_fields()}
    assert list(fields) == ["api_key", "api_secret", "application_id", "private_key", "signature_secret"]
    assert [name for name, field in fields.items() if field.secret] == ["api_secret", "private_key", "signature_secret"]
    assert [name for name, field in fields.items() if not field.required] == ["signature_secret"]
    assert all(field.title and field.help and field.placeholder for field in fields.values())
    config = VonageAdapter.parse_config(CONFIG | {"signature_secret": "0123456789abcdef0123456789abcdef"})
    assert set(config.secret_values()) == {"api_secret", "private_key", "signature_secret"}


def test_the_registry_offers_vonage_with_its_logo() -> None:
    assert registry.get("vonage") is VonageAdapter
    assert (VonageAdapter.kind, VonageAdapter.position, VonageAdapter.title) == ("telephony", 30, "Vonage")
    assert VonageAdapter.default_base_url == "https://api.nexmo.com"
    assert (ROOT / "assets" / VonageAdapter.logo.lstrip("/")).read_text().startswith("<svg")


def test_the_package_imports_the_sdk_not_itself() -> None:
    import vonage  # the installed SDK, whatever our package is called

    assert vonage.__file__ and "site-packages" in vonage.__file__
    assert client.HttpClient.__module__ == "vonage_http_client.http_client"
    assert client.SDK_VERSION == "4.9.1"


def test_the_sdk_is_pointed_at_the_base_url() -> None:
    settings = VonageAdapter.parse_config(CONFIG)
    real = client.build(settings, "https://api.nexmo.com", 10.0).http  # type: ignore[arg-type]
    assert (real.api_host, real.rest_host, real._timeout) == ("api.nexmo.com", "rest.nexmo.com", 10.0)
    assert real.http_client_options.max_retries == 0 and real._session.trust_env
    assert set(real._session.adapters) == {"https://", "http://"}

    local = client.build(settings, "http://127.0.0.1:18080", 0.25).http  # type: ignore[arg-type]
    assert (local.api_host, local.rest_host, local._timeout) == ("127.0.0.1:18080", "127.0.0.1:18080", 0.25)
    assert not local._session.trust_env
    assert isinstance(local._session.get_adapter("https://127.0.0.1:18080/v1/calls"), client.HttpsToHttpAdapter)
    assert not isinstance(local._session.get_adapter("https://127.0.0.1:1808/v1/calls"), client.HttpsToHttpAdapter)

    tls = client.build(settings, "https://vonage.internal:8443", 5).http  # type: ignore[arg-type]
    assert (tls.api_host, tls.rest_host) == ("vonage.internal:8443", "vonage.internal:8443")
    assert not any(isinstance(a, client.HttpsToHttpAdapter) for a in tls._session.adapters.values())


def test_manual_steps_name_both_webhooks() -> None:
    assert VonageAdapter.manual_steps(CTX) == [
        ManualStep("telephony.manual.vonage.open_application", "https://dashboard.nexmo.com/applications"),
        ManualStep("telephony.manual.vonage.answer_url", "https://ioperator.example.com/webhooks/vonage/7/voice"),
        ManualStep("telephony.manual.vonage.event_url", "https://ioperator.example.com/webhooks/vonage/7/events"),
        ManualStep("telephony.manual.vonage.link_numbers", ""),
    ]


# --- test_connection --------------------------------------------------------------------------------


def test_connection_checks_the_account_the_application_and_its_key(fake: FakeVonage, url: str) -> None:
    info = call(lambda a: a.test_connection(), url)
    assert info.title == APP_NAME
    assert info.details == {"balance": "10.28 EUR", "application_id": APP_ID}
    assert fake.requests == [
        ("GET", "/account/get-balance"),
        ("GET", f"/v2/applications/{APP_ID}"),
        ("GET", "/v1/calls"),
    ]
    balance, application, calls = fake.seen
    assert balance.auth == application.auth == f"basic:{KEY}"
    assert calls.auth == f"jwt:{APP_ID}" and calls.query == {"page_size": "1"}
    assert calls.claims["exp"] - calls.claims["iat"] == 900 and calls.claims["jti"]


WRONG_CREDENTIALS: list[tuple[str, dict[str, Any], type[AdapterError], str]] = [
    ("wrong secret", {"api_secret": "Wrong0000secret1"}, InvalidAuth, "api_secret"),
    ("unknown key", {"api_key": "ffff0000"}, InvalidAuth, "api_secret"),
    (
        "unknown application",
        {"application_id": "11111111-2222-4333-8444-555555555555"},
        ProviderError,
        "application_id",
    ),
    ("key of another application", {"private_key": OTHER_PEM}, InvalidAuth, "private_key"),
]


@pytest.mark.parametrize(
    ("values", "expected", "field"), [c[1:] for c in WRONG_CREDENTIALS], ids=[c[0] for c in WRONG_CREDENTIALS]
)
def test_connection_names_the_wrong_field(
    values: dict[str, Any], expected: type[AdapterError], field: str, fake: FakeVonage, url: str
) -> None:
    with pytest.raises(expected) as raised:
        call(lambda a: a.test_connection(), url, **values)
    assert type(raised.value) is expected and raised.value.field == field
    assert_no_secret(raised.value)
    assert call(lambda a: a.test_connection(), url).title == APP_NAME


def test_an_unknown_application_is_shown_on_its_field(fake: FakeVonage, url: str) -> None:
    fake.remove_application(APP_ID)
    with pytest.raises(ProviderError) as raised:
        call(lambda a: a.test_connection(), url)
    assert raised.value.field == "application_id"
    assert raised.value.detail == "Vonage has no application with this ID in this account"


# --- provision / deprovision -----------------------------------------------------------------------


def test_provision_points_the_application_at_us_and_deprovision_puts_it_back(fake: FakeVonage, url: str) -> None:
    before = fake.applications[APP_ID]
    original = {key: before[key] for key in ("name", "capabilities", "privacy", "keys")}

    state = call(lambda a: a.provision(CTX), url)

    app = fake.applications[APP_ID]
    assert app["capabilities"]["voice"] == {
        "webhooks": {
            "answer_url": {"address": CTX.voice_url, "http_method": "POST", "socket_timeout": 3000},
            "event_url": {"address": CTX.events_url, "http_method": "POST"},
        },
        "signed_callbacks": True,
        "conversations_ttl": 48,
    }
    assert app["capabilities"]["messages"] == MESSAGES  # the other capabilities are kept
    assert (app["name"], app["keys"], app["privacy"]) == (APP_NAME, {"public_key": PUBLIC}, original["privacy"])
    assert set(state) == {
        "application_id", "answer_url", "event_url", "previous_answer_url", "previous_event_url", "had_voice",
    }  # fmt: skip
    assert all(isinstance(value, str) for value in state.values())
    assert (state["application_id"], state["had_voice"]) == (APP_ID, "true")
    assert fake.requests == [("GET", f"/v2/applications/{APP_ID}"), ("PUT", f"/v2/applications/{APP_ID}")]
    assert call(lambda a: a.test_connection(), url).title == APP_NAME  # the key still signs

    fake.requests.clear()
    call(lambda a: a.deprovision(state), url)
    assert {key: fake.applications[APP_ID][key] for key in original} == original
    assert fake.requests == [("GET", f"/v2/applications/{APP_ID}"), ("PUT", f"/v2/applications/{APP_ID}")]

    fake.requests.clear()
    call(lambda a: a.deprovision(state), url)  # nothing of ours is left: no PUT
    assert fake.requests == [("GET", f"/v2/applications/{APP_ID}")]
    fake.remove_application(APP_ID)
    call(lambda a: a.deprovision(state), url)  # the application is gone: fine


def test_an_application_without_voice_gets_it_and_loses_it_again(fake: FakeVonage, url: str) -> None:
    fake.add_application(APP_ID, APP_NAME, PUBLIC, capabilities={"messages": MESSAGES})
    state = call(lambda a: a.provision(CTX), url)
    assert state["had_voice"] == "false"
    assert fake.applications[APP_ID]["capabilities"]["voice"]["webhooks"]["answer_url"]["address"] == CTX.voice_url
    call(lambda a: a.deprovision(state), url)
    assert fake.applications[APP_ID]["capabilities"] == {"messages": MESSAGES}


def test_deprovision_leaves_a_webhook_the_owner_changed_since(fake: FakeVonage, url: str) -> None:
    state = call(lambda a: a.provision(CTX), url)
    mine = {"address": "https://owner.example.com/answer", "http_method": "GET"}
    fake.applications[APP_ID]["capabilities"]["voice"]["webhooks"]["answer_url"] = mine
    call(lambda a: a.deprovision(state), url)
    webhooks = fake.applications[APP_ID]["capabilities"]["voice"]["webhooks"]
    assert webhooks == {"answer_url": mine, "event_url": ORIGINAL_VOICE["webhooks"]["event_url"]}


# --- numbers ---------------------------------------------------------------------------------------


def seed_numbers(fake: FakeVonage) -> None:
    fake.add_number("+447400123456", type="mobile-lvn", features=["VOICE", "SMS"], app_id=APP_ID)
    fake.add_number("+14152000001", type="landline", features=["VOICE"])
    fake.add_number("+18005550199", type="landline-toll-free", features=["VOICE"], app_id="another-app")
    fake.add_number("+4915123456789", type="mobile-lvn", features=["SMS"], country="de")
    fake.add_number("+33123456789", type="landline", features=["VOICE", "SMS", "MMS"], country="")
    fake.add_number("+14152000002", type="shared-cost")
    fake.add_number("+14152000003")
    fake.numbers["US:14152000003"].pop("features")


def test_list_numbers_reads_every_page_and_normalises(fake: FakeVonage, url: str) -> None:
    seed_numbers(fake)
    numbers = call(lambda a: a.list_numbers({}), url)
    assert numbers == [
        ProviderNumber("GB:447400123456", "+447400123456", "", "mobile", "GB", True, True, "active", True),
        ProviderNumber("US:14152000001", "+14152000001", "", "local", "US", True, False, "active", False),
        ProviderNumber("US:18005550199", "+18005550199", "", "toll_free", "US", True, False, "active", False),
        ProviderNumber("DE:4915123456789", "+4915123456789", "", "mobile", "DE", False, True, "active", False),
        ProviderNumber("FR:33123456789", "+33123456789", "", "local", "FR", True, True, "active", False),
        ProviderNumber("US:14152000002", "+14152000002", "", "other", "US", True, True, "active", False),
        ProviderNumber("US:14152000003", "+14152000003", "", "local", "US", True, False, "active", False),
    ]
    pages = fake.calls("/account/numbers")
    assert [(seen.query["size"], seen.query["index"]) for seen in pages] == [("3", "1"), ("3", "2"), ("3", "3")]
    assert {seen.auth for seen in pages} == {f"basic:{KEY}"}


def test_routed_here_follows_the_provisioned_application(fake: FakeVonage, url: str) -> None:
    seed_numbers(fake)
    routed = call(lambda a: a.list_numbers({"application_id": "another-app"}), url)
    assert [number.e164 for number in routed if number.routed_here] == ["+18005550199"]


def test_a_large_account_is_listed_completely(fake: FakeVonage, url: str) -> None:
    class Paged(QuickVonage):
        page_size = 100

    refs = fake.add_numbers(250) + fake.add_numbers(20, country="GB")
    numbers = call(lambda a: a.list_numbers({}), url, Paged)
    assert [number.provider_ref for number in numbers] == refs
    assert len({number.e164 for number in numbers}) == 270
    assert {number.country for number in numbers} == {"US", "GB"}
    assert len(fake.calls("/account/numbers")) == 3


def test_an_account_without_numbers_lists_none(fake: FakeVonage, url: str) -> None:
    assert call(lambda a: a.list_numbers({}), url) == []


def test_route_number_here_links_it_to_the_application(fake: FakeVonage, url: str) -> None:
    seed_numbers(fake)
    number = call(lambda a: a.list_numbers({}), url)[1]
    assert not number.routed_here

    call(lambda a: a.route_number_here(number, {"application_id": APP_ID}), url)

    sent = fake.calls("/number/update")[-1]
    assert (sent.method, sent.auth) == ("POST", f"basic:{KEY}")
    assert sent.body == {"country": "US", "msisdn": "14152000001", "app_id": APP_ID}
    assert fake.numbers["US:14152000001"]["app_id"] == APP_ID
    again = call(lambda a: a.list_numbers({}), url)[1]
    assert again.routed_here and again.e164 == number.e164


def test_routing_a_number_the_account_does_not_hold_shows_vonages_words(fake: FakeVonage, url: str) -> None:
    gone = ProviderNumber("US:14152000009", "+14152000009", "", "local", "US", True, False, "active", False)
    with pytest.raises(ProviderError) as raised:
        call(lambda a: a.route_number_here(gone, {}), url)
    assert "method failed" in raised.value.detail


# --- every operation x every error, then the retry ---------------------------------------------------

Operation = Callable[[VonageAdapter], Awaitable[Any]]


def arrange(operation: str, fake: FakeVonage, url: str) -> Operation:
    seed_numbers(fake)
    if operation == "test_connection":
        return lambda a: a.test_connection()
    if operation == "provision":
        return lambda a: a.provision(CTX)
    if operation == "list_numbers":
        return lambda a: a.list_numbers({})
    if operation == "route_number_here":
        number = call(lambda a: a.list_numbers({}), url)[1]
        return lambda a: a.route_number_here(number, {"application_id": APP_ID})
    state = call(lambda a: a.provision(CTX), url)
    return lambda a: a.deprovision(state)


def check(operation: str, result: Any, fake: FakeVonage) -> None:
    voice = fake.applications[APP_ID]["capabilities"]["voice"]
    if operation == "test_connection":
        assert result.title == APP_NAME
    elif operation == "provision":
        assert result["application_id"] == APP_ID and voice["webhooks"]["answer_url"]["address"] == CTX.voice_url
    elif operation == "list_numbers":
        assert len(result) == 7
    elif operation == "route_number_here":
        assert fake.numbers["US:14152000001"]["app_id"] == APP_ID
    else:
        assert voice == ORIGINAL_VOICE


OPERATIONS = ["test_connection", "provision", "deprovision", "list_numbers", "route_number_here"]
ERRORS: list[tuple[str, type[AdapterError], str]] = [
    ("invalid_auth", InvalidAuth, "authentication failed"),
    ("rate_limited", RateLimited, ""),
    ("server_error", CannotConnect, "HTTP 500"),
    ("timeout", CannotConnect, "did not answer in time"),
]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("kind", "expected", "detail"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_then_recovery_on_retry(
    operation: str, kind: str, expected: type[AdapterError], detail: str, fake: FakeVonage, url: str
) -> None:
    action = arrange(operation, fake, url)
    fake.fail_next(kind)
    with pytest.raises(expected) as raised:
        call(action, url, HastyVonage if kind == "timeout" else QuickVonage)
    error = raised.value
    assert type(error) is expected
    assert_no_secret(error)
    if kind == "invalid_auth":
        assert error.field == "api_secret"  # the first call of each operation is a Basic one
        assert "Invalid credentials supplied" in error.detail or detail in error.detail
    elif kind == "rate_limited":
        assert isinstance(error, RateLimited) and error.retry_after == 1
    else:
        assert detail in error.detail
    check(operation, call(action, url), fake)


def test_a_refused_jwt_is_the_private_keys_fault(fake: FakeVonage, url: str) -> None:
    fake.fail_next("invalid_auth", path="/v1/calls")
    with pytest.raises(InvalidAuth) as raised:
        call(lambda a: a.test_connection(), url)
    assert raised.value.field == "private_key" and "You did not provide correct credentials." in raised.value.detail
    assert call(lambda a: a.test_connection(), url).title == APP_NAME


def test_an_unreachable_vonage_cannot_connect(fake: FakeVonage) -> None:
    with pytest.raises(CannotConnect) as raised:
        call(lambda a: a.test_connection(), "http://127.0.0.1:9")
    assert_no_secret(raised.value)


def test_no_secret_reaches_the_logs(fake: FakeVonage, url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    call(lambda a: a.test_connection(), url)
    fake.fail_next("invalid_auth")
    with pytest.raises(InvalidAuth):
        call(lambda a: a.list_numbers({}), url)
    text = caplog.text
    assert "Http Response Error! Status code: 401" in text  # the SDK's warning is there, with Vonage's body
    assert "'Authorization': '***'" in text  # and its header dumps are masked
    for secret in (SECRET, BASIC, "Bearer ", KEY_BODY[:40]):
        assert secret not in text
