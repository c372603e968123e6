"""The Bitrix24 adapter against the fake portal over real HTTP: each operation and the request it
makes, each error and the retry that recovers from it, the leaky-bucket limit, paging, free time,
a booking round trip, and the setup form."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError
from starlette.types import Receive, Scope, Send

from ioperator.adapters import registry
from ioperator.adapters.base import ConnectionInfo
from ioperator.adapters.crm.base import OPERATIONS as CRM_OPERATIONS
from ioperator.adapters.crm.base import CrmBooking, CrmClient, CrmService, CrmSlot, CrmStaff
from ioperator.adapters.crm.bitrix24 import Bitrix24Adapter
from ioperator.adapters.crm.bitrix24.client import is_read
from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    ProviderError,
    RateLimited,
    SlotUnavailable,
)
from ioperator.adapters.resilience import RateLimit, RetryPolicy
from tests.fakes import bitrix24 as b24
from tests.fakes.runner import serve

T = TypeVar("T")
MSK = ZoneInfo("Europe/Moscow")
WEBHOOK = f"https://cafe.bitrix24.ru/rest/{b24.USER_ID}/{b24.CODE}/"
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
TLS = ssl.create_default_context()  # built once: loading the CA bundle per client costs ~60 ms
_soon = date.today() + timedelta(days=21)
DAY = _soon + timedelta(days=(7 - _soon.weekday()) % 7)  # a Monday three weeks or more ahead
SATURDAY = DAY + timedelta(days=5)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MSK)


class QuickBitrix24(Bitrix24Adapter):
    """The adapter with fast retries and no client-side throttle (not registered)."""

    rate_limit = RateLimit(1000, 1.0)
    retry_policy = FAST
    timeout_seconds = 5.0


class ImpatientBitrix24(QuickBitrix24):
    """…and a short timeout, for the timeout case."""

    timeout_seconds = 0.2


class PoliteBitrix24(Bitrix24Adapter):
    """The adapter with its real 2 requests/s limit and fast retries."""

    retry_policy = FAST


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in a worker thread (another loop may be running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[Bitrix24Adapter], Awaitable[T]],
    base_url: str,
    *,
    cls: type[Bitrix24Adapter] = QuickBitrix24,
    **config: Any,
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient(verify=TLS) as http:
            parsed = Bitrix24Adapter.parse_config({"webhook_url": WEBHOOK, **config})
            return await operation(cls(parsed, http=http, base_url=base_url))

    return run(main())


class Current:
    """One server for the module; each test gets a fresh portal behind it."""

    fake: b24.FakeBitrix24

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.fake.app(scope, receive, send)


@dataclass
class Seeds:
    anna: int  # a user
    haircut: int  # a resource with a template: Mon-Fri 10:00-13:00, 60-minute slots
    room: int  # a resource without a template: the configured 09:00-18:00
    busy: int  # a booking of `haircut` on DAY 11:00-12:00
    ivan: int  # a contact with +79161234567


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Current, str]]:
    current = Current()
    current.fake = b24.FakeBitrix24()
    with serve(current) as base_url:
        yield current, base_url


@pytest.fixture
def fake(server: tuple[Current, str]) -> b24.FakeBitrix24:
    server[0].fake = b24.FakeBitrix24(burst=10_000)
    return server[0].fake


@pytest.fixture
def seeds(fake: b24.FakeBitrix24) -> Seeds:
    anna = fake.add_user("Anna", "Ivanova", position="Stylist")
    fake.add_user("Gone", "Away", active=False)
    haircut = fake.add_resource("Anna — haircut", slots=[b24.window(600, 780, b24.WEEK[:5], 60)])
    room = fake.add_resource("Room 2")
    busy = fake.add_booking([haircut], at(DAY, 11), at(DAY, 12))
    ivan = fake.add_contact("Ivan", ["+79161234567"], ["ivan@example.com"], last_name="Petrov")
    return Seeds(anna, haircut, room, busy, ivan)


@pytest.fixture
def base_url(server: tuple[Current, str]) -> str:
    return server[1]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def ivan(seeds: Seeds) -> CrmClient:
    return CrmClient(str(seeds.ivan), "Ivan Petrov", "+79161234567")


Operation = Callable[[Seeds], Callable[[Bitrix24Adapter], Awaitable[Any]]]
OPERATIONS: dict[str, Operation] = {
    "test_connection": lambda s: lambda a: a.test_connection(),
    "list_services": lambda s: lambda a: a.list_services(),
    "list_staff": lambda s: lambda a: a.list_staff(),
    "free_slots": lambda s: lambda a: a.free_slots(service_id=str(s.haircut), staff_id=None, start=DAY, end=DAY),
    "find_client": lambda s: lambda a: a.find_client("+7 916 123-45-67"),
    "create_client": lambda s: lambda a: a.create_client(name="Olga", phone="8 916 999-88-77", email="o@example.com"),
    "create_booking": lambda s: (
        lambda a: a.create_booking(
            service_id=str(s.haircut), staff_id=None, start=at(DAY, 12), client=ivan(s), comment="first visit"
        )
    ),
    "cancel_booking": lambda s: lambda a: a.cancel_booking(str(s.busy)),
}


def check_success(operation: str, result: Any, fake: b24.FakeBitrix24, s: Seeds) -> None:
    """The answer, the methods the portal saw and their parameters."""
    seen = {r.method: r.params for r in fake.requests}
    assert all(r.code_tail == b24.CODE[-4:] and r.http_method == "POST" for r in fake.requests)
    assert all(r.content_type.startswith("application/json") for r in fake.requests)
    if operation == "test_connection":
        details = {"user": "Admin Adminov", "user_id": "1", "admin": "yes", "scopes": "booking, crm, user"}
        assert result == ConnectionInfo(title="cafe.bitrix24.ru", details=details)
        assert fake.methods_seen() == ["profile", "scope"]
    elif operation == "list_services":
        assert result == [CrmService(str(s.haircut), "Anna — haircut"), CrmService(str(s.room), "Room 2")]
        assert seen == {"booking.v1.resource.list": {"order": {"id": "ASC"}, "start": 0}}
    elif operation == "list_staff":
        assert result == [CrmStaff("1", "Admin Adminov", "Director"), CrmStaff(str(s.anna), "Anna Ivanova", "Stylist")]
        assert seen == {"user.get": {"FILTER": {"ACTIVE": True}, "start": 0}}
    elif operation == "free_slots":
        assert result == [CrmSlot(at(DAY, 10), 60), CrmSlot(at(DAY, 12), 60)]
        assert [s.start.tzinfo for s in result] == [MSK, MSK]
        assert fake.methods_seen() == ["booking.v1.resource.slots.list", "booking.v1.booking.list"]
        assert seen["booking.v1.resource.slots.list"] == {"resourceId": s.haircut}
        within = seen["booking.v1.booking.list"]["filter"]["within"]
        assert (
            within["dateFrom"] <= at(DAY, 0).timestamp() and within["dateTo"] >= at(DAY + timedelta(1), 0).timestamp()
        )
    elif operation == "find_client":
        assert result == CrmClient(str(s.ivan), "Ivan Petrov", "+79161234567", "ivan@example.com")
        assert seen["crm.duplicate.findbycomm"] == {
            "entity_type": "CONTACT",
            "type": "PHONE",
            "values": ["+79161234567", "79161234567"],
        }
        assert seen["crm.contact.get"] == {"id": s.ivan}
    elif operation == "create_client":
        assert isinstance(result, CrmClient) and result.phone == "+79169998877" and result.name == "Olga"
        stored = fake.contacts[int(result.external_id)]
        assert [p["VALUE"] for p in stored["PHONE"]] == ["+79169998877"]
        assert [e["VALUE"] for e in stored["EMAIL"]] == ["o@example.com"]
        assert seen["crm.contact.add"]["PARAMS"] == {"REGISTER_SONET_EVENT": "N"}
    elif operation == "create_booking":
        assert isinstance(result, CrmBooking) and result.start == at(DAY, 12)
        booking = fake.bookings[int(result.external_id)]
        assert booking["resourceIds"] == [s.haircut] and booking["description"] == "first visit"
        assert booking["datePeriod"]["from"] == {"timestamp": int(at(DAY, 12).timestamp()), "timezone": "Europe/Moscow"}
        assert booking["datePeriod"]["to"]["timestamp"] == int(at(DAY, 13).timestamp())
        assert fake.booking_clients[int(result.external_id)] == [
            {"id": s.ivan, "type": {"module": "crm", "code": "CONTACT"}}
        ]
        assert fake.methods_seen()[-2:] == ["booking.v1.booking.add", "booking.v1.booking.client.set"]
    else:
        assert result is None
        assert s.busy in fake.deleted_bookings and s.busy not in fake.bookings
        assert seen == {"booking.v1.booking.delete": {"id": s.busy}}


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_succeeds(operation: str, fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    result = call(OPERATIONS[operation](seeds), base_url)
    check_success(operation, result, fake, seeds)


def test_every_operation_is_supported() -> None:
    assert Bitrix24Adapter.supported_operations() == list(CRM_OPERATIONS)
    assert registry.get("bitrix24") is Bitrix24Adapter
    assert (Bitrix24Adapter.position, Bitrix24Adapter.title, Bitrix24Adapter.rate_limit) == (
        40,
        "Bitrix24",
        RateLimit(2, 1.0),
    )


# Each case arranges a failure; it returns the base URL to call and a config override.
Arrange = Callable[[b24.FakeBitrix24, str], tuple[str, dict[str, Any]]]


def _inject(kind: str, times: int = 1, **options: Any) -> Arrange:
    def arrange(fake: b24.FakeBitrix24, base_url: str) -> tuple[str, dict[str, Any]]:
        fake.fail_next(kind, times, **options)
        return base_url, {}

    return arrange


def _wrong_code(fake: b24.FakeBitrix24, base_url: str) -> tuple[str, dict[str, Any]]:
    return base_url, {"webhook_url": WEBHOOK.replace(b24.CODE, "zzz999yyy888xxx7")}


FAILURES: list[tuple[str, Arrange, type[AdapterError] | None, str]] = [
    ("wrong_webhook_code", _wrong_code, InvalidAuth, "refused the webhook"),
    ("query_limit_exhausted", _inject("rate_limited", 3), RateLimited, "QUERY_LIMIT_EXCEEDED"),
    ("query_limit_once", _inject("rate_limited", 1), None, ""),
    ("server_error_exhausted", _inject("server_error", 3), CannotConnect, "HTTP 500"),
    ("server_error_once", _inject("server_error", 1), None, ""),
    ("garbage", _inject("garbage"), ProviderError, "not JSON"),
    ("connection_refused", lambda fake, url: (closed_port_url(), {}), CannotConnect, "ConnectError"),
]
# Other codes of Bitrix24's error body, on a read and on a booking.
ERROR_CODES: list[tuple[str, Arrange, type[AdapterError] | None, str]] = [
    ("expired_token", _inject("error", status=401, error="expired_token", description="expired"), InvalidAuth, ""),
    ("invalid_token", _inject("error", status=401, error="invalid_token", description="bad"), InvalidAuth, ""),
    ("bare_401", _inject("error", status=401, error=""), InvalidAuth, "refused the webhook"),
    ("operation_time_limit", _inject("error", 3, status=429, error="OPERATION_TIME_LIMIT"), RateLimited, "OPERATION"),
    ("access_denied", _inject("error", status=401, error="ACCESS_DENIED"), ProviderError, "paid Bitrix24 plans"),
]
# Reads are retried after a 5xx or a timeout. A write is not: Bitrix24 may have done it, and a repeat
# could duplicate it; it is sent again only after QUERY_LIMIT_EXCEEDED or a connection never made.
FIRST_REQUEST_IS_A_WRITE = {"create_client", "cancel_booking"}  # create_booking reads free time first
WRITE_OF = {
    "create_client": "crm.contact.add",
    "create_booking": "booking.v1.booking.add",
    "cancel_booking": "booking.v1.booking.delete",
}


def _cases(cases: list[tuple[str, Arrange, type[AdapterError] | None, str]], operations: list[str]) -> list[Any]:
    return [pytest.param(op, *case, id=f"{case[0]}-{op}") for case in cases for op in operations]


@pytest.mark.parametrize(
    ("operation", "case", "arrange", "expected", "detail"),
    _cases(FAILURES, list(OPERATIONS)) + _cases(ERROR_CODES, ["test_connection", "create_booking"]),
)
def test_each_error_then_recovery_on_retry(
    operation: str,
    case: str,
    arrange: Arrange,
    expected: type[AdapterError] | None,
    detail: str,
    fake: b24.FakeBitrix24,
    seeds: Seeds,
    base_url: str,
) -> None:
    url, config = arrange(fake, base_url)
    if case == "server_error_once" and operation in FIRST_REQUEST_IS_A_WRITE:
        expected, detail = CannotConnect, "HTTP 500"  # the write may have been done: it is not sent twice
    if expected is None:  # a transient failure: retried inside the same call, which succeeds
        result = call(OPERATIONS[operation](seeds), url, **config)
        del fake.requests[0]
        check_success(operation, result, fake, seeds)
        return

    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation](seeds), url, **config)

    error = caught.value
    assert type(error) is expected and detail in error.detail
    assert b24.CODE not in str(error) and "zzz999" not in str(error)
    if expected is InvalidAuth or case == "access_denied":
        assert error.field == "webhook_url"
    if case == "server_error_once":
        assert fake.methods_seen() == [WRITE_OF[operation]]
    fake.reset()
    check_success(operation, call(OPERATIONS[operation](seeds), base_url), fake, seeds)


@pytest.mark.parametrize("operation", ["test_connection", "free_slots", "find_client"])
def test_a_read_that_timed_out_once_is_retried_and_succeeds(
    operation: str, fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    fake.fail_next("timeout")
    result = call(OPERATIONS[operation](seeds), base_url, cls=ImpatientBitrix24)
    assert fake.requests[0].method == fake.requests[1].method  # the same read, sent again
    del fake.requests[0]
    check_success(operation, result, fake, seeds)


@pytest.mark.parametrize("operation", ["test_connection", "find_client"])
def test_a_timeout_is_retried_then_reported(
    operation: str, fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    fake.fail_next("timeout", 3)
    started = time.monotonic()
    with pytest.raises(CannotConnect) as caught:
        call(OPERATIONS[operation](seeds), base_url, cls=ImpatientBitrix24)
    assert caught.value.detail == "timeout" and time.monotonic() - started < 2
    assert len(fake.requests) == 3
    fake.reset()
    check_success(operation, call(OPERATIONS[operation](seeds), base_url), fake, seeds)


@pytest.mark.parametrize(("kind", "detail"), [("server_error", "HTTP 500"), ("timeout", "timeout")])
@pytest.mark.parametrize(
    ("operation", "method"), [*WRITE_OF.items(), ("create_booking", "booking.v1.booking.client.set")]
)
def test_a_write_is_not_sent_twice_after_an_uncertain_failure(
    operation: str, method: str, kind: str, detail: str, fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    before = (set(fake.bookings), set(fake.contacts))
    fake.fail_next(kind, method=method)
    with pytest.raises(CannotConnect) as caught:
        call(OPERATIONS[operation](seeds), base_url, cls=ImpatientBitrix24)
    assert caught.value.detail == detail
    assert fake.methods_seen().count(method) == 1
    assert (set(fake.bookings), set(fake.contacts)) == before  # nothing done, nothing left half-done
    fake.reset()
    check_success(operation, call(OPERATIONS[operation](seeds), base_url), fake, seeds)  # the caller's retry


@pytest.mark.parametrize(("operation", "method"), list(WRITE_OF.items()))
def test_a_write_is_sent_again_when_bitrix24_asks_to_slow_down(
    operation: str, method: str, fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    fake.fail_next("rate_limited", method=method)
    result = call(OPERATIONS[operation](seeds), base_url)
    assert fake.methods_seen().count(method) == 2
    fake.requests.remove(next(r for r in fake.requests if r.method == method))  # the refused attempt
    check_success(operation, result, fake, seeds)


@pytest.mark.parametrize(
    ("method", "read"),
    [
        ("profile", True),
        ("scope", True),
        ("user.get", True),
        ("crm.contact.get", True),
        ("crm.duplicate.findbycomm", True),
        ("booking.v1.resource.list", True),
        ("booking.v1.resource.slots.list", True),
        ("crm.contact.add", False),
        ("crm.deal.add", False),
        ("crm.deal.update", False),
        ("booking.v1.booking.add", False),
        ("booking.v1.booking.client.set", False),
        ("booking.v1.booking.delete", False),
        ("batch", False),  # may hold writes
        ("crm.something.new", False),  # not classified: treated as a write
    ],
)
def test_reads_are_told_from_writes_by_the_method_name(method: str, read: bool) -> None:
    assert is_read(method) is read


SCOPE_OF = {
    "list_services": "booking",
    "list_staff": "user",
    "free_slots": "booking",
    "find_client": "crm",
    "create_client": "crm",
    "create_booking": "booking",
    "cancel_booking": "booking",
}


@pytest.mark.parametrize("operation", [*SCOPE_OF, "test_connection"])
def test_a_missing_permission_is_named(operation: str, fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    scope = SCOPE_OF.get(operation, "booking")
    fake.scopes.remove(scope)

    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS[operation](seeds), base_url)

    assert f"“{scope}” permission" in caught.value.detail or f"permissions: {scope}" in caught.value.detail
    assert caught.value.field == "webhook_url" and caught.value.params["scope"] == scope
    fake.scopes.append(scope)
    fake.reset()
    check_success(operation, call(OPERATIONS[operation](seeds), base_url), fake, seeds)


# --- The leaky bucket ------------------------------------------------------------------------------


def test_the_fake_answers_query_limit_exceeded_past_the_burst(base_url: str, server: tuple[Current, str]) -> None:
    server[0].fake = fake = b24.FakeBitrix24(burst=3, drain=0.1)
    answers = [httpx.post(f"{base_url}/rest/1/{b24.CODE}/profile.json", json={}) for _ in range(5)]
    assert [a.status_code for a in answers][:3] == [200, 200, 200]
    assert answers[4].status_code == 503
    assert answers[4].json() == {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
    assert len(fake.requests) == 5


def test_without_throttling_the_adapter_hits_the_limit_and_says_so(base_url: str, server: tuple[Current, str]) -> None:
    server[0].fake = fake = b24.FakeBitrix24(burst=2, drain=0.5)

    async def burst(adapter: Bitrix24Adapter) -> list[Any]:
        return await asyncio.gather(*(adapter.list_staff() for _ in range(6)), return_exceptions=True)

    results = call(burst, base_url)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors and all(isinstance(e, RateLimited) and "QUERY_LIMIT_EXCEEDED" in e.detail for e in errors)
    assert len(fake.requests) > 6  # the refused calls were retried before giving up


def test_the_adapters_own_limit_keeps_under_the_portals(base_url: str, server: tuple[Current, str]) -> None:
    server[0].fake = fake = b24.FakeBitrix24(burst=2, drain=2.0)  # a third request at once would be refused

    async def three(adapter: Bitrix24Adapter) -> tuple[ConnectionInfo, list[CrmStaff]]:
        return await asyncio.gather(adapter.test_connection(), adapter.list_staff())

    info, staff = call(three, base_url, cls=PoliteBitrix24)
    assert info.title == "cafe.bitrix24.ru" and len(staff) == 1
    assert len(fake.requests) == 3  # nothing refused, nothing retried
    stamps = [r.at for r in fake.requests]
    assert stamps[-1] - stamps[0] >= 0.9  # 2 requests a second, evenly spaced


# --- Paging --------------------------------------------------------------------------------------


def test_catalogs_bigger_than_a_page_are_read_completely(fake: b24.FakeBitrix24, base_url: str) -> None:
    fake.seed_catalog(services=120, staff=130)

    services = call(lambda a: a.list_services(), base_url)
    staff = call(lambda a: a.list_staff(), base_url)

    assert [s.name for s in services] == [f"Resource {n}" for n in range(1, 121)]
    assert len(staff) == 131 and len({s.external_id for s in staff}) == 131
    starts = [(r.method, r.params["start"]) for r in fake.requests]
    assert starts == [
        ("booking.v1.resource.list", 0),
        ("booking.v1.resource.list", 50),
        ("booking.v1.resource.list", 100),
        ("user.get", 0),
        ("user.get", 50),
        ("user.get", 100),
    ]


def test_busy_times_on_later_pages_still_count(fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    other = fake.add_resource("Other")
    for n in range(60):  # 60 unrelated bookings first, so ours is on the second page
        fake.add_booking([other], at(DAY, 9) + timedelta(minutes=n), at(DAY, 9) + timedelta(minutes=n + 1))
    fake.add_booking([seeds.haircut], at(DAY, 10), at(DAY, 10, 30))

    slots = call(OPERATIONS["free_slots"](seeds), base_url)

    assert slots == [CrmSlot(at(DAY, 12), 60)]
    assert [r.params.get("start") for r in fake.requests if r.method == "booking.v1.booking.list"] == [0, 50]


# --- Free time -----------------------------------------------------------------------------------


def test_a_resource_without_hours_uses_the_configured_working_day(
    fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    slots = call(lambda a: a.free_slots(service_id=str(seeds.room), staff_id=None, start=DAY, end=SATURDAY), base_url)
    assert [s.start for s in slots if s.start.date() == DAY] == [at(DAY, h) for h in range(9, 18)]
    assert {s.start.date() for s in slots} == {DAY + timedelta(n) for n in range(5)}  # Mon-Fri, no Saturday

    custom = call(
        lambda a: a.free_slots(service_id=str(seeds.room), staff_id=None, start=SATURDAY, end=SATURDAY),
        base_url,
        work_start="10:00",
        work_end="12:00",
        work_days="sat",
        slot_minutes=30,
        timezone="Asia/Yekaterinburg",
    )
    yekt = ZoneInfo("Asia/Yekaterinburg")
    assert [s.start for s in custom] == [
        datetime(SATURDAY.year, SATURDAY.month, SATURDAY.day, 10, m, tzinfo=yekt) for m in (0, 30)
    ] + [datetime(SATURDAY.year, SATURDAY.month, SATURDAY.day, 11, m, tzinfo=yekt) for m in (0, 30)]
    assert {s.duration_minutes for s in custom} == {30}


def test_past_days_and_closed_days_have_no_free_time(fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    past = date.today() - timedelta(days=10)
    assert (
        call(lambda a: a.free_slots(service_id=str(seeds.haircut), staff_id=None, start=past, end=past), base_url) == []
    )
    weekend = call(
        lambda a: a.free_slots(service_id=str(seeds.haircut), staff_id=None, start=SATURDAY, end=SATURDAY), base_url
    )
    assert weekend == []


def test_an_unknown_resource_is_the_portals_reason(fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.free_slots(service_id="999999", staff_id=None, start=DAY, end=DAY), base_url)
    assert caught.value.detail == "booking.v1.resource.slots.list: Resource not found"
    with pytest.raises(ProviderError, match="not a Bitrix24 service_id id"):
        call(lambda a: a.free_slots(service_id="haircut", staff_id=None, start=DAY, end=DAY), base_url)


# --- Clients -------------------------------------------------------------------------------------


def test_an_unknown_phone_finds_nobody_even_when_the_portal_says_a_bare_list(
    fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    assert call(lambda a: a.find_client("+79990000000"), base_url) is None
    assert fake.methods_seen() == ["crm.duplicate.findbycomm"]


def test_a_phone_stored_without_plus_is_found_and_the_oldest_match_wins(
    fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    first = fake.add_contact("Old", ["79160000001"])
    fake.add_contact("New", ["+79160000001"])
    found = call(lambda a: a.find_client("89160000001"), base_url)  # a national number on a .ru portal
    assert found == CrmClient(str(first), "Old", "+79160000001", "")


def test_a_number_that_is_not_a_phone_is_refused_before_any_call(fake: b24.FakeBitrix24, base_url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.find_client("call me"), base_url)
    assert caught.value.field == "phone" and fake.requests == []


# --- Booking -------------------------------------------------------------------------------------


def test_booking_round_trip(fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    async def flow(adapter: Bitrix24Adapter) -> tuple[list[CrmSlot], CrmBooking, list[CrmSlot], list[CrmSlot]]:
        slots = await adapter.free_slots(service_id=str(seeds.haircut), staff_id=None, start=DAY, end=DAY)
        client = await adapter.find_client("+7 925 111-22-33")
        assert client is None
        client = await adapter.create_client(name="Maria Sidorova", phone="+7 925 111-22-33")
        booking = await adapter.create_booking(
            service_id=str(seeds.haircut), staff_id=None, start=slots[0].start, client=client, comment="by the bot"
        )
        assert await adapter.find_client("+79251112233") == client
        after = await adapter.free_slots(service_id=str(seeds.haircut), staff_id=None, start=DAY, end=DAY)
        await adapter.cancel_booking(booking.external_id)
        again = await adapter.free_slots(service_id=str(seeds.haircut), staff_id=None, start=DAY, end=DAY)
        return slots, booking, after, again

    slots, booking, after, again = call(flow, base_url)

    assert slots == [CrmSlot(at(DAY, 10), 60), CrmSlot(at(DAY, 12), 60)]
    assert (booking.start, booking.service_id, booking.details["end"]) == (
        at(DAY, 10),
        str(seeds.haircut),
        at(DAY, 11).isoformat(),
    )
    booking_id = int(booking.external_id)
    assert fake.deleted_bookings[booking_id]["name"] == "Maria Sidorova"
    assert fake.booking_clients[booking_id][0]["id"] == int(booking.client_id or 0)
    assert after == [CrmSlot(at(DAY, 12), 60)]
    assert again == slots and booking_id not in fake.bookings


def test_a_booking_can_also_be_a_deal_that_is_lost_on_cancel(
    fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    async def flow(adapter: Bitrix24Adapter) -> CrmBooking:
        booking = await adapter.create_booking(
            service_id=str(seeds.room), staff_id=str(seeds.anna), start=at(DAY, 15), client=ivan(seeds), comment="hi"
        )
        deal = fake.deals[int(booking.details["deal_id"])]
        assert (deal["STAGE_ID"], deal["CATEGORY_ID"], deal["CONTACT_IDS"]) == ("C3:NEW", 3, [seeds.ivan])
        assert (deal["ASSIGNED_BY_ID"], deal["COMMENTS"], deal["BEGINDATE"]) == (
            seeds.anna,
            "hi",
            at(DAY, 15).isoformat(),
        )
        await adapter.cancel_booking(booking.external_id)
        return booking

    booking = call(flow, base_url, deal_pipeline_id=3)

    booking_id, deal_id, pipeline = booking.external_id.split(":")
    assert pipeline == "3" and fake.deals[int(deal_id)]["STAGE_ID"] == "C3:LOSE"
    assert int(booking_id) in fake.deleted_bookings
    assert fake.methods_seen()[-2:] == ["crm.deal.update", "booking.v1.booking.delete"]


def test_a_taken_time_is_refused_before_booking(fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    for start in (at(DAY, 11), at(DAY, 10, 30), at(SATURDAY, 10)):
        with pytest.raises(SlotUnavailable):
            call(
                lambda a, start=start: a.create_booking(  # type: ignore[misc]
                    service_id=str(seeds.haircut), staff_id=None, start=start, client=ivan(seeds)
                ),
                base_url,
            )
    assert "booking.v1.booking.add" not in fake.methods_seen()


def test_a_time_taken_meanwhile_is_slot_unavailable_then_another_time_books(
    fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    fake.fail_next("error", method="booking.v1.booking.add", error=1018, description="Resources are unavailable")
    with pytest.raises(SlotUnavailable) as caught:
        call(OPERATIONS["create_booking"](seeds), base_url)
    assert caught.value.detail == "Resources are unavailable"
    fake.reset()
    check_success("create_booking", call(OPERATIONS["create_booking"](seeds), base_url), fake, seeds)


def test_when_the_client_cannot_be_attached_the_booking_is_removed(
    fake: b24.FakeBitrix24, seeds: Seeds, base_url: str
) -> None:
    fake.fail_next("error", method="booking.v1.booking.client.set", error=0, description="Client not found")
    with pytest.raises(ProviderError, match="Client not found"):
        call(OPERATIONS["create_booking"](seeds), base_url)
    assert fake.methods_seen()[-1] == "booking.v1.booking.delete"
    assert list(fake.bookings) == [seeds.busy] and len(fake.deleted_bookings) == 1


def test_cancelling_an_unknown_booking_says_so(fake: b24.FakeBitrix24, seeds: Seeds, base_url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.cancel_booking("424242"), base_url)
    assert caught.value.detail == "booking.v1.booking.delete: Booking not found"


# --- The setup form ------------------------------------------------------------------------------


def test_the_form_fields() -> None:
    fields = {f.name: f for f in Bitrix24Adapter.form_fields()}
    assert list(fields) == [
        "webhook_url",
        "timezone",
        "work_start",
        "work_end",
        "work_days",
        "slot_minutes",
        "deal_pipeline_id",
    ]
    hook = fields["webhook_url"]
    assert (hook.secret, hook.required, hook.input_type) == (True, True, "password")
    assert "Incoming webhook" in hook.help
    assert [f.name for f in fields.values() if f.required] == ["webhook_url"]
    assert (fields["work_start"].default, fields["work_end"].default, fields["slot_minutes"].default) == (
        "09:00",
        "18:00",
        "60",
    )
    assert fields["slot_minutes"].input_type == "number"
    assert all(f.title and f.help for f in fields.values())


def test_a_pasted_webhook_is_normalised_and_kept_secret() -> None:
    config = Bitrix24Adapter.parse_config({"webhook_url": f"  {WEBHOOK.rstrip('/')}\n", "work_days": "fri, mon ,Mon"})
    assert config.secret_values() == {"webhook_url": WEBHOOK}
    assert "webhook_url" not in config.public_values() and config.public_values()["work_days"] == "Mon,Fri"
    assert b24.CODE not in repr(config)
    on_premise = Bitrix24Adapter.parse_config({"webhook_url": f"https://crm.example.com/rest/7/{b24.CODE}/"})
    assert on_premise.secret_values()["webhook_url"].startswith("https://crm.example.com/rest/7/")


@pytest.mark.parametrize(
    "url",
    [
        "",
        f"http://cafe.bitrix24.ru/rest/1/{b24.CODE}/",
        f"https://cafe.bitrix24.ru/rest/{b24.CODE}/",
        f"https://cafe.bitrix24.ru/rest/1/{b24.CODE}/profile.json",
        f"https://cafe.bitrix24.ru/rest/abc/{b24.CODE}/",
        f"https://10.0.0.1/rest/1/{b24.CODE}/",
        f"https://localhost/rest/1/{b24.CODE}/",
        f"https://cafe.bitrix24.ru/rest/1/{b24.CODE}/?x=1",
        "https://cafe.bitrix24.ru/rest/1/a-b/",
    ],
)
def test_a_webhook_of_the_wrong_shape_is_refused_on_its_field(url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Bitrix24Adapter.parse_config({"webhook_url": url})
    assert [e["loc"] for e in caught.value.errors()] == [("webhook_url",)]
    assert b24.CODE not in str(caught.value)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"work_start": "9am"}, "work_start"),
        ({"work_start": "10:00", "work_end": "09:00"}, "work_end"),
        ({"work_days": "Mon,Funday"}, "work_days"),
        ({"slot_minutes": 0}, "slot_minutes"),
        ({"deal_pipeline_id": -1}, "deal_pipeline_id"),
    ],
)
def test_bad_working_hours_are_refused_on_their_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Bitrix24Adapter.parse_config({"webhook_url": WEBHOOK, **values})
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]
