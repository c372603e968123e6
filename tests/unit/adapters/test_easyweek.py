"""EasyWeek against the fake public API v2 over real HTTP: each operation and the request it sends
(both auth headers), each error then the retry that recovers, paging, the unsupported operation and
a booking round trip."""

from __future__ import annotations

import asyncio
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
from ioperator.adapters.crm.base import CrmClient, CrmStaff
from ioperator.adapters.crm.dikidi import DikidiAdapter
from ioperator.adapters.crm.easyweek import EasyWeekAdapter
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
from tests.fakes.easyweek import PREFIX, FakeEasyWeek
from tests.fakes.runner import serve

T = TypeVar("T")
KEY = "ewk_live_7Hq2xP9sTz4mN1vB"
WORKSPACE = "blue-door"
MOSCOW = ZoneInfo("Europe/Moscow")
DAY = datetime.now(MOSCOW).date() + timedelta(days=7)


class QuickEasyWeek(EasyWeekAdapter):
    """Fast retries and no 1 request/second wait (not registered)."""

    retry_policy = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    rate_limit = RateLimit(1000, 1.0)
    timeout_seconds = 2.0
    page_size = 2


class HastyEasyWeek(QuickEasyWeek):
    timeout_seconds = 0.1


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[EasyWeekAdapter], Awaitable[T]],
    url: str,
    adapter: type[EasyWeekAdapter] = QuickEasyWeek,
    **config: Any,
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            values = {"api_key": KEY, "workspace": WORKSPACE, **config}
            return await operation(adapter(adapter.parse_config(values), http=http, base_url=url + PREFIX))

    return run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeEasyWeek, str]]:
    fake = FakeEasyWeek(hold_seconds=2.0)
    with serve(fake.app) as url:
        yield fake, url


class Ids:
    location = haircut = manicure = anna = boris = ""


IDS = Ids()


@pytest.fixture
def fake(server: tuple[FakeEasyWeek, str]) -> FakeEasyWeek:
    fake = server[0]
    fake.reset()
    fake.keys[KEY] = WORKSPACE
    IDS.location = fake.add_location("Blue Door", "Europe/Moscow")
    IDS.haircut = fake.add_service(IDS.location, "Haircut", 1500, 60, "Hair")
    IDS.manicure = fake.add_service(IDS.location, "Manicure", 1200.5, 90)
    fake.add_service(IDS.location, "Colouring", 4000, 120, "Hair")
    IDS.anna = fake.add_staffer(IDS.location, "Anna", "Lee", "Stylist")
    IDS.boris = fake.add_staffer(IDS.location, "Boris", "", "")
    fake.add_customer("+79161234567", "Anna", "Petrova", "anna@example.com")
    return fake


@pytest.fixture
def url(server: tuple[FakeEasyWeek, str]) -> str:
    return server[1]


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MOSCOW)


VERA = CrmClient("", "Vera Li", "+7 903 555-00-00", "vera@example.com")
OPERATIONS: dict[str, Callable[[EasyWeekAdapter], Awaitable[Any]]] = {
    "test_connection": lambda a: a.test_connection(),
    "list_services": lambda a: a.list_services(),
    "list_staff": lambda a: a.list_staff(),
    "free_slots": lambda a: a.free_slots(service_id=IDS.haircut, staff_id=IDS.anna, start=DAY, end=DAY),
    "find_client": lambda a: a.find_client("+7 (916) 123-45-67"),
    "create_booking": lambda a: a.create_booking(
        service_id=IDS.haircut, staff_id=IDS.anna, start=at(11), client=VERA, comment="window seat"
    ),
}
PATHS = {
    "test_connection": "/ping",
    "list_services": "/locations/{location}/services",
    "list_staff": "/locations/{location}/staffers",
    "free_slots": "/locations/{location}/time-slots",
    "find_client": "/customers",
    "create_booking": "/bookings",
    "cancel_booking": "/bookings/{booking}/status/cancel",
}


def path_of(operation: str, fake: FakeEasyWeek) -> str:
    booking = next(iter(fake.bookings), "")
    return PATHS[operation].format(location=IDS.location, booking=booking)


