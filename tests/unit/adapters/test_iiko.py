"""iiko / Syrve against the fake iikoCloud over real HTTP: each operation and the request it sends,
each error then the retry that recovers, the token (refreshed before expiry, once on 401, shared by
the account), command polling (success, error, timeout) and a table-reservation round trip."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

from ioperator.adapters import registry
from ioperator.adapters.crm.base import CrmAdapter, CrmClient
from ioperator.adapters.crm.iiko import IikoAdapter, SyrveAdapter
from ioperator.adapters.crm.iiko.client import forget_tokens
from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    ProviderError,
    RateLimited,
    SlotUnavailable,
    Unsupported,
)
from ioperator.adapters.resilience import RateLimit, RetryPolicy
from tests.fakes.iiko import FakeIiko
from tests.fakes.runner import serve

T = TypeVar("T")
API_LOGIN = "9f1c2b7e-secret-api-login"
MOSCOW = ZoneInfo("Europe/Moscow")
DAY = datetime.now(MOSCOW).date() + timedelta(days=7)


class QuickIiko(IikoAdapter):
    """Fast retries, polls and timeouts (not registered)."""

    retry_policy = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    rate_limit = RateLimit(1000, 1.0)
    timeout_seconds = 2.0
    command_poll_delay = 0.01
    command_poll_attempts = 5


class HastyIiko(QuickIiko):
    """Gives up on a silent server quickly (the timeout cases)."""

    timeout_seconds = 0.1


class QuickSyrve(SyrveAdapter):
    retry_policy = QuickIiko.retry_policy
    rate_limit = QuickIiko.rate_limit
    command_poll_delay = 0.01


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[IikoAdapter], Awaitable[T]],
    base_url: str,
    adapter: type[IikoAdapter] = QuickIiko,
    **config: Any,
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            values = {"api_login": API_LOGIN, "opening_hours": "12:00-16:00", **config}
            return await operation(adapter(adapter.parse_config(values), http=http, base_url=base_url))

    return run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeIiko, str]]:
    fake = FakeIiko(hold_seconds=2.0)
    with serve(fake.app) as base_url:
        yield fake, base_url


@pytest.fixture
def fake(server: tuple[FakeIiko, str]) -> FakeIiko:
    fake = server[0]
    fake.reset()
    fake.token_ttl, fake.command_polls = 3600.0, 1
    forget_tokens()
    fake.seed_restaurant(API_LOGIN, tables=3)
    soups = fake.add_group("Soups")
    fake.add_product("Borscht", [350.0], soups)
    fake.add_product("Pizza", [500.0, 700.0, 900.0])
    fake.add_product("Extra cheese", [50.0], type="modifier")
    fake.add_product("Old dish", [10.0], isDeleted=True)
    fake.add_guest("+79161234567", "Anna", "Lee", "anna@example.com")
    return fake


@pytest.fixture
def url(server: tuple[FakeIiko, str]) -> str:
    return server[1]


def at(hour: int, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=MOSCOW)


ANNA = CrmClient("", "Anna", "+7 916 123-45-67")
OPERATIONS: dict[str, Callable[[IikoAdapter], Awaitable[Any]]] = {
    "test_connection": lambda a: a.test_connection(),
    "list_services": lambda a: a.list_services(),
    "free_slots": lambda a: a.free_slots(service_id="", staff_id=None, start=DAY, end=DAY),
    "find_client": lambda a: a.find_client("8 (916) 123-45-67"),
    "create_client": lambda a: a.create_client(name="Bob", phone="+7 903 000-11-22", email="bob@example.com"),
    "create_booking": lambda a: a.create_booking(service_id="menu", staff_id=None, start=at(13), client=ANNA),
}
ENDPOINT = {
    "test_connection": "organizations",
    "list_services": "nomenclature",
    "free_slots": "reserve/restaurant_sections_workload",
    "find_client": "loyalty/iiko/customer/info",
    "create_client": "loyalty/iiko/customer/create_or_update",
    "create_booking": "reserve/create",
    "cancel_booking": "reserve/cancel",
}


def arrange(operation: str, fake: FakeIiko) -> Callable[[IikoAdapter], Awaitable[Any]]:
    """The operation to run; cancel_booking first gets a reservation to cancel."""
    if operation != "cancel_booking":
        return OPERATIONS[operation]
    reserve_id = fake.add_reserve(fake.table_ids()[0], f"{DAY} 12:00:00.000")
    return lambda adapter: adapter.cancel_booking(reserve_id)


def check(operation: str, result: Any, fake: FakeIiko) -> None:
    [org] = fake.organizations
    sent = fake.calls(ENDPOINT[operation])[-1]
    assert sent.authorization.startswith("Bearer ") and API_LOGIN not in sent.authorization
    if operation == "test_connection":
        assert result.title == "Blue Door" and result.details == {"organization_id": org["id"], "organizations": "1"}
        assert sent.body == {"organizationIds": None, "returnAdditionalInfo": False, "includeDisabled": False}
    elif operation == "list_services":
        assert [(s.name, s.price, s.price_max, s.category) for s in result] == [
            ("Borscht", Decimal("350.0"), None, "Soups"),
            ("Pizza", Decimal("500.0"), Decimal("900.0"), ""),
        ]
        assert all(s.duration_minutes is None for s in result)
        assert sent.body == {"organizationId": org["id"], "startRevision": 0}
    elif operation == "free_slots":
        assert [slot.start for slot in result] == [at(12) + timedelta(minutes=30 * n) for n in range(5)]
        assert all(slot.duration_minutes == 120 for slot in result)
        assert sent.body["dateFrom"] == f"{DAY - timedelta(days=1)} 00:00:00.000"
        assert sent.body["dateTo"] == f"{DAY + timedelta(days=2)} 00:00:00.000"
    elif operation == "find_client":
        [anna] = [guest["id"] for guest in fake.guests.values() if guest["phone"] == "+79161234567"]
        assert result == CrmClient(anna, "Anna Lee", "+79161234567", "anna@example.com")
        assert sent.body == {"type": "phone", "phone": "+79161234567", "organizationId": org["id"]}
    elif operation == "create_client":
        assert result.phone == "+79030001122" and result.external_id in fake.guests
        assert sent.body == {
            "organizationId": org["id"],
            "phone": "+79030001122",
            "name": "Bob",
            "email": "bob@example.com",
        }
    elif operation == "create_booking":
        reserve = fake.reserves[result.external_id]
        assert reserve["status"] == "New" and reserve["estimatedStartTime"] == f"{DAY} 13:00:00.000"
        assert reserve["tableIds"] == [fake.table_ids()[0]]  # the smallest table that seats two
        assert sent.body["phone"] == "+79161234567" and sent.body["customer"] == {"type": "regular", "name": "Anna"}
        assert sent.body["durationInMinutes"] == 120 and sent.body["guests"] == {"count": 2}
        assert result.start == at(13) and result.details["table"] == "Table 1"
        assert fake.calls("commands/status")[-1].body["organizationId"] == org["id"]
    else:
        assert result is None
        assert sent.body["cancelReason"] == "ClientRefused"
        assert fake.reserves[sent.body["reserveId"]]["status"] == "Cancelled"


@pytest.mark.parametrize("operation", [*OPERATIONS, "cancel_booking"])
def test_each_operation_succeeds(operation: str, fake: FakeIiko, url: str) -> None:
    check(operation, call(arrange(operation, fake), url), fake)
    assert len(fake.calls("access_token")) == 1
    assert fake.calls("access_token")[0].body == {"apiLogin": API_LOGIN}


# Reads are retried (3 attempts); a write (a reservation command) is sent once after a 5xx or a timeout,
# since iiko may have acted on it; a 429 is retried for both.
WRITES = {"create_booking"}
ONCE_FOR_WRITES = {"server_error", "request_timeout", "timeout"}
Case = tuple[str, Callable[[FakeIiko, str, int], None], type[AdapterError], str]
CASES: list[Case] = [
    ("rate_limited", lambda f, p, n: f.fail_next("rate_limited", n, path=p, retry_after=0), RateLimited, "429"),
    ("server_error", lambda f, p, n: f.fail_next("server_error", n, path=p), CannotConnect, "HTTP 500"),
    ("request_timeout", lambda f, p, n: f.fail_next("request_timeout", n, path=p), CannotConnect, "HTTP 408"),
    ("timeout", lambda f, p, n: f.fail_next("timeout", n, path=p), CannotConnect, "timeout"),
    ("garbage", lambda f, p, n: f.fail_next("garbage", path=p), ProviderError, "not JSON"),
    ("stale_token_twice", lambda f, p, n: f.fail_next("stale_token", 2, path=p), InvalidAuth, "fresh access token"),
    ("unknown_login", lambda f, p, n: f.api_logins.clear(), InvalidAuth, "refused the API login"),
]


@pytest.mark.parametrize("operation", ["test_connection", "list_services", "create_booking"])
@pytest.mark.parametrize(("case", "inject", "expected", "detail"), CASES, ids=[c[0] for c in CASES])
def test_each_error_then_recovery_on_retry(
    operation: str, case: str, inject: Callable[[FakeIiko, str, int], None], expected: type[AdapterError],
    detail: str, fake: FakeIiko, url: str,
) -> None:  # fmt: skip
    attempts = 1 if operation in WRITES and case in ONCE_FOR_WRITES else 3
    inject(fake, ENDPOINT[operation], attempts)

    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation], url, HastyIiko if case == "timeout" else QuickIiko)

    assert type(caught.value) is expected and detail in caught.value.detail
    if case in ONCE_FOR_WRITES | {"rate_limited"}:
        assert len(fake.calls(ENDPOINT[operation])) == attempts
    assert API_LOGIN not in str(caught.value) and API_LOGIN not in caught.value.detail
    if expected is InvalidAuth:
        assert caught.value.field == "api_login"
    fake.api_logins.add(API_LOGIN)
    check(operation, call(OPERATIONS[operation], url), fake)


@pytest.mark.parametrize("kind", ["rate_limited", "server_error", "request_timeout", "timeout"])
def test_a_transient_failure_is_retried_and_succeeds(kind: str, fake: FakeIiko, url: str) -> None:
    fake.fail_next(kind, path="nomenclature", retry_after=1)
    check("list_services", call(OPERATIONS["list_services"], url, HastyIiko if kind == "timeout" else QuickIiko), fake)
    first, second = fake.calls("nomenclature")
    assert second.status == 200
    if kind == "rate_limited":
        assert second.at - first.at >= 0.9  # Retry-After: 1 was honoured


def test_the_token_is_refreshed_before_it_expires(fake: FakeIiko, url: str) -> None:
    class Margin(QuickIiko):
        token_refresh_margin = 3.0

    fake.token_ttl = 4.0
    call(OPERATIONS["test_connection"], url, Margin)
    call(OPERATIONS["test_connection"], url, Margin)
    assert fake.tokens_issued == 1  # cached for the account, shared by adapters built per use
    time.sleep(1.1)  # now less than the margin is left: refresh before iiko would refuse it
    call(OPERATIONS["test_connection"], url, Margin)
    assert fake.tokens_issued == 2
    assert all(seen.status != 401 for seen in fake.seen)


def test_a_401_gets_one_new_token_and_the_call_is_retried(fake: FakeIiko, url: str) -> None:
    call(OPERATIONS["list_services"], url)
    fake.expire_tokens()

    check("list_services", call(OPERATIONS["list_services"], url), fake)

    assert [(s.path.rsplit("/", 1)[-1], s.status) for s in fake.seen[-4:]] == [
        ("organizations", 401),
        ("access_token", 200),
        ("organizations", 200),
        ("nomenclature", 200),
    ]
    assert fake.tokens_issued == 2


@pytest.mark.parametrize("polls", [0, 3])
def test_a_command_is_polled_until_success(polls: int, fake: FakeIiko, url: str) -> None:
    fake.command_polls = polls
    check("create_booking", call(OPERATIONS["create_booking"], url), fake)
    assert len(fake.calls("commands/status")) == polls + 1


def test_a_command_error_carries_iikos_reason_then_a_retry_succeeds(fake: FakeIiko, url: str) -> None:
    fake.fail_next_command("Terminal group is unavailable")
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["create_booking"], url)
    assert caught.value.detail == "Terminal group is unavailable"
    assert fake.reserves == {}
    check("create_booking", call(OPERATIONS["create_booking"], url), fake)


def test_a_command_still_in_progress_times_out_then_a_retry_succeeds(fake: FakeIiko, url: str) -> None:
    fake.command_polls = 10  # more than the adapter's 5 polls
    with pytest.raises(CannotConnect) as caught:
        call(OPERATIONS["create_booking"], url)
    assert "timed out waiting" in caught.value.detail
    assert len(fake.calls("commands/status")) == 5
    fake.command_polls = 1
    check("create_booking", call(OPERATIONS["create_booking"], url), fake)


def test_a_table_reservation_round_trip(fake: FakeIiko, url: str) -> None:
    small, middle, big = fake.table_ids()
    fake.add_reserve(small, f"{DAY} 12:00:00.000")
    fake.add_reserve(middle, f"{DAY} 12:00:00.000")

    async def scenario(adapter: IikoAdapter) -> None:
        slots = await adapter.free_slots(service_id="", staff_id=None, start=DAY, end=DAY)
        assert [slot.start.hour for slot in slots] == [12, 12, 13, 13, 14]
        assert await adapter.find_client("+79035550000") is None
        client = await adapter.create_client(name="Vera", phone="+79035550000")
        assert await adapter.find_client("+7 903 555-00-00") == CrmClient(client.external_id, "Vera", "+79035550000")
        booking = await adapter.create_booking(service_id="", staff_id=None, start=slots[0].start, client=client)
        assert booking.details["table_id"] == big and fake.reserves[booking.external_id]["status"] == "New"
        taken = await adapter.free_slots(service_id="", staff_id=None, start=DAY, end=DAY)
        assert [slot.start.hour for slot in taken] == [14]  # all three tables are busy until 14:00
        with pytest.raises(SlotUnavailable):
            await adapter.create_booking(service_id="", staff_id=None, start=at(13), client=client)
        await adapter.cancel_booking(booking.external_id)
        assert fake.reserves[booking.external_id]["status"] == "Cancelled"
        assert len(await adapter.free_slots(service_id="", staff_id=None, start=DAY, end=DAY)) == 5

    call(scenario, url)


def test_staff_is_unsupported_with_the_reason(fake: FakeIiko, url: str) -> None:
    assert QuickIiko.supported_operations() == [
        "list_services", "free_slots", "find_client", "create_client", "create_booking", "cancel_booking",
    ]  # fmt: skip
    with pytest.raises(Unsupported) as caught:
        call(lambda adapter: adapter.list_staff(), url)
    assert caught.value.detail == IikoAdapter.unsupported_reasons["list_staff"]
    assert fake.seen == []


def test_several_organizations_need_an_id(fake: FakeIiko, url: str) -> None:
    second = fake.add_organization("Green Door")
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["test_connection"], url)
    assert caught.value.field == "organization_id" and "Blue Door, Green Door" in caught.value.detail

    info = call(OPERATIONS["test_connection"], url, organization_id=second)
    assert info.title == "Green Door" and info.details["organizations"] == "2"
    with pytest.raises(ProviderError) as unknown:
        call(OPERATIONS["test_connection"], url, organization_id="00000000-0000-0000-0000-000000000000")
    assert unknown.value.field == "organization_id"


def test_a_large_menu_is_read_completely(fake: FakeIiko, url: str) -> None:
    fake.products.clear()
    fake.seed_catalog(products=3000, groups=30)
    services = call(OPERATIONS["list_services"], url)
    assert len(services) == 3000 and services[-1].category == "Group 29"


def test_syrve_is_the_same_client_on_its_own_host(fake: FakeIiko, url: str) -> None:
    assert SyrveAdapter.default_base_url == "https://api-eu.syrve.live"
    assert (SyrveAdapter.slug, SyrveAdapter.position, IikoAdapter.position) == ("syrve", 70, 60)
    assert SyrveAdapter.Config.model_fields["timezone"].default == "Europe/London"
    info = call(OPERATIONS["test_connection"], url, QuickSyrve)
    assert info.title == "Blue Door"
    booking = call(OPERATIONS["create_booking"], url, QuickSyrve, timezone="Europe/Moscow")
    assert fake.reserves[booking.external_id]["estimatedStartTime"] == f"{DAY} 13:00:00.000"


def test_both_are_registered_crm_adapters() -> None:
    assert registry.get("iiko") is IikoAdapter and registry.get("syrve") is SyrveAdapter
    assert all(issubclass(cls, CrmAdapter) for cls in (IikoAdapter, SyrveAdapter))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"opening_hours": "10-22"}, "opening_hours"),
        ({"reservation_minutes": 5}, "reservation_minutes"),
        ({"api_login": None}, "api_login"),
    ],
)
def test_config_mistakes_are_refused_on_their_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        IikoAdapter.parse_config({"api_login": API_LOGIN, **values})
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]
    assert API_LOGIN not in str(caught.value)


def test_the_api_login_is_kept_secret() -> None:
    config = IikoAdapter.parse_config({"api_login": f" {API_LOGIN} "})
    assert config.secret_values() == {"api_login": API_LOGIN}
    assert API_LOGIN not in repr(config) and "api_login" not in config.public_values()
    names = [field.name for field in IikoAdapter.form_fields()]
    assert names[:3] == ["api_login", "organization_id", "terminal_group_id"]
