"""The Bot API against the fake YCLIENTS (and EasyWeek for an operation it lacks): catalog, slots, clients,
booking and cancelling; validation (422 with fields); provider failures (502/503 with the provider's reason)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ioperator.core.config import reset_settings
from ioperator.services import crm_sync, integrations
from tests.factories import Tenant, make_api_key, make_business
from tests.fakes.easyweek import PREFIX as EASYWEEK_PREFIX
from tests.fakes.easyweek import FakeEasyWeek
from tests.fakes.runner import serve
from tests.fakes.yclients import FakeYclients
from tests.unit.test_auth_sessions import run

PARTNER, USER = "partner-token-0001", "user-token-0001"
MSK = ZoneInfo("Europe/Moscow")
DAY = datetime.now(MSK).date() + timedelta(days=7)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeYclients, str, FakeEasyWeek, str]]:
    yclients = FakeYclients(partner_token=PARTNER, user_token=USER, company_id=4564, lang="en", timeout_delay=1.0)
    easyweek = FakeEasyWeek()
    with serve(yclients.app) as y_url, serve(easyweek.app) as e_url:
        yield yclients, y_url, easyweek, e_url


@pytest.fixture
def yclients(
    servers: tuple[FakeYclients, str, FakeEasyWeek, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeYclients]:
    fake, url, _, e_url = servers
    for table in (fake.services, fake.staff, fake.categories, fake.clients, fake.records):
        table.clear()
    fake.clear_failures()
    cuts = fake.add_category("Haircuts")
    anna = fake.add_staff("Anna", "Stylist")
    fake.add_service("Women's haircut", cuts, 2000, 3500, staff={anna: 3600})
    fake.add_client("Vera Li", "+79161234567")
    monkeypatch.setenv(
        "IOPERATOR_PROVIDER_BASE_URLS", json.dumps({"yclients": url + "/api/v1", "easyweek": e_url + EASYWEEK_PREFIX})
    )
    reset_settings()
    yield fake
    monkeypatch.undo()
    reset_settings()


@pytest.fixture
def shop(db: Session, yclients: FakeYclients) -> tuple[Tenant, dict[str, str]]:
    tenant = make_business(db, "Alpha Barbers")
    row = run(
        integrations.connect(
            session=db,
            tenant=tenant.ctx,
            provider="yclients",
            values={"company_id": "4564", "partner_token": PARTNER, "user_token": USER},
        )
    )
    run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    return tenant, {"Authorization": f"Bearer {make_api_key(db, tenant)}"}


def _ids(fake: FakeYclients) -> tuple[str, str]:
    return str(next(iter(fake.services))), str(next(iter(fake.staff)))


def test_catalog_comes_from_the_synced_copy(client: TestClient, shop: tuple[Tenant, dict[str, str]]) -> None:
    _, auth = shop
    body = client.get("/api/v1/bot/catalog", headers=auth).json()
    assert body["crm"] == "yclients"
    assert [(s["name"], s["price"], s["price_max"]) for s in body["services"]] == [
        ("Women's haircut", "2000.00", "3500.00")
    ]
    assert [s["name"] for s in body["staff"]] == ["Anna"]


def test_slots_client_booking_and_cancel_round_trip(
    client: TestClient, yclients: FakeYclients, shop: tuple[Tenant, dict[str, str]]
) -> None:
    _, auth = shop
    service, anna = _ids(yclients)
    slots = client.get(
        "/api/v1/bot/slots",
        params={"service_id": service, "staff_id": anna, "date_from": DAY.isoformat()},
        headers=auth,
    )
    assert slots.status_code == 200, slots.text
    first = slots.json()[0]
    assert datetime.fromisoformat(first["start"]).hour == 10 and first["staff_id"] == anna

    assert client.get("/api/v1/bot/clients", params={"phone": "+7 916 123-45-67"}, headers=auth).json()["name"] == (
        "Vera Li"
    )
    missing = client.get("/api/v1/bot/clients", params={"phone": "+79990001122"}, headers=auth)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    created = client.post("/api/v1/bot/clients", json={"name": "Oleg", "phone": "+79990001122"}, headers=auth)
    assert created.status_code == 201 and created.json()["phone"] == "+79990001122"

    booking = client.post(
        "/api/v1/bot/bookings",
        json={
            "service_id": service,
            "staff_id": anna,
            "start": first["start"],
            "client": {"name": "Vera Li", "phone": "+79161234567"},
            "comment": "window seat",
        },
        headers=auth,
    )
    assert booking.status_code == 201, booking.text
    [record] = yclients.active_records()
    assert record["comment"] == "window seat"
    assert str(record["client_id"]) == str(next(iter(yclients.clients)))  # the existing client, not a new one

    taken = client.post(
        "/api/v1/bot/bookings",
        json={
            "service_id": service,
            "staff_id": anna,
            "start": first["start"],
            "client": {"name": "Oleg", "phone": "+79990001122"},
        },
        headers=auth,
    )
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "slot_unavailable"
    assert taken.json()["error"]["reason"]  # the CRM's own words

    assert client.delete(f"/api/v1/bot/bookings/{booking.json()['id']}", headers=auth).status_code == 204
    assert list(yclients.active_records()) == []


@pytest.mark.parametrize(
    ("method", "path", "payload", "field"),
    [
        ("GET", "/api/v1/bot/slots?date_from=2030-01-01", None, "service_id"),
        ("GET", "/api/v1/bot/slots?service_id=1&date_from=tomorrow", None, "date_from"),
        ("GET", "/api/v1/bot/slots?service_id=1&date_from=2030-01-10&date_to=2030-01-01", None, "date_to"),
        ("GET", "/api/v1/bot/slots?service_id=1&date_from=2030-01-01&date_to=2030-03-01", None, "date_to"),
        ("GET", "/api/v1/bot/clients?phone=12", None, "phone"),
        ("POST", "/api/v1/bot/clients", {"name": "", "phone": "+79990001122"}, "name"),
        ("POST", "/api/v1/bot/clients", {"name": "Oleg", "phone": "call me"}, "phone"),
        ("POST", "/api/v1/bot/clients", {"name": "Oleg", "phone": "+79990001122", "email": "nope"}, "email"),
        (
            "POST",
            "/api/v1/bot/bookings",
            {"service_id": "1", "client": {"name": "O", "phone": "+79990001122"}},
            "start",
        ),
        (
            "POST",
            "/api/v1/bot/bookings",
            {"service_id": "1", "start": "2020-01-01T10:00:00+03:00", "client": {"name": "O", "phone": "+79990001122"}},
            "start",
        ),
        (
            "POST",
            "/api/v1/bot/bookings",
            {"service_id": "1", "start": "2030-01-01T10:00:00", "client": {"name": "O", "phone": "0"}},
            "client.phone",
        ),
    ],
)
def test_bad_input_answers_422_naming_the_field(
    client: TestClient,
    yclients: FakeYclients,
    shop: tuple[Tenant, dict[str, str]],
    method: str,
    path: str,
    payload: dict | None,
    field: str,
) -> None:
    _, auth = shop
    response = client.request(method, path, json=payload, headers=auth)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    fields = [error.get("field")] + [
        f["field"].removeprefix("body.").removeprefix("query.") for f in error.get("fields", [])
    ]
    assert field in fields, error
    assert yclients.active_records() == [] and len(yclients.clients) == 1


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("server_error", 503, "cannot_connect"), ("garbage", 502, "provider_error"), ("license", 502, "provider_error")],
)
def test_provider_failures_map_to_502_503_with_the_reason(
    client: TestClient, yclients: FakeYclients, shop: tuple[Tenant, dict[str, str]], kind: str, status: int, code: str
) -> None:
    _, auth = shop
    yclients.fail_next(kind, times=10)
    response = client.get("/api/v1/bot/clients", params={"phone": "+79161234567"}, headers=auth)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["provider"] == "yclients"
    assert USER not in response.text and PARTNER not in response.text
    if kind == "license":
        assert "4564" in error["reason"]  # "The license of location 4564 must be renewed"
    yclients.clear_failures()
    assert client.get("/api/v1/bot/clients", params={"phone": "+79161234567"}, headers=auth).status_code == 200


def test_without_a_crm_the_bot_api_says_so(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    auth = {"Authorization": f"Bearer {make_api_key(db, tenant)}"}
    response = client.get("/api/v1/bot/catalog", headers=auth)
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"


def test_an_operation_the_crm_lacks_answers_501(
    client: TestClient, db: Session, servers: tuple[FakeYclients, str, FakeEasyWeek, str], yclients: FakeYclients
) -> None:
    easyweek = servers[2]
    easyweek.reset()
    easyweek.keys["ewk_live_7Hq2xP9sTz4mN1vB"] = "blue-door"
    easyweek.add_location("Blue Door", "Europe/Moscow")
    tenant = make_business(db)
    run(
        integrations.connect(
            session=db,
            tenant=tenant.ctx,
            provider="easyweek",
            values={"api_key": "ewk_live_7Hq2xP9sTz4mN1vB", "workspace": "blue-door"},
        )
    )
    auth = {"Authorization": f"Bearer {make_api_key(db, tenant)}"}
    response = client.post("/api/v1/bot/clients", json={"name": "Oleg", "phone": "+79990001122"}, headers=auth)
    assert response.status_code == 501
    assert response.json()["error"]["code"] == "unsupported" and response.json()["error"]["reason"]


def test_a_key_books_only_in_its_own_business(
    client: TestClient, db: Session, yclients: FakeYclients, shop: tuple[Tenant, dict[str, str]]
) -> None:
    other = make_business(db, "Bravo")
    auth = {"Authorization": f"Bearer {make_api_key(db, other)}"}
    assert client.get("/api/v1/bot/catalog", headers=auth).status_code == 409  # Bravo has no CRM
    assert client.get("/api/v1/bot/clients", params={"phone": "+79161234567"}, headers=auth).status_code == 409
    _, a_auth = shop
    service, anna = _ids(yclients)
    start = datetime(DAY.year, DAY.month, DAY.day, 12, tzinfo=MSK).isoformat()
    booking = client.post(
        "/api/v1/bot/bookings",
        json={
            "service_id": service,
            "staff_id": anna,
            "start": start,
            "client": {"name": "V", "phone": "+79161234567"},
        },
        headers=a_auth,
    ).json()
    assert client.delete(f"/api/v1/bot/bookings/{booking['id']}", headers=auth).status_code == 409
    assert len(yclients.active_records()) == 1  # A's booking stands
