"""YCLIENTS and Altegio adapters against the fake platform (tests/fakes/yclients.py), over real HTTP."""

from __future__ import annotations

import asyncio
import itertools
import ssl
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from pydantic import ValidationError

from ioperator.adapters import registry
from ioperator.adapters.base import ConnectionInfo
from ioperator.adapters.crm.base import OPERATIONS as CRM_OPERATIONS
from ioperator.adapters.crm.base import CrmBooking, CrmClient, CrmService, CrmSlot, CrmStaff
from ioperator.adapters.crm.yclients import AltegioAdapter, YclientsAdapter
from ioperator.adapters.crm.yclients.adapter import YclientsPlatform
from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    ProviderError,
    RateLimited,
    SlotUnavailable,
)
from ioperator.adapters.resilience import RateLimit, RetryPolicy
from tests.fakes.runner import serve
from tests.fakes.yclients import FakeYclients
from tests.unit.test_auth_sessions import run

PARTNER = "p4rtn3rT0ken9f8e7d6c5b4a"
USER = "us3rT0ken0a1b2c3d4e5f6a7b8"
COMPANY = 4564
MSK = ZoneInfo("Europe/Moscow")
DAY = date(2030, 1, 15)
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
UNLIMITED = RateLimit(1000, 1.0)  # the real limit is tested on its own, below
TLS = ssl.create_default_context()  # loaded once: building it per client costs ~30 ms


class QuickYclients(YclientsAdapter):
    """Fast retries, a short timeout and no throttling, so the cases stay quick (not registered)."""

    retry_policy = FAST
    timeout_seconds = 0.2
    rate_limit = UNLIMITED


class QuickAltegio(AltegioAdapter):
    retry_policy = FAST
    timeout_seconds = 0.2
    rate_limit = UNLIMITED


class PoliteYclients(YclientsAdapter):
    """The real rate limit, fast retries."""

    retry_policy = FAST


class Switch:
    """One server per module; each test gets a fresh fake behind it."""

    fake: FakeYclients

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.fake.app(scope, receive, send)


@dataclass
class Ids:
    haircut: int
    beard: int
    old: int
    ivan: int
    olga: int
    anna: int
    record: int


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serve(switch) as url:
        yield switch, f"{url}/api/v1"


@pytest.fixture
def base_url(server: tuple[Switch, str]) -> str:
    return server[1]


def seed(fake: FakeYclients, *, phone: str = "79161234567") -> Ids:
    hair, beard_cat = fake.add_category("Стрижки"), fake.add_category("Борода")
    ivan, olga = fake.add_staff("Иван", "Барбер"), fake.add_staff("Ольга", "Стилист")
    fake.add_staff("Борис", fired=True)
    fake.add_staff("Ханна", hidden=True)
    haircut = fake.add_service("Мужская стрижка", hair, 1500, staff={ivan: 3600, olga: 2700})
    beard = fake.add_service("Оформление бороды", beard_cat, 800, 1200, staff={ivan: 1800})
    old = fake.add_service("Снятая услуга", hair, 100, staff={ivan: 900}, active=False)
    anna = fake.add_client("Анна", phone, "anna@example.com")
    record = fake.add_record(ivan, haircut, datetime(2030, 1, 15, 14, tzinfo=MSK), anna)
    return Ids(haircut, beard, old, ivan, olga, anna, record)


@pytest.fixture
def fake(server: tuple[Switch, str]) -> FakeYclients:
    server[0].fake = FakeYclients(partner_token=PARTNER, user_token=USER, company_id=COMPANY, timeout_delay=2.0)
    return server[0].fake


@pytest.fixture
def ids(fake: FakeYclients) -> Ids:
    return seed(fake)


Operation = Callable[[YclientsPlatform, Ids], Awaitable[Any]]


def call(
    operation: Operation,
    ids: Ids,
    *,
    base_url: str,
    adapter: type[YclientsPlatform] = QuickYclients,
    config: dict[str, str] | None = None,
) -> Any:
    values = {"company_id": str(COMPANY), "partner_token": PARTNER, "user_token": USER, **(config or {})}

    async def main() -> Any:
        async with httpx.AsyncClient(verify=TLS) as http:
            return await operation(adapter(adapter.parse_config(values), http=http, base_url=base_url), ids)

    return run(main())


