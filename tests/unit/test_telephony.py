"""Telephony set-up through the services against the three fakes: connect (test, provision), statuses,
default and enable/disable, manual set-up, disconnect; number sync; routing; members' numbers and status."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from ioperator.core.config import reset_settings
from ioperator.core.errors import IntegrationFailed, NotFound, PermissionDenied, ValidationFailed
from ioperator.models.integration import Integration
from ioperator.models.telephony import PhoneNumber, Presence
from ioperator.models.user import Role
from ioperator.services import team, telephony_numbers, telephony_providers, telephony_users
from tests.factories import Tenant, context_for, make_business, make_member
from tests.telephony_env import CONFIGS, TWILIO_SID, VONAGE_APP, WEBHOOK_BASE, Phones
from tests.unit.test_auth_sessions import run


def connect(db: Session, tenant: Tenant, slug: str, **overrides: str) -> Integration:
    return run(
        telephony_providers.connect(session=db, tenant=tenant.ctx, provider=slug, values={**CONFIGS[slug], **overrides})
    )


def sync(db: Session, tenant: Tenant) -> telephony_numbers.SyncReport:
    return run(telephony_numbers.sync_numbers(session=db, tenant=tenant.ctx))


def statuses(db: Session, tenant: Tenant) -> dict[str, str]:
    return {v.cls.slug: v.status for v in telephony_providers.list_providers(session=db, tenant=tenant.ctx)}


# --- providers --------------------------------------------------------------------------------
@pytest.mark.parametrize("slug", ["telnyx", "twilio", "vonage"])
def test_connecting_tests_then_provisions_pointing_at_our_webhooks(db: Session, phones: Phones, slug: str) -> None:
    tenant = make_business(db, "Blue Door")
    row = connect(db, tenant, slug)
    assert row.found_title and row.status.value == "connected" and row.is_default
    assert statuses(db, tenant)[slug] == "active"
    base = f"{WEBHOOK_BASE}/webhooks/{slug}/{row.id}"
    fake = phones.fake(slug)
    if slug == "vonage":
        voice = fake.applications[VONAGE_APP]["capabilities"]["voice"]["webhooks"]
        assert voice["answer_url"]["address"] == base + "/voice" and voice["event_url"]["address"] == base + "/events"
    else:
        [app] = fake.applications.values()
        assert base + "/events" in str(app)
        assert "iOperator · Blue Door" in str(app)
    assert row.provider_state

    run(telephony_providers.disconnect(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    if slug == "vonage":
        assert base not in str(fake.applications[VONAGE_APP])
    else:
        assert fake.applications == {}
    assert statuses(db, tenant)[slug] == "not_configured" and not row.is_default


@pytest.mark.parametrize(
    ("slug", "bad", "field"),
    [
        ("telnyx", {"api_key": "KEY_wrong_key_000000"}, "api_key"),
        ("twilio", {"auth_token": "0" * 32}, "auth_token"),
        ("vonage", {"api_secret": "WrongSecret00000"}, "api_secret"),
    ],
)
def test_refused_credentials_store_nothing_and_create_nothing(
    db: Session, phones: Phones, slug: str, bad: dict[str, str], field: str
) -> None:
    tenant = make_business(db)
    with pytest.raises(IntegrationFailed) as err:
        connect(db, tenant, slug, **bad)
    assert err.value.adapter_key == "invalid_auth" and err.value.field == field
    assert next(iter(bad.values())) not in err.value.message()
    assert db.exec(select(Integration)).all() == []
    assert statuses(db, tenant)[slug] == "not_configured"


def test_without_a_public_url_the_owner_sets_it_up_by_hand(
    db: Session, phones: Phones, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IOPERATOR_WEBHOOK_BASE_URL", "http://localhost:3000")
    reset_settings()
    tenant = make_business(db, "Blue Door")
    row = connect(db, tenant, "twilio")
    assert phones.twilio.applications == {} and row.provider_state == {}
    assert statuses(db, tenant)["twilio"] == "configured"
    steps = telephony_providers.manual_steps(session=db, tenant=tenant.ctx, integration_id=row.id or 0)
    values = [s.value for s in steps]
    assert f"http://localhost:3000/webhooks/twilio/{row.id}/voice" in values
    with pytest.raises(ValidationFailed):  # no https address: cannot provision now
        run(telephony_providers.provision_now(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    telephony_providers.confirm_manual_setup(session=db, tenant=tenant.ctx, integration_id=row.id or 0)
    assert statuses(db, tenant)["twilio"] == "active"

    # later a public address is configured: iOperator can take over
    monkeypatch.setenv("IOPERATOR_WEBHOOK_BASE_URL", WEBHOOK_BASE)
    reset_settings()
    run(telephony_providers.provision_now(session=db, tenant=tenant.ctx, integration_id=row.id or 0))
    assert len(phones.twilio.applications) == 1 and row.provider_state.get("twiml_app_sid")


def test_one_default_enable_disable_and_reconnecting_keeps_the_application(db: Session, phones: Phones) -> None:
    tenant = make_business(db)
    twilio, telnyx = connect(db, tenant, "twilio"), connect(db, tenant, "telnyx")
    assert twilio.is_default and not telnyx.is_default
    telephony_providers.make_default(session=db, tenant=tenant.ctx, integration_id=telnyx.id or 0)
    db.refresh(twilio)
    assert telnyx.is_default and not twilio.is_default
    # the database itself refuses a second default
    with pytest.raises(sa.exc.IntegrityError), db.begin_nested():
        db.execute(sa.text("UPDATE integration SET is_default = true WHERE id = :id"), {"id": twilio.id})

    telephony_providers.set_enabled(session=db, tenant=tenant.ctx, integration_id=telnyx.id or 0, enabled=False)
    db.refresh(twilio)
    assert not telnyx.is_default and twilio.is_default  # the only enabled one left takes over
    assert statuses(db, tenant) == {"telnyx": "configured", "twilio": "active", "vonage": "not_configured"}
    with pytest.raises(ValidationFailed):
        telephony_providers.make_default(session=db, tenant=tenant.ctx, integration_id=telnyx.id or 0)

    app_sid = twilio.provider_state["twiml_app_sid"]
    again = connect(db, tenant, "twilio", auth_token="")  # blank secret keeps the stored one
    assert again.id == twilio.id and again.provider_state["twiml_app_sid"] == app_sid
    assert list(phones.twilio.applications) == [app_sid]


def test_operators_cannot_configure(db: Session, phones: Phones) -> None:
    tenant = make_business(db)
    row = connect(db, tenant, "twilio")
    operator = context_for(make_member(db, tenant, Role.OPERATOR))
    with pytest.raises(PermissionDenied):
        run(telephony_providers.connect(session=db, tenant=operator, provider="telnyx", values=CONFIGS["telnyx"]))
    with pytest.raises(PermissionDenied):
        telephony_providers.set_enabled(session=db, tenant=operator, integration_id=row.id or 0, enabled=False)
    with pytest.raises(PermissionDenied):
        telephony_providers.make_default(session=db, tenant=operator, integration_id=row.id or 0)
    with pytest.raises(PermissionDenied):
        run(telephony_numbers.sync_numbers(session=db, tenant=operator))


# --- number sync ------------------------------------------------------------------------------
@pytest.fixture
def three(db: Session, phones: Phones) -> Iterator[Tenant]:
    tenant = make_business(db)
    for slug in ("telnyx", "twilio", "vonage"):
        connect(db, tenant, slug)
    yield tenant


def test_sync_pages_through_every_provider_and_is_safe_to_repeat(db: Session, phones: Phones, three: Tenant) -> None:
    phones.telnyx.max_page_size = 7
    phones.twilio.max_page_size = 7
    phones.telnyx.add_numbers(20)
    phones.twilio.add_numbers(15)
    phones.vonage.add_numbers(230)  # Vonage serves 100 a page
    phones.twilio.add_number("+442079460000", friendly_name="London desk")
    report = sync(db, three)
    assert [(p.provider, p.fetched, p.added) for p in report.providers] == [
        ("telnyx", 20, 20),
        ("twilio", 16, 16),
        ("vonage", 230, 230),
    ]
    numbers = telephony_numbers.list_numbers(session=db, tenant=three.ctx)
    assert len(numbers) == 266 and all(n.e164.startswith("+") for n in numbers)
    london = next(n for n in numbers if n.friendly_name == "London desk")
    assert (london.country, london.voice, london.provider) == ("GB", True, "twilio")
    assert len(phones.twilio.calls("/2010-04-01/Accounts/" + TWILIO_SID + "/IncomingPhoneNumbers.json")) >= 3

    statements: list[str] = []
    engine = db.get_bind()
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    sa.event.listen(engine, "before_cursor_execute", listener)
    try:
        again = sync(db, three)
    finally:
        sa.event.remove(engine, "before_cursor_execute", listener)
    assert again.changed == 0 and again.fetched == 266
    writes = [s for s in statements if s.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    assert writes == []


def test_numbers_gone_at_the_provider_become_inactive_and_come_back(db: Session, phones: Phones, three: Tenant) -> None:
    refs = phones.twilio.add_numbers(3)
    sync(db, three)
    phones.twilio.remove_number(refs[0])
    report = sync(db, three)
    assert [p.deactivated for p in report.providers] == [0, 1, 0]
    inactive = telephony_numbers.list_numbers(session=db, tenant=three.ctx, state="inactive")
    assert [n.provider_ref for n in inactive] == [refs[0]]
    assert len(telephony_numbers.list_numbers(session=db, tenant=three.ctx, state="all")) == 3


def test_a_failing_provider_leaves_its_numbers_alone(db: Session, phones: Phones, three: Tenant) -> None:
    phones.vonage.add_numbers(4)
    phones.twilio.add_numbers(2)
    sync(db, three)
    phones.vonage.fail_next("server_error", times=5)
    phones.twilio.remove_number(next(iter(phones.twilio.numbers)))
    report = sync(db, three)
    [failed] = report.failed
    assert failed.provider == "vonage" and "reach" in failed.error.lower()
    assert len(telephony_numbers.list_numbers(session=db, tenant=three.ctx, provider="vonage")) == 4
    assert len(telephony_numbers.list_numbers(session=db, tenant=three.ctx, provider="twilio")) == 1


def test_disabled_providers_are_not_synced_and_a_sync_needs_one(db: Session, phones: Phones) -> None:
    tenant = make_business(db)
    with pytest.raises(ValidationFailed):
        sync(db, tenant)
    row = connect(db, tenant, "twilio")
    phones.twilio.add_numbers(2)
    telephony_providers.set_enabled(session=db, tenant=tenant.ctx, integration_id=row.id or 0, enabled=False)
    with pytest.raises(ValidationFailed):
        sync(db, tenant)


def test_filters_and_search(db: Session, phones: Phones, three: Tenant) -> None:
    phones.twilio.add_number("+442079460000", friendly_name="London desk", capabilities={"voice": True, "sms": False})
    phones.twilio.add_number("+14155550100", friendly_name="Texts", capabilities={"voice": False, "sms": True})
    phones.telnyx.add_numbers(2)
    sync(db, three)

    def find(**kw: str) -> list[str]:
        return [n.friendly_name or n.e164 for n in telephony_numbers.list_numbers(session=db, tenant=three.ctx, **kw)]

    assert find(search="london") == ["London desk"]
    assert find(search="+44 20 7946") == ["London desk"]
    assert find(capability="sms", provider="twilio") == ["Texts"]
    assert len(find(provider="telnyx")) == 2


# --- routing and members ----------------------------------------------------------------------
def _numbers(db: Session, tenant: Tenant) -> list[PhoneNumber]:
    return telephony_numbers.list_numbers(session=db, tenant=tenant.ctx)


def test_routing_to_a_member_points_the_number_here_and_is_the_members_number(
    db: Session, phones: Phones, three: Tenant
) -> None:
    ref = phones.twilio.add_number("+14155550111")
    sync(db, three)
    number = next(n for n in _numbers(db, three) if n.provider_ref == ref)
    assert not number.routed_here
    anna = make_member(db, three, Role.OPERATOR, name="Anna")
    run(
        telephony_numbers.set_routing(
            session=db, tenant=three.ctx, number_id=number.id or 0, mode="user", user_id=anna.id
        )
    )
    assert number.routed_here and phones.twilio.numbers[ref]["voice_application_sid"].startswith("AP")
    member = telephony_users.get_member(session=db, tenant=three.ctx, user_id=anna.id or 0)
    assert [n.id for n in member.numbers] == [number.id]
    # and the next sync agrees with the provider
    assert sync(db, three).changed == 0


def test_forwarding_is_validated_and_excludes_ringing_a_member(db: Session, phones: Phones, three: Tenant) -> None:
    phones.telnyx.add_number("+14155550122")
    sync(db, three)
    [number] = _numbers(db, three)
    for bad, field in (("", "forward_to"), ("12345", "forward_to"), (number.e164, "forward_to")):
        with pytest.raises(ValidationFailed) as err:
            run(
                telephony_numbers.set_routing(
                    session=db, tenant=three.ctx, number_id=number.id or 0, mode="external", forward_to=bad
                )
            )
        assert err.value.field == field
    run(
        telephony_numbers.set_routing(
            session=db, tenant=three.ctx, number_id=number.id or 0, mode="external", forward_to="+44 20 7946 0018"
        )
    )
    assert number.forward_to == "+442079460018" and number.route_user_id is None
    assert telephony_numbers.route_of(number) == "external"
    with pytest.raises(ValidationFailed):
        run(telephony_numbers.set_routing(session=db, tenant=three.ctx, number_id=number.id or 0, mode="fax"))


def test_routing_refuses_other_businesses_members_and_inactive_numbers(
    db: Session, phones: Phones, three: Tenant
) -> None:
    ref = phones.vonage.add_numbers(1)[0]
    sync(db, three)
    [number] = _numbers(db, three)
    stranger = make_member(db, make_business(db), Role.OPERATOR)
    with pytest.raises(NotFound):
        run(
            telephony_numbers.set_routing(
                session=db, tenant=three.ctx, number_id=number.id or 0, mode="user", user_id=stranger.id
            )
        )
    phones.vonage.remove_number(ref)
    sync(db, three)
    with pytest.raises(ValidationFailed):
        run(
            telephony_numbers.set_routing(
                session=db, tenant=three.ctx, number_id=number.id or 0, mode="user", user_id=three.owner.id
            )
        )


def test_members_numbers_and_routing_stay_consistent_from_either_side(
    db: Session, phones: Phones, three: Tenant
) -> None:
    phones.twilio.add_numbers(3)
    sync(db, three)
    one, two, three_ = _numbers(db, three)
    anna = make_member(db, three, Role.OPERATOR, name="Anna")
    boris = make_member(db, three, Role.ADMIN, name="Boris")

    def update(user_id: int, ids: list[int], primary: int | None, **kw: object) -> telephony_users.MemberTelephony:
        values = {
            "forwarding_number": "",
            "receive_in_browser": True,
            "forward_when_offline": False,
            "voicemail_enabled": True,
            **kw,
        }
        return run(
            telephony_users.update_member(
                session=db,
                tenant=three.ctx,
                user_id=user_id,
                number_ids=ids,
                primary_number_id=primary,
                **values,  # type: ignore[arg-type]
            )
        )

    anna_view = update(anna.id or 0, [one.id or 0, two.id or 0], two.id, forwarding_number="+4915112345678")
    assert {n.id for n in anna_view.numbers} == {one.id, two.id}
    assert anna_view.profile.primary_number_id == two.id
    assert telephony_numbers.route_of(one) == "user" and one.route_user_id == anna.id

    # the Numbers page gives `two` to Boris: it leaves Anna and stops being her primary
    run(
        telephony_numbers.set_routing(
            session=db, tenant=three.ctx, number_id=two.id or 0, mode="user", user_id=boris.id
        )
    )
    anna_view = telephony_users.get_member(session=db, tenant=three.ctx, user_id=anna.id or 0)
    assert [n.id for n in anna_view.numbers] == [one.id] and anna_view.profile.primary_number_id is None

    # the Users page takes `one` away from Anna: it rings nobody now
    update(anna.id or 0, [], None)
    assert telephony_numbers.route_of(one) == "none"
    # forwarding `three_` outside, then assigning it to Boris, makes it ring Boris only
    run(
        telephony_numbers.set_routing(
            session=db, tenant=three.ctx, number_id=three_.id or 0, mode="external", forward_to="+4915112345678"
        )
    )
    update(boris.id or 0, [two.id or 0, three_.id or 0], three_.id)
    assert three_.forward_to == "" and three_.route_user_id == boris.id

    # bad input: a primary that is not theirs, offline forwarding without a number
    with pytest.raises(ValidationFailed) as err:
        update(anna.id or 0, [], two.id)
    assert err.value.field == "primary_number_id"
    with pytest.raises(ValidationFailed) as err:
        update(anna.id or 0, [], None, forward_when_offline=True)
    assert err.value.field == "forwarding_number"

    # removing a member frees their numbers
    team.remove_member(session=db, tenant=three.ctx, user_id=boris.id or 0)
    db.expire_all()
    assert all(telephony_numbers.route_of(n) == "none" for n in _numbers(db, three))


def test_members_set_their_own_status(db: Session, phones: Phones) -> None:
    tenant = make_business(db)
    operator = context_for(make_member(db, tenant, Role.OPERATOR))
    assert telephony_users.own_presence(session=db, tenant=operator) is Presence.OFFLINE
    telephony_users.set_presence(session=db, tenant=operator, presence="dnd")
    assert telephony_users.own_presence(session=db, tenant=operator) is Presence.DND
    with pytest.raises(ValidationFailed):
        telephony_users.set_presence(session=db, tenant=operator, presence="asleep")
    with pytest.raises(PermissionDenied):
        run(
            telephony_users.update_member(
                session=db,
                tenant=operator,
                user_id=operator.user_id or 0,
                number_ids=[],
                primary_number_id=None,
                forwarding_number="",
                receive_in_browser=True,
                forward_when_offline=False,
                voicemail_enabled=True,
            )
        )
