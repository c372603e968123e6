"""The amoCRM / Kommo adapter against the fake account over real HTTP: each operation and the
request it makes, each error and the retry that recovers from it, the 7-per-second limit, paging,
the unsupported operations, a booking round trip, and the setup form."""

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
from ioperator.adapters.crm.amocrm import AmoCrmAdapter
from ioperator.adapters.crm.base import CrmBooking, CrmClient, CrmStaff
from ioperator.adapters.errors import (
    AdapterError,
    CannotConnect,
    InvalidAuth,
    ProviderError,
    RateLimited,
    Unsupported,
)
from ioperator.adapters.resilience import RateLimit, RetryPolicy
from tests.fakes import amocrm as amo
from tests.fakes.runner import serve

T = TypeVar("T")
MSK = ZoneInfo("Europe/Moscow")
ACCOUNT = "https://cafe.amocrm.ru"
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
TLS = ssl.create_default_context()  # built once: loading the CA bundle per client costs ~60 ms
DAY = date.today() + timedelta(days=14)
VISIT = datetime(DAY.year, DAY.month, DAY.day, 12, 0, tzinfo=MSK)


class QuickAmo(AmoCrmAdapter):
    """The adapter with fast retries and no client-side throttle (not registered)."""

    rate_limit = RateLimit(1000, 1.0)
    retry_policy = FAST
    timeout_seconds = 5.0


class ImpatientAmo(QuickAmo):
    timeout_seconds = 0.2


class PoliteAmo(AmoCrmAdapter):
    """Its real 7 requests/s limit, fast retries."""

    retry_policy = FAST


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in a worker thread (another loop may be running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[AmoCrmAdapter], Awaitable[T]],
    base_url: str,
    *,
    cls: type[AmoCrmAdapter] = QuickAmo,
    **config: Any,
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient(verify=TLS) as http:
            parsed = AmoCrmAdapter.parse_config({"base_url": ACCOUNT, "access_token": amo.TOKEN, **config})
            return await operation(cls(parsed, http=http, base_url=base_url))

    return run(main())


class Current:
    """One server for the module; each test gets a fresh account behind it."""

    fake: amo.FakeAmoCrm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.fake.app(scope, receive, send)


@dataclass
class Seeds:
    anna: int
    ivan: int  # +79161234567, ivan@example.com
    decoy: int  # +19161234567: the same digits after the country code
    lead: int  # an open lead of Ivan's


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Current, str]]:
    current = Current()
    current.fake = amo.FakeAmoCrm()
    with serve(current) as base_url:
        yield current, base_url


@pytest.fixture
def fake(server: tuple[Current, str]) -> amo.FakeAmoCrm:
    server[0].fake = amo.FakeAmoCrm(rps=10_000)
    return server[0].fake


@pytest.fixture
def seeds(fake: amo.FakeAmoCrm) -> Seeds:
    anna = fake.add_user("Anna Manager", email="anna@example.com")
    fake.add_user("Gone Away", active=False)
    decoy = fake.add_contact("Sacramento", ["+19161234567"])
    ivan = fake.add_contact("Ivan Petrov", ["+79161234567"], ["ivan@example.com"])
    lead = fake.add_lead("Existing", ivan)
    return Seeds(anna, ivan, decoy, lead)


@pytest.fixture
def base_url(server: tuple[Current, str]) -> str:
    return server[1]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def ivan(s: Seeds) -> CrmClient:
    return CrmClient(str(s.ivan), "Ivan Petrov", "+79161234567")


Operation = Callable[[Seeds], Callable[[AmoCrmAdapter], Awaitable[Any]]]
OPERATIONS: dict[str, Operation] = {
    "test_connection": lambda s: lambda a: a.test_connection(),
    "list_staff": lambda s: lambda a: a.list_staff(),
    "find_client": lambda s: lambda a: a.find_client("8 (916) 123-45-67"),
    "create_client": lambda s: lambda a: a.create_client(name="Olga", phone="+7 916 999-88-77", email="o@example.com"),
    "create_booking": lambda s: (
        lambda a: a.create_booking(
            service_id="Haircut", staff_id=str(s.anna), start=VISIT, client=ivan(s), comment="first visit"
        )
    ),
    "cancel_booking": lambda s: lambda a: a.cancel_booking(str(s.lead)),
}