NOON = datetime(2030, 1, 15, 12, tzinfo=MSK)
ANNA = CrmClient(external_id="", name="Анна", phone="+79161234567", email="anna@example.com")

OPERATIONS: dict[str, Operation] = {
    "test_connection": lambda a, ids: a.test_connection(),
    "list_services": lambda a, ids: a.list_services(),
    "list_staff": lambda a, ids: a.list_staff(),
    "free_slots": lambda a, ids: a.free_slots(
        service_id=str(ids.haircut), staff_id=str(ids.ivan), start=DAY, end=DAY + timedelta(days=1)
    ),
    "find_client": lambda a, ids: a.find_client("+7 (916) 123-45-67"),
    "create_client": lambda a, ids: a.create_client(name="Пётр", phone="8 921 123-45-67", email="petr@example.com"),
    "create_booking": lambda a, ids: a.create_booking(
        service_id=str(ids.haircut), staff_id=str(ids.ivan), start=NOON, client=ANNA, comment="Из звонка"
    ),
    "cancel_booking": lambda a, ids: a.cancel_booking(str(ids.record)),
}
PARTNER_ONLY = {"free_slots"}  # book_times needs no user key
PARTNER_AUTH = f"Bearer {PARTNER}"
USER_AUTH = f"Bearer {PARTNER}, User {USER}"


def check_success(operation: str, result: Any, fake: FakeYclients, ids: Ids) -> None:
    seen = [(s.method, s.path, s.headers["authorization"]) for s in fake.requests]
    for request in fake.requests:
        assert request.headers["accept"] == "application/vnd.api.v2+json"
        assert request.headers["content-type"] == "application/json"
    company = f"/company/{COMPANY}"
    if operation == "test_connection":
        details = {"company": "Барбершоп Пушкин", "timezone": "Europe/Moscow"}
        assert result == ConnectionInfo(title="Барбершоп Пушкин", details=details)
        assert seen[-2:] == [("GET", company, PARTNER_AUTH), ("GET", f"/user/permissions/{COMPANY}", USER_AUTH)]
    elif operation == "list_services":
        assert result == [
            CrmService(str(ids.haircut), "Мужская стрижка", Decimal("1500.00"), None, 45, "Стрижки", _ids(ids, "io")),
            CrmService(
                str(ids.beard), "Оформление бороды", Decimal("800.00"), Decimal("1200.00"), 30, "Борода", _ids(ids, "i")
            ),
        ]
        categories, services = (
            ("GET", f"{company}/service_categories", USER_AUTH),
            ("GET", f"{company}/services", USER_AUTH),
        )
        assert seen[-2:] == [categories, services]
    elif operation == "list_staff":
        assert result == [CrmStaff(str(ids.ivan), "Иван", "Барбер"), CrmStaff(str(ids.olga), "Ольга", "Стилист")]
        assert seen[-1] == ("GET", f"{company}/staff", USER_AUTH)
    elif operation == "free_slots":
        hours = [h for h in range(10, 18) if h != 14] + list(range(10, 18))  # 14:00 on the 15th is booked
        days = [15] * 7 + [16] * 8
        expected = [
            CrmSlot(datetime(2030, 1, d, h, tzinfo=MSK), 60, str(ids.ivan)) for d, h in zip(days, hours, strict=True)
        ]
        assert result == expected
        assert all(slot.start.utcoffset() == timedelta(hours=3) for slot in result)
        paths = [f"/book_times/{COMPANY}/{ids.ivan}/2030-01-15", f"/book_times/{COMPANY}/{ids.ivan}/2030-01-16"]
        assert seen[-2:] == [("GET", path, PARTNER_AUTH) for path in paths]
        assert fake.requests[-1].query == [("service_ids[]", str(ids.haircut))]
    elif operation == "find_client":
        assert result == CrmClient(str(ids.anna), "Анна", "+79161234567", "anna@example.com")
        assert seen[-1] == ("POST", f"{company}/clients/search", USER_AUTH)
        body = fake.requests[-1].body
        assert body["filters"] == [{"type": "quick_search", "state": {"value": "79161234567"}}]
        assert (body["page"], set(body["fields"])) == (1, {"id", "name", "phone", "email"})
    elif operation == "create_client":
        [new] = [c for c in fake.clients.values() if c["name"] == "Пётр"]
        assert result == CrmClient(str(new["id"]), "Пётр", "+79211234567", "petr@example.com")
        assert seen[-1] == ("POST", f"/clients/{COMPANY}", USER_AUTH)
        assert fake.requests[-1].body == {"name": "Пётр", "phone": "79211234567", "email": "petr@example.com"}
    elif operation == "create_booking":
        [record] = [r for r in fake.active_records() if r["id"] != ids.record]
        assert result == CrmBooking(
            str(record["id"]),
            NOON,
            str(ids.haircut),
            str(ids.ivan),
            str(ids.anna),
            details={"record_id": str(record["id"])},
        )
        assert (record["staff_id"], record["start"], record["length"], record["client_id"]) == (
            ids.ivan,
            NOON,
            3600,
            ids.anna,
        )
        assert seen[-2:] == [
            ("GET", f"{company}/services/{ids.haircut}", USER_AUTH),
            ("POST", f"/records/{COMPANY}", USER_AUTH),
        ]
        assert fake.requests[-1].body == {
            "staff_id": ids.ivan,
            "services": [{"id": ids.haircut, "first_cost": 1500.0, "discount": 0, "cost": 1500.0}],
            "client": {"phone": "79161234567", "name": "Анна", "email": "anna@example.com"},
            "datetime": "2030-01-15T12:00:00+03:00",
            "seance_length": 3600,
            "save_if_busy": False,
            "send_sms": False,
            "comment": "Из звонка",
        }
    else:
        assert result is None
        assert fake.records[ids.record]["deleted"] is True
        assert seen[-1] == ("DELETE", f"/record/{COMPANY}/{ids.record}", USER_AUTH)


