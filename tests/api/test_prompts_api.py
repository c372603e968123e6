"""Prompts over HTTP: templates, versions with conflicts and validation errors, restore, diff, render."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from ioperator.models.user import Role
from tests.api.conftest import new_client, sign_in
from tests.factories import make_business, make_member


def test_prompt_lifecycle(client: TestClient, db: Session) -> None:
    tenant = make_business(db, "Clinic One")
    sign_in(client, tenant.owner.email)
    templates = client.get("/api/v1/prompts/templates?language=ru").json()
    assert {t["slug"] for t in templates} == {"restaurant", "salon", "clinic"}
    created = client.post("/api/v1/prompts", json={"name": "Main", "template_slug": "clinic", "language": "en"})
    assert created.status_code == 201 and created.json()["current_version"] == 1 and created.json()["is_active"]
    pid = created.json()["id"]
    v1 = client.get(f"/api/v1/prompts/{pid}/versions/1").json()["source"]

    saved = client.post(
        f"/api/v1/prompts/{pid}/versions", json={"source": v1 + "\nBe kind.\n", "base_version": 1, "note": "kinder"}
    )
    assert saved.status_code == 201 and saved.json()["version"]["number"] == 2
    stale = client.post(f"/api/v1/prompts/{pid}/versions", json={"source": v1 + "x", "base_version": 1})
    assert stale.status_code == 409 and "version 2" in stale.json()["error"]["message"]
    broken = client.post(f"/api/v1/prompts/{pid}/versions", json={"source": "{{nope", "base_version": 2})
    assert broken.status_code == 422
    issues = broken.json()["error"]["issues"]
    assert any(i["severity"] == "error" and i["line"] == 1 for i in issues)

    diff = client.get(f"/api/v1/prompts/{pid}/diff?old=1&new=2").json()
    assert [d["text"] for d in diff if d["kind"] == "added"] == ["", "Be kind."]
    restored = client.post(f"/api/v1/prompts/{pid}/versions/1/restore", json={})
    assert restored.status_code == 201 and restored.json() == {**restored.json(), "number": 3, "restored_from": 1}
    assert [v["number"] for v in client.get(f"/api/v1/prompts/{pid}/versions").json()] == [3, 2, 1]
    text = client.get(f"/api/v1/prompts/{pid}/rendered").json()["text"]
    assert "Clinic One" in text and "{{" not in text


def test_custom_variables_and_roles(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    operator = make_member(db, tenant, Role.OPERATOR)
    sign_in(client, tenant.owner.email)
    put = client.put("/api/v1/prompts/variables", json={"name": "promo", "value": "10% off", "description": "Offer"})
    assert put.status_code == 200
    names = {v["name"]: v for v in client.get("/api/v1/prompts/variables").json()}
    assert names["promo"]["builtin"] is False and names["business_name"]["builtin"] is True
    bad = client.put("/api/v1/prompts/variables", json={"name": "Bad Name", "value": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "name"

    op = sign_in(new_client(client), operator.email)
    assert op.get("/api/v1/prompts/variables").status_code == 200
    assert op.post("/api/v1/prompts", json={"name": "Mine"}).status_code == 403
    assert op.delete(f"/api/v1/prompts/variables/{put.json()['id']}").status_code == 403
