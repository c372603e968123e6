"""Twilio through the real `twilio` SDK against the fake REST API over real HTTP: the config form, the
connection test, provisioning the TwiML app and removing it, every number through all pages, routing a
number, and each error of each operation followed by the retry that recovers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import ValidationError

from ioperator.adapters import registry
from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited
from ioperator.adapters.telephony.base import NUMBER_TYPES, ManualStep, ProviderNumber, ProvisionContext
from ioperator.adapters.telephony.twilio import TwilioAdapter
from tests.fakes.runner import serve
from tests.fakes.twilio import API, FakeTwilio

T = TypeVar("T")
AC = "AC3f9e1d7c5b3a19e8d7c6b5a4f3e2d1c0"
TOKEN = "9f2c4e6a8b0d1f3e5a7c9e1b3d5f7a9c"
KEY_SID = "SK5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d"
KEY_SECRET = "Zq4Xw8Rt2Yu6Io0Pa3Sd7Fg1Hj5Kl9Mn"
OTHER_AC = "AC0123456789abcdef0123456789abcdef"
OTHER_TOKEN = "0123456789abcdef0123456789abcdef"
SECRETS = (TOKEN, KEY_SECRET)
CTX = ProvisionContext(
    integration_id=7, webhook_base="https://ops.example.com/webhooks/twilio/7", label="iOperator · Blue Door"
)
ACCOUNT_PATH = f"{API}/Accounts/{AC}"
NUMBERS_PATH = f"{ACCOUNT_PATH}/IncomingPhoneNumbers.json"
TOKEN_ONLY: dict[str, Any] = {"auth_token": TOKEN}
KEY_ONLY: dict[str, Any] = {"api_key_sid": KEY_SID, "api_key_secret": KEY_SECRET}


class QuickTwilio(TwilioAdapter):
    """Small pages, so that a few numbers take several requests (not registered)."""

    timeout_seconds = 2.0
    page_size = 3


class HastyTwilio(QuickTwilio):
    timeout_seconds = 0.2


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[TwilioAdapter], Awaitable[T]],
    url: str,
    *,
    adapter: type[TwilioAdapter] = QuickTwilio,
    **config: Any,
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            values = {"account_sid": AC, **(config or TOKEN_ONLY)}
            return await operation(adapter(adapter.parse_config(values), http=http, base_url=url))

    return run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeTwilio, str]]:
    fake = FakeTwilio(hold_seconds=1.0)
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def fake(server: tuple[FakeTwilio, str]) -> FakeTwilio:
    fake = server[0]
    fake.reset()
    fake.add_account(AC, TOKEN, api_keys={KEY_SID: KEY_SECRET})
    fake.add_account(OTHER_AC, OTHER_TOKEN, friendly_name="Green Door", balance="3.00")
    fake.add_number("+14155550199", account_sid=OTHER_AC)  # someone else's: never listed
    return fake


@pytest.fixture
def url(server: tuple[FakeTwilio, str]) -> str:
    return server[1]


def secret_free(error: AdapterError) -> bool:
    text = f"{error} {error.detail} {error.params}"
    return not any(secret in text for secret in SECRETS)


# --- the form ----------------------------------------------------------------------------------------

CONFIGS: list[tuple[str, dict[str, Any], tuple[str, ...] | None]] = [
    ("auth token", TOKEN_ONLY, None),
    ("api key", KEY_ONLY, None),
    ("both", {**TOKEN_ONLY, **KEY_ONLY}, None),
    ("padded", {"account_sid": f"  {AC} ", "auth_token": f" {TOKEN}\n"}, None),
    ("upper-case hex", {"account_sid": "AC" + AC[2:].upper(), "auth_token": TOKEN.upper()}, None),
    ("no credentials", {}, ("auth_token",)),
    ("key without secret", {"api_key_sid": KEY_SID}, ("api_key_secret",)),
    ("secret without key", {"api_key_secret": KEY_SECRET}, ("api_key_sid",)),
    ("token and half a key", {**TOKEN_ONLY, "api_key_sid": KEY_SID}, ("api_key_secret",)),
    ("no account", {"account_sid": None, **TOKEN_ONLY}, ("account_sid",)),
    ("not an AC sid", {"account_sid": "SK" + AC[2:], **TOKEN_ONLY}, ("account_sid",)),
    ("short AC sid", {"account_sid": AC[:-1], **TOKEN_ONLY}, ("account_sid",)),
    ("token not hex", {"auth_token": "z" * 32}, ("auth_token",)),
    ("token too short", {"auth_token": TOKEN[:-2]}, ("auth_token",)),
    ("not an SK sid", {"api_key_sid": "AC" + KEY_SID[2:], "api_key_secret": KEY_SECRET}, ("api_key_sid",)),
    ("secret with spaces", {"api_key_sid": KEY_SID, "api_key_secret": "Bearer " + KEY_SECRET}, ("api_key_secret",)),
]


@pytest.mark.parametrize(("case", "values", "error_at"), CONFIGS, ids=[c[0] for c in CONFIGS])
def test_the_config_is_validated_on_the_right_field(
    case: str, values: dict[str, Any], error_at: tuple[str, ...] | None
) -> None:
    merged = {k: v for k, v in ({"account_sid": AC} | values).items() if v is not None}
    if error_at is None:
        config = TwilioAdapter.parse_config(merged)
        assert config.model_dump()["account_sid"] == merged["account_sid"].strip()
        assert not any(secret in repr(config) for secret in SECRETS)
        return
    with pytest.raises(ValidationError) as caught:
        TwilioAdapter.parse_config(merged)
    assert [error["loc"] for error in caught.value.errors()] == [error_at]
    assert not any(secret.lower() in str(caught.value).lower() for secret in SECRETS)


def test_the_form_fields_and_secrets() -> None:
    fields = {field.name: field for field in TwilioAdapter.form_fields()}
    assert list(fields) == ["account_sid", "auth_token", "api_key_sid", "api_key_secret"]
    assert [name for name, field in fields.items() if field.secret] == ["auth_token", "api_key_secret"]
    assert [name for name, field in fields.items() if field.required] == ["account_sid"]
    assert "webhook signatures" in fields["auth_token"].help
    assert all(field.title and field.help and field.placeholder for field in fields.values())
    config = TwilioAdapter.parse_config({"account_sid": AC, **TOKEN_ONLY, **KEY_ONLY})
    assert config.secret_values() == {"auth_token": TOKEN, "api_key_secret": KEY_SECRET}
    assert config.public_values() == {"account_sid": AC, "api_key_sid": KEY_SID}


def test_the_registry_offers_twilio_with_its_logo() -> None:
    assert registry.get("twilio") is TwilioAdapter
    assert (TwilioAdapter.kind, TwilioAdapter.position, TwilioAdapter.title) == ("telephony", 20, "Twilio")
    assert TwilioAdapter.default_base_url == "https://api.twilio.com"
    logo = Path(__file__).parents[3] / "assets" / TwilioAdapter.logo.lstrip("/")
    assert logo.read_text().startswith("<svg")


# --- each operation ----------------------------------------------------------------------------------


@pytest.mark.parametrize("config", [TOKEN_ONLY, KEY_ONLY], ids=["auth token", "api key"])
def test_connection_names_the_account_and_its_balance(config: dict[str, Any], fake: FakeTwilio, url: str) -> None:
    info = call(lambda a: a.test_connection(), url, **config)

    assert info.title == "Blue Door"
    assert info.details == {"status": "active", "type": "Full", "balance": "25.40 USD"}
    assert fake.requests == [("GET", f"{ACCOUNT_PATH}.json"), ("GET", f"{ACCOUNT_PATH}/Balance.json")]
    assert {seen.username for seen in fake.seen} == {AC if config is TOKEN_ONLY else KEY_SID}


def test_connection_with_both_credentials_checks_both(fake: FakeTwilio, url: str) -> None:
    assert call(lambda a: a.test_connection(), url, **TOKEN_ONLY, **KEY_ONLY).title == "Blue Door"
    assert [seen.username for seen in fake.seen] == [AC, AC, KEY_SID]

    fake.accounts[AC].api_keys[KEY_SID] = "another-secret"
    with pytest.raises(InvalidAuth) as caught:
        call(lambda a: a.test_connection(), url, **TOKEN_ONLY, **KEY_ONLY)
    assert caught.value.field == "api_key_secret" and secret_free(caught.value)


def test_connection_without_a_balance_still_succeeds(fake: FakeTwilio, url: str) -> None:
    fake.accounts[AC].balance = None
    fake.accounts[AC].type = "Trial"
    assert call(lambda a: a.test_connection(), url).details == {"status": "active", "type": "Trial"}


@pytest.mark.parametrize("status", ["suspended", "closed"])
def test_a_suspended_or_closed_account_is_refused(status: str, fake: FakeTwilio, url: str) -> None:
    fake.accounts[AC].status = status
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.test_connection(), url)
    assert caught.value.detail == f"the Twilio account is {status}" and caught.value.field == "account_sid"


WRONG_CREDENTIALS: list[tuple[str, dict[str, Any], str]] = [
    ("wrong token", {"auth_token": OTHER_TOKEN}, "auth_token"),
    ("wrong key secret", {"api_key_sid": KEY_SID, "api_key_secret": "W" * 32}, "api_key_secret"),
    ("unknown key", {"api_key_sid": "SK" + "0" * 32, "api_key_secret": KEY_SECRET}, "api_key_secret"),
    ("another account's sid", {"account_sid": OTHER_AC, **KEY_ONLY}, "account_sid"),
]


@pytest.mark.parametrize(("case", "config", "field"), WRONG_CREDENTIALS, ids=[c[0] for c in WRONG_CREDENTIALS])
def test_wrong_credentials_are_shown_on_their_field(
    case: str, config: dict[str, Any], field: str, fake: FakeTwilio, url: str
) -> None:
    with pytest.raises(InvalidAuth) as caught:
        call(lambda a: a.test_connection(), url, **config)
    assert caught.value.field == field and secret_free(caught.value)
    assert [seen.status for seen in fake.seen] == [404 if field == "account_sid" else 401]


def test_provision_creates_the_twiml_app_and_deprovision_removes_it(fake: FakeTwilio, url: str) -> None:
    state = call(lambda a: a.provision(CTX), url)

    assert list(state) == ["twiml_app_sid"] and state["twiml_app_sid"].startswith("AP")
    app = fake.applications[state["twiml_app_sid"]]
    assert (app["account_sid"], app["friendly_name"]) == (AC, "iOperator · Blue Door")
    assert (app["voice_url"], app["voice_method"]) == ("https://ops.example.com/webhooks/twilio/7/voice", "POST")
    assert (app["status_callback"], app["status_callback_method"]) == (CTX.events_url, "POST")
    [sent] = fake.calls(f"{ACCOUNT_PATH}/Applications.json", "POST")
    assert sent.content_type == "application/x-www-form-urlencoded" and sent.username == AC
    assert sent.form == {
        "FriendlyName": ["iOperator · Blue Door"],
        "VoiceUrl": [CTX.voice_url],
        "VoiceMethod": ["POST"],
        "StatusCallback": [CTX.events_url],
        "StatusCallbackMethod": ["POST"],
    }

    assert call(lambda a: a.deprovision(state), url) is None
    assert fake.applications == {}
    assert call(lambda a: a.deprovision(state), url) is None  # already gone: fine
    app_path = f"{ACCOUNT_PATH}/Applications/{state['twiml_app_sid']}.json"
    assert [seen.status for seen in fake.calls(app_path, "DELETE")] == [204, 404]

    requests_before = len(fake.requests)
    call(lambda a: a.deprovision({}), url)  # nothing was provisioned: nothing to do
    assert len(fake.requests) == requests_before


def test_manual_steps_name_our_urls() -> None:
    assert TwilioAdapter.manual_steps(CTX) == [
        ManualStep("telephony.manual.twilio.create_app", "iOperator · Blue Door"),
        ManualStep("telephony.manual.twilio.voice_url", "https://ops.example.com/webhooks/twilio/7/voice"),
        ManualStep("telephony.manual.twilio.status_callback", "https://ops.example.com/webhooks/twilio/7/events"),
        ManualStep("telephony.manual.twilio.assign_numbers", ""),
    ]


def seed_numbers(fake: FakeTwilio) -> dict[str, str]:
    refs = dict(zip(("sf1", "sf2", "sf3", "sf4", "sf5"), fake.add_numbers(5), strict=True))
    refs["london"] = fake.add_number("+442071838750", type=None, capabilities={"Voice": True, "SMS": False})
    refs["mobile"] = fake.add_number("+447400123456", type=None, friendly_name="UK mobile", status="in-use")
    refs["free"] = fake.add_number("+18882001234", type="tollfree", capabilities={"voice": True, "sms": "false"})
    refs["berlin"] = fake.add_number("+4915123456789", status="Pending", capabilities=None, sms_url="https://x.test")
    del fake.numbers[refs["berlin"]]["type"]  # older answers have no type at all
    return refs


def test_list_numbers_reads_every_page_and_normalises(fake: FakeTwilio, url: str) -> None:
    refs = seed_numbers(fake)
    app = "AP" + "1" * 32
    fake.numbers[refs["sf2"]]["voice_application_sid"] = app

    numbers = call(lambda a: a.list_numbers({"twiml_app_sid": app}), url)

    by_ref = {number.provider_ref: number for number in numbers}
    assert list(by_ref) == list(refs.values())  # every page, in order, only this account's
    assert by_ref[refs["sf1"]] == ProviderNumber(
        refs["sf1"], "+14152000000", "(415) 200-0000", "local", "US", True, True, "active", False
    )
    assert [by_ref[refs[name]].routed_here for name in ("sf1", "sf2", "sf3")] == [False, True, False]
    assert by_ref[refs["london"]] == ProviderNumber(
        refs["london"], "+442071838750", "020 7183 8750", "local", "GB", True, False, "active", False
    )
    assert by_ref[refs["mobile"]].number_type == "mobile" and by_ref[refs["mobile"]].friendly_name == "UK mobile"
    assert (by_ref[refs["free"]].number_type, by_ref[refs["free"]].sms) == ("toll_free", False)
    berlin = by_ref[refs["berlin"]]
    assert (berlin.number_type, berlin.country, berlin.status, berlin.voice, berlin.sms) == (
        "mobile", "DE", "pending", False, True,
    )  # fmt: skip
    assert all(number.number_type in NUMBER_TYPES for number in numbers)

    pages = fake.calls(NUMBERS_PATH)
    assert len(pages) == 3  # 9 numbers, 3 a page
    assert [seen.query.get("PageSize") for seen in pages] == [["3"]] * 3
    assert [seen.query.get("Page") for seen in pages] == [None, ["1"], ["2"]]
    assert all(seen.query["PageToken"][0].startswith("PA") for seen in pages[1:])


def test_list_numbers_follows_a_smaller_page_size_set_by_twilio(fake: FakeTwilio, url: str) -> None:
    refs = fake.add_numbers(7)
    fake.max_page_size = 2

    numbers = call(lambda a: a.list_numbers({}), url, adapter=TwilioAdapter)  # asks for 1000 a page

    assert [number.provider_ref for number in numbers] == refs
    assert not any(number.routed_here for number in numbers)
    assert [seen.query["PageSize"] for seen in fake.calls(NUMBERS_PATH)] == [["1000"]] + [["2"]] * 3


def test_list_numbers_with_an_api_key_and_no_numbers(fake: FakeTwilio, url: str) -> None:
    assert call(lambda a: a.list_numbers({}), url, **KEY_ONLY) == []
    assert [seen.username for seen in fake.seen] == [KEY_SID]


def test_route_number_here_points_the_number_at_the_app(fake: FakeTwilio, url: str) -> None:
    fake.add_numbers(4)

    async def scenario(adapter: TwilioAdapter) -> list[ProviderNumber]:
        state = await adapter.provision(CTX)
        before = await adapter.list_numbers(state)
        await adapter.route_number_here(before[3], state)
        return [*before, *(await adapter.list_numbers(state))]

    numbers = call(scenario, url)

    before, after = numbers[:4], numbers[4:]
    [app] = fake.applications
    assert not any(number.routed_here for number in before)
    assert [number.routed_here for number in after] == [False, False, False, True]
    assert fake.numbers[after[3].provider_ref]["voice_application_sid"] == app
    [sent] = fake.calls(f"{NUMBERS_PATH[:-5]}/{after[3].provider_ref}.json", "POST")
    assert sent.form == {"VoiceApplicationSid": [app]}


def test_route_number_here_needs_a_provisioned_app(fake: FakeTwilio, url: str) -> None:
    [ref] = fake.add_numbers(1)
    number = ProviderNumber(ref, "+14152000000", "", "local", "US", True, True, "active", False)
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.route_number_here(number, {}), url)
    assert "TwiML app" in caught.value.detail and fake.requests == []

    with pytest.raises(ProviderError) as refused:  # an app of another account: Twilio's own message
        call(lambda a: a.route_number_here(number, {"twiml_app_sid": "AP" + "2" * 32}), url)
    assert refused.value.detail == "VoiceApplicationSid is not valid"

    gone = ProviderNumber("PN" + "3" * 32, "+14152000001", "", "local", "US", True, True, "active", False)
    with pytest.raises(ProviderError) as missing:
        call(lambda a: a.route_number_here(gone, {"twiml_app_sid": "AP" + "2" * 32}), url)
    assert "was not found" in missing.value.detail and type(missing.value) is ProviderError


def test_the_environment_cannot_move_twilio_elsewhere(
    fake: FakeTwilio, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_REGION", "ie1")
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    monkeypatch.setenv("TWILIO_ACCOUNT_SID", OTHER_AC)
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", OTHER_TOKEN)
    assert call(lambda a: a.test_connection(), url).title == "Blue Door"
    assert {seen.username for seen in fake.seen} == {AC}


# --- each error of each operation, then the retry ------------------------------------------------------


def _provisioned(fake: FakeTwilio) -> dict[str, str]:
    sid = "AP" + "4" * 32
    fake.applications[sid] = {"sid": sid, "account_sid": AC, "friendly_name": "iOperator · Blue Door"}
    return {"twiml_app_sid": sid}


def _number(fake: FakeTwilio) -> ProviderNumber:
    [ref] = fake.add_numbers(1)
    return ProviderNumber(ref, "+14152000000", "", "local", "US", True, True, "active", False)


def arrange(operation: str, fake: FakeTwilio) -> tuple[Callable[[TwilioAdapter], Awaitable[Any]], str]:
    """The operation, and the path of its first request."""
    if operation == "test_connection":
        return (lambda a: a.test_connection()), f"{ACCOUNT_PATH}.json"
    if operation == "provision":
        return (lambda a: a.provision(CTX)), f"{ACCOUNT_PATH}/Applications.json"
    if operation == "deprovision":
        state = _provisioned(fake)
        return (lambda a: a.deprovision(state)), f"{ACCOUNT_PATH}/Applications/{state['twiml_app_sid']}.json"
    if operation == "list_numbers":
        fake.add_numbers(4)
        return (lambda a: a.list_numbers({})), NUMBERS_PATH
    state, number = _provisioned(fake), _number(fake)
    return (
        lambda a: a.route_number_here(number, state)
    ), f"{ACCOUNT_PATH}/IncomingPhoneNumbers/{number.provider_ref}.json"


def check(operation: str, result: Any, fake: FakeTwilio) -> None:
    if operation == "test_connection":
        assert result.details == {"status": "active", "type": "Full", "balance": "25.40 USD"}
    elif operation == "provision":
        assert list(fake.applications) == [result["twiml_app_sid"]]
    elif operation == "deprovision":
        assert result is None and fake.applications == {}
    elif operation == "list_numbers":
        assert [number.e164 for number in result] == [f"+1415200000{n}" for n in range(4)]
    else:
        assert result is None
        assert [number["voice_application_sid"] for number in fake.numbers.values()] == ["", "AP" + "4" * 32]


STATUS = {"invalid_auth": 401, "rate_limited": 429, "server_error": 500}
OPERATIONS = ["test_connection", "provision", "deprovision", "list_numbers", "route_number_here"]
ERRORS: list[tuple[str, str, dict[str, Any], type[AdapterError], str]] = [
    ("invalid_auth", "invalid_auth", TOKEN_ONLY, InvalidAuth, "Authenticate"),
    ("invalid_auth_key", "invalid_auth", KEY_ONLY, InvalidAuth, "Authenticate"),
    ("rate_limited", "rate_limited", TOKEN_ONLY, RateLimited, "Too Many Requests"),
    ("server_error", "server_error", TOKEN_ONLY, CannotConnect, "HTTP 500"),
    ("timeout", "timeout", TOKEN_ONLY, CannotConnect, "timeout"),
]


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("case", "kind", "config", "expected", "detail"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_then_recovery_on_retry(
    operation: str, case: str, kind: str, config: dict[str, Any], expected: type[AdapterError], detail: str,
    fake: FakeTwilio, url: str,
) -> None:  # fmt: skip
    work, path = arrange(operation, fake)
    fake.fail_next(kind, path=path, retry_after=3)

    with pytest.raises(expected) as caught:
        call(work, url, adapter=HastyTwilio if kind == "timeout" else QuickTwilio, **config)

    error = caught.value
    assert type(error) is expected and detail in error.detail and secret_free(error)
    if kind == "invalid_auth":
        assert error.field == ("auth_token" if config is TOKEN_ONLY else "api_key_secret")
    if kind == "rate_limited":
        assert isinstance(error, RateLimited) and error.retry_after == 3
    if kind != "timeout":  # a held answer is still being held
        assert fake.calls(path)[0].status == STATUS[kind]
    check(operation, call(work, url, **config), fake)


@pytest.mark.parametrize("kind", ["rate_limited", "server_error", "invalid_auth"])
def test_an_error_on_a_later_page_is_typed_too(kind: str, fake: FakeTwilio, url: str) -> None:
    fake.add_numbers(7)
    fake.fail_next(kind, path=NUMBERS_PATH, skip=1)

    with pytest.raises(AdapterError) as caught:
        call(lambda a: a.list_numbers({}), url)

    expected = {"rate_limited": RateLimited, "server_error": CannotConnect, "invalid_auth": InvalidAuth}[kind]
    assert type(caught.value) is expected and secret_free(caught.value)
    assert [seen.status for seen in fake.calls(NUMBERS_PATH)] == [200, STATUS[kind]]
    assert len(call(lambda a: a.list_numbers({}), url)) == 7


def test_an_unreachable_twilio_cannot_connect(fake: FakeTwilio) -> None:
    with serve(FakeTwilio().app) as gone:
        pass  # the port is free again: nothing listens there
    with pytest.raises(CannotConnect) as caught:
        call(lambda a: a.test_connection(), gone)
    assert caught.value.detail == "Twilio could not be reached" and secret_free(caught.value)


# --- the fake answers like Twilio ------------------------------------------------------------------------


def test_the_fake_refuses_like_twilio(fake: FakeTwilio, url: str) -> None:
    with httpx.Client(base_url=url) as http:
        anonymous = http.get(f"{ACCOUNT_PATH}.json")
        elsewhere = http.get(f"{API}/Accounts/{OTHER_AC}.json", auth=(AC, TOKEN))
        page = http.get(NUMBERS_PATH, params={"PageSize": 1}, auth=(KEY_SID, KEY_SECRET))

    assert anonymous.status_code == 401 and anonymous.headers["www-authenticate"].startswith("Basic")
    more_info = "https://www.twilio.com/docs/errors/20003"
    assert anonymous.json() == {"code": 20003, "message": "Authenticate", "more_info": more_info, "status": 401}
    assert elsewhere.status_code == 404 and elsewhere.json()["code"] == 20404
    body = page.json()
    assert set(body) == {
        "incoming_phone_numbers", "end", "first_page_uri", "next_page_uri", "page", "page_size",
        "previous_page_uri", "start", "uri",
    }  # fmt: skip
    assert body["incoming_phone_numbers"] == [] and body["next_page_uri"] is None