def arrange(operation: str, fake: FakeEasyWeek) -> Callable[[EasyWeekAdapter], Awaitable[Any]]:
    if operation != "cancel_booking":
        return OPERATIONS[operation]
    start = at(12).isoformat()
    fake.bookings["b-1"] = {"uuid": "b-1", "staffer_uuid": IDS.anna, "reserved_on": start, "duration": 60}
    fake.bookings["b-1"] |= {"status": "booked", "customer": {}}
    return lambda adapter: adapter.cancel_booking("b-1")


def check(operation: str, result: Any, fake: FakeEasyWeek) -> None:
    sent = fake.calls(path_of(operation, fake))[-1]
    assert (sent.authorization, sent.workspace, sent.accept) == (f"Bearer {KEY}", WORKSPACE, "application/json")
    if operation == "test_connection":
        assert result.title == "Blue Door"
        assert result.details == {"workspace": WORKSPACE, "location_uuid": IDS.location}
    elif operation == "list_services":
        assert [(s.external_id, s.name, s.price, s.duration_minutes, s.category) for s in result] == [
            (IDS.haircut, "Haircut", Decimal("1500"), 60, "Hair"),
            (IDS.manicure, "Manicure", Decimal("1200.5"), 90, ""),
            (result[2].external_id, "Colouring", Decimal("4000"), 120, "Hair"),
        ]
        pages = [seen.query["page"] for seen in fake.calls(sent.path)]
        assert pages[-2:] == ["1", "2"] and sent.query["per_page"] == "2"  # 3 services, 2 a page
    elif operation == "list_staff":
        assert result == [CrmStaff(IDS.anna, "Anna Lee", "Stylist"), CrmStaff(IDS.boris, "Boris", "")]
    elif operation == "free_slots":
        assert [slot.start for slot in result] == [at(10) + timedelta(minutes=30 * n) for n in range(15)]
        assert {(slot.duration_minutes, slot.staff_id) for slot in result} == {(60, IDS.anna)}
        assert sent.query == {
            "service_uuid": IDS.haircut,
            "range_start": DAY.isoformat(),
            "range_end": DAY.isoformat(),
            "timezone": "Europe/Moscow",
            "staffer_uuid": IDS.anna,
        }
    elif operation == "find_client":
        [anna] = [c["uuid"] for c in fake.customers if c["phone"] == "+79161234567"]
        assert result == CrmClient(anna, "Anna Petrova", "+79161234567", "anna@example.com")
        assert sent.query == {"phone": "+79161234567", "page": "1", "per_page": "20"}
    elif operation == "create_booking":
        booking = fake.bookings[result.external_id]
        assert booking["status"] == "booked" and booking["staffer_uuid"] == IDS.anna
        assert booking["customer"]["phone"] == "+79035550000" and result.client_id == booking["customer"]["uuid"]
        assert result.start == at(11) and result.service_id == IDS.haircut
        assert sent.body == {
            "location_uuid": IDS.location,
            "service_uuid": IDS.haircut,
            "staffer_uuid": IDS.anna,
            "reserved_on": at(11).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "timezone": "Europe/Moscow",
            "customer_phone": "+79035550000",
            "customer_first_name": "Vera",
            "customer_last_name": "Li",
            "customer_email": "vera@example.com",
            "booking_comment": "window seat",
            "source": "bot",
        }
    else:
        assert result is None and sent.method == "PUT"
        assert sent.body == {"cancel_reason": "customer_request", "internal_notes": ""}
        assert fake.bookings["b-1"]["status"] == "canceled"


@pytest.mark.parametrize("operation", [*OPERATIONS, "cancel_booking"])
def test_each_operation_succeeds(operation: str, fake: FakeEasyWeek, url: str) -> None:
    check(operation, call(arrange(operation, fake), url), fake)


# Reads are retried (3 attempts); POST /bookings is sent once after a 5xx or a timeout (EasyWeek may have
# booked it already); a 429 is retried for both.
WRITES = {"create_booking"}
ONCE_FOR_WRITES = {"server_error", "timeout"}
Case = tuple[str, Callable[[FakeEasyWeek, str, int], dict[str, Any]], type[AdapterError], str]


def _inject(kind: str) -> Callable[[FakeEasyWeek, str, int], dict[str, Any]]:
    def inject(fake: FakeEasyWeek, path: str, times: int) -> dict[str, Any]:
        fake.fail_next(kind, times, path=path, retry_after=0)
        return {}

    return inject