def _ids(ids: Ids, who: str) -> tuple[str, ...]:
    return tuple(str({"i": ids.ivan, "o": ids.olga}[letter]) for letter in who)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_succeeds_with_the_documented_request(
    operation: str, fake: FakeYclients, ids: Ids, base_url: str
) -> None:
    check_success(operation, call(OPERATIONS[operation], ids, base_url=base_url), fake, ids)


# --- Errors, each followed by a successful retry -----------------------------------------------------

WRITES = {"create_client", "create_booking", "cancel_booking"}
FIRST_REQUEST_IS_A_WRITE = {"create_client", "cancel_booking"}  # create_booking reads the service first
WRITE_REQUEST: dict[str, Callable[[Ids], tuple[str, str]]] = {
    "create_client": lambda ids: ("POST", f"/clients/{COMPANY}"),
    "cancel_booking": lambda ids: ("DELETE", f"/record/{COMPANY}/{ids.record}"),
}


@dataclass
class Case:
    name: str
    arrange: Callable[[FakeYclients], dict[str, str]]  # injects the failure, returns config overrides
    expected: type[AdapterError] | None  # None: retried and succeeded
    detail: str = ""
    field: str | None = None
    skip: frozenset[str] = frozenset()


def _inject(kind: str, times: int = 1) -> Callable[[FakeYclients], dict[str, str]]:
    def arrange(fake: FakeYclients) -> dict[str, str]:
        fake.fail_next(kind, times)
        return {}

    return arrange


def _legacy_401(fake: FakeYclients) -> dict[str, str]:
    fake.legacy_auth_errors = True
    return {"user_token": "wrongUserToken0000"}


