"""The integrations service against the fake providers: test before save, masking, blank-keeps,
one per provider, test/disconnect, the event log and its retention."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

from ioperator.core.db import utcnow
from ioperator.core.errors import IntegrationFailed, NotFound, PermissionDenied, ValidationFailed
from ioperator.models.integration import EventKind, Integration, IntegrationEvent, IntegrationStatus
from ioperator.models.user import Role
from ioperator.services import integration_catalog, integration_events, integrations
from tests.factories import context_for, make_business, make_member
from tests.integration_env import (
    APP_SECRET,
    IG_ACCOUNT_ID,
    IG_TOKEN,
    TG_TOKEN,
    WA_NUMBER_ID,
    WA_TOKEN,
    WEBHOOK_BASE,
    Fakes,
)
from tests.unit.test_auth_sessions import run


def _count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def test_catalog_lists_channels_with_schema_and_translations() -> None:
    entries = {e.slug: e for e in integration_catalog.catalog(kind="channel")}
    assert list(entries) == ["telegram", "whatsapp", "instagram"]
    telegram = entries["telegram"]
    assert telegram.logo == "/logos/telegram.svg" and telegram.docs_url.startswith("https://")
    assert [(f.name, f.secret, f.required) for f in telegram.fields] == [("bot_token", True, True)]
    assert telegram.config_schema["properties"]["bot_token"]["writeOnly"] is True
    ru = {e.slug: e for e in integration_catalog.catalog(kind="channel", lang="ru")}
    assert ru["telegram"].fields[0].title != telegram.fields[0].title


def test_connect_telegram_stores_encrypted_secret_and_sets_the_webhook(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    assert row.status is IntegrationStatus.CONNECTED
    assert row.found_title == "@cafe_bot" and row.connected_by == tenant.owner.id
    hook = fakes.telegram.webhooks[TG_TOKEN]
    assert hook["url"] == f"{WEBHOOK_BASE}/webhooks/telegram/{row.id}"
    assert hook["secret_token"] == row.webhook_secret and len(row.webhook_secret or "") >= 24
    raw = (
        db.connection()
        .execute(sa.text("SELECT secrets, webhook_secret FROM integration WHERE id = :id"), {"id": row.id})
        .one()
    )
    assert TG_TOKEN not in raw[0] and "123456:" not in raw[0] and raw[0].startswith("gAAAA")  # Fernet at rest
    assert raw[1] != row.webhook_secret
    public = integrations.to_public(row)
    assert public.masked_secrets == {"bot_token": "••••AAAA"}
    assert TG_TOKEN not in public.model_dump_json()
    events = integration_events.list_events(session=db, tenant=tenant.ctx, integration_id=row.id or 0)[0]
    assert [e.kind for e in events] == [EventKind.CONNECTED]


@pytest.mark.parametrize(
    ("token", "field", "key"),
    [
        ("999999:" + "B" * 35, "bot_token", "invalid_auth"),
        ("not-a-token", "bot_token", None),  # refused by the Config validator before any call
    ],
)
def test_failed_connect_stores_nothing(db: Session, fakes: Fakes, token: str, field: str, key: str | None) -> None:
    tenant = make_business(db)
    calls_before = len(fakes.telegram.calls)
    with pytest.raises((IntegrationFailed, ValidationFailed)) as err:
        run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": token}))
    assert err.value.field == field
    if key:
        assert isinstance(err.value, IntegrationFailed) and err.value.adapter_key == key
    else:
        assert len(fakes.telegram.calls) == calls_before
    db.rollback()
    assert _count(db, Integration) == 0


@pytest.mark.parametrize(
    ("kind", "key", "status"),
    [
        ("rate_limited", "rate_limited", 429),
        ("server_error", "cannot_connect", 502),
        ("garbage", "provider_error", 502),
    ],
)
def test_provider_failures_map_to_keys_then_retry_succeeds(
    db: Session, fakes: Fakes, kind: str, key: str, status: int
) -> None:
    tenant = make_business(db)
    fakes.telegram.fail_next(kind)
    with pytest.raises(IntegrationFailed) as err:
        run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    assert (err.value.adapter_key, err.value.status) == (key, status)
    assert TG_TOKEN not in err.value.message()
    db.rollback()
    tenant = make_business(db)
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    assert row.status is IntegrationStatus.CONNECTED


def test_channels_need_an_https_webhook_address(db: Session, fakes: Fakes, monkeypatch: pytest.MonkeyPatch) -> None:
    from ioperator.core.config import reset_settings

    monkeypatch.setenv("IOPERATOR_WEBHOOK_BASE_URL", "http://localhost:3000")
    reset_settings()
    tenant = make_business(db)
    with pytest.raises(ValidationFailed) as err:
        run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    assert err.value.key == "error.public_url_required"
    assert "IOPERATOR_WEBHOOK_BASE_URL" in err.value.message()
    assert fakes.telegram.calls == []


def test_reconfigure_with_blank_secret_keeps_the_stored_one(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    first = run(
        integrations.connect(
            session=db,
            tenant=tenant.ctx,
            provider="whatsapp",
            values={"phone_number_id": WA_NUMBER_ID, "access_token": WA_TOKEN, "app_secret": APP_SECRET},
        )
    )
    assert first.found_title == "Blue Door Cafe"
    again = run(
        integrations.connect(
            session=db,
            tenant=tenant.ctx,
            provider="whatsapp",
            integration_id=first.id,
            values={"phone_number_id": WA_NUMBER_ID, "access_token": "", "app_secret": ""},
        )
    )
    assert again.id == first.id
    assert json.loads(again.secrets or "{}") == {"access_token": WA_TOKEN, "app_secret": APP_SECRET}
    kinds = [
        e.kind for e in integration_events.list_events(session=db, tenant=tenant.ctx, integration_id=first.id or 0)[0]
    ]
    assert kinds == [EventKind.RECONFIGURED, EventKind.CONNECTED]


def test_one_integration_per_provider(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    values = {"bot_token": TG_TOKEN}
    first = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values=values))
    second = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values=values))
    assert first.id == second.id
    assert _count(db, Integration) == 1


def test_test_updates_status_and_logs(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    row = run(
        integrations.connect(
            session=db,
            tenant=tenant.ctx,
            provider="instagram",
            values={"account_id": IG_ACCOUNT_ID, "page_access_token": IG_TOKEN, "app_secret": APP_SECRET},
        )
    )
    assert row.found_title == "@bluedoorcafe"
    fakes.graph.objects[IG_ACCOUNT_ID] = ("revoked-token", fakes.graph.objects[IG_ACCOUNT_ID][1])
    failed = run(integrations.test(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert failed.status is IntegrationStatus.ERROR and "refused" in failed.error_message
    fakes.graph.objects[IG_ACCOUNT_ID] = (IG_TOKEN, fakes.graph.objects[IG_ACCOUNT_ID][1])
    ok = run(integrations.test(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert ok.status is IntegrationStatus.CONNECTED and ok.error_message == ""
    kinds = [
        e.kind for e in integration_events.list_events(session=db, tenant=tenant.ctx, integration_id=row.id or 0)[0]
    ]
    assert kinds == [EventKind.TESTED, EventKind.TEST_FAILED, EventKind.CONNECTED]


def test_disconnect_deletes_the_webhook_and_forgets_secrets(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    assert TG_TOKEN in fakes.telegram.webhooks
    run(integrations.disconnect(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert fakes.telegram.webhooks.get(TG_TOKEN, {}).get("url", "") == ""
    assert row.status is IntegrationStatus.DISCONNECTED and row.secrets is None and row.webhook_secret is None
    with pytest.raises(ValidationFailed):
        run(integrations.test(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    # reconnecting reuses the row and its history
    again = run(
        integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN})
    )
    assert again.id == row.id
    kinds = [
        e.kind for e in integration_events.list_events(session=db, tenant=tenant.ctx, integration_id=row.id or 0)[0]
    ]
    assert kinds == [EventKind.CONNECTED, EventKind.DISCONNECTED, EventKind.CONNECTED]


def test_disconnect_keeps_everything_when_the_provider_is_down(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    fakes.telegram.fail_next("server_error")
    with pytest.raises(IntegrationFailed):
        run(integrations.disconnect(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert row.status is IntegrationStatus.CONNECTED
    run(integrations.disconnect(session=db, tenant=tenant.ctx, integration_id=row.id or 0))  # retry works
    assert row.status is IntegrationStatus.DISCONNECTED


def test_operators_cannot_connect_or_disconnect(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    operator = context_for(make_member(db, tenant, Role.OPERATOR))
    with pytest.raises(PermissionDenied):
        run(integrations.connect(session=db, tenant=operator, provider="telegram", values={"bot_token": TG_TOKEN}))
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    with pytest.raises(PermissionDenied):
        run(integrations.disconnect(session=db, tenant=operator, integration_id=row.id or 0))
    assert run(integrations.test(session=db, tenant=operator, integration_id=row.id or 0)).status == "connected"


def test_unknown_provider(db: Session) -> None:
    tenant = make_business(db)
    with pytest.raises(NotFound):
        run(integrations.connect(session=db, tenant=tenant.ctx, provider="myspace", values={}))


def test_event_log_pages_newest_first_and_retention(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    old = IntegrationEvent(
        business_id=row.business_id,
        integration_id=row.id or 0,
        kind=EventKind.TESTED,
        detail="ancient",
        created_at=utcnow() - timedelta(days=400),
    )
    db.add(old)
    db.flush()
    for n in range(25):
        integration_events.record_event(session=db, integration=row, kind=EventKind.TESTED, detail=f"#{n}")
    page1, total = integration_events.list_events(session=db, tenant=tenant.ctx, integration_id=row.id or 0)
    page2, _ = integration_events.list_events(session=db, tenant=tenant.ctx, integration_id=row.id or 0, page=2)
    assert total == 26  # the 400-day-old event was purged (retention 90 days)
    assert [e.detail for e in page1[:2]] == ["#24", "#23"] and len(page1) == 20
    assert page2[-1].kind is EventKind.CONNECTED


def test_switching_to_another_bot_removes_the_old_webhook(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    other_token = "654321:" + "C" * 35
    fakes.telegram.add_bot(other_token, username="new_bot", first_name="New")
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    run(
        integrations.connect(
            session=db, tenant=tenant.ctx, provider="telegram", integration_id=row.id, values={"bot_token": other_token}
        )
    )
    assert fakes.telegram.webhooks[other_token]["url"].endswith(f"/webhooks/telegram/{row.id}")
    assert fakes.telegram.webhooks.get(TG_TOKEN, {}).get("url", "") == ""
    assert row.found_title == "@new_bot"


def test_busy_webhooks_refresh_last_event_at_sparingly(db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    row = run(integrations.connect(session=db, tenant=tenant.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    stamp = row.last_event_at
    integration_events.record_event(session=db, integration=row, kind=EventKind.WEBHOOK_RECEIVED, detail="1")
    assert row.last_event_at == stamp  # refreshed at most every few seconds under load
    row.last_event_at = utcnow() - timedelta(seconds=10)
    integration_events.record_event(session=db, integration=row, kind=EventKind.WEBHOOK_RECEIVED, detail="2")
    assert row.last_event_at is not None and row.last_event_at > utcnow() - timedelta(seconds=5)
