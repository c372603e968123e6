"""Telephony over HTTP (cookie): providers, numbers and routing, members, roles and input checks, against the
three fake providers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlmodel import Session

from ioperator.adapters import registry
from ioperator.core.config import reset_settings
from ioperator.models.user import Role
from tests.api.conftest import new_client, sign_in
from tests.factories import Tenant, make_business, make_member
from tests.telephony_env import CONFIGS, WEBHOOK_BASE, Phones

URL = "/api/v1/telephony"
SLUGS = ("telnyx", "twilio", "vonage")


class Recorder:
    """A signed-in client that keeps every response, to check no secret ever appears in one."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.seen: list[str] = []

    def __call__(self, method: str, path: str, json: Any = None, **kw: Any) -> Response:
        response = self.client.request(method, URL + path, json=json, **kw)
        self.seen.append(response.text)
        return response

    def ok(self, method: str, path: str, json: Any = None, status: int = 200, **kw: Any) -> Any:
        response = self(method, path, json, **kw)
        assert response.status_code == status, response.text
        return response.json()


@pytest.fixture
def owner(client: TestClient, db: Session) -> Iterator[tuple[Tenant, Recorder]]:
    tenant = make_business(db, "Blue Door")
    sign_in(client, tenant.owner.email)
    yield tenant, Recorder(client)


def secret_values() -> list[str]:
    """Every stored secret of the test accounts, raw and as it would look inside a JSON string."""
    values = []
    for slug, config in CONFIGS.items():
        cls = registry.get(slug)
        assert cls is not None
        for name in cls.Config.secret_fields():
            if name in config:
                values += [config[name], json.dumps(config[name])[1:-1]]
                values += [line for line in config[name].splitlines() if len(line) > 20 and "-----" not in line]
    return values


def card(api: Recorder, slug: str) -> dict[str, Any]:
    return next(p for p in api.ok("GET", "/providers") if p["slug"] == slug)


def connect(api: Recorder, slug: str) -> dict[str, Any]:
    return api.ok("POST", "/providers", {"provider": slug, "config": CONFIGS[slug]}, status=201)


# --- providers --------------------------------------------------------------------------------
def test_providers_connect_with_masked_secrets_only(owner: tuple[Tenant, Recorder], phones: Phones) -> None:
    _, api = owner
    listed = api.ok("GET", "/providers", headers={"Accept-Language": "ru"})
    assert [p["slug"] for p in listed] == ["telnyx", "twilio", "vonage"]
    assert all(p["status"] == "not_configured" and p["connection"] is None for p in listed)
    twilio_fields = {f["name"]: f["secret"] for f in listed[1]["fields"]}
    assert twilio_fields["auth_token"] is True and twilio_fields["account_sid"] is False
    assert listed[0]["logo"] and listed[0]["docs_url"].startswith("https://")

    for slug in SLUGS:
        body = connect(api, slug)
        assert body["slug"] == slug and body["status"] == "active"
        connection = body["connection"]
        assert connection["enabled"] and connection["provisioned"] and not connection["manual"]
        assert connection["found_title"] and connection["error_message"] == ""
        assert all(v.startswith("••••") for v in connection["masked_secrets"].values())
        assert set(connection["masked_secrets"]) == set(connection["secrets_set"]) != set()
    assert CONFIGS["twilio"]["account_sid"] == card(api, "twilio")["connection"]["config"]["account_sid"]
    # exactly the first connected provider is the default
    assert [p["slug"] for p in api.ok("GET", "/providers") if p["connection"]["is_default"]] == ["telnyx"]

    twilio_id = card(api, "twilio")["connection"]["id"]
    kept = api.ok("PUT", f"/providers/{twilio_id}", {"config": {**CONFIGS["twilio"], "auth_token": ""}})
    assert kept["connection"]["id"] == twilio_id and kept["connection"]["secrets_set"] == ["auth_token"]
    assert api.ok("POST", f"/providers/{twilio_id}/test", {})["connection"]["status"] == "connected"
    gone = api.ok("DELETE", f"/providers/{twilio_id}")
    assert gone["status"] == "not_configured" and gone["connection"] is None
    assert phones.twilio.applications == {}
    api.ok("GET", "/providers")

    for text in api.seen:
        for secret in secret_values():
            assert secret not in text