CASES = [
    Case(
        "bad_partner_token",
        lambda f: {"partner_token": "wrongPartner000"},
        InvalidAuth,
        "Неверный токен партнёра",
        "partner_token",
    ),
    Case(
        "bad_user_token",
        lambda f: {"user_token": "wrongUserToken0000"},
        InvalidAuth,
        "Необходима авторизация пользователя",
        "user_token",
        skip=frozenset(PARTNER_ONLY),
    ),
    Case("legacy_401_body", _legacy_401, InvalidAuth, "авторизация", "user_token", skip=frozenset(PARTNER_ONLY)),
    Case("unknown_company", lambda f: {"company_id": "999"}, ProviderError, "Филиал не найден.", "company_id"),
    Case("license_expired", _inject("license"), ProviderError, f"продлить лицензию в филиале с id {COMPANY}"),
    Case("rate_limited", _inject("rate_limited", 3), RateLimited, "Превышен лимит запросов"),
    Case("rate_limited_once", _inject("rate_limited"), None),
    Case("server_error", _inject("server_error", 3), CannotConnect, "HTTP 500"),
    Case("server_error_once", _inject("server_error"), None),
    Case("timeout_once", _inject("timeout"), None, skip=frozenset({"list_services", "list_staff", "find_client"})),
    Case("garbage", _inject("garbage"), ProviderError, "not a JSON object"),
]


def expectation(case: Case, operation: str) -> tuple[type[AdapterError] | None, str, str | None]:
    if case.name in ("server_error_once", "timeout_once") and operation in FIRST_REQUEST_IS_A_WRITE:
        return CannotConnect, "", None  # a write that may have been saved is not sent twice
    return case.expected, case.detail, case.field


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_error_then_recovery_on_retry(
    operation: str, case: Case, fake: FakeYclients, ids: Ids, base_url: str
) -> None:
    if operation in case.skip:
        pytest.skip("not needed for this operation (no user key, or another read covers it)")
    overrides = case.arrange(fake)
    expected, detail, field = expectation(case, operation)

    if expected is None:
        check_success(operation, call(OPERATIONS[operation], ids, base_url=base_url, config=overrides), fake, ids)
        assert len(fake.requests) >= 2  # the failed attempt, then the retry
        return
    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation], ids, base_url=base_url, config=overrides)

    error = caught.value
    assert type(error) is expected
    assert detail in error.detail
    assert error.field == field
    for secret in (PARTNER, USER, *overrides.values()):
        assert secret not in str(error) or secret == "999"
    if expected is RateLimited:
        assert len(fake.requests) == 3  # every attempt was made
    if case.expected is None:
        assert [(s.method, s.path) for s in fake.requests] == [WRITE_REQUEST[operation](ids)]  # sent once
    if expected is InvalidAuth and operation not in {"test_connection", *PARTNER_ONLY}:
        probe = fake.requests[-1]  # a user-scoped 401: the partner key alone tells which key was refused
        assert (probe.method, probe.path, probe.headers["authorization"]) == (
            "GET",
            f"/company/{COMPANY}",
            f"Bearer {overrides.get('partner_token', PARTNER)}",
        )

    fake.legacy_auth_errors = False
    fake.clear_failures()  # a write is not retried, so some injected failures may be left
    fake.requests.clear()
    check_success(operation, call(OPERATIONS[operation], ids, base_url=base_url), fake, ids)


def test_a_timeout_on_every_attempt_is_cannot_connect(fake: FakeYclients, ids: Ids, base_url: str) -> None:
    fake.fail_next("timeout", 3)
    with pytest.raises(CannotConnect) as caught:
        call(OPERATIONS["test_connection"], ids, base_url=base_url)
    assert caught.value.detail == "timeout"
    check_success("test_connection", call(OPERATIONS["test_connection"], ids, base_url=base_url), fake, ids)


@pytest.mark.parametrize("kind", ["server_error", "timeout"])
def test_a_booking_is_not_sent_twice_after_an_uncertain_failure(
    kind: str, fake: FakeYclients, ids: Ids, base_url: str
) -> None:
    fake.fail_next(kind, on="/records/")
    with pytest.raises(CannotConnect):
        call(OPERATIONS["create_booking"], ids, base_url=base_url)
    assert len(fake.calls("POST")) == 1
    assert fake.active_records() == [fake.records[ids.record]]
    fake.requests.clear()
    check_success("create_booking", call(OPERATIONS["create_booking"], ids, base_url=base_url), fake, ids)