CASES: list[Case] = [
    ("unknown_key", lambda fake, path, n: {"api_key": "ewk_wrong"}, InvalidAuth, "API key"),
    ("wrong_workspace", lambda fake, path, n: {"workspace": "green-door"}, InvalidAuth, "workspace"),
    ("rate_limited", _inject("rate_limited"), RateLimited, "429"),
    ("server_error", _inject("server_error"), CannotConnect, "HTTP 500"),
    ("timeout", _inject("timeout"), CannotConnect, "timeout"),
    ("garbage", lambda fake, path, n: _inject("garbage")(fake, path, 1), ProviderError, "not JSON"),
]


@pytest.mark.parametrize("operation", ["test_connection", "list_services", "find_client", "create_booking"])
@pytest.mark.parametrize(("case", "inject", "expected", "detail"), CASES, ids=[c[0] for c in CASES])
def test_each_error_then_recovery_on_retry(
    operation: str, case: str, inject: Callable[[FakeEasyWeek, str, int], dict[str, Any]],
    expected: type[AdapterError], detail: str, fake: FakeEasyWeek, url: str,
) -> None:  # fmt: skip
    attempts = 1 if operation in WRITES and case in ONCE_FOR_WRITES else 3
    config = inject(fake, path_of(operation, fake), attempts)

    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation], url, HastyEasyWeek if case == "timeout" else QuickEasyWeek, **config)

    error = caught.value
    assert type(error) is expected and detail in error.detail
    if case in ONCE_FOR_WRITES | {"rate_limited"}:
        assert len(fake.calls(path_of(operation, fake))) == attempts
    assert KEY not in str(error) and KEY not in error.detail
    if case == "unknown_key":
        assert error.field == "api_key"
    if case == "wrong_workspace":
        assert error.field == "workspace"
    assert fake.bookings == {}
    check(operation, call(OPERATIONS[operation], url), fake)


@pytest.mark.parametrize("kind", ["rate_limited", "server_error", "timeout"])
def test_a_transient_failure_is_retried_and_succeeds(kind: str, fake: FakeEasyWeek, url: str) -> None:
    fake.fail_next(kind, path="/ping", retry_after=1)
    check("test_connection", call(OPERATIONS["test_connection"], url, HastyEasyWeek), fake)
    first, second = fake.calls("/ping")
    assert (first.status, second.status) == ({"rate_limited": 429, "server_error": 500, "timeout": 504}[kind], 200)
    if kind == "rate_limited":
        assert second.at - first.at >= 0.9  # Retry-After: 1 was honoured


def test_the_documented_limit_is_one_request_a_second() -> None:
    assert EasyWeekAdapter.rate_limit == RateLimit(1, 1.0)


def test_a_taken_time_is_slot_unavailable_then_another_time_books(fake: FakeEasyWeek, url: str) -> None:
    check("create_booking", call(OPERATIONS["create_booking"], url), fake)
    later = at(11, 30)

    with pytest.raises(SlotUnavailable) as caught:
        call(lambda a: a.create_booking(service_id=IDS.haircut, staff_id=IDS.anna, start=later, client=VERA), url)
    assert caught.value.detail == "The selected time is not available."

    booking = call(
        lambda a: a.create_booking(service_id=IDS.haircut, staff_id=IDS.boris, start=later, client=VERA), url
    )
    assert fake.bookings[booking.external_id]["staffer_uuid"] == IDS.boris


def test_an_unknown_location_is_shown_on_its_field(fake: FakeEasyWeek, url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["list_services"], url, location_uuid="no-such-location")
    assert caught.value.field == "location_uuid"
    second = fake.add_location("Green Door")
    assert call(OPERATIONS["test_connection"], url, location_uuid=second).title == "Green Door"


def test_a_next_page_on_another_host_is_not_followed(fake: FakeEasyWeek, url: str) -> None:
    fake.link_host = "evil.example.com"
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["list_services"], url)
    assert "another host" in caught.value.detail
    assert all(seen.authorization == f"Bearer {KEY}" for seen in fake.seen)


