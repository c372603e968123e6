"""Cookie sign-in over HTTP: HttpOnly + SameSite=Lax, uniform errors, throttling, logout."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlmodel import Session

from ioperator.services import auth_sessions
from tests.api.conftest import new_client, sign_in
from tests.factories import PASSWORD, make_business


def test_login_sets_an_httponly_samesite_lax_cookie(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    response = client.post("/api/auth/login", json={"email": tenant.owner.email, "password": PASSWORD})
    assert response.status_code == 204
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{auth_sessions.COOKIE_NAME}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie and "Max-Age=" in cookie
    assert client.get("/api/v1/me").json()["email"] == tenant.owner.email


def test_wrong_password_and_unknown_email_answer_identically(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    wrong = client.post("/api/auth/login", json={"email": tenant.owner.email, "password": "nope nope nope"})
    unknown = client.post("/api/auth/login", json={"email": "nobody@example.com", "password": "nope nope nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": {"code": "invalid_credentials", "message": "Incorrect email or password."}}
    )
    assert "set-cookie" not in wrong.headers


def test_repeated_failures_are_refused_with_retry_after(client: TestClient, db: Session, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    delays: list[float] = []

    async def record_sleep(seconds: float) -> None:
        delays.append(seconds)

    monkeypatch.setattr("ioperator.services.auth_sessions._default_sleep", record_sleep)
    tenant = make_business(db)
    for _ in range(10):
        assert (
            client.post("/api/auth/login", json={"email": tenant.owner.email, "password": "x" * 12}).status_code == 401
        )
    refused = client.post(
        "/api/auth/login", json={"email": tenant.owner.email, "password": PASSWORD}, headers={"Accept-Language": "ru"}
    )
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0, 8.0]  # slowed down before being refused
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) > 0
    assert refused.json()["error"]["code"] == "too_many_attempts"
    assert "Повторите" in refused.json()["error"]["message"]


def test_logout_ends_the_session(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    sign_in(client, tenant.owner.email)
    token = client.cookies.get(auth_sessions.COOKIE_NAME)
    response = client.post("/api/auth/logout", json={})
    assert response.status_code == 204
    assert 'ioperator_session=""' in response.headers["set-cookie"] or "Max-Age=0" in response.headers["set-cookie"]
    assert auth_sessions.resolve(session=db, token=token) is None
    # replaying the old cookie does not work either
    replay = new_client(client)
    replay.cookies.set(auth_sessions.COOKIE_NAME, token or "")
    assert replay.get("/api/v1/me").status_code == 401


def test_ticket_exchange(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    ticket = auth_sessions.start_session(session=db, user=tenant.owner)
    assert client.post("/api/auth/session", json={"ticket": "forged"}).status_code == 401
    assert client.post("/api/auth/session", json={"ticket": ticket}).status_code == 204
    assert client.get("/api/v1/me").status_code == 200
    assert new_client(client).post("/api/auth/session", json={"ticket": ticket}).status_code == 401


def test_writes_must_be_json(client: TestClient, db: Session) -> None:
    tenant = make_business(db)
    form = client.post("/api/auth/login", data={"email": tenant.owner.email, "password": PASSWORD})
    assert form.status_code == 422
    assert form.json()["error"]["code"] == "validation_failed"


def test_malformed_body_gives_field_errors(client: TestClient) -> None:
    response = client.post("/api/auth/login", json={"email": "a@example.com"})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_failed"
    assert {"field": "password", "message": "Field required"} in body["fields"]


def test_unauthenticated_requests_get_401_json(client: TestClient) -> None:
    for path in ("/api/v1/me", "/api/v1/business", "/api/v1/team/members", "/api/v1/team/members/1"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "not_authenticated"


def test_client_address_behind_trusted_proxies(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from starlette.requests import Request

    from ioperator.api.auth import client_address
    from ioperator.core.config import reset_settings

    def request(forwarded: str) -> Request:
        return Request(
            {"type": "http", "client": ("10.0.0.2", 1234), "headers": [(b"x-forwarded-for", forwarded.encode())]}
        )

    assert client_address(request("1.2.3.4")) == "10.0.0.2"  # not trusted by default
    monkeypatch.setenv("IOPERATOR_TRUSTED_PROXY_HOPS", "1")
    reset_settings()
    try:
        assert client_address(request("6.6.6.6, 1.2.3.4")) == "1.2.3.4"  # the client cannot spoof past the proxy
        assert client_address(request("")) == "10.0.0.2"
    finally:
        monkeypatch.undo()
        reset_settings()