def test_a_booking_is_sent_again_after_a_429(fake: FakeYclients, ids: Ids, base_url: str) -> None:
    fake.fail_next("rate_limited", on="/records/")
    booking = call(OPERATIONS["create_booking"], ids, base_url=base_url)
    assert [s.path for s in fake.calls("POST")] == [f"/records/{COMPANY}"] * 2
    del fake.requests[-2]  # the refused attempt
    check_success("create_booking", booking, fake, ids)


# --- Booking ---------------------------------------------------------------------------------------


def test_booking_round_trip_with_anyone(fake: FakeYclients, ids: Ids, base_url: str) -> None:
    async def trip(adapter: YclientsPlatform, ids: Ids) -> tuple[Any, ...]:
        before = await adapter.free_slots(service_id=str(ids.beard), staff_id=None, start=DAY, end=DAY)
        nobody = await adapter.find_client("+79990001122")
        client = await adapter.create_client(name="Вера", phone="+7 999 000-11-22")
        again = await adapter.find_client("89990001122")
        booking = await adapter.create_booking(
            service_id=str(ids.beard), staff_id=None, start=before[0].start, client=client
        )
        booked = list(fake.active_records())
        after = await adapter.free_slots(service_id=str(ids.beard), staff_id=None, start=DAY, end=DAY)
        await adapter.cancel_booking(booking.external_id)
        freed = await adapter.free_slots(service_id=str(ids.beard), staff_id=None, start=DAY, end=DAY)
        return before, nobody, client, again, booking, booked, after, freed

    before, nobody, client, again, booking, booked, after, freed = call(trip, ids, base_url=base_url)

    first = datetime(2030, 1, 15, 10, tzinfo=MSK)
    assert before[0] == CrmSlot(first, 30, None)
    assert nobody is None and again == client and client.phone == "+79990001122"
    assert (booking.start, booking.staff_id, booking.client_id) == (first, str(ids.ivan), client.external_id)
    assert [(r["id"], r["staff_id"], r["start"]) for r in booked if r["id"] != ids.record] == [
        (int(booking.external_id), ids.ivan, first)
    ]
    assert first not in [slot.start for slot in after] and len(after) == len(before) - 1
    assert fake.records[int(booking.external_id)]["deleted"] is True
    assert freed == before
    [book_staff] = [s for s in fake.requests if s.path.startswith("/book_staff/")]
    assert book_staff.query == [("service_ids[]", str(ids.beard)), ("datetime", "2030-01-15T10:00:00+03:00")]
    assert fake.requests[0].path == f"/book_times/{COMPANY}/0/2030-01-15"


@pytest.mark.parametrize("with_code", [False, True], ids=["wording", "code_433"])
def test_a_taken_time_is_slot_unavailable_then_another_time_books(
    with_code: bool, fake: FakeYclients, ids: Ids, base_url: str
) -> None:
    fake.busy_with_code = with_code
    taken = datetime(2030, 1, 15, 14, 30, tzinfo=MSK)  # overlaps the 14:00 hour already booked
    book = OPERATIONS["create_booking"]

    with pytest.raises(SlotUnavailable) as caught:
        call(
            lambda a, i: a.create_booking(service_id=str(i.haircut), staff_id=str(i.ivan), start=taken, client=ANNA),
            ids,
            base_url=base_url,
        )

    wording = "Не удалось сохранить запись 1" if with_code else "Выбранное время уже занято"
    assert wording in caught.value.detail
    assert len(fake.active_records()) == 1
    fake.requests.clear()
    check_success("create_booking", call(book, ids, base_url=base_url), fake, ids)


def test_anyone_with_nobody_free_is_slot_unavailable(fake: FakeYclients, ids: Ids, base_url: str) -> None:
    late = datetime(2030, 1, 15, 17, 45, tzinfo=MSK)  # the beard takes 30 minutes; the day ends at 18:00
    with pytest.raises(SlotUnavailable):
        call(
            lambda a, i: a.create_booking(service_id=str(i.beard), staff_id=None, start=late, client=ANNA),
            ids,
            base_url=base_url,
        )
    assert not fake.calls("POST")