def check_success(operation: str, result: Any, fake: amo.FakeAmoCrm, s: Seeds) -> None:
    """The answer, the requests the account saw and what it stored."""
    assert all(r.token_tail == amo.TOKEN[-4:] for r in fake.requests)
    last = fake.requests[-1]
    if operation == "test_connection":
        details = {"id": "29000001", "subdomain": "cafe", "currency": "RUB"}
        assert result == ConnectionInfo(title="Cafe Aroma", details=details)
        assert fake.paths_seen() == ["GET /api/v4/account"]
    elif operation == "list_staff":
        assert result == [CrmStaff("7000001", "Owner"), CrmStaff(str(s.anna), "Anna Manager")]
        assert (fake.paths_seen(), last.query) == (["GET /api/v4/users"], {"page": "1", "limit": "250"})
    elif operation == "find_client":
        assert result == CrmClient(str(s.ivan), "Ivan Petrov", "+79161234567", "ivan@example.com")
        assert (fake.paths_seen(), last.query) == (["GET /api/v4/contacts"], {"query": "9161234567", "limit": "50"})
    elif operation == "create_client":
        assert isinstance(result, CrmClient) and (result.name, result.phone) == ("Olga", "+79169998877")
        assert last.body == [
            {
                "name": "Olga",
                "custom_fields_values": [
                    {"field_code": "PHONE", "values": [{"value": "+79169998877", "enum_code": "WORK"}]},
                    {"field_code": "EMAIL", "values": [{"value": "o@example.com", "enum_code": "WORK"}]},
                ],
            }
        ]
        assert last.content_type == "application/json" and int(result.external_id) in fake.contacts
    elif operation == "create_booking":
        assert isinstance(result, CrmBooking) and (result.start, result.staff_id) == (VISIT, str(s.anna))
        lead = fake.leads[int(result.external_id)]
        assert lead["name"] == f"Booking {DAY:%d.%m.%Y} 12:00"
        assert (lead["pipeline_id"], lead["status_id"], lead["responsible_user_id"]) == (
            amo.MAIN_PIPELINE,
            amo.FIRST_STATUS,
            s.anna,
        )
        assert lead["_embedded"] == {"contacts": [{"id": s.ivan}], "tags": [{"name": "iOperator"}]}
        [note] = fake.notes[int(result.external_id)]
        assert note["params"] == {"text": "Service: Haircut\nfirst visit"} and result.details["note"] == "saved"
        assert fake.paths_seen()[-2:] == ["POST /api/v4/leads", f"POST /api/v4/leads/{result.external_id}/notes"]
    else:
        assert result is None and fake.leads[s.lead]["status_id"] == amo.LOST
        assert (fake.paths_seen(), last.body) == ([f"PATCH /api/v4/leads/{s.lead}"], {"status_id": 143})


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_succeeds(operation: str, fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str) -> None:
    check_success(operation, call(OPERATIONS[operation](seeds), base_url), fake, seeds)


def test_what_amocrm_does_not_offer_is_unsupported_with_the_reason(fake: amo.FakeAmoCrm, base_url: str) -> None:
    assert AmoCrmAdapter.supported_operations() == [
        "list_staff",
        "find_client",
        "create_client",
        "create_booking",
        "cancel_booking",
    ]
    with pytest.raises(Unsupported, match="no schedule"):
        call(lambda a: a.free_slots(service_id="1", staff_id=None, start=DAY, end=DAY), base_url)
    with pytest.raises(Unsupported, match="no catalog of services"):
        call(lambda a: a.list_services(), base_url)
    assert fake.requests == []
    assert registry.get("amocrm") is AmoCrmAdapter
    assert (AmoCrmAdapter.position, AmoCrmAdapter.title, AmoCrmAdapter.rate_limit) == (
        50,
        "amoCRM / Kommo",
        RateLimit(7, 1.0),
    )


Arrange = Callable[[amo.FakeAmoCrm, str], tuple[str, dict[str, Any]]]


def _inject(kind: str, times: int = 1, **options: Any) -> Arrange:
    def arrange(fake: amo.FakeAmoCrm, base_url: str) -> tuple[str, dict[str, Any]]:
        fake.fail_next(kind, times, **options)
        return base_url, {}

    return arrange


