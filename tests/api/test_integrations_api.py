"""Integrations over HTTP (cookie) and the public catalog."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

from ioperator.models.integration import Integration
from ioperator.models.user import Role
from tests.api.conftest import new_client, sign_in
from tests.factories import make_business, make_member
from tests.integration_env import (
    APP_SECRET,
    TG_TOKEN,
    WA_NUMBER_ID,
    WA_TOKEN,
    Fakes,
)


def test_catalog_is_public_with_schemas(client: TestClient) -> None:
    response = client.get("/api/v1/integrations/catalog?kind=channel", headers={"Accept-Language": "ru"})
    assert response.status_code == 200
    providers = {p["slug"]: p for p in response.json()}
    assert set(providers) == {"telegram", "whatsapp", "instagram"}
    whatsapp = providers["whatsapp"]
    assert whatsapp["config_schema"]["required"] == ["phone_number_id", "access_token", "app_secret"]
    assert {f["name"]: f["secret"] for f in whatsapp["fields"]} == {
        "phone_number_id": False,
        "access_token": True,
        "app_secret": True,
    }
    assert whatsapp["available"] is True and whatsapp["logo"].endswith(".svg")


def test_connect_show_test_disconnect(client: TestClient, db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    sign_in(client, tenant.owner.email)
    created = client.post(
        "/api/v1/integrations",
        json={
            "provider": "whatsapp",
            "config": {"phone_number_id": WA_NUMBER_ID, "access_token": WA_TOKEN, "app_secret": APP_SECRET},
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "connected" and body["found_title"] == "Blue Door Cafe"
    assert body["masked_secrets"]["access_token"].startswith("••••")
    assert WA_TOKEN not in created.text and APP_SECRET not in created.text
    integration_id = body["id"]
    assert client.get(f"/api/v1/integrations/{integration_id}").json()["config"] == {"phone_number_id": WA_NUMBER_ID}
    assert client.post(f"/api/v1/integrations/{integration_id}/test", json={}).json()["status"] == "connected"
    kept = client.put(
        f"/api/v1/integrations/{integration_id}",
        json={"config": {"phone_number_id": WA_NUMBER_ID, "access_token": "", "app_secret": ""}},
    )
    assert kept.status_code == 200 and kept.json()["secrets_set"] == ["access_token", "app_secret"]
    events = client.get(f"/api/v1/integrations/{integration_id}/events").json()
    assert [e["kind"] for e in events["items"]] == ["reconfigured", "tested", "connected"] and events["total"] == 3
    gone = client.delete(f"/api/v1/integrations/{integration_id}")
    assert gone.status_code == 200 and gone.json()["status"] == "disconnected" and gone.json()["secrets_set"] == []


def test_failed_connect_shows_the_field_and_stores_nothing(client: TestClient, db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    sign_in(client, tenant.owner.email)
    refused = client.post(
        "/api/v1/integrations", json={"provider": "telegram", "config": {"bot_token": "999999:" + "Z" * 35}}
    )
    assert refused.status_code == 422
    assert refused.json()["error"] == {
        "code": "invalid_auth",
        "message": "The provider refused these credentials.",
        "field": "bot_token",
    }
    fakes.telegram.fail_next("rate_limited", retry_after=7)
    limited = client.post("/api/v1/integrations", json={"provider": "telegram", "config": {"bot_token": TG_TOKEN}})
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    missing = client.post("/api/v1/integrations", json={"provider": "whatsapp", "config": {"phone_number_id": "1"}})
    assert missing.status_code == 422 and missing.json()["error"]["field"] in ("access_token", "app_secret")
    unknown = client.post("/api/v1/integrations", json={"provider": "nope", "config": {}})
    assert unknown.status_code == 404
    assert db.exec(select(func.count()).select_from(Integration)).one() == 0


def test_operator_reads_but_cannot_connect(client: TestClient, db: Session, fakes: Fakes) -> None:
    tenant = make_business(db)
    operator = make_member(db, tenant, Role.OPERATOR)
    sign_in(client, operator.email)
    denied = client.post("/api/v1/integrations", json={"provider": "telegram", "config": {"bot_token": TG_TOKEN}})
    assert denied.status_code == 403
    assert client.get("/api/v1/integrations").json() == []
    assert new_client(client).get("/api/v1/integrations").status_code == 401