def test_another_unprocessable_answer_is_a_provider_error_with_the_message(
    fake: FakeYclients, ids: Ids, base_url: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        call(lambda a, i: a.create_client(name="", phone="+79211234567"), ids, base_url=base_url)
    assert type(caught.value) is ProviderError
    assert caught.value.detail == "Не заполнено обязательное поле name"


@pytest.mark.parametrize(
    ("operation", "detail"),
    [
        (lambda a, i: a.free_slots(service_id="1", staff_id=None, start=DAY, end=DAY + timedelta(days=31)), "31 days"),
        (
            lambda a, i: a.create_booking(service_id="1", staff_id="2", start=datetime(2030, 1, 15, 12), client=ANNA),
            "time zone",
        ),
        (lambda a, i: a.cancel_booking("12/../../company"), "not a booking id"),
        (lambda a, i: a.find_client("call me"), "not a phone number"),
        (
            lambda a, i: a.create_booking(service_id=str(i.beard), staff_id=str(i.olga), start=NOON, client=ANNA),
            "does not perform",
        ),
    ],
    ids=["too_many_days", "naive_time", "odd_booking_id", "not_a_phone", "staff_without_the_service"],
)
def test_bad_input_is_refused_before_anything_is_written(
    operation: Operation, detail: str, fake: FakeYclients, ids: Ids, base_url: str
) -> None:
    with pytest.raises(ProviderError) as caught:
        call(operation, ids, base_url=base_url)
    assert detail in caught.value.detail
    assert not [s for s in fake.requests if s.method != "GET"]


# --- Paging, catalog size, rate limit --------------------------------------------------------------


def test_client_search_reads_further_pages_until_the_exact_phone(fake: FakeYclients, base_url: str) -> None:
    ids = seed(fake, phone="79260000000")
    for n in range(250):  # cards whose name carries the number (quick_search matches names too)
        fake.add_client(f"79161234567 старая карта {n}", f"7903{n:07d}")
    anna = fake.add_client("Анна Новая", "79161234567")

    found = call(OPERATIONS["find_client"], ids, base_url=base_url)

    assert found == CrmClient(str(anna), "Анна Новая", "+79161234567", "")
    assert [s.body["page"] for s in fake.calls("POST")] == [1, 2, 3]
    assert {s.body["page_size"] for s in fake.calls("POST")} == {100}


def test_a_missing_client_after_every_page_is_none(fake: FakeYclients, ids: Ids, base_url: str) -> None:
    for n in range(120):
        fake.add_client(f"79169999999 {n}", f"7903{n:07d}")
    assert call(lambda a, i: a.find_client("+79169999999"), ids, base_url=base_url) is None
    assert [s.body["page"] for s in fake.calls("POST")] == [1, 2]


def test_a_large_catalog_is_read_completely(fake: FakeYclients, base_url: str) -> None:
    fake.seed_catalog(services=1500, staff=200)  # the benchmark uses 5000; the API sends it all in one list
    ids = Ids(0, 0, 0, 0, 0, 0, 0)

    services, staff = call(lambda a, i: asyncio.gather(a.list_services(), a.list_staff()), ids, base_url=base_url)

    assert len(services) == 1500 and len({s.external_id for s in services}) == 1500
    assert len(staff) == 200
    assert all(s.category.startswith("Категория") and s.duration_minutes in (30, 45, 60) for s in services)


def test_the_rate_limit_holds_under_twenty_concurrent_callers(fake: FakeYclients, ids: Ids, base_url: str) -> None:
    async def crowd(_: YclientsPlatform, ids: Ids) -> list[list[CrmStaff]]:
        async with httpx.AsyncClient(verify=TLS) as http:
            values = {"company_id": str(COMPANY), "partner_token": PARTNER, "user_token": USER}
            config = PoliteYclients.parse_config(values)
            # adapters are built per use: twenty of them on one account share one bucket
            adapters = [PoliteYclients(config, http=http, base_url=base_url) for _ in range(20)]
            return await asyncio.gather(*(adapter.list_staff() for adapter in adapters))

    started = time.monotonic()
    results = call(crowd, ids, base_url=base_url)
    elapsed = time.monotonic() - started

    assert len(results) == 20 and all(len(staff) == 2 for staff in results)
    times = sorted(s.at for s in fake.requests)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    busiest = fake.busiest_window(1.0)
    print(f"20 calls in {elapsed:.2f}s; busiest 1 s window {busiest}; gaps {min(gaps):.3f}..{max(gaps):.3f}s")
    assert len(times) == 20
    # 5 requests a second, evenly spaced, no initial burst. The fake stamps arrivals in this busy test
    # process, so one late stamp can pull a sixth request into a window: allow that measurement error
    # here (bench/crm_sync.py measures the limiter exactly, with the fake in its own process).
    assert busiest <= 6
    assert times[-1] - times[0] >= 19 * 0.2


# --- Altegio -----------------------------------------------------------------------------------------


@pytest.fixture
def altegio(server: tuple[Switch, str]) -> FakeYclients:
    server[0].fake = FakeYclients(
        partner_token=PARTNER,
        user_token=USER,
        company_id=COMPANY,
        title="Salon Nova",
        timezone="America/New_York",
        lang="en",
        e164_phones=True,
    )
    return server[0].fake


def test_altegio_speaks_e164_and_reports_a_busy_time(altegio: FakeYclients, base_url: str) -> None:
    ids = seed(altegio, phone="+13155550175")
    eastern = ZoneInfo("America/New_York")
    client = CrmClient("", "Jane", "+1 315-555-0175", "")

    async def flow(adapter: YclientsPlatform, ids: Ids) -> tuple[Any, ...]:
        info = await adapter.test_connection()
        found = await adapter.find_client("+1 (315) 555-0175")
        created = await adapter.create_client(name="Joe", phone="+44 20 7946 0958")
        slots = await adapter.free_slots(service_id=str(ids.beard), staff_id=str(ids.ivan), start=DAY, end=DAY)
        booking = await adapter.create_booking(
            service_id=str(ids.beard), staff_id=str(ids.ivan), start=slots[0].start, client=client
        )
        try:
            await adapter.create_booking(
                service_id=str(ids.beard), staff_id=str(ids.ivan), start=slots[0].start, client=client
            )
        except SlotUnavailable as busy:
            return info, found, created, slots, booking, busy
        raise AssertionError("the second booking of one time went through")

    info, found, created, slots, booking, busy = call(flow, ids, base_url=base_url, adapter=QuickAltegio)

    assert info == ConnectionInfo("Salon Nova", {"company": "Salon Nova", "timezone": "America/New_York"})
    assert found == CrmClient(str(ids.anna), "Анна", "+13155550175", "anna@example.com")
    assert created.phone == "+442079460958"
    assert slots[0] == CrmSlot(datetime(2030, 1, 15, 10, tzinfo=eastern), 30, str(ids.ivan))
    assert booking.client_id == str(ids.anna)
    assert "The time is busy" in busy.detail
    posts = {s.path: s.body for s in altegio.calls("POST")}
    assert posts[f"/company/{COMPANY}/clients/search"]["filters"][0]["state"]["value"] == "+13155550175"
    assert posts[f"/clients/{COMPANY}"]["phone"] == "+442079460958"
    assert posts[f"/records/{COMPANY}"]["client"]["phone"] == "+13155550175"
    assert posts[f"/records/{COMPANY}"]["datetime"] == "2030-01-15T10:00:00-05:00"


def test_altegio_unknown_location_is_shown_on_the_location_field(altegio: FakeYclients, base_url: str) -> None:
    ids = seed(altegio, phone="+13155550175")
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["test_connection"], ids, base_url=base_url, adapter=QuickAltegio, config={"company_id": "77"})
    assert (caught.value.detail, caught.value.field) == ("Location not found.", "company_id")


