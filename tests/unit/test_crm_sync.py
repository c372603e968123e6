"""CRM catalog sync against the fake YCLIENTS: copy, re-run safely, keep the last good catalog."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlmodel import Session, func, select

from ioperator.core.config import reset_settings
from ioperator.core.errors import IntegrationFailed
from ioperator.models.crm import CrmServiceRow, CrmStaffRow
from ioperator.models.integration import EventKind, IntegrationStatus
from ioperator.services import crm_sync, integration_events, integrations
from tests.factories import make_business
from tests.fakes.runner import serve
from tests.fakes.yclients import FakeYclients
from tests.unit.test_auth_sessions import run

PARTNER, USER = "partner-token-0001", "user-token-0001"


@pytest.fixture(scope="module")
def yclients_server() -> Iterator[tuple[FakeYclients, str]]:
    fake = FakeYclients(partner_token=PARTNER, user_token=USER, company_id=4564)
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture
def yclients(yclients_server: tuple[FakeYclients, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeYclients]:
    fake, url = yclients_server
    fake.services.clear()
    fake.staff.clear()
    fake.categories.clear()
    fake.clear_failures()
    cut = fake.add_category("Haircuts")
    anna, boris = fake.add_staff("Anna", "Stylist"), fake.add_staff("Boris", "Barber")
    fake.add_service("Men's haircut", cut, 1500, staff={boris: 3600})
    fake.add_service("Women's haircut", cut, 2000, 3500, staff={anna: 5400, boris: 3600})
    monkeypatch.setenv("IOPERATOR_PROVIDER_BASE_URLS", json.dumps({"yclients": url + "/api/v1"}))
    reset_settings()
    yield fake
    monkeypatch.undo()
    reset_settings()


def _connect(db: Session):  # type: ignore[no-untyped-def]
    tenant = make_business(db)
    row = run(
        integrations.connect(
            session=db,
            tenant=tenant.ctx,
            provider="yclients",
            values={"company_id": "4564", "partner_token": PARTNER, "user_token": USER},
        )
    )
    return tenant, row


def _count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def test_sync_copies_services_and_staff_and_is_safe_to_repeat(db: Session, yclients: FakeYclients) -> None:
    tenant, row = _connect(db)
    assert row.found_title
    first = run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert (first.services, first.staff, first.changed) == (2, 2, 4)
    assert row.last_sync_at is not None and row.status is IntegrationStatus.CONNECTED
    services = {s.name: s for s in crm_sync.list_services(session=db, tenant=tenant.ctx, integration_id=row.id or 0)}
    women = services["Women's haircut"]
    assert (str(women.price), str(women.price_max), women.category) == ("2000.00", "3500.00", "Haircuts")
    assert women.duration_minutes in (60, 90) and len(women.staff_ids) == 2
    again = run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert again.changed == 0
    assert (_count(db, CrmServiceRow), _count(db, CrmStaffRow)) == (2, 2)
    assert crm_sync.catalog_counts(session=db, tenant=tenant.ctx, integration_id=row.id or 0) == (2, 2)


def test_removed_items_become_inactive_and_prices_update(db: Session, yclients: FakeYclients) -> None:
    tenant, row = _connect(db)
    run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    mens = next(sid for sid, s in yclients.services.items() if s["title"] == "Men's haircut")
    del yclients.services[mens]
    women = next(s for s in yclients.services.values() if s["title"] == "Women's haircut")
    women["price_min"] = 2200
    result = run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert result.changed == 2
    names = [s.name for s in crm_sync.list_services(session=db, tenant=tenant.ctx, integration_id=row.id or 0)]
    assert names == ["Women's haircut"]
    assert _count(db, CrmServiceRow) == 2  # kept, marked inactive


def test_failed_sync_keeps_the_last_good_catalog(db: Session, yclients: FakeYclients) -> None:
    tenant, row = _connect(db)
    run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    yclients.fail_next("server_error", times=10)
    with pytest.raises(IntegrationFailed) as err:
        run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert err.value.adapter_key == "cannot_connect"
    assert row.status is IntegrationStatus.ERROR and row.error_message
    assert crm_sync.catalog_counts(session=db, tenant=tenant.ctx, integration_id=row.id or 0) == (2, 2)
    yclients.clear_failures()
    run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert row.status is IntegrationStatus.CONNECTED and row.error_message == ""
    kinds = [
        e.kind for e in integration_events.list_events(session=db, tenant=tenant.ctx, integration_id=row.id or 0)[0]
    ]
    assert kinds[:3] == [EventKind.SYNCED, EventKind.SYNC_FAILED, EventKind.SYNCED]


def test_search_the_local_catalog(db: Session, yclients: FakeYclients) -> None:
    tenant, row = _connect(db)
    run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    found = crm_sync.list_services(session=db, tenant=tenant.ctx, integration_id=row.id or 0, search="WOMEN")
    assert [s.name for s in found] == ["Women's haircut"]
    assert [s.name for s in crm_sync.list_staff(session=db, tenant=tenant.ctx, integration_id=row.id or 0)] == [
        "Anna",
        "Boris",
    ]


def test_channels_cannot_be_synced(db: Session, fakes) -> None:  # type: ignore[no-untyped-def]
    from ioperator.core.errors import ValidationFailed
    from tests.integration_env import TG_TOKEN

    tenant = make_business(db)
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    with pytest.raises(ValidationFailed):
        run(crm_sync.sync_catalog(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
