"""Profile, password, business and team routes for the signed-in dashboard (cookie)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from ioperator.models.user import Role
from tests.api.conftest import new_client, sign_in
from tests.factories import PASSWORD, make_business, make_member


def test_profile_update_and_secrets_never_returned(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    sign_in(client, tenant.owner.email)
    me = client.patch("/api/v1/me", json={"name": "Anna", "language": "ru"})
    assert me.status_code == 200
    assert me.json()["name"] == "Anna" and me.json()["language"] == "ru"
    assert "password_hash" not in me.text and "argon2" not in me.text
    bad = client.patch("/api/v1/me", json={"language": "xx"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "language"
    assert "Выберите" in bad.json()["error"]["message"]  # errors follow the user's language


def test_password_change_signs_out_other_sessions(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    sign_in(client, tenant.owner.email)
    other = sign_in(new_client(client), tenant.owner.email)
    wrong = client.post("/api/v1/me/password", json={"current_password": "wrong one", "new_password": "x" * 12})
    assert wrong.status_code == 422 and wrong.json()["error"]["field"] == "current_password"
    ok = client.post("/api/v1/me/password", json={"current_password": PASSWORD, "new_password": "brand new secret"})
    assert ok.status_code == 204
    assert client.get("/api/v1/me").status_code == 200
    assert other.get("/api/v1/me").status_code == 401
    assert (
        new_client(client)
        .post("/api/auth/login", json={"email": tenant.owner.email, "password": "brand new secret"})
        .status_code
        == 204
    )


def test_business_read_and_update_by_role(client: TestClient, db: Session) -> None:
    tenant = make_business(db, "Blue Door")
    operator = make_member(db, tenant, Role.OPERATOR)
    sign_in(client, tenant.owner.email)
    assert client.get("/api/v1/business").json()["name"] == "Blue Door"
    updated = client.patch("/api/v1/business", json={"phone": "+44 20 7946 0958", "timezone": "Europe/London"})
    assert updated.status_code == 200 and updated.json()["phone"] == "+442079460958"
    invalid = client.patch("/api/v1/business", json={"timezone": "Nowhere/City"})
    assert invalid.status_code == 422 and invalid.json()["error"]["field"] == "timezone"

    op_client = sign_in(new_client(client), operator.email)
    assert op_client.get("/api/v1/business").status_code == 200
    denied = op_client.patch("/api/v1/business", json={"name": "Taken over"})
    assert denied.status_code == 403 and denied.json()["error"]["code"] == "permission_denied"


def test_team_routes(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    sign_in(client, tenant.owner.email)
    created = client.post(
        "/api/v1/team/members", json={"email": "new@example.com", "name": "New", "role": "admin", "password": PASSWORD}
    )
    assert created.status_code == 201
    member_id = created.json()["id"]
    assert "password" not in created.text.replace('"password"', "")  # no hash, no password echoed
    assert (
        client.post(
            "/api/v1/team/members", json={"email": "new@example.com", "role": "admin", "password": PASSWORD}
        ).status_code
        == 409
    )
    assert (
        client.post(
            "/api/v1/team/members", json={"email": "x@example.com", "role": "boss", "password": PASSWORD}
        ).status_code
        == 422
    )
    assert len(client.get("/api/v1/team/members").json()) == 2
    assert client.get(f"/api/v1/team/members/{member_id}").json()["role"] == "admin"
    assert client.patch(f"/api/v1/team/members/{member_id}", json={"role": "operator"}).json()["role"] == "operator"
    last_owner = client.patch(f"/api/v1/team/members/{tenant.owner.id}", json={"role": "admin"})
    assert last_owner.status_code == 409 and last_owner.json()["error"]["field"] == "role"
    assert client.delete(f"/api/v1/team/members/{member_id}").status_code == 204
    assert client.get(f"/api/v1/team/members/{member_id}").status_code == 404
    assert client.get("/api/v1/team/members/not-a-number").status_code == 422


def test_sessions_list_and_sign_out_one(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    sign_in(client, tenant.owner.email)
    phone = new_client(client)
    phone.headers["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Safari/604.1"
    sign_in(phone, tenant.owner.email)
    sessions = client.get("/api/v1/me/sessions").json()
    assert len(sessions) == 2
    assert [s["current"] for s in sessions].count(True) == 1
    assert all("token" not in key for s in sessions for key in s)
    other = next(s for s in sessions if not s["current"])
    assert other["device"] == "Safari · iOS"
    assert client.delete(f"/api/v1/me/sessions/{other['id']}").status_code == 204
    assert phone.get("/api/v1/me").status_code == 401
    assert client.delete(f"/api/v1/me/sessions/{other['id']}").status_code == 404