# --- Catalog, form, registry -------------------------------------------------------------------------


def test_both_providers_are_registered_in_order() -> None:
    assert registry.get("yclients") is YclientsAdapter and registry.get("altegio") is AltegioAdapter
    crm = registry.all_adapters("crm")
    assert crm.index(YclientsAdapter) < crm.index(AltegioAdapter)
    assert (YclientsAdapter.default_base_url, AltegioAdapter.default_base_url) == (
        "https://api.yclients.com/api/v1",
        "https://api.alteg.io/api/v1",
    )
    assert (YclientsAdapter.logo, AltegioAdapter.logo) == ("/logos/yclients.svg", "/logos/altegio.svg")
    assert (YclientsAdapter.rate_limit.requests, YclientsAdapter.rate_limit.seconds) == (5, 1.0)


@pytest.mark.parametrize("adapter", [YclientsAdapter, AltegioAdapter])
def test_every_operation_is_supported(adapter: type[YclientsPlatform]) -> None:
    assert adapter.supported_operations() == list(CRM_OPERATIONS)
    assert adapter.unsupported_reasons == {}


@pytest.mark.parametrize(
    ("adapter", "company_title"), [(YclientsAdapter, "Company ID"), (AltegioAdapter, "Location ID")]
)
def test_the_form(adapter: type[YclientsPlatform], company_title: str) -> None:
    fields = {f.name: f for f in adapter.form_fields()}
    assert list(fields) == ["company_id", "partner_token", "user_token"]
    assert (fields["company_id"].title, fields["company_id"].secret, fields["company_id"].placeholder) == (
        company_title,
        False,
        "123456",
    )
    assert fields["partner_token"].secret and fields["user_token"].secret
    assert all(f.required and f.help for f in fields.values())
    assert "POST /auth" in fields["user_token"].help and "password" in fields["user_token"].help