WRONG_TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.wrong.wrongwrongwrong"
FAILURES: list[tuple[str, Arrange, type[AdapterError] | None, str]] = [
    ("wrong_token", lambda fake, url: (url, {"access_token": WRONG_TOKEN}), InvalidAuth, "refused the access token"),
    ("rate_limited_exhausted", _inject("rate_limited", 3), RateLimited, "429"),
    ("rate_limited_once", _inject("rate_limited", 1), None, ""),
    ("server_error_exhausted", _inject("server_error", 3), CannotConnect, "HTTP 502"),
    ("server_error_once", _inject("server_error", 1), None, ""),
    ("garbage", _inject("garbage"), ProviderError, "not JSON"),
    ("not_paid", _inject("error", status=402, detail="Payment required"), ProviderError, "not paid"),
    ("forbidden", _inject("error", status=403, detail="Account is blocked"), ProviderError, "Account is blocked"),
    ("connection_refused", lambda fake, url: (closed_port_url(), {}), CannotConnect, "ConnectError"),
]
# Reads (GET) are retried after a 5xx or a timeout. A write (POST, PATCH) is not: amoCRM may have done it,
# and a repeat could duplicate a contact or a lead; it is sent again only after a 429 or a connection never made.
# Each write operation's first request is its write.
WRITES = {"create_client": "POST /api/v4/contacts", "create_booking": "POST /api/v4/leads", "cancel_booking": "PATCH"}


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("case", "arrange", "expected", "detail"), FAILURES, ids=[c[0] for c in FAILURES])
def test_each_error_then_recovery_on_retry(
    operation: str,
    case: str,
    arrange: Arrange,
    expected: type[AdapterError] | None,
    detail: str,
    fake: amo.FakeAmoCrm,
    seeds: Seeds,
    base_url: str,
) -> None:
    url, config = arrange(fake, base_url)
    if case == "server_error_once" and operation in WRITES:
        expected, detail = CannotConnect, "HTTP 502"  # the write may have been done: it is not sent twice
    if expected is None:  # a transient failure: retried inside the same call, which succeeds
        result = call(OPERATIONS[operation](seeds), url, **config)
        del fake.requests[0]
        check_success(operation, result, fake, seeds)
        return

    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation](seeds), url, **config)

    error = caught.value
    assert type(error) is expected and detail in error.detail
    assert amo.TOKEN not in str(error) and "wrongwrong" not in str(error)
    expected_field = {"wrong_token": "access_token", "forbidden": "access_token", "not_paid": "base_url"}
    assert error.field == expected_field.get(case)
    if case == "server_error_once":
        assert len(fake.requests) == 1 and fake.paths_seen()[0].startswith(WRITES[operation])
    fake.reset()
    check_success(operation, call(OPERATIONS[operation](seeds), base_url), fake, seeds)


@pytest.mark.parametrize("operation", ["test_connection", "list_staff", "find_client"])
def test_a_read_that_timed_out_once_is_retried_and_succeeds(
    operation: str, fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str
) -> None:
    fake.fail_next("timeout")
    result = call(OPERATIONS[operation](seeds), base_url, cls=ImpatientAmo)
    assert fake.paths_seen()[0] == fake.paths_seen()[1]  # the same read, sent again
    del fake.requests[0]
    check_success(operation, result, fake, seeds)


@pytest.mark.parametrize(
    ("operation", "attempts"), [("test_connection", 3), ("create_booking", 1), ("cancel_booking", 1)]
)
def test_a_timeout_is_retried_then_reported(
    operation: str, attempts: int, fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str
) -> None:
    """A read is tried three times; a write that timed out may have been done, so it is sent once."""
    fake.fail_next("timeout", 3)
    started = time.monotonic()
    with pytest.raises(CannotConnect) as caught:
        call(OPERATIONS[operation](seeds), base_url, cls=ImpatientAmo)
    assert caught.value.detail == "timeout" and time.monotonic() - started < 2
    assert len(fake.requests) == attempts and len(fake.leads) == 1 and fake.leads[seeds.lead]["status_id"] != amo.LOST
    fake.reset()
    check_success(operation, call(OPERATIONS[operation](seeds), base_url), fake, seeds)  # the caller's retry


def test_a_validation_error_names_the_path(fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str) -> None:
    stranger = CrmClient("424242", "Nobody", "+79990000000")
    with pytest.raises(ProviderError) as caught:
        call(lambda a: a.create_booking(service_id="", staff_id=None, start=VISIT, client=stranger), base_url)
    assert caught.value.detail == "_embedded.contacts.0.id: Contact not found"
    with pytest.raises(ProviderError, match="Lead not found"):
        call(lambda a: a.cancel_booking("424242"), base_url)