@pytest.mark.parametrize(
    ("slug", "bad", "field"),
    [
        ("telnyx", {"api_key": "KEY_wrong_key_000000"}, "api_key"),
        ("twilio", {"auth_token": "0" * 32}, "auth_token"),
        ("vonage", {"api_secret": "WrongSecret00000"}, "api_secret"),
    ],
)
def test_refused_credentials_answer_422_on_the_field(
    owner: tuple[Tenant, Recorder], phones: Phones, slug: str, bad: dict[str, str], field: str
) -> None:
    _, api = owner
    refused = api("POST", "/providers", {"provider": slug, "config": {**CONFIGS[slug], **bad}})
    assert refused.status_code == 422
    assert refused.json()["error"]["code"] == "invalid_auth" and refused.json()["error"]["field"] == field
    assert next(iter(bad.values())) not in refused.text
    assert card(api, slug)["status"] == "not_configured"


def test_unknown_or_non_telephony_providers_and_bad_bodies(owner: tuple[Tenant, Recorder], phones: Phones) -> None:
    _, api = owner
    assert api("POST", "/providers", {"provider": "nokia", "config": {}}).status_code == 404
    assert api("POST", "/providers", {"provider": "telegram", "config": {"bot_token": "x"}}).status_code == 404
    missing = api(
        "POST", "/providers", {"provider": "twilio", "config": {"account_sid": CONFIGS["twilio"]["account_sid"]}}
    )
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "auth_token"
    for body in ({"provider": "twilio"}, {"provider": "", "config": {}}, {"provider": "twilio", "config": [], "x": 1}):
        invalid = api("POST", "/providers", body)
        assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "validation_failed"
        assert invalid.json()["error"]["fields"]
    form = api.client.post(f"{URL}/providers", data={"provider": "twilio"})
    assert form.status_code == 422 and form.json()["error"]["code"] == "validation_failed"
    assert api("POST", "/providers/0/test", {}).status_code == 422
    assert api("POST", "/providers/999999/test", {}).status_code == 404


def test_enable_disable_and_one_default(owner: tuple[Tenant, Recorder], phones: Phones) -> None:
    _, api = owner
    twilio, telnyx = connect(api, "twilio")["connection"], connect(api, "telnyx")["connection"]
    assert twilio["is_default"] and not telnyx["is_default"]

    def defaults() -> list[str]:
        return [p["slug"] for p in api.ok("GET", "/providers") if p["connection"] and p["connection"]["is_default"]]

    assert api.ok("POST", f"/providers/{telnyx['id']}/default", {})["connection"]["is_default"]
    assert defaults() == ["telnyx"]
    assert api.ok("POST", f"/providers/{telnyx['id']}/default", {})["connection"]["is_default"]  # again: no change
    assert defaults() == ["telnyx"]

    disabled = api.ok("PATCH", f"/providers/{telnyx['id']}", {"enabled": False})
    assert disabled["status"] == "configured" and not disabled["connection"]["enabled"]
    assert defaults() == ["twilio"]  # the only enabled one left took over
    refused = api("POST", f"/providers/{telnyx['id']}/default", {})
    assert refused.status_code == 422
    assert api("PATCH", f"/providers/{telnyx['id']}", {"enabled": "maybe"}).status_code == 422
    enabled = api.ok("PATCH", f"/providers/{telnyx['id']}", {"enabled": True})
    assert enabled["status"] == "active" and not enabled["connection"]["is_default"]
    assert defaults() == ["twilio"]