def test_config_is_trimmed_and_keeps_the_tokens_secret() -> None:
    config = YclientsAdapter.parse_config(
        {"company_id": " 4564 ", "partner_token": f" {PARTNER}\n", "user_token": USER}
    )
    assert config.public_values() == {"company_id": "4564"}
    assert config.secret_values() == {"partner_token": PARTNER, "user_token": USER}
    assert PARTNER not in repr(config) and USER not in repr(config)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"company_id": "salon-4564"}, "company_id"),
        ({"company_id": ""}, "company_id"),
        ({"partner_token": f"Bearer {PARTNER}"}, "partner_token"),
        ({"user_token": f"{USER}, User x"}, "user_token"),
        ({"user_token": ""}, "user_token"),
    ],
)
def test_a_malformed_value_is_refused_on_its_field(values: dict[str, str], field: str) -> None:
    good = {"company_id": "4564", "partner_token": PARTNER, "user_token": USER}
    with pytest.raises(ValidationError) as caught:
        AltegioAdapter.parse_config({**good, **values})
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]
    assert PARTNER not in str(caught.value) and USER not in str(caught.value)


# --- The fake itself takes what the platform takes ---------------------------------------------------


def test_the_fake_checks_headers_and_scopes(fake: FakeYclients, ids: Ids, base_url: str) -> None:
    api = base_url
    partner = {"Authorization": PARTNER_AUTH, "Accept": "application/vnd.yclients.v2+json"}
    user = {**partner, "Authorization": USER_AUTH}
    assert httpx.get(f"{api}/company/{COMPANY}", headers=partner).json()["data"]["id"] == COMPANY
    assert httpx.get(f"{api}/company/{COMPANY}", headers={**partner, "Accept": "text/html"}).status_code == 406
    assert httpx.get(f"{api}/company/{COMPANY}", headers={**partner, "Authorization": PARTNER}).status_code == 401
    assert httpx.get(f"{api}/user/permissions/{COMPANY}", headers=partner).status_code == 401  # no user key
    assert httpx.get(f"{api}/user/permissions/{COMPANY}", headers=user).status_code == 200
    assert httpx.get(f"{api}/company/1/staff", headers=user).json() == {
        "success": False,
        "data": None,
        "meta": {"message": "Филиал не найден."},
    }
    deleted = httpx.delete(f"{api}/record/{COMPANY}/{ids.record}", headers={**user, "Accept": "application/json"})
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert httpx.delete(f"{api}/record/{COMPANY}/{ids.record}", headers=user).status_code == 404