def test_the_fake_wants_array_bodies(fake: amo.FakeAmoCrm, base_url: str) -> None:
    headers = {"Authorization": f"Bearer {amo.TOKEN}"}
    answer = httpx.post(f"{base_url}/api/v4/contacts", json={"name": "Not an array"}, headers=headers)
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "Request body must be a non-empty array of objects"
    assert httpx.get(f"{base_url}/api/v4/account").json()["title"] == "Unauthorized"


# --- The 7 requests/s limit ----------------------------------------------------------------------


def test_the_fake_answers_429_past_seven_requests_a_second(base_url: str, server: tuple[Current, str]) -> None:
    server[0].fake = amo.FakeAmoCrm(rps=7)
    headers = {"Authorization": f"Bearer {amo.TOKEN}"}
    with httpx.Client(headers=headers) as http:
        answers = [http.get(f"{base_url}/api/v4/account") for _ in range(9)]
    assert [a.status_code for a in answers[:7]] == [200] * 7
    assert answers[8].status_code == 429 and answers[8].json()["title"] == "Too Many Requests"


def test_without_throttling_the_adapter_is_told_to_slow_down(base_url: str, server: tuple[Current, str]) -> None:
    server[0].fake = fake = amo.FakeAmoCrm(rps=7)

    async def burst(adapter: AmoCrmAdapter) -> list[Any]:
        return await asyncio.gather(*(adapter.test_connection() for _ in range(12)), return_exceptions=True)

    results = call(burst, base_url)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors and all(isinstance(e, RateLimited) for e in errors)
    assert len(fake.requests) > 12


def test_the_adapters_own_limit_keeps_under_seven_a_second(base_url: str, server: tuple[Current, str]) -> None:
    server[0].fake = fake = amo.FakeAmoCrm(rps=7)  # a sliding window: no second may see an 8th request

    async def nine(adapter: AmoCrmAdapter) -> list[ConnectionInfo]:
        return list(await asyncio.gather(*(adapter.test_connection() for _ in range(9))))

    assert len(call(nine, base_url, cls=PoliteAmo)) == 9
    assert len(fake.requests) == 9  # none refused, none retried
    stamps = [r.at for r in fake.requests]
    assert stamps[-1] - stamps[0] >= 8 / 7  # evenly spaced, not a burst


# --- Paging and searching ------------------------------------------------------------------------


def test_staff_bigger_than_a_page_is_read_completely(fake: amo.FakeAmoCrm, base_url: str) -> None:
    fake.seed_catalog(staff=600, contacts=0)
    staff = call(lambda a: a.list_staff(), base_url)
    assert len(staff) == 601 and staff[-1].name == "Manager 600"
    assert [r.query["page"] for r in fake.requests] == ["1", "2", "3"]


def test_an_empty_search_is_204_and_finds_nobody(fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str) -> None:
    assert call(lambda a: a.find_client("+7 999 000-00-00"), base_url) is None
    assert fake.paths_seen() == ["GET /api/v4/contacts"]


def test_a_contact_with_the_same_digits_in_another_country_is_not_a_match(
    fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str
) -> None:
    found = call(lambda a: a.find_client("+1 916 123 4567"), base_url)
    assert found == CrmClient(str(seeds.decoy), "Sacramento", "+19161234567", "")
    fake.contacts.pop(seeds.ivan)
    assert call(lambda a: a.find_client("+79161234567"), base_url) is None  # only the decoy contains the digits


def test_a_number_stored_in_national_form_is_found(fake: amo.FakeAmoCrm, base_url: str) -> None:
    olga = fake.add_contact("Olga", ["89035556677"])
    assert call(lambda a: a.find_client("+79035556677"), base_url) == CrmClient(str(olga), "Olga", "+79035556677", "")


# --- Booking -------------------------------------------------------------------------------------