def test_a_large_catalog_is_read_completely(fake: FakeEasyWeek, url: str) -> None:
    class Paged(QuickEasyWeek):
        page_size = 100

    location = fake.seed_catalog(services=2000, staff=150)
    services = call(OPERATIONS["list_services"], url, Paged, location_uuid=location)
    staff = call(OPERATIONS["list_staff"], url, Paged, location_uuid=location)
    assert (len(services), len(staff)) == (2000, 150)
    assert len({service.external_id for service in services}) == 2000
    assert len(fake.calls(f"/locations/{location}/services")) == 20


def test_create_client_is_unsupported_with_the_reason(fake: FakeEasyWeek, url: str) -> None:
    assert EasyWeekAdapter.supported_operations() == [
        "list_services", "list_staff", "free_slots", "find_client", "create_booking", "cancel_booking",
    ]  # fmt: skip
    with pytest.raises(Unsupported) as caught:
        call(lambda a: a.create_client(name="Vera", phone="+79035550000"), url)
    assert caught.value.detail == EasyWeekAdapter.unsupported_reasons["create_client"]
    assert "booking" in caught.value.detail and fake.seen == []


def test_a_booking_round_trip(fake: FakeEasyWeek, url: str) -> None:
    async def scenario(adapter: EasyWeekAdapter) -> None:
        slots = await adapter.free_slots(service_id=IDS.manicure, staff_id=IDS.boris, start=DAY, end=DAY)
        assert slots[0].start == at(10) and slots[0].duration_minutes == 90
        assert await adapter.find_client(VERA.phone) is None
        booking = await adapter.create_booking(
            service_id=IDS.manicure, staff_id=slots[0].staff_id, start=slots[0].start, client=VERA
        )
        assert fake.bookings[booking.external_id]["status"] == "booked"
        found = await adapter.find_client("+79035550000")
        assert found is not None and found.external_id == booking.client_id and found.name == "Vera Li"
        after = await adapter.free_slots(service_id=IDS.manicure, staff_id=IDS.boris, start=DAY, end=DAY)
        assert after[0].start == at(11, 30)  # 10:00-11:30 is taken now
        await adapter.cancel_booking(booking.external_id)
        assert fake.bookings[booking.external_id]["status"] == "canceled"
        again = await adapter.free_slots(service_id=IDS.manicure, staff_id=IDS.boris, start=DAY, end=DAY)
        assert again == slots

    call(scenario, url)


def test_the_registry_offers_easyweek() -> None:
    assert registry.get("easyweek") is EasyWeekAdapter
    assert (EasyWeekAdapter.position, EasyWeekAdapter.default_base_url) == (30, "https://my.easyweek.io/api/public/v2")


def test_the_form_and_its_secret() -> None:
    fields = {field.name: field for field in EasyWeekAdapter.form_fields()}
    assert list(fields) == ["api_key", "workspace", "location_uuid"]
    assert fields["api_key"].secret and fields["api_key"].required and fields["workspace"].required
    assert not fields["location_uuid"].required
    config = EasyWeekAdapter.parse_config({"api_key": f" {KEY} ", "workspace": WORKSPACE})
    assert config.secret_values() == {"api_key": KEY} and KEY not in repr(config)
    with pytest.raises(ValidationError) as caught:
        EasyWeekAdapter.parse_config({"api_key": KEY, "workspace": " "})
    assert [error["loc"] for error in caught.value.errors()] == [("workspace",)]


# --- DIKIDI: in the catalog, not available -----------------------------------------------------------


def test_dikidi_is_registered_as_unavailable_with_the_reason() -> None:
    assert registry.get("dikidi") is DikidiAdapter
    assert (DikidiAdapter.available, DikidiAdapter.unavailable_reason) == (False, "DIKIDI has no public API")
    assert (DikidiAdapter.kind, DikidiAdapter.position, DikidiAdapter.form_fields()) == ("crm", 90, [])
    assert DikidiAdapter.supported_operations() == []

    async def connect() -> Any:
        async with httpx.AsyncClient() as http:
            adapter = DikidiAdapter(DikidiAdapter.parse_config({}), http=http)
            with pytest.raises(Unsupported) as listing:
                await adapter.list_services()
            assert listing.value.detail == "DIKIDI has no public API"
            return await adapter.test_connection()

    with pytest.raises(Unsupported) as caught:
        run(connect())
    assert caught.value.detail == "DIKIDI has no public API"
