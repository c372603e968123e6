"""Webhook intake: verified before parsing, stored once, refused deliveries store nothing."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from ioperator.models.inbox import Contact, ContactIdentity, Conversation, Message
from ioperator.models.integration import EventKind, Integration, IntegrationEvent
from ioperator.services import integrations
from tests.factories import make_business
from tests.fakes import graph, telegram
from tests.integration_env import (
    APP_SECRET,
    IG_ACCOUNT_ID,
    IG_TOKEN,
    TG_TOKEN,
    WA_NUMBER_ID,
    WA_TOKEN,
    Fakes,
)
from tests.unit.test_auth_sessions import run


def _count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def _connect(db: Session, provider: str) -> Integration:
    tenant = make_business(db)
    values = {
        "telegram": {"bot_token": TG_TOKEN},
        "whatsapp": {"phone_number_id": WA_NUMBER_ID, "access_token": WA_TOKEN, "app_secret": APP_SECRET},
        "instagram": {"account_id": IG_ACCOUNT_ID, "page_access_token": IG_TOKEN, "app_secret": APP_SECRET},
    }[provider]
    return run(integrations.connect(session=db, tenant=tenant.ctx, provider=provider, values=values))


def _events(db: Session, row: Integration) -> list[str]:
    return [
        e.kind.value for e in db.exec(select(IntegrationEvent).where(IntegrationEvent.integration_id == row.id)).all()
    ]


def post_telegram(client: TestClient, row: Integration, payload: dict, secret: str | None = None):  # type: ignore[no-untyped-def]
    headers = {"X-Telegram-Bot-Api-Secret-Token": row.webhook_secret if secret is None else secret}
    return client.post(f"/webhooks/telegram/{row.id}", content=telegram.encode(payload), headers=headers)


def test_telegram_delivery_is_stored_once(client: TestClient, db: Session, fakes: Fakes) -> None:
    row = _connect(db, "telegram")
    update = telegram.text_update(
        chat_id=555, message_id=7, text="Table for two at 7?", first_name="Ann", username="ann"
    )
    first = post_telegram(client, row, update)
    assert first.status_code == 200 and first.json() == {"ok": True, "stored": 1}
    replay = post_telegram(client, row, update)  # Telegram redelivers on a slow reply
    assert replay.status_code == 200 and replay.json()["stored"] == 0
    assert _count(db, Message) == 1
    message = db.exec(select(Message)).one()
    assert message.text == "Table for two at 7?" and message.business_id == row.business_id
    conversation = db.get(Conversation, message.conversation_id)
    assert conversation is not None and conversation.external_chat_id == "555"
    contact = db.get(Contact, conversation.contact_id)
    assert contact is not None and contact.name == "Ann"
    post_telegram(client, row, telegram.text_update(chat_id=555, message_id=8, text="Thanks"))
    assert _count(db, Conversation) == 1 and _count(db, Message) == 2 and _count(db, Contact) == 1
    assert _events(db, row).count("webhook_received") == 3


@pytest.mark.parametrize("secret", ["", "wrong-secret-token"])
def test_forged_telegram_delivery_is_refused(client: TestClient, db: Session, fakes: Fakes, secret: str) -> None:
    row = _connect(db, "telegram")
    response = post_telegram(client, row, telegram.text_update(), secret=secret)
    assert response.status_code == 401
    assert _count(db, Message) == 0
    assert "webhook_rejected" in _events(db, row)


def test_unknown_or_disconnected_integration_is_404(client: TestClient, db: Session, fakes: Fakes) -> None:
    row = _connect(db, "telegram")
    assert client.post("/webhooks/telegram/999999", content=b"{}").status_code == 404
    assert client.post(f"/webhooks/whatsapp/{row.id}", content=b"{}").status_code == 404  # provider mismatch
    tenant_ctx = integrations.get_integration(session=db, tenant=_ctx(row), integration_id=row.id or 0)
    assert tenant_ctx is not None
    secret = row.webhook_secret
    run(integrations.disconnect(session=db, tenant=_ctx(row), integration_id=row.id or 0))
    assert post_telegram(client, row, telegram.text_update(), secret=secret).status_code == 404
    assert _count(db, Message) == 0


@pytest.mark.parametrize("body", [b"not json", b"[]", json.dumps({"update_id": 1, "message": {"text": "x"}}).encode()])
def test_malformed_delivery_is_400(client: TestClient, db: Session, fakes: Fakes, body: bytes) -> None:
    row = _connect(db, "telegram")
    response = client.post(
        f"/webhooks/telegram/{row.id}",
        content=body,
        headers={"X-Telegram-Bot-Api-Secret-Token": row.webhook_secret or ""},
    )
    assert response.status_code == 400
    assert _count(db, Message) == 0


def test_whatsapp_handshake_and_signed_deliveries(client: TestClient, db: Session, fakes: Fakes) -> None:
    row = _connect(db, "whatsapp")
    url = f"/webhooks/whatsapp/{row.id}"
    ok = client.get(
        url, params={"hub.mode": "subscribe", "hub.verify_token": row.webhook_secret, "hub.challenge": "1158201444"}
    )
    assert ok.status_code == 200 and ok.text == "1158201444"
    bad = client.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert bad.status_code == 403

    body = json.dumps(graph.whatsapp_text_delivery(WA_NUMBER_ID, "16505551234", "Sheena", "wamid.A1", "Hi")).encode()
    signed = {"X-Hub-Signature-256": graph.sign(body, APP_SECRET), "Content-Type": "application/json"}
    assert client.post(url, content=body, headers=signed).json() == {"ok": True, "stored": 1}
    assert client.post(url, content=body, headers=signed).json() == {"ok": True, "stored": 0}
    forged = {"X-Hub-Signature-256": graph.sign(body, "f" * 32)}
    assert client.post(url, content=body, headers=forged).status_code == 401
    reserialised = json.dumps(json.loads(body), indent=2).encode()
    assert client.post(url, content=reserialised, headers=signed).status_code == 401
    assert client.post(url, content=body).status_code == 401  # unsigned
    status = json.dumps(graph.whatsapp_status_delivery(WA_NUMBER_ID, "wamid.A1", "16505551234")).encode()
    assert (
        client.post(url, content=status, headers={"X-Hub-Signature-256": graph.sign(status, APP_SECRET)}).json()[
            "stored"
        ]
        == 0
    )
    contact = db.exec(select(Contact)).one()
    assert (contact.name, contact.phone) == ("Sheena", "+16505551234")
    assert _count(db, Message) == 1


def test_instagram_delivery_and_echo(client: TestClient, db: Session, fakes: Fakes) -> None:
    row = _connect(db, "instagram")
    url = f"/webhooks/instagram/{row.id}"
    for payload, stored in (
        (graph.instagram_text_delivery(IG_ACCOUNT_ID, "IGSID-1", "mid.1", "Do you have vegan options?"), 1),
        (graph.instagram_text_delivery(IG_ACCOUNT_ID, "IGSID-1", "mid.2", "Yes!", is_echo=True), 0),
    ):
        body = json.dumps(payload).encode()
        response = client.post(url, content=body, headers={"X-Hub-Signature-256": graph.sign(body, APP_SECRET)})
        assert response.json() == {"ok": True, "stored": stored}
    assert db.exec(select(ContactIdentity)).one().external_id == "IGSID-1"


def test_contact_is_matched_by_phone_across_channels(client: TestClient, db: Session, fakes: Fakes) -> None:
    row = _connect(db, "whatsapp")
    from ioperator.models.inbox import Contact as ContactModel

    existing = ContactModel(business_id=row.business_id, name="Sheena K", phone="+16505551234")
    db.add(existing)
    db.flush()
    body = json.dumps(graph.whatsapp_text_delivery(WA_NUMBER_ID, "16505551234", "Sheena", "wamid.B1", "Hi")).encode()
    client.post(
        f"/webhooks/whatsapp/{row.id}", content=body, headers={"X-Hub-Signature-256": graph.sign(body, APP_SECRET)}
    )
    assert _count(db, Contact) == 1
    assert db.exec(select(ContactIdentity)).one().contact_id == existing.id


def test_oversized_delivery_is_refused(client: TestClient, db: Session, fakes: Fakes) -> None:
    row = _connect(db, "telegram")
    response = client.post(
        f"/webhooks/telegram/{row.id}",
        content=b"x" * 1_000_001,
        headers={"X-Telegram-Bot-Api-Secret-Token": row.webhook_secret or ""},
    )
    assert response.status_code == 413


def test_event_kinds_are_translated() -> None:
    from ioperator.core.i18n import catalog

    for kind in EventKind:
        assert f"event.{kind.value}" in catalog("en") and f"event.{kind.value}" in catalog("ru")


def _ctx(row: Integration):  # type: ignore[no-untyped-def]
    from ioperator.core.auth import TenantContext
    from ioperator.models.user import Role

    return TenantContext(business_id=row.business_id, user_id=row.connected_by, role=Role.OWNER)
