"""Telnyx through the official async SDK against the fake API v2 over real HTTP: the config table, each
operation and what the fake holds after it, paging, and each error kind on each operation, then recovery."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import phonenumbers
import pytest
from pydantic import ValidationError

from ioperator.adapters import registry
from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited
from ioperator.adapters.telephony.base import NUMBER_TYPES, ManualStep, ProviderNumber, ProvisionContext
from ioperator.adapters.telephony.telnyx import TelnyxAdapter
from tests.fakes.runner import serve
from tests.fakes.telnyx import PREFIX, FakeTelnyx

T = TypeVar("T")
KEY = "KEY0185A6B2F5F5E4C5A5D9C8B7A6F5E4D3_Xt5oXZ4hXb8J3r5Yq0vGmL"
PUBLIC_KEY = base64.b64encode(bytes(range(32))).decode()
CTX = ProvisionContext(7, "https://ops.example.com/webhooks/telnyx/7", "iOperator · Blue Door")
APP = "call_control_application_id"


class QuickTelnyx(TelnyxAdapter):
    """Small pages so a few numbers span several (not registered)."""

    timeout_seconds = 2.0
    page_size = 3


class HastyTelnyx(QuickTelnyx):
    timeout_seconds = 0.2


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[TelnyxAdapter], Awaitable[T]],
    url: str,
    adapter: type[TelnyxAdapter] = QuickTelnyx,
    **config: Any,
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            values = {"api_key": KEY, "public_key": PUBLIC_KEY, **config}
            return await operation(adapter(adapter.parse_config(values), http=http, base_url=url + PREFIX))

    return run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeTelnyx, str]]:
    fake = FakeTelnyx(hold_seconds=1.0)
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def fake(server: tuple[FakeTelnyx, str]) -> FakeTelnyx:
    fake = server[0]
    fake.reset()
    fake.add_account(KEY)
    return fake


@pytest.fixture
def url(server: tuple[FakeTelnyx, str]) -> str:
    return server[1]


# --- config ------------------------------------------------------------------------------------------

CONFIGS: list[tuple[str, dict[str, Any], str | None]] = [
    ("valid", {}, None),
    ("spaces are stripped", {"api_key": f"  {KEY} ", "public_key": f" {PUBLIC_KEY} "}, None),
    ("empty key", {"api_key": ""}, "api_key"),
    ("not a Telnyx key", {"api_key": "sk_live_51HqLyjWDarjtT1zdp7dc"}, "api_key"),
    ("key too short", {"api_key": "KEY123"}, "api_key"),
    ("public key not base64", {"public_key": "not base64 at all!"}, "public_key"),
    ("public key too short", {"public_key": base64.b64encode(bytes(16)).decode()}, "public_key"),
    ("public key missing", {"public_key": None}, "public_key"),
    ("unknown field", {"account_sid": "AC123"}, "account_sid"),
]


@pytest.mark.parametrize(("values", "field"), [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_config_validation(values: dict[str, Any], field: str | None) -> None:
    merged = {k: v for k, v in ({"api_key": KEY, "public_key": PUBLIC_KEY} | values).items() if v is not None}
    if field is None:
        config = TelnyxAdapter.parse_config(merged)
        assert config.secret_values() == {"api_key": KEY} and config.public_values() == {"public_key": PUBLIC_KEY}
        assert KEY not in repr(config)
        return
    with pytest.raises(ValidationError) as caught:
        TelnyxAdapter.parse_config(merged)
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]
    assert "sk_live_51HqLyjWDarjtT1zdp7dc" not in str(caught.value)


def test_the_form_and_the_catalog_entry() -> None:
    fields = {field.name: field for field in TelnyxAdapter.form_fields()}
    assert list(fields) == ["api_key", "public_key"]
    assert fields["api_key"].secret and fields["api_key"].input_type == "password"
    assert not fields["public_key"].secret and fields["public_key"].required
    assert all(field.title and field.help and field.placeholder for field in fields.values())
    assert registry.get("telnyx") is TelnyxAdapter
    assert (TelnyxAdapter.kind, TelnyxAdapter.position, TelnyxAdapter.logo) == ("telephony", 10, "/logos/telnyx.svg")
    assert TelnyxAdapter.default_base_url == "https://api.telnyx.com/v2"


# --- operations ----------------------------------------------------------------------------------------


def test_connection_shows_the_balance(fake: FakeTelnyx, url: str) -> None:
    fake.add_account(KEY, balance="12.50", currency="EUR")
    info = call(lambda a: a.test_connection(), url)
    assert info.title == "Telnyx"
    assert info.details == {"balance": "12.50 EUR", "available_credit": "112.50 EUR"}
    [seen] = fake.calls("/v2/balance")
    assert seen.authorization == f"Bearer {KEY}"


def test_provision_then_deprovision(fake: FakeTelnyx, url: str) -> None:
    state = call(lambda a: a.provision(CTX), url)
    assert list(state) == [APP]
    app = fake.applications[state[APP]]
    assert (app["application_name"], app["webhook_event_url"]) == ("iOperator · Blue Door", CTX.events_url)
    assert (app["webhook_api_version"], app["active"], app["first_command_timeout"]) == ("2", True, True)

    call(lambda a: a.deprovision(state), url)
    assert fake.applications == {}
    call(lambda a: a.deprovision(state), url)  # already gone: fine
    assert fake.requests[-2:] == [("DELETE", f"/v2/call_control_applications/{state[APP]}")] * 2
    before = len(fake.requests)
    call(lambda a: a.deprovision({}), url)  # nothing was provisioned: nothing to do
    assert len(fake.requests) == before


def test_a_refused_application_is_a_provider_error_with_the_reason(fake: FakeTelnyx, url: str) -> None:
    bad = ProvisionContext(7, "ops.example.com/webhooks/telnyx/7", "iOperator")
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.provision(bad), url)
    assert caught.value.detail == "webhook_event_url must include a scheme, such as 'https'."
    assert fake.applications == {}


def test_manual_steps_point_the_webhook_at_the_events_url() -> None:
    assert TelnyxAdapter.manual_steps(CTX) == [
        ManualStep("telephony.manual.telnyx.create_app", "iOperator · Blue Door"),
        ManualStep("telephony.manual.telnyx.webhook_url", "https://ops.example.com/webhooks/telnyx/7/events"),
        ManualStep("telephony.manual.telnyx.assign_numbers"),
        ManualStep("telephony.manual.telnyx.public_key"),
    ]


def test_list_numbers_reads_every_page_and_normalises(fake: FakeTelnyx, url: str) -> None:
    app = fake.add_application("iOperator · Blue Door", CTX.events_url)
    routed = fake.add_number("+14152010001", connection_id=app, customer_reference="Front desk")
    elsewhere = fake.add_number("+14152010002", connection_id="1684641123236054244", messaging_profile_id="4001")
    toll_free = fake.add_number("+18002345678", phone_number_type="tollfree", status="purchase-pending")
    mobile = fake.add_number("+447400123456", messaging_profile_id="4002")
    national = fake.add_number("+33140000000", phone_number_type="national", country_iso_alpha2=None)
    shared = fake.add_number("+442071234567", phone_number_type="shared_cost", country_iso_alpha2="gb")
    bulk = fake.add_numbers(4)

    numbers = call(lambda a: a.list_numbers({APP: app}), url)

    assert len(numbers) == 10 and [n.provider_ref for n in numbers[:6]] == [
        routed, elsewhere, toll_free, mobile, national, shared
    ]  # fmt: skip
    assert numbers[0] == ProviderNumber(
        routed, "+14152010001", "Front desk", "local", "US", True, False, "active", True
    )
    assert numbers[1] == ProviderNumber(elsewhere, "+14152010002", "", "local", "US", True, True, "active", False)
    assert numbers[2] == ProviderNumber(
        toll_free, "+18002345678", "", "toll_free", "US", False, False, "purchase-pending", False
    )
    assert numbers[3] == ProviderNumber(mobile, "+447400123456", "", "mobile", "GB", False, True, "active", False)
    assert (numbers[4].number_type, numbers[4].country) == ("national", "FR")  # derived from the number
    assert (numbers[5].number_type, numbers[5].country) == ("other", "GB")
    assert [n.provider_ref for n in numbers[6:]] == bulk and len({n.e164 for n in numbers}) == 10
    assert all(n.number_type in NUMBER_TYPES for n in numbers)
    pages = fake.calls("/v2/phone_numbers")
    assert [(seen.query["page[number]"], seen.query["page[size]"]) for seen in pages] == [
        ("1", "3"), ("2", "3"), ("3", "3"), ("4", "3")
    ]  # fmt: skip
    assert not any(n.routed_here for n in call(lambda a: a.list_numbers({}), url))


def test_the_server_page_size_is_followed(fake: FakeTelnyx, url: str) -> None:
    fake.max_page_size = 100  # the adapter asks for 250 a page
    fake.add_numbers(250)
    numbers = call(lambda a: a.list_numbers({}), url, TelnyxAdapter)
    assert len({n.provider_ref for n in numbers}) == 250
    assert [seen.query["page[size]"] for seen in fake.calls("/v2/phone_numbers")] == ["250"] * 3


def test_list_numbers_of_an_empty_account(fake: FakeTelnyx, url: str) -> None:
    assert call(lambda a: a.list_numbers({}), url) == []


def test_bulk_numbers_are_valid_and_distinct(fake: FakeTelnyx) -> None:
    refs = fake.add_numbers(300) + fake.add_numbers(5, country="GB")
    texts = [fake.numbers[ref]["phone_number"] for ref in refs]
    assert len(set(texts)) == 305 and all(phonenumbers.is_valid_number(phonenumbers.parse(t)) for t in texts)
    fake.remove_number(refs[0])
    assert refs[0] not in fake.numbers


def test_route_number_here(fake: FakeTelnyx, url: str) -> None:
    state = call(lambda a: a.provision(CTX), url)
    ref = fake.add_number("+14152010001", connection_id="1684641123236054244")
    [number] = call(lambda a: a.list_numbers(state), url)
    assert not number.routed_here

    call(lambda a: a.route_number_here(number, state), url)

    assert fake.numbers[ref]["connection_id"] == state[APP]
    [patch] = fake.calls(f"/v2/phone_numbers/{ref}", "PATCH")
    assert patch.body == {"connection_id": state[APP]}
    [again] = call(lambda a: a.list_numbers(state), url)
    assert again.routed_here and again.voice


def test_route_number_here_needs_a_provisioned_application(fake: FakeTelnyx, url: str) -> None:
    ref = fake.add_number("+14152010001")
    [number] = call(lambda a: a.list_numbers({}), url)
    with pytest.raises(ProviderError):
        call(lambda a: a.route_number_here(number, {}), url)
    gone = ProviderNumber("999", "+14152010009", "", "local", "US", False, False, "active", False)
    app = fake.add_application("iOperator", CTX.events_url)
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.route_number_here(gone, {APP: app}), url)
    assert caught.value.detail == "The requested resource or URL could not be found."
    assert fake.numbers[ref]["connection_id"] is None


# --- errors, then recovery -------------------------------------------------------------------------------


class Ids:
    app = number = ""


IDS = Ids()
OPERATIONS: dict[str, Callable[[TelnyxAdapter], Awaitable[Any]]] = {
    "test_connection": lambda a: a.test_connection(),
    "provision": lambda a: a.provision(CTX),
    "deprovision": lambda a: a.deprovision({APP: IDS.app}),
    "list_numbers": lambda a: a.list_numbers({APP: IDS.app}),
    "route_number_here": lambda a: a.route_number_here(
        ProviderNumber(IDS.number, "+14152010001", "", "local", "US", False, False, "active", False), {APP: IDS.app}
    ),
}


def arrange(fake: FakeTelnyx) -> None:
    IDS.app = fake.add_application("iOperator · Blue Door", CTX.events_url)
    IDS.number = fake.add_number("+14152010001")
    fake.add_numbers(4)


def check(operation: str, result: Any, fake: FakeTelnyx) -> None:
    assert fake.seen[-1].authorization == f"Bearer {KEY}" and fake.seen[-1].status in (200, 201)
    if operation == "test_connection":
        assert result.details == {"balance": "300.00 USD", "available_credit": "400.00 USD"}
    elif operation == "provision":
        assert fake.applications[result[APP]]["webhook_event_url"] == CTX.events_url
    elif operation == "deprovision":
        assert IDS.app not in fake.applications
    elif operation == "list_numbers":
        assert len(result) == 5 and result[0].provider_ref == IDS.number
    else:
        assert fake.numbers[IDS.number]["connection_id"] == IDS.app


ERRORS: list[tuple[str, type[AdapterError], str]] = [
    ("invalid_auth", InvalidAuth, "Could not understand the provided credentials."),
    ("rate_limited", RateLimited, "Too many requests, please try again later."),
    ("server_error", CannotConnect, "HTTP 500"),
    ("timeout", CannotConnect, "timeout"),
]


@pytest.mark.parametrize("operation", list(OPERATIONS))
@pytest.mark.parametrize(("kind", "expected", "detail"), ERRORS, ids=[e[0] for e in ERRORS])
def test_each_error_then_recovery_on_retry(
    operation: str, kind: str, expected: type[AdapterError], detail: str, fake: FakeTelnyx, url: str
) -> None:
    arrange(fake)
    applications = dict(fake.applications)
    fake.fail_next(kind)

    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation], url, HastyTelnyx if kind == "timeout" else QuickTelnyx)

    error = caught.value
    assert type(error) is expected and error.detail == detail
    assert KEY not in str(error) and KEY not in repr(error.params)
    if kind == "invalid_auth":
        assert error.field == "api_key"
    if kind == "rate_limited":
        assert isinstance(error, RateLimited) and error.retry_after == 1
    assert len(fake.seen) == 1  # no SDK retries
    assert fake.applications == applications and fake.numbers[IDS.number]["connection_id"] is None
    check(operation, call(OPERATIONS[operation], url), fake)


def test_a_wrong_key_is_shown_on_the_key_field(fake: FakeTelnyx, url: str) -> None:
    wrong = "KEY0000000000000000000000000000000_wrongwrongwrongwrongwr"
    with pytest.raises(InvalidAuth) as caught:
        call(OPERATIONS["test_connection"], url, api_key=wrong)
    assert caught.value.field == "api_key" and wrong not in str(caught.value)
    assert fake.seen[-1].authorization == f"Bearer {wrong}"


def test_an_unreachable_api_cannot_connect(fake: FakeTelnyx) -> None:
    with pytest.raises(CannotConnect) as caught:
        call(OPERATIONS["test_connection"], "http://127.0.0.1:9")
    assert caught.value.detail == "connection error"
