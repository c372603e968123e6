"""1C:Enterprise against the fake standard OData interface over real HTTP: each operation and the
request it sends (Basic auth, `$format=json`, `$filter`/`$select`/`$top`/`$skip`), each error then the
retry that recovers, paging, the mapping settings, and the operations 1C does not offer generically."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import httpx
import pytest
from pydantic import ValidationError

from ioperator.adapters import registry
from ioperator.adapters.crm.base import CrmClient, CrmService, CrmStaff
from ioperator.adapters.crm.onec import NOT_STANDARD, OneCAdapter
from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited, Unsupported
from ioperator.adapters.resilience import RateLimit, RetryPolicy
from tests.fakes.onec import PREFIX, FakeOneC
from tests.fakes.runner import serve

T = TypeVar("T")
USER, PASSWORD = "Администратор", "s3cret-1c"
SERVICES, CLIENTS, STAFF = "Catalog_Номенклатура", "Catalog_Контрагенты", "Catalog_Сотрудники"
CONTACTS = "Catalog_Контрагенты_КонтактнаяИнформация"


class QuickOneC(OneCAdapter):
    retry_policy = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05)
    rate_limit = RateLimit(1000, 1.0)
    timeout_seconds = 2.0
    page_size = 2


class HastyOneC(QuickOneC):
    timeout_seconds = 0.1


def run(coro: Coroutine[Any, Any, T]) -> T:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def call(
    operation: Callable[[OneCAdapter], Awaitable[T]], url: str, adapter: type[OneCAdapter] = QuickOneC, **config: Any
) -> T:
    async def main() -> T:
        async with httpx.AsyncClient() as http:
            values = {"base_url": url + PREFIX, "username": USER, "password": PASSWORD, **config}
            return await operation(adapter(adapter.parse_config(values), http=http))

    return run(main())


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeOneC, str]]:
    fake = FakeOneC(username=USER, password=PASSWORD, hold_seconds=2.0)
    with serve(fake.app) as url:
        yield fake, url


class Ids:
    hair = haircut = manicure = anna = olga = ivan = ""


IDS = Ids()


@pytest.fixture
def fake(server: tuple[FakeOneC, str]) -> FakeOneC:
    fake = server[0]
    fake.reset()
    IDS.hair = fake.add(SERVICES, "Стрижки", IsFolder=True)
    IDS.haircut = fake.add(SERVICES, "Стрижка мужская", Parent_Key=IDS.hair, Цена=1500)
    IDS.manicure = fake.add(SERVICES, "Маникюр", Цена=1200.5)
    fake.add(SERVICES, "Снято с продажи", DeletionMark=True, Цена=10)
    IDS.anna = fake.add_counterparty("Анна Петрова", "+7 (916) 123-45-67")
    fake.add_counterparty("Старый клиент", "79161234567", DeletionMark=True)
    IDS.olga = fake.add(STAFF, "Ольга Смирнова")
    IDS.ivan = fake.add(STAFF, "Иван Козлов")
    fake.add(STAFF, "Уволенные", IsFolder=True)
    return fake


@pytest.fixture
def url(server: tuple[FakeOneC, str]) -> str:
    return server[1]


OPERATIONS: dict[str, Callable[[OneCAdapter], Awaitable[Any]]] = {
    "test_connection": lambda a: a.test_connection(),
    "list_services": lambda a: a.list_services(),
    "list_staff": lambda a: a.list_staff(),
    "find_client": lambda a: a.find_client("8 916 123-45-67"),
    "create_client": lambda a: a.create_client(name="Вера Ли", phone="+7 903 555-00-00", email="vera@example.com"),
}
RESOURCE = {
    "test_connection": "$metadata",
    "list_services": SERVICES,
    "list_staff": STAFF,
    "find_client": CONTACTS,
    "create_client": CLIENTS,
}
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()


def check(operation: str, result: Any, fake: FakeOneC) -> None:
    sent = fake.calls(RESOURCE[operation])[-1]
    assert sent.authorization == BASIC
    if operation != "test_connection":
        assert sent.raw_query.startswith("$format=json") and "+" not in sent.raw_query
    if operation == "test_connection":
        assert result.title.endswith("/salon") and result.details["user"] == USER
        assert result.details["entity_sets"] == "4"  # three catalogs and the contact-information section
    elif operation == "list_services":
        assert result == [
            CrmService(IDS.haircut, "Стрижка мужская", category="Стрижки"),
            CrmService(IDS.manicure, "Маникюр"),
        ]
        assert sent.query["$filter"] == "DeletionMark eq false"
        assert sent.query["$select"] == "Ref_Key,Description,Parent_Key,IsFolder"
        skips = [seen.query["$skip"] for seen in fake.calls(SERVICES)]
        assert skips[-2:] == ["0", "2"] and sent.query["$top"] == "2"  # three rows, two a page
    elif operation == "list_staff":
        assert result == [CrmStaff(IDS.olga, "Ольга Смирнова"), CrmStaff(IDS.ivan, "Иван Козлов")]
    elif operation == "find_client":
        assert result == CrmClient(IDS.anna, "Анна Петрова", "+79161234567")
        first, second = fake.calls(CONTACTS)[-2:]  # two lines end in 67: a full page, so one more
        assert first.query == {
            "$format": "json",
            "$filter": "substringof('67', НомерТелефона)",
            "$top": "2",
            "$skip": "0",
            "$select": "Ref_Key,НомерТелефона",
        }
        assert second.query["$skip"] == "2"
        assert fake.calls(f"{CLIENTS}(guid'{IDS.anna}')")
    else:
        row = fake.sets[CLIENTS][-1]
        assert result == CrmClient(row["Ref_Key"], "Вера Ли", "+79035550000", "vera@example.com")
        assert sent.method == "POST" and row["Description"] == "Вера Ли"
        assert row["КонтактнаяИнформация"] == [
            {"LineNumber": "1", "Тип": "Телефон", "НомерТелефона": "+79035550000", "Представление": "+79035550000"},
            {"LineNumber": "2", "Тип": "АдресЭлектроннойПочты", "Представление": "vera@example.com"},
        ]


@pytest.mark.parametrize("operation", OPERATIONS)
def test_each_operation_succeeds(operation: str, fake: FakeOneC, url: str) -> None:
    check(operation, call(OPERATIONS[operation], url), fake)


# Reads are retried (3 attempts); creating a counterparty (POST) is sent once after a 5xx or a timeout,
# since 1C may have created it; a 429 is retried for both.
WRITES = {"create_client"}
ONCE_FOR_WRITES = {"server_error", "timeout"}
Inject = Callable[[FakeOneC, str, int], dict[str, Any]]


def _inject(kind: str) -> Inject:
    def inject(fake: FakeOneC, resource: str, times: int) -> dict[str, Any]:
        fake.fail_next(kind, times if kind != "garbage" else 1, resource=resource, retry_after=0)
        return {}

    return inject


CASES: list[tuple[str, Inject, type[AdapterError], str]] = [
    ("wrong_password", lambda fake, resource, n: {"password": "guess"}, InvalidAuth, "user name or password"),
    ("unknown_user", lambda fake, resource, n: {"username": "Кассир"}, InvalidAuth, "user name or password"),
    ("rate_limited", _inject("rate_limited"), RateLimited, "429"),
    ("server_error", _inject("server_error"), CannotConnect, "HTTP 500"),
    ("timeout", _inject("timeout"), CannotConnect, "timeout"),
    ("garbage", _inject("garbage"), ProviderError, "not JSON"),
]


@pytest.mark.parametrize("operation", ["list_services", "find_client", "create_client"])
@pytest.mark.parametrize(("case", "inject", "expected", "detail"), CASES, ids=[c[0] for c in CASES])
def test_each_error_then_recovery_on_retry(
    operation: str, case: str, inject: Inject, expected: type[AdapterError], detail: str, fake: FakeOneC, url: str
) -> None:  # fmt: skip
    attempts = 1 if operation in WRITES and case in ONCE_FOR_WRITES else 3
    config = inject(fake, RESOURCE[operation], attempts)
    clients = len(fake.sets[CLIENTS])

    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation], url, HastyOneC if case == "timeout" else QuickOneC, **config)

    error = caught.value
    assert type(error) is expected and detail in error.detail
    if case in ONCE_FOR_WRITES | {"rate_limited"}:
        assert len(fake.calls(RESOURCE[operation])) == attempts
    assert PASSWORD not in str(error) and "guess" not in str(error)
    if expected is InvalidAuth:
        assert error.field == "password"
    assert len(fake.sets[CLIENTS]) == clients
    check(operation, call(OPERATIONS[operation], url), fake)


@pytest.mark.parametrize("kind", ["rate_limited", "server_error", "timeout"])
def test_a_transient_failure_is_retried_and_succeeds(kind: str, fake: FakeOneC, url: str) -> None:
    fake.fail_next(kind, resource=SERVICES, retry_after=0)
    check("list_services", call(OPERATIONS["list_services"], url, HastyOneC), fake)
    assert [seen.status for seen in fake.calls(SERVICES)][1:] == [200, 200]


def test_test_connection_names_the_catalog_missing_from_the_interface(fake: FakeOneC, url: str) -> None:
    del fake.sets[STAFF]
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["test_connection"], url)
    assert caught.value.field == "staff_catalog" and STAFF in caught.value.detail
    assert call(OPERATIONS["test_connection"], url, staff_catalog="").details["entity_sets"] == "3"
    with pytest.raises(ProviderError) as missing:
        call(OPERATIONS["test_connection"], url, services_catalog="Catalog_Услуги")
    assert missing.value.field == "services_catalog"


def test_test_connection_refuses_a_wrong_password_on_its_field(fake: FakeOneC, url: str) -> None:
    with pytest.raises(InvalidAuth) as caught:
        call(OPERATIONS["test_connection"], url, password="guess")
    assert caught.value.field == "password"
    check("test_connection", call(OPERATIONS["test_connection"], url), fake)


def test_a_1c_error_body_carries_its_message(fake: FakeOneC, url: str) -> None:
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["list_services"], url, price_field="Стоимость")
    assert caught.value.detail == "Неизвестное поле: Стоимость"


def test_prices_when_mapped(fake: FakeOneC, url: str) -> None:
    services = call(OPERATIONS["list_services"], url, price_field="Цена")
    assert [(s.name, s.price) for s in services] == [
        ("Стрижка мужская", Decimal("1500")),
        ("Маникюр", Decimal("1200.5")),
    ]


def test_a_plain_phone_attribute(fake: FakeOneC, url: str) -> None:
    vera = fake.add(CLIENTS, "Вера Ли", Телефон="8-903-555-00-00")

    found = call(lambda a: a.find_client("+79035550000"), url, phone_field="Телефон")
    created = call(lambda a: a.create_client(name="Ян", phone="+7 903 000-11-22"), url, phone_field="Телефон")

    assert found == CrmClient(vera, "Вера Ли", "+79035550000")
    assert fake.calls(CLIENTS)[0].query["$filter"] == "DeletionMark eq false and substringof('00', Телефон)"
    assert (
        fake.sets[CLIENTS][-1]["Телефон"] == "+79030001122" and created.external_id == fake.sets[CLIENTS][-1]["Ref_Key"]
    )


def test_an_unknown_or_deleted_client_is_not_found(fake: FakeOneC, url: str) -> None:
    assert call(lambda a: a.find_client("+79990000000"), url) is None
    fake.sets[CLIENTS][0]["DeletionMark"] = True  # Анна: now only deleted counterparties have the number
    assert call(lambda a: a.find_client("+79161234567"), url) is None


def test_find_or_create_round_trip(fake: FakeOneC, url: str) -> None:
    async def scenario(adapter: OneCAdapter) -> None:
        assert await adapter.find_client("+79035550000") is None
        created = await adapter.create_client(name="Вера Ли", phone="+79035550000")
        assert await adapter.find_client("8 (903) 555-00-00") == created

    call(scenario, url)


def test_a_large_catalog_is_read_completely(fake: FakeOneC, url: str) -> None:
    class Paged(QuickOneC):
        page_size = 500

    fake.reset()
    fake.seed_catalog(services=3000, staff=200)
    fake.publish(CLIENTS)
    services = call(OPERATIONS["list_services"], url, Paged)
    staff = call(OPERATIONS["list_staff"], url, Paged)
    assert (len(services), len(staff)) == (3000, 200)
    assert services[-1].category == "Group 19"
    assert [seen.query["$skip"] for seen in fake.calls(SERVICES)] == [str(500 * n) for n in range(7)]


def test_booking_is_unsupported_with_the_reason(fake: FakeOneC, url: str) -> None:
    assert OneCAdapter.supported_operations() == ["list_services", "list_staff", "find_client", "create_client"]
    client = CrmClient("x", "Анна", "+79161234567")
    unsupported: list[Callable[[OneCAdapter], Awaitable[Any]]] = [
        lambda a: a.free_slots(service_id="s", staff_id=None, start=date(2030, 1, 1), end=date(2030, 1, 2)),
        lambda a: a.create_booking(service_id="s", staff_id=None, start=datetime(2030, 1, 1, 10), client=client),
        lambda a: a.cancel_booking("b"),
    ]
    for operation in unsupported:
        with pytest.raises(Unsupported) as caught:
            call(operation, url)
        assert caught.value.detail == NOT_STANDARD
    with pytest.raises(Unsupported) as no_staff:
        call(OPERATIONS["list_staff"], url, staff_catalog="")
    assert "no staff catalog" in no_staff.value.detail
    assert fake.seen == []


def test_the_registry_offers_1c() -> None:
    assert registry.get("onec") is OneCAdapter
    assert (OneCAdapter.title, OneCAdapter.position) == ("1C:Enterprise", 80)


def test_the_form_and_its_defaults() -> None:
    fields = {field.name: field for field in OneCAdapter.form_fields()}
    assert list(fields)[:3] == ["base_url", "username", "password"]
    assert fields["base_url"].input_type == "url" and fields["password"].secret
    assert (fields["services_catalog"].default, fields["counterparties_catalog"].default) == (SERVICES, CLIENTS)
    assert fields["phone_field"].default == "КонтактнаяИнформация/НомерТелефона"
    config = OneCAdapter.parse_config(
        {"base_url": "https://h/b/odata/standard.odata/", "username": "u", "password": PASSWORD}
    )
    assert config.public_values()["base_url"] == "https://h/b/odata/standard.odata"
    assert config.secret_values() == {"password": PASSWORD} and PASSWORD not in repr(config)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"base_url": "ftp://h/odata"}, "base_url"),
        ({"services_catalog": "Catalog_X' or 1 eq 1"}, "services_catalog"),
        ({"phone_field": "A/B/C"}, "phone_field"),
        ({"username": ""}, "username"),
    ],
)
def test_config_mistakes_are_refused_on_their_field(values: dict[str, Any], field: str) -> None:
    base = {"base_url": "https://h/b/odata/standard.odata", "username": "u", "password": PASSWORD}
    with pytest.raises(ValidationError) as caught:
        OneCAdapter.parse_config({**base, **values})
    assert [error["loc"] for error in caught.value.errors()] == [(field,)]
