"""`GET /api/v1/config`: every way auth fails, the document, ETag/304 around a prompt change, rate limits,
tenancy, audit, and the OpenAPI page."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from ioperator.core.config import reset_settings
from ioperator.models.business import BusinessUpdate
from ioperator.models.user import Role
from ioperator.services import api_keys, audit, business, integrations, llm, prompts
from tests.api.conftest import sign_in
from tests.factories import Tenant, make_api_key, make_business, make_member
from tests.integration_env import TG_TOKEN, Fakes
from tests.unit.test_auth_sessions import run

URL = "/api/v1/config"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def alpha(db: Session) -> Tenant:
    tenant = make_business(db, "Alpha Bistro")
    business.update_business(
        session=db,
        tenant=tenant.ctx,
        business_in=BusinessUpdate(timezone="Europe/Berlin", working_hours="Mon-Fri 9-18", phone="+4930901820"),
    )
    prompt, _ = prompts.create_prompt(session=db, tenant=tenant.ctx, name="Main", template_slug="restaurant")
    prompts.activate(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0)
    prompts.set_custom_variable(session=db, tenant=tenant.ctx, name="promo", value="Free dessert on Fridays")
    return tenant


# --- auth -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "invalid_api_key"),
        ({"Authorization": ""}, "invalid_api_key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "invalid_api_key"),
        ({"Authorization": "Bearer"}, "invalid_api_key"),
        ({"Authorization": "Bearer not-a-key"}, "invalid_api_key"),
        ({"Authorization": "Bearer iop_AAAAAAAA_" + "b" * 32}, "invalid_api_key"),
    ],
)
def test_missing_malformed_and_unknown_keys_answer_401(
    client: TestClient, alpha: Tenant, headers: dict[str, str], code: str
) -> None:
    response = client.get(URL, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert "Alpha" not in response.text


def test_revoked_and_expired_keys_answer_401(client: TestClient, db: Session, alpha: Tenant) -> None:
    created = api_keys.create_key(session=db, tenant=alpha.ctx, name="k")
    assert client.get(URL, headers=bearer(created.token)).status_code == 200
    api_keys.revoke_key(session=db, tenant=alpha.ctx, key_id=created.key.id or 0)
    refused = client.get(URL, headers=bearer(created.token))
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert "Alpha" not in refused.text

    other = api_keys.create_key(session=db, tenant=alpha.ctx, name="short-lived")
    from datetime import UTC, datetime, timedelta

    other.key.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.add(other.key)
    db.flush()
    assert client.get(URL, headers=bearer(other.token)).status_code == 401


def test_a_session_cookie_is_not_an_api_key(client: TestClient, alpha: Tenant) -> None:
    sign_in(client, alpha.owner.email)
    assert client.get(URL).status_code == 401


# --- the document ------------------------------------------------------------------------------
def test_config_holds_what_an_engine_needs(client: TestClient, db: Session, alpha: Tenant, fakes: Fakes) -> None:
    run(integrations.connect(session=db, tenant=alpha.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    token = make_api_key(db, alpha)
    response = client.get(URL, headers=bearer(token))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["etag"].startswith('"')
    body = response.json()
    assert body["business"]["name"] == "Alpha Bistro"
    assert body["settings"] == {
        "language": "en",
        "timezone": "Europe/Berlin",
        "working_hours": "Mon-Fri 9-18",
        "llm": None,
    }
    assert body["prompt"]["version"] == 1 and body["prompt"]["name"] == "Main"
    assert "{{business_name}}" in body["prompt"]["source"]
    assert "Alpha Bistro" in body["prompt"]["rendered"] and "{{" not in body["prompt"]["rendered"]
    [channel] = body["channels"]
    assert channel["provider"] == "telegram" and channel["credentials"] == {"bot_token": TG_TOKEN}
    assert channel["title"] == "@cafe_bot"
    assert body["crm"] is None
    assert body["variables"] == [{"name": "promo", "description": "", "value": "Free dessert on Fridays"}]


def test_etag_answers_304_until_the_prompt_changes(client: TestClient, db: Session, alpha: Tenant) -> None:
    token = make_api_key(db, alpha)
    first = client.get(URL, headers=bearer(token))
    etag = first.headers["etag"]
    # before any change: 304 with no body, the same tag; also in a list and as a weak tag
    for value in (etag, f'"other", {etag}', f"W/{etag}", "*"):
        unchanged = client.get(URL, headers={**bearer(token), "If-None-Match": value})
        assert unchanged.status_code == 304 and unchanged.content == b""
        assert unchanged.headers["etag"] == etag
    assert client.get(URL, headers={**bearer(token), "If-None-Match": '"stale"'}).status_code == 200

    prompt = prompts.get_active_prompt(session=db, tenant=alpha.ctx)
    assert prompt is not None and prompt.id is not None
    prompts.save_version(
        session=db,
        tenant=alpha.ctx,
        prompt_id=prompt.id,
        source=first.json()["prompt"]["source"] + "\nAlways greet warmly.",
        base_version=1,
    )
    changed = client.get(URL, headers={**bearer(token), "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.json()["prompt"]["version"] == 2
    assert "Always greet warmly." in changed.json()["prompt"]["rendered"]
    again = client.get(URL, headers={**bearer(token), "If-None-Match": changed.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("change", ["business", "variable", "variable_deleted", "channel", "activate_other"])
def test_every_part_of_the_config_changes_the_etag(
    client: TestClient, db: Session, alpha: Tenant, fakes: Fakes, change: str
) -> None:
    token = make_api_key(db, alpha)
    etag = client.get(URL, headers=bearer(token)).headers["etag"]
    if change == "business":
        business.update_business(session=db, tenant=alpha.ctx, business_in=BusinessUpdate(working_hours="Daily 10-22"))
    elif change == "variable":
        prompts.set_custom_variable(session=db, tenant=alpha.ctx, name="promo", value="Two for one")
    elif change == "variable_deleted":
        [variable] = prompts.list_custom_variables(session=db, tenant=alpha.ctx)
        prompts.delete_custom_variable(session=db, tenant=alpha.ctx, variable_id=variable.id or 0)
    elif change == "channel":
        run(integrations.connect(session=db, tenant=alpha.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    else:
        other, _ = prompts.create_prompt(session=db, tenant=alpha.ctx, name="Other", template_slug="salon")
        prompts.activate(session=db, tenant=alpha.ctx, prompt_id=other.id or 0)
    db.flush()
    response = client.get(URL, headers={**bearer(token), "If-None-Match": etag})
    assert response.status_code == 200, change
    assert response.headers["etag"] != etag


def test_a_prompt_using_the_clock_is_rendered_fresh(db: Session, alpha: Tenant) -> None:
    from datetime import UTC, datetime

    from ioperator.services import bot_config

    prompt = prompts.get_active_prompt(session=db, tenant=alpha.ctx)
    assert prompt is not None and prompt.id is not None
    source = prompts.get_version_or_raise(session=db, tenant=alpha.ctx, prompt_id=prompt.id, number=1).source
    prompts.save_version(
        session=db, tenant=alpha.ctx, prompt_id=prompt.id, source=source + "\nNow: {{current_time}}", base_version=1
    )
    first = bot_config.current(session=db, tenant=alpha.ctx, now=datetime(2026, 11, 23, 9, 0, 10, tzinfo=UTC))
    same = bot_config.current(session=db, tenant=alpha.ctx, now=datetime(2026, 11, 23, 9, 0, 50, tzinfo=UTC))
    later = bot_config.current(session=db, tenant=alpha.ctx, now=datetime(2026, 11, 23, 9, 1, 5, tzinfo=UTC))
    assert first.etag == same.etag
    assert later.etag != first.etag
    assert "Now: 10:01" in json.loads(later.body)["prompt"]["rendered"]  # Europe/Berlin


def test_the_llm_settings_come_without_the_key(client: TestClient, db: Session, alpha: Tenant) -> None:
    from tests.fakes.openai import KEY, MODEL, FakeOpenAI
    from tests.fakes.runner import serve

    with serve(FakeOpenAI().app) as url:
        run(
            llm.save_config(
                session=db, tenant=alpha.ctx, base_url=url + "/v1", api_key=KEY, model=MODEL, temperature="0.4"
            )
        )
    response = client.get(URL, headers=bearer(make_api_key(db, alpha)))
    assert response.json()["settings"]["llm"] == {"base_url": url + "/v1", "model": MODEL, "temperature": 0.4}
    assert KEY not in response.text


# --- tenancy ----------------------------------------------------------------------------------
def test_a_key_of_business_a_never_yields_b(client: TestClient, db: Session, alpha: Tenant, fakes: Fakes) -> None:
    bravo = make_business(db, "Bravo Salon")
    prompts.set_custom_variable(session=db, tenant=bravo.ctx, name="secret", value="Bravo's secret")
    run(integrations.connect(session=db, tenant=bravo.ctx, provider="telegram", values={"bot_token": TG_TOKEN}))
    a_token, b_token = make_api_key(db, alpha), make_api_key(db, bravo)
    a_body = client.get(URL, headers=bearer(a_token)).text
    b_body = client.get(URL, headers=bearer(b_token)).text
    assert "Bravo" not in a_body and TG_TOKEN not in a_body and "Alpha" not in b_body
    assert json.loads(b_body)["business"]["id"] == bravo.business.id
    # B's tag sent with A's key is not a match: A gets its own document
    b_tag = client.get(URL, headers=bearer(b_token)).headers["etag"]
    assert client.get(URL, headers={**bearer(a_token), "If-None-Match": b_tag}).status_code == 200


# --- rate limits --------------------------------------------------------------------------------
@pytest.fixture
def tight_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from ioperator.services import api_rate_limit

    monkeypatch.setenv("IOPERATOR_API_RATE_LIMIT", "3/minute")
    reset_settings()
    api_rate_limit.reset()
    yield
    monkeypatch.undo()
    reset_settings()


def test_over_the_limit_answers_429_with_retry_after_per_key(
    client: TestClient, db: Session, alpha: Tenant, tight_limit: None
) -> None:
    token, other = make_api_key(db, alpha), make_api_key(db, alpha, "second")
    assert [client.get(URL, headers=bearer(token)).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(URL, headers=bearer(token))
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # the Bot API counts against the same key; another key has its own budget
    assert client.get("/api/v1/bot/catalog", headers=bearer(token)).status_code == 429
    assert client.get(URL, headers=bearer(other)).status_code == 200


def test_a_bad_limit_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from ioperator.core.config import Settings

    monkeypatch.setenv("IOPERATOR_API_RATE_LIMIT", "lots")
    with pytest.raises(ValidationError):
        Settings()


# --- audit and last use ---------------------------------------------------------------------------
def test_fetches_are_audited_at_most_once_a_minute(client: TestClient, db: Session, alpha: Tenant) -> None:
    token = make_api_key(db, alpha)
    for _ in range(5):
        assert client.get(URL, headers=bearer(token)).status_code == 200
    actions = [e.action for e in audit.list_events(session=db, tenant=alpha.ctx)]
    assert actions.count(audit.CONFIG_FETCHED) == 1 and actions.count(audit.KEY_CREATED) == 1
    [key] = api_keys.list_keys(session=db, tenant=alpha.ctx)
    db.refresh(key)
    assert key.last_used_at is not None


# --- dashboard routes --------------------------------------------------------------------------
def test_dashboard_creates_lists_and_revokes_keys(client: TestClient, db: Session, alpha: Tenant) -> None:
    sign_in(client, alpha.owner.email)
    created = client.post("/api/v1/api-keys", json={"name": "Engine"})
    assert created.status_code == 201
    token = created.json()["key"]
    assert created.json()["prefix"].endswith(token[-4:]) and created.json()["active"]
    listed = client.get("/api/v1/api-keys").json()
    assert [k["name"] for k in listed] == ["Engine"] and "key" not in listed[0]
    assert token not in client.get("/api/v1/api-keys").text
    assert client.get(URL, headers=bearer(token)).status_code == 200
    revoked = client.delete(f"/api/v1/api-keys/{created.json()['id']}")
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] and not revoked.json()["active"]
    assert client.get(URL, headers=bearer(token)).status_code == 401
    actions = [e["action"] for e in client.get("/api/v1/api-keys/activity").json()]
    assert actions[:3] == ["api_key.revoked", "config.fetched", "api_key.created"]


def test_dashboard_refuses_bad_input_and_operators(client: TestClient, db: Session, alpha: Tenant) -> None:
    operator = make_member(db, alpha, Role.OPERATOR)
    sign_in(client, alpha.owner.email)
    blank = client.post("/api/v1/api-keys", json={"name": " "})
    assert blank.status_code == 422 and blank.json()["error"]["field"] == "name"
    past = client.post("/api/v1/api-keys", json={"name": "k", "expires_at": "2020-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.json()["error"]["field"] == "expires_at"
    assert client.post("/api/v1/api-keys", json={"name": "k", "expires_at": "soon"}).status_code == 422
    assert client.get("/api/v1/api-keys").json() == []
    client.post("/api/auth/logout", json={})
    client.cookies.clear()
    sign_in(client, operator.email)
    assert client.post("/api/v1/api-keys", json={"name": "k"}).status_code == 403
    assert client.get("/api/v1/api-keys").status_code == 200


# --- docs --------------------------------------------------------------------------------------
def test_openapi_documents_the_public_routes_with_examples_and_errors(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    config = spec["paths"]["/api/v1/config"]["get"]
    assert {"200", "304", "401", "429"} <= set(config["responses"])
    assert config["responses"]["200"]["content"]["application/json"]["example"]["business"]["name"]
    for path in ("/api/v1/bot/catalog", "/api/v1/bot/slots", "/api/v1/bot/clients", "/api/v1/bot/bookings"):
        assert path in spec["paths"], path
    booking = spec["paths"]["/api/v1/bot/bookings"]["post"]
    assert {"401", "409", "422", "429", "502", "503"} <= set(booking["responses"])
    assert "ErrorOut" in spec["components"]["schemas"]
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