def test_booking_round_trip(fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str) -> None:
    async def flow(adapter: AmoCrmAdapter) -> CrmBooking:
        assert await adapter.find_client("+7 925 111-22-33") is None
        client = await adapter.create_client(name="Maria", phone="+7 925 111-22-33")
        assert await adapter.find_client("89251112233") == client
        booking = await adapter.create_booking(service_id="", staff_id=None, start=VISIT, client=client)
        assert fake.leads[int(booking.external_id)]["status_id"] == amo.FIRST_STATUS
        await adapter.cancel_booking(booking.external_id)
        return booking

    booking = call(flow, base_url)

    lead = fake.leads[int(booking.external_id)]
    assert lead["status_id"] == amo.LOST and lead["_embedded"]["contacts"] == [{"id": int(booking.client_id or 0)}]
    assert "note" not in booking.details and int(booking.external_id) not in fake.notes


def test_configured_pipeline_stage_and_time_field_are_used(fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str) -> None:
    pipeline, (_, second, _) = fake.add_pipeline()
    booking = call(
        lambda a: a.create_booking(service_id="", staff_id=None, start=VISIT.replace(tzinfo=None), client=ivan(seeds)),
        base_url,
        pipeline_id=pipeline,
        status_id=second,
        start_field_id=555,
        timezone="Asia/Yekaterinburg",
    )
    lead = fake.leads[int(booking.external_id)]
    local = VISIT.replace(tzinfo=ZoneInfo("Asia/Yekaterinburg"))  # a naive time is in the configured zone
    assert (lead["pipeline_id"], lead["status_id"]) == (pipeline, second)
    assert lead["custom_fields_values"] == [{"field_id": 555, "values": [{"value": int(local.timestamp())}]}]
    assert lead["name"] == f"Booking {DAY:%d.%m.%Y} 12:00" and booking.start == local


def test_a_lost_note_does_not_lose_the_booking(fake: amo.FakeAmoCrm, seeds: Seeds, base_url: str) -> None:
    fake.fail_next("error", path="/notes", status=400, detail="Bad note")
    booking = call(
        lambda a: a.create_booking(service_id="", staff_id=None, start=VISIT, client=ivan(seeds), comment="x"),
        base_url,
    )
    assert booking.details["note"] == "not saved" and int(booking.external_id) in fake.leads
    assert fake.notes == {} and fake.paths_seen()[-1] == f"POST /api/v4/leads/{booking.external_id}/notes"


# --- The setup form ------------------------------------------------------------------------------


def test_the_form_fields() -> None:
    fields = {f.name: f for f in AmoCrmAdapter.form_fields()}
    assert list(fields) == ["base_url", "access_token", "pipeline_id", "status_id", "start_field_id", "timezone"]
    assert (fields["base_url"].input_type, fields["base_url"].required) == ("url", True)
    token = fields["access_token"]
    assert (token.secret, token.required, token.input_type) == (True, True, "password")
    assert "Long-lived token" in token.help
    assert fields["pipeline_id"].input_type == "number" and not fields["pipeline_id"].required
    assert all(f.title and f.help for f in fields.values())


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("https://cafe.amocrm.ru", "https://cafe.amocrm.ru"),
        ("cafe.amocrm.ru/", "https://cafe.amocrm.ru"),
        ("https://Cafe.Kommo.com/", "https://cafe.kommo.com"),
        ("https://my-shop.amocrm.com", "https://my-shop.amocrm.com"),
    ],
)
def test_the_account_address_is_normalised(typed: str, stored: str) -> None:
    config = AmoCrmAdapter.parse_config({"base_url": typed, "access_token": f"Bearer {amo.TOKEN}"})
    assert config.public_values()["base_url"] == stored
    assert config.secret_values() == {"access_token": amo.TOKEN}
    assert amo.TOKEN not in repr(config)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"base_url": "http://cafe.amocrm.ru"}, "base_url"),
        ({"base_url": "https://www.amocrm.ru.evil.com"}, "base_url"),
        ({"base_url": "https://amocrm.ru"}, "base_url"),
        ({"base_url": "https://cafe.amocrm.ru/leads/pipeline/1"}, "base_url"),
        ({"base_url": "https://cafe.amocrm.ru:8443"}, "base_url"),
        ({"access_token": "short"}, "access_token"),
        ({"access_token": "has spaces in the middle of it, really"}, "access_token"),
        ({"pipeline_id": 0}, "pipeline_id"),
        ({"timezone": "Moscow"}, "timezone"),
    ],
)
def test_bad_values_are_refused_on_their_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        AmoCrmAdapter.parse_config({"base_url": ACCOUNT, "access_token": amo.TOKEN, **values})
    assert [e["loc"] for e in caught.value.errors()] == [(field,)]
    assert "really" not in str(caught.value)
