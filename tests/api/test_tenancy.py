"""Tenancy: for every service function and API route that takes an id, business B cannot read or
change business A's rows; every attempt fails as "not found" (and changes nothing).

When a new service function or route takes an id, add it to the tables below: the completeness
tests fail until it is covered.
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, func, select

import ioperator.services
from ioperator.adapters.channels.base import InboundMessage
from ioperator.api import build_api
from ioperator.core.db import utcnow
from ioperator.core.errors import NotFound
from ioperator.models.auth import AuthSession
from ioperator.models.inbox import Conversation
from ioperator.models.integration import Integration, IntegrationEvent, IntegrationStatus
from ioperator.models.telephony import PhoneNumber
from ioperator.models.user import MemberUpdate, Role, User
from ioperator.services import (
    accounts,
    api_keys,
    auth_sessions,
    crm_sync,
    inbox,
    integration_events,
    integrations,
    prompts,
    team,
    telephony_numbers,
    telephony_providers,
    telephony_users,
)
from tests.api.conftest import sign_in
from tests.factories import Tenant, context_for, make_business, make_member
from tests.integration_env import TG_TOKEN, Fakes
from tests.telephony_env import CONFIGS as PHONE_CONFIGS
from tests.telephony_env import Phones
from tests.unit.test_auth_sessions import run


@dataclass
class World:
    a: Tenant
    b: Tenant
    a_member: User
    a_integration: Integration
    a_conversation_id: int
    a_prompt_id: int
    a_variable_id: int
    a_key_id: int
    a_phone_provider_id: int
    a_number_id: int


@pytest.fixture
def world(db: Session, fakes: Fakes, phones: Phones) -> World:
    a, b = make_business(db, "Alpha"), make_business(db, "Bravo")
    member = make_member(db, a, Role.OPERATOR, name="Alpha Operator")
    integration = run(
        integrations.connect(session=db, tenant=a.ctx, provider="telegram", values={"bot_token": TG_TOKEN})
    )
    inbox.store_inbound(
        session=db,
        integration=integration,
        messages=[
            InboundMessage(
                provider_message_id="1:1",
                chat_id="1",
                sender_id="1",
                sender_name="Alpha Customer",
                sender_username="",
                sender_phone="",
                text="hello",
                sent_at=utcnow(),
            )
        ],
    )
    conversation = db.exec(select(Conversation).where(Conversation.integration_id == integration.id)).one()
    prompt, _ = prompts.create_prompt(session=db, tenant=a.ctx, name="Alpha prompt", template_slug="salon")
    variable = prompts.set_custom_variable(session=db, tenant=a.ctx, name="alpha_secret", value="Alpha only")
    phones.twilio.add_number("+14155550199", friendly_name="Alpha line")
    phone_provider = run(
        telephony_providers.connect(session=db, tenant=a.ctx, provider="twilio", values=PHONE_CONFIGS["twilio"])
    )
    run(telephony_numbers.sync_numbers(session=db, tenant=a.ctx))
    [number] = telephony_numbers.list_numbers(session=db, tenant=a.ctx)
    return World(
        a=a,
        b=b,
        a_member=member,
        a_integration=integration,
        a_conversation_id=conversation.id or 0,
        a_prompt_id=prompt.id or 0,
        a_variable_id=variable.id or 0,
        a_key_id=api_keys.create_key(session=db, tenant=a.ctx, name="Alpha engine").key.id or 0,
        a_phone_provider_id=phone_provider.id or 0,
        a_number_id=number.id or 0,
    )


# --- services -------------------------------------------------------------------------------
# name -> call made by business B's owner with the id of a row of business A
SERVICE_ATTEMPTS: dict[str, Callable[[Session, World], Any]] = {
    "accounts.get_user_or_raise": lambda db, w: accounts.get_user_or_raise(
        session=db, tenant=w.b.ctx, user_id=w.a_member.id
    ),
    "team.get_member_or_raise": lambda db, w: team.get_member_or_raise(
        session=db, tenant=w.b.ctx, user_id=w.a_member.id
    ),
    "team.update_member": lambda db, w: team.update_member(
        session=db, tenant=w.b.ctx, user_id=w.a_member.id, member_in=MemberUpdate(role=Role.OWNER, name="Pwned")
    ),
    "team.remove_member": lambda db, w: team.remove_member(session=db, tenant=w.b.ctx, user_id=w.a_member.id),
    "auth_sessions.end_own_session": lambda db, w: auth_sessions.end_own_session(
        session=db, tenant=w.b.ctx, session_id=_a_session_id(db, w)
    ),
    "integrations.get_integration_or_raise": lambda db, w: integrations.get_integration_or_raise(
        session=db, tenant=w.b.ctx, integration_id=w.a_integration.id
    ),
    "integrations.connect": lambda db, w: run(
        integrations.connect(
            session=db,
            tenant=w.b.ctx,
            provider="telegram",
            values={"bot_token": TG_TOKEN},
            integration_id=w.a_integration.id,
        )
    ),
    "integrations.test": lambda db, w: run(
        integrations.test(session=db, tenant=w.b.ctx, integration_id=w.a_integration.id)
    ),
    "integrations.disconnect": lambda db, w: run(
        integrations.disconnect(session=db, tenant=w.b.ctx, integration_id=w.a_integration.id)
    ),
    "integration_events.list_events": lambda db, w: integration_events.list_events(
        session=db, tenant=w.b.ctx, integration_id=w.a_integration.id
    ),
    "inbox.list_conversation_messages": lambda db, w: inbox.list_conversation_messages(
        session=db, tenant=w.b.ctx, conversation_id=w.a_conversation_id
    ),
    "crm_sync.sync_catalog": lambda db, w: run(
        crm_sync.sync_catalog(session=db, tenant=w.b.ctx, integration_id=w.a_integration.id or 0)
    ),
    "crm_sync.catalog_counts": lambda db, w: crm_sync.catalog_counts(
        session=db, tenant=w.b.ctx, integration_id=w.a_integration.id or 0
    ),
    "crm_sync.list_services": lambda db, w: crm_sync.list_services(
        session=db, tenant=w.b.ctx, integration_id=w.a_integration.id or 0
    ),
    "crm_sync.list_staff": lambda db, w: crm_sync.list_staff(
        session=db, tenant=w.b.ctx, integration_id=w.a_integration.id or 0
    ),
    "prompts.get_prompt_or_raise": lambda db, w: prompts.get_prompt_or_raise(
        session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id
    ),
    "prompts.activate": lambda db, w: prompts.activate(session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id),
    "prompts.save_version": lambda db, w: prompts.save_version(
        session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id, source="## Role\nPwned", base_version=1
    ),
    "prompts.restore_version": lambda db, w: prompts.restore_version(
        session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id, number=1
    ),
    "prompts.list_versions": lambda db, w: prompts.list_versions(session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id),
    "prompts.get_version_or_raise": lambda db, w: prompts.get_version_or_raise(
        session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id, number=1
    ),
    "prompts.diff_versions": lambda db, w: prompts.diff_versions(
        session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id, old=1, new=1
    ),
    "prompts.render": lambda db, w: prompts.render(session=db, tenant=w.b.ctx, prompt_id=w.a_prompt_id),
    "prompts.delete_custom_variable": lambda db, w: prompts.delete_custom_variable(
        session=db, tenant=w.b.ctx, variable_id=w.a_variable_id
    ),
    "api_keys.get_key_or_raise": lambda db, w: api_keys.get_key_or_raise(session=db, tenant=w.b.ctx, key_id=w.a_key_id),
    "api_keys.revoke_key": lambda db, w: api_keys.revoke_key(session=db, tenant=w.b.ctx, key_id=w.a_key_id),
    "telephony_providers.get_provider_or_raise": lambda db, w: telephony_providers.get_provider_or_raise(
        session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id
    ),
    "telephony_providers.connect": lambda db, w: run(
        telephony_providers.connect(
            session=db,
            tenant=w.b.ctx,
            provider="twilio",
            values=PHONE_CONFIGS["twilio"],
            integration_id=w.a_phone_provider_id,
        )
    ),
    "telephony_providers.test": lambda db, w: run(
        telephony_providers.test(session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id)
    ),
    "telephony_providers.disconnect": lambda db, w: run(
        telephony_providers.disconnect(session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id)
    ),
    "telephony_providers.set_enabled": lambda db, w: telephony_providers.set_enabled(
        session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id, enabled=False
    ),
    "telephony_providers.make_default": lambda db, w: telephony_providers.make_default(
        session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id
    ),
    "telephony_providers.manual_steps": lambda db, w: telephony_providers.manual_steps(
        session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id
    ),
    "telephony_providers.confirm_manual_setup": lambda db, w: telephony_providers.confirm_manual_setup(
        session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id
    ),
    "telephony_providers.provision_now": lambda db, w: run(
        telephony_providers.provision_now(session=db, tenant=w.b.ctx, integration_id=w.a_phone_provider_id)
    ),
    "telephony_numbers.get_number_or_raise": lambda db, w: telephony_numbers.get_number_or_raise(
        session=db, tenant=w.b.ctx, number_id=w.a_number_id
    ),
    "telephony_numbers.set_routing": lambda db, w: run(
        telephony_numbers.set_routing(
            session=db, tenant=w.b.ctx, number_id=w.a_number_id, mode="user", user_id=w.b.owner.id
        )
    ),
    "telephony_numbers.set_routing(user)": lambda db, w: run(
        telephony_numbers.set_routing(
            session=db, tenant=w.b.ctx, number_id=_b_number(db, w), mode="user", user_id=w.a_member.id
        )
    ),
    "telephony_users.get_member": lambda db, w: telephony_users.get_member(
        session=db, tenant=w.b.ctx, user_id=w.a_member.id or 0
    ),
    "telephony_users.update_member": lambda db, w: run(
        telephony_users.update_member(
            session=db,
            tenant=w.b.ctx,
            user_id=w.a_member.id or 0,
            number_ids=[],
            primary_number_id=None,
            forwarding_number="",
            receive_in_browser=True,
            forward_when_offline=False,
            voicemail_enabled=True,
        )
    ),
    "telephony_users.update_member(number)": lambda db, w: run(
        telephony_users.update_member(
            session=db,
            tenant=w.b.ctx,
            user_id=w.b.owner.id or 0,
            number_ids=[w.a_number_id],
            primary_number_id=w.a_number_id,
            forwarding_number="",
            receive_in_browser=True,
            forward_when_offline=False,
            voicemail_enabled=True,
        )
    ),
}
# Functions that take an id but answer None / do nothing instead of raising.
SERVICE_SILENT: dict[str, Callable[[Session, World], Any]] = {
    "accounts.get_user": lambda db, w: accounts.get_user(session=db, tenant=w.b.ctx, user_id=w.a_member.id),
    "integrations.get_integration": lambda db, w: integrations.get_integration(
        session=db, tenant=w.b.ctx, integration_id=w.a_integration.id
    ),
    "auth_sessions.end_user_sessions": lambda db, w: auth_sessions.end_user_sessions(
        session=db, tenant=w.b.ctx, user_id=w.a_member.id
    ),
}


@pytest.mark.parametrize("name", sorted(SERVICE_ATTEMPTS))
def test_service_refuses_other_business_rows_as_not_found(db: Session, world: World, name: str) -> None:
    before = _snapshot(db, world.a_member)
    with pytest.raises(NotFound):
        SERVICE_ATTEMPTS[name](db, world)
    assert _snapshot(db, world.a_member) == before


def test_silent_services_return_nothing_and_change_nothing(db: Session, world: World) -> None:
    token = auth_sessions.exchange_ticket(
        session=db, ticket=auth_sessions.start_session(session=db, user=world.a_member)
    )
    assert SERVICE_SILENT["accounts.get_user"](db, world) is None
    assert SERVICE_SILENT["integrations.get_integration"](db, world) is None
    SERVICE_SILENT["auth_sessions.end_user_sessions"](db, world)
    assert auth_sessions.resolve(session=db, token=token) is not None


def test_every_service_function_taking_an_id_is_covered() -> None:
    covered = {name.split("(")[0] for name in SERVICE_ATTEMPTS} | set(SERVICE_SILENT)
    found = set()
    for module_info in pkgutil.iter_modules(ioperator.services.__path__):
        module = importlib.import_module(f"ioperator.services.{module_info.name}")
        for fname, fn in inspect.getmembers(module, inspect.isfunction):
            if fn.__module__ != module.__name__ or fname.startswith("_"):
                continue
            if any(p.endswith("_id") for p in inspect.signature(fn).parameters):
                found.add(f"{module_info.name}.{fname}")
    assert found, "the scan found no functions"
    assert found - covered == set(), "add these to the tenancy tables"


# --- API routes -----------------------------------------------------------------------------
ROUTE_ATTEMPTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("GET", "/api/v1/team/members/{user_id}", None),
    ("PATCH", "/api/v1/team/members/{user_id}", {"role": "owner", "name": "Pwned"}),
    ("DELETE", "/api/v1/team/members/{user_id}", None),
    ("DELETE", "/api/v1/me/sessions/{session_id}", None),
    ("GET", "/api/v1/integrations/{integration_id}", None),
    ("PUT", "/api/v1/integrations/{integration_id}", {"config": {"bot_token": TG_TOKEN}}),
    ("POST", "/api/v1/integrations/{integration_id}/test", {}),
    ("DELETE", "/api/v1/integrations/{integration_id}", None),
    ("GET", "/api/v1/integrations/{integration_id}/events", None),
    ("POST", "/api/v1/integrations/{integration_id}/sync", {}),
    ("GET", "/api/v1/prompts/{prompt_id}", None),
    ("POST", "/api/v1/prompts/{prompt_id}/activate", {}),
    ("GET", "/api/v1/prompts/{prompt_id}/versions", None),
    ("POST", "/api/v1/prompts/{prompt_id}/versions", {"source": "## Role\nPwned", "base_version": 1}),
    ("GET", "/api/v1/prompts/{prompt_id}/versions/{number}", None),
    ("POST", "/api/v1/prompts/{prompt_id}/versions/{number}/restore", {}),
    ("GET", "/api/v1/prompts/{prompt_id}/diff?old=1&new=1", None),
    ("GET", "/api/v1/prompts/{prompt_id}/rendered", None),
    ("DELETE", "/api/v1/prompts/variables/{variable_id}", None),
    ("DELETE", "/api/v1/api-keys/{key_id}", None),
    ("PUT", "/api/v1/telephony/providers/{phone_provider_id}", {"config": PHONE_CONFIGS["twilio"]}),
    ("PATCH", "/api/v1/telephony/providers/{phone_provider_id}", {"enabled": False}),
    ("DELETE", "/api/v1/telephony/providers/{phone_provider_id}", None),
    ("POST", "/api/v1/telephony/providers/{phone_provider_id}/test", {}),
    ("POST", "/api/v1/telephony/providers/{phone_provider_id}/default", {}),
    ("GET", "/api/v1/telephony/providers/{phone_provider_id}/setup", None),
    ("POST", "/api/v1/telephony/providers/{phone_provider_id}/setup/confirm", {}),
    ("POST", "/api/v1/telephony/providers/{phone_provider_id}/setup/provision", {}),
    ("GET", "/api/v1/telephony/numbers/{number_id}", None),
    ("PUT", "/api/v1/telephony/numbers/{number_id}/routing", {"mode": "external", "forward_to": "+4915112345678"}),
    ("GET", "/api/v1/telephony/users/{user_id}", None),
    (
        "PUT",
        "/api/v1/telephony/users/{user_id}",
        {
            "number_ids": [],
            "primary_number_id": None,
            "forwarding_number": "",
            "receive_in_browser": True,
            "forward_when_offline": False,
            "voicemail_enabled": True,
        },
    ),
]
# Routes authenticated by an API key, whose ids are the key's own CRM's (tested in test_bot_api.py:
# a key of B cancelling A's booking id reaches only B's CRM).
KEY_ROUTES = {("DELETE", "/api/v1/bot/bookings/{booking_id}")}


@pytest.mark.parametrize(("method", "path", "body"), ROUTE_ATTEMPTS)
def test_route_refuses_other_business_rows_as_not_found(
    client: TestClient, db: Session, world: World, method: str, path: str, body: dict[str, Any] | None
) -> None:
    sign_in(client, world.b.owner.email)
    before = _snapshot(db, world.a_member)
    a_session = _a_session_id(db, world)
    response = client.request(
        method,
        path.format(
            user_id=world.a_member.id,
            session_id=a_session,
            integration_id=world.a_integration.id,
            prompt_id=world.a_prompt_id,
            number=1,
            variable_id=world.a_variable_id,
            key_id=world.a_key_id,
            phone_provider_id=world.a_phone_provider_id,
            number_id=world.a_number_id,
        ),
        json=body,
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert "Alpha" not in response.text and world.a_member.email not in response.text
    assert _snapshot(db, world.a_member) == before
    assert db.get(AuthSession, a_session) is not None
    db.refresh(world.a_integration)
    assert world.a_integration.status is IntegrationStatus.CONNECTED
    assert TG_TOKEN in json.dumps(integrations.stored_secrets(world.a_integration))
    assert all(key.revoked_at is None for key in api_keys.list_keys(session=db, tenant=world.a.ctx))


def test_lists_show_only_the_own_business(client: TestClient, world: World) -> None:
    sign_in(client, world.b.owner.email)
    emails = [m["email"] for m in client.get("/api/v1/team/members").json()]
    assert emails == [world.b.owner.email]
    assert client.get("/api/v1/business").json()["name"] == "Bravo"


def test_every_route_taking_an_id_is_covered() -> None:
    covered = {
        (method, path.split("?")[0].replace("{phone_provider_id}", "{integration_id}"))
        for method, path, _ in ROUTE_ATTEMPTS
    } | KEY_ROUTES
    found = {
        (method.upper(), path)
        for path, operations in build_api().openapi()["paths"].items()
        if "{" in path
        for method in operations
    }
    assert found, "the scan found no routes"
    assert found - covered == set(), "add these to ROUTE_ATTEMPTS"


def _b_number(db: Session, world: World) -> int:
    """A number of business B (same Twilio account at the fake: its own row in B's business)."""
    existing = telephony_numbers.list_numbers(session=db, tenant=world.b.ctx)
    if not existing:
        run(
            telephony_providers.connect(
                session=db, tenant=world.b.ctx, provider="twilio", values=PHONE_CONFIGS["twilio"]
            )
        )
        run(telephony_numbers.sync_numbers(session=db, tenant=world.b.ctx))
        existing = telephony_numbers.list_numbers(session=db, tenant=world.b.ctx)
    return existing[0].id or 0


def _a_session_id(db: Session, world: World) -> int:
    """A live session of business A's member (created once per test)."""
    existing = auth_sessions.list_sessions(session=db, tenant=context_for(world.a_member))
    if existing:
        return existing[0].id or 0
    auth_sessions.exchange_ticket(session=db, ticket=auth_sessions.start_session(session=db, user=world.a_member))
    return auth_sessions.list_sessions(session=db, tenant=context_for(world.a_member))[0].id or 0


def _snapshot(db: Session, user: User) -> tuple[Any, ...]:
    db.expire_all()
    row = db.get(User, user.id)
    events = db.exec(
        select(func.count()).select_from(IntegrationEvent).where(IntegrationEvent.business_id == user.business_id)
    ).one()
    numbers = db.exec(
        select(PhoneNumber.route_user_id, PhoneNumber.forward_to, PhoneNumber.active).where(
            PhoneNumber.business_id == user.business_id
        )
    ).all()
    providers = db.exec(
        select(Integration.status, Integration.enabled, Integration.is_default).where(
            Integration.business_id == user.business_id
        )
    ).all()
    return (row.name, row.role, row.business_id, events, numbers, providers) if row else ()