def test_manual_setup_without_a_public_address(
    owner: tuple[Tenant, Recorder], phones: Phones, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, api = owner
    monkeypatch.setenv("IOPERATOR_WEBHOOK_BASE_URL", "http://localhost:3000")
    reset_settings()
    body = connect(api, "twilio")
    integration_id = body["connection"]["id"]
    assert body["status"] == "configured" and not body["connection"]["provisioned"]
    assert phones.twilio.applications == {}

    setup = api.ok("GET", f"/providers/{integration_id}/setup")
    base = f"http://localhost:3000/webhooks/twilio/{integration_id}"
    assert (setup["webhook_base"], setup["voice_url"], setup["events_url"]) == (base, base + "/voice", base + "/events")
    assert setup["can_provision"] is False and setup["provisioned"] is False
    assert base + "/voice" in [s["value"] for s in setup["steps"]]
    assert all(s["label"] and not s["label"].startswith("telephony.manual.") for s in setup["steps"])
    ru = api("GET", f"/providers/{integration_id}/setup", headers={"Accept-Language": "ru"}).json()
    assert len(ru["steps"]) == len(setup["steps"])

    refused = api("POST", f"/providers/{integration_id}/setup/provision", {})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_failed"
    confirmed = api.ok("POST", f"/providers/{integration_id}/setup/confirm", {})
    assert confirmed["status"] == "active" and confirmed["connection"]["manual"]

    monkeypatch.setenv("IOPERATOR_WEBHOOK_BASE_URL", WEBHOOK_BASE)
    reset_settings()
    assert api.ok("GET", f"/providers/{integration_id}/setup")["can_provision"] is True
    provisioned = api.ok("POST", f"/providers/{integration_id}/setup/provision", {})
    assert provisioned["connection"]["provisioned"] and not provisioned["connection"]["manual"]
    assert len(phones.twilio.applications) == 1


# --- numbers ----------------------------------------------------------------------------------
@pytest.fixture
def three(owner: tuple[Tenant, Recorder], phones: Phones) -> tuple[Tenant, Recorder]:
    for slug in SLUGS:
        connect(owner[1], slug)
    return owner


def test_sync_report_and_list_filters(three: tuple[Tenant, Recorder], phones: Phones) -> None:
    _, api = three
    phones.twilio.add_number("+442079460000", friendly_name="London desk", capabilities={"voice": True, "sms": False})
    phones.twilio.add_number("+14155550100", friendly_name="Texts", capabilities={"voice": False, "sms": True})
    gone = phones.telnyx.add_numbers(2)[0]
    phones.vonage.add_numbers(3)

    report = api.ok("POST", "/numbers/sync", {})
    assert [(p["provider"], p["fetched"], p["added"], p["error"]) for p in report["providers"]] == [
        ("telnyx", 2, 2, ""),
        ("twilio", 2, 2, ""),
        ("vonage", 3, 3, ""),
    ]
    assert report["fetched"] == 7 and report["changed"] == 7
    again = api.ok("POST", "/numbers/sync", {})
    assert again["changed"] == 0 and again["fetched"] == 7

    [london] = api.ok("GET", "/numbers?search=london")
    assert london["display"] == "+44 20 7946 0000" and london["e164"] == "+442079460000"
    assert (london["country"], london["voice"], london["sms"], london["provider"]) == ("GB", True, False, "twilio")
    assert london["route"] == "none" and london["route_user_id"] is None and london["active"]
    assert api.ok("GET", "/numbers", params={"search": "+44 20 7946"}) == [london]
    assert [n["friendly_name"] for n in api.ok("GET", "/numbers?capability=sms&provider=twilio")] == ["Texts"]
    assert len(api.ok("GET", "/numbers?provider=vonage")) == 3
    assert len(api.ok("GET", "/numbers")) == 7
    assert api.ok("GET", f"/numbers/{london['id']}") == london

    phones.telnyx.remove_number(gone)
    assert [p["deactivated"] for p in api.ok("POST", "/numbers/sync", {})["providers"]] == [1, 0, 0]
    assert [n["active"] for n in api.ok("GET", "/numbers?state=inactive")] == [False]
    assert len(api.ok("GET", "/numbers?state=active")) == 6 and len(api.ok("GET", "/numbers?state=all")) == 7

    for query in ("state=gone", "capability=fax", "search=" + "x" * 101):
        bad = api("GET", "/numbers?" + query)
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_failed"
    assert api("GET", "/numbers/999999").status_code == 404


def test_a_failing_provider_is_reported_not_raised(three: tuple[Tenant, Recorder], phones: Phones) -> None:
    _, api = three
    phones.vonage.add_numbers(2)
    phones.vonage.fail_next("server_error", times=5)
    report = api.ok("POST", "/numbers/sync", {}, headers={"Accept-Language": "ru"})
    [failed] = [p for p in report["providers"] if p["error"]]
    assert failed["provider"] == "vonage" and failed["fetched"] == 0


def test_sync_needs_an_enabled_provider(owner: tuple[Tenant, Recorder], phones: Phones) -> None:
    _, api = owner
    refused = api("POST", "/numbers/sync", {})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "validation_failed"


def test_routing_user_external_none(three: tuple[Tenant, Recorder], db: Session, phones: Phones) -> None:
    tenant, api = three
    ref = phones.twilio.add_number("+14155550111")
    api.ok("POST", "/numbers/sync", {})
    [number] = api.ok("GET", "/numbers")
    anna = make_member(db, tenant, Role.OPERATOR, name="Anna")
    path = f"/numbers/{number['id']}/routing"

    routed = api.ok("PUT", path, {"mode": "user", "user_id": anna.id})
    assert (routed["route"], routed["route_user_id"], routed["route_user_name"]) == ("user", anna.id, "Anna")
    assert routed["routed_here"] and phones.twilio.numbers[ref]["voice_application_sid"].startswith("AP")
    assert [n["id"] for n in api.ok("GET", f"/users/{anna.id}")["numbers"]] == [number["id"]]

    for bad in ("12345", "", "+14155550111", "not a phone"):
        refused = api("PUT", path, {"mode": "external", "forward_to": bad})
        assert refused.status_code == 422 and refused.json()["error"]["field"] == "forward_to", bad
    assert api.ok("GET", f"/numbers/{number['id']}")["route"] == "user"  # nothing changed

    forwarded = api.ok("PUT", path, {"mode": "external", "forward_to": "+44 20 7946 0018"})
    assert (forwarded["route"], forwarded["forward_to"], forwarded["route_user_id"]) == (
        "external",
        "+442079460018",
        None,
    )
    assert forwarded["forward_to_display"] == "+44 20 7946 0018"
    assert api.ok("GET", f"/users/{anna.id}")["numbers"] == []

    cleared = api.ok("PUT", path, {"mode": "none"})
    assert (cleared["route"], cleared["forward_to"], cleared["route_user_id"]) == ("none", "", None)

    missing_user = api("PUT", path, {"mode": "user"})
    assert missing_user.status_code == 422 and missing_user.json()["error"]["field"] == "user_id"
    stranger = make_member(db, make_business(db), Role.OPERATOR)
    assert api("PUT", path, {"mode": "user", "user_id": stranger.id}).status_code == 404
    for body in ({"mode": "fax"}, {"mode": "none", "extra": 1}, {"mode": "external", "forward_to": "1" * 41}):
        assert api("PUT", path, body).status_code == 422
    assert api("PUT", "/numbers/999999/routing", {"mode": "none"}).status_code == 404


# --- members ----------------------------------------------------------------------------------
def prefs(**kw: Any) -> dict[str, Any]:
    return {
        "number_ids": [],
        "primary_number_id": None,
        "forwarding_number": "",
        "receive_in_browser": True,
        "forward_when_offline": False,
        "voicemail_enabled": True,
        **kw,
    }


def test_members_numbers_and_routing_agree(three: tuple[Tenant, Recorder], db: Session, phones: Phones) -> None:
    tenant, api = three
    phones.twilio.add_numbers(3)
    api.ok("POST", "/numbers/sync", {})
    one, two, three_ = (n["id"] for n in api.ok("GET", "/numbers"))
    anna = make_member(db, tenant, Role.OPERATOR, name="Anna")
    boris = make_member(db, tenant, Role.ADMIN, name="Boris")

    members = api.ok("GET", "/users")
    assert [m["name"] for m in members] == [tenant.owner.name, "Anna", "Boris"]
    assert members[1]["profile"] == {
        "presence": "offline",
        "presence_at": None,
        "primary_number_id": None,
        "forwarding_number": "",
        "receive_in_browser": True,
        "forward_when_offline": False,
        "voicemail_enabled": True,
    }

    updated = api.ok(
        "PUT",
        f"/users/{anna.id}",
        prefs(number_ids=[one, two], primary_number_id=two, forwarding_number="+49 151 12345678"),
    )
    assert {n["id"] for n in updated["numbers"]} == {one, two}
    assert updated["profile"]["primary_number_id"] == two
    assert updated["profile"]["forwarding_number"] == "+4915112345678"
    routed = {n["id"]: n for n in api.ok("GET", "/numbers")}
    assert routed[one]["route"] == "user" and routed[one]["route_user_name"] == "Anna"
    assert api.ok("GET", f"/users/{anna.id}") == updated

    # the Numbers side gives `two` to Boris: it leaves Anna and stops being her primary
    api.ok("PUT", f"/numbers/{two}/routing", {"mode": "user", "user_id": boris.id})
    members = {m["id"]: m for m in api.ok("GET", "/users")}
    assert [n["id"] for n in members[anna.id]["numbers"]] == [one]
    assert members[anna.id]["profile"]["primary_number_id"] is None
    assert [n["id"] for n in members[boris.id]["numbers"]] == [two]

    # a number forwarded outside and then given to Boris rings Boris only
    api.ok("PUT", f"/numbers/{three_}/routing", {"mode": "external", "forward_to": "+4915112345678"})
    api.ok("PUT", f"/users/{boris.id}", prefs(number_ids=[two, three_], primary_number_id=three_))
    assert api.ok("GET", f"/numbers/{three_}")["route_user_id"] == boris.id
    assert api.ok("GET", f"/numbers/{three_}")["forward_to"] == ""

    # every route_user_id shown on the Numbers side is in that member's list, and nothing else is
    numbers = api.ok("GET", "/numbers")
    for member in api.ok("GET", "/users"):
        assert {n["id"] for n in member["numbers"]} == {n["id"] for n in numbers if n["route_user_id"] == member["id"]}

    for body, field in (
        (prefs(primary_number_id=two), "primary_number_id"),
        (prefs(forward_when_offline=True), "forwarding_number"),
        (prefs(forwarding_number="12345"), "forwarding_number"),
    ):
        refused = api("PUT", f"/users/{anna.id}", body)
        assert refused.status_code == 422 and refused.json()["error"]["field"] == field
    assert api("PUT", f"/users/{anna.id}", prefs(number_ids=[999999])).status_code == 404
    for body in (
        {"number_ids": []},
        prefs(number_ids=["x"]),
        prefs(number_ids=[0]),
        prefs(forwarding_number="1" * 41),
        prefs(colour="red"),
    ):
        invalid = api("PUT", f"/users/{anna.id}", body)
        assert invalid.status_code == 422 and invalid.json()["error"]["code"] == "validation_failed"
    stranger = make_member(db, make_business(db), Role.OPERATOR)
    assert api("GET", f"/users/{stranger.id}").status_code == 404
    assert api("PUT", f"/users/{stranger.id}", prefs()).status_code == 404


def test_own_status(owner: tuple[Tenant, Recorder]) -> None:
    _, api = owner
    assert api.ok("GET", "/me/status") == {"presence": "offline"}
    assert api.ok("PUT", "/me/status", {"presence": "dnd"}) == {"presence": "dnd"}
    assert api.ok("GET", "/me/status") == {"presence": "dnd"}
    refused = api("PUT", "/me/status", {"presence": "asleep"})
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "presence"


# --- roles and auth ---------------------------------------------------------------------------
def test_operators_read_and_set_their_status_but_configure_nothing(
    client: TestClient, db: Session, phones: Phones, three: tuple[Tenant, Recorder]
) -> None:
    tenant, owner_api = three
    phones.twilio.add_numbers(1)
    owner_api.ok("POST", "/numbers/sync", {})
    [number] = owner_api.ok("GET", "/numbers")
    twilio_id = card(owner_api, "twilio")["connection"]["id"]
    operator = make_member(db, tenant, Role.OPERATOR, name="Olga")
    api = Recorder(sign_in(new_client(client), operator.email))

    for method, path, body in (
        ("POST", "/providers", {"provider": "twilio", "config": CONFIGS["twilio"]}),
        ("PUT", f"/providers/{twilio_id}", {"config": CONFIGS["twilio"]}),
        ("PATCH", f"/providers/{twilio_id}", {"enabled": False}),
        ("POST", f"/providers/{twilio_id}/default", {}),
        ("POST", f"/providers/{twilio_id}/test", {}),
        ("POST", f"/providers/{twilio_id}/setup/confirm", {}),
        ("POST", f"/providers/{twilio_id}/setup/provision", {}),
        ("DELETE", f"/providers/{twilio_id}", None),
        ("POST", "/numbers/sync", {}),
        ("PUT", f"/numbers/{number['id']}/routing", {"mode": "user", "user_id": operator.id}),
        ("PUT", f"/users/{operator.id}", prefs(number_ids=[number["id"]])),
    ):
        refused = api(method, path, body)
        assert refused.status_code == 403, (method, path, refused.text)
        assert refused.json()["error"]["code"] == "permission_denied"

    assert {p["slug"]: p["status"] for p in api.ok("GET", "/providers")} == dict.fromkeys(SLUGS, "active")
    assert api.ok("GET", "/numbers")[0]["route"] == "none"
    assert api.ok("GET", f"/numbers/{number['id']}")["id"] == number["id"]
    assert len(api.ok("GET", "/users")) == 2
    assert api.ok("GET", f"/users/{operator.id}")["numbers"] == []
    assert api.ok("PUT", "/me/status", {"presence": "online"}) == {"presence": "online"}
    assert api.ok("GET", "/me/status") == {"presence": "online"}
    # nothing changed for the owner
    assert card(owner_api, "twilio")["connection"]["enabled"] is True
    for text in api.seen:
        for secret in secret_values():
            assert secret not in text


def test_every_route_needs_a_signed_in_user(client: TestClient) -> None:
    spec = client.get("/api/openapi.json").json()
    routes = [
        (method.upper(), path)
        for path, operations in spec["paths"].items()
        if path.startswith(URL)
        for method in operations
    ]
    assert len(routes) == 19
    for method, path in routes:
        concrete = path.replace("{integration_id}", "1").replace("{number_id}", "1").replace("{user_id}", "1")
        response = client.request(method, concrete, json={} if method != "DELETE" else None)
        assert response.status_code == 401, (method, path)
        assert response.json()["error"]["code"] == "not_authenticated"
