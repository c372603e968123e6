"""Roles: owners and admins manage; operators read; the last owner stays."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from ioperator.core.errors import Conflict, PermissionDenied, ValidationFailed
from ioperator.models.business import BusinessUpdate
from ioperator.models.user import MemberCreate, MemberUpdate, Role
from ioperator.services import auth_sessions, business, onboarding, team
from tests.factories import PASSWORD, context_for, make_business, make_member


def new_member(role: Role = Role.OPERATOR, email: str = "new@example.com") -> MemberCreate:
    return MemberCreate(email=email, name="New", role=role, password=PASSWORD)


def test_owner_adds_lists_and_removes_members(db: Session) -> None:
    tenant = make_business(db)
    member = team.add_member(session=db, tenant=tenant.ctx, member_in=new_member())
    assert member.business_id == tenant.business.id and member.role is Role.OPERATOR
    assert [m.email for m in team.list_members(session=db, tenant=tenant.ctx)] == [tenant.owner.email, member.email]
    team.remove_member(session=db, tenant=tenant.ctx, user_id=member.id or 0)
    assert team.count_members(session=db, tenant=tenant.ctx) == 1


def test_operator_cannot_change_members_or_settings(db: Session) -> None:
    tenant = make_business(db)
    operator = context_for(make_member(db, tenant, Role.OPERATOR))
    other = make_member(db, tenant, Role.OPERATOR)
    with pytest.raises(PermissionDenied):
        team.add_member(session=db, tenant=operator, member_in=new_member())
    with pytest.raises(PermissionDenied):
        team.update_member(session=db, tenant=operator, user_id=other.id or 0, member_in=MemberUpdate(role=Role.ADMIN))
    with pytest.raises(PermissionDenied):
        team.remove_member(session=db, tenant=operator, user_id=other.id or 0)
    with pytest.raises(PermissionDenied):
        business.update_business(session=db, tenant=operator, business_in=BusinessUpdate(name="Mine now"))
    assert len(team.list_members(session=db, tenant=operator)) == 3  # reading is allowed


def test_admin_manages_operators_but_not_owners(db: Session) -> None:
    tenant = make_business(db)
    admin = context_for(make_member(db, tenant, Role.ADMIN))
    operator = make_member(db, tenant, Role.OPERATOR)
    team.update_member(session=db, tenant=admin, user_id=operator.id or 0, member_in=MemberUpdate(role=Role.ADMIN))
    with pytest.raises(PermissionDenied):
        team.add_member(session=db, tenant=admin, member_in=new_member(Role.OWNER))
    with pytest.raises(PermissionDenied):
        team.update_member(session=db, tenant=admin, user_id=operator.id or 0, member_in=MemberUpdate(role=Role.OWNER))
    with pytest.raises(PermissionDenied):
        team.remove_member(session=db, tenant=admin, user_id=tenant.owner.id or 0)
    business.update_business(session=db, tenant=admin, business_in=BusinessUpdate(address="1 Main St"))


def test_last_owner_cannot_be_demoted_or_removed(db: Session) -> None:
    tenant = make_business(db)
    with pytest.raises(Conflict) as err:
        team.update_member(
            session=db, tenant=tenant.ctx, user_id=tenant.owner.id or 0, member_in=MemberUpdate(role=Role.ADMIN)
        )
    assert err.value.key == "error.last_owner_demote"
    second = context_for(team.add_member(session=db, tenant=tenant.ctx, member_in=new_member(Role.OWNER)))
    with pytest.raises(Conflict) as err:
        # the second owner removes the first, then cannot demote themselves
        team.remove_member(session=db, tenant=second, user_id=tenant.owner.id or 0)
        team.update_member(
            session=db, tenant=second, user_id=second.user_id or 0, member_in=MemberUpdate(role=Role.OPERATOR)
        )
    assert err.value.key == "error.last_owner_demote"


def test_nobody_removes_themselves(db: Session) -> None:
    tenant = make_business(db)
    make_member(db, tenant, Role.OWNER)
    with pytest.raises(PermissionDenied):
        team.remove_member(session=db, tenant=tenant.ctx, user_id=tenant.owner.id or 0)


def test_removing_a_member_ends_their_sessions(db: Session) -> None:
    tenant = make_business(db)
    member = make_member(db, tenant)
    token = auth_sessions.exchange_ticket(session=db, ticket=auth_sessions.start_session(session=db, user=member))
    team.remove_member(session=db, tenant=tenant.ctx, user_id=member.id or 0)
    assert auth_sessions.resolve(session=db, token=token) is None


def test_role_and_duplicate_email_validation(db: Session) -> None:
    tenant = make_business(db)
    with pytest.raises(ValidationFailed):
        team.update_member(
            session=db,
            tenant=tenant.ctx,
            user_id=tenant.owner.id or 0,
            member_in=MemberUpdate.model_construct(role="boss"),
        )
    with pytest.raises(Conflict):
        team.add_member(session=db, tenant=tenant.ctx, member_in=new_member(email=tenant.owner.email))


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+1 555"}, "phone"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"language": "de"}, "language"),
        ({"website": "not a site"}, "website"),
        ({"address": "a" * 301}, "address"),
    ],
)
def test_business_update_validation_stores_nothing(db: Session, changes: dict, field: str) -> None:
    tenant = make_business(db, "Kept Name")
    with pytest.raises(ValidationFailed) as err:
        business.update_business(
            session=db, tenant=tenant.ctx, business_in=BusinessUpdate(**{"address": "new address", **changes})
        )
    assert err.value.field == field
    db.refresh(tenant.business)
    assert tenant.business.name == "Kept Name"
    assert tenant.business.address == ""


def test_business_update_normalises(db: Session) -> None:
    tenant = make_business(db)
    updated = business.update_business(
        session=db,
        tenant=tenant.ctx,
        business_in=BusinessUpdate(
            phone="+44 20 7946 0958", website="bluedoor.example.com", timezone="Europe/London", language="ru"
        ),
    )
    assert updated.phone == "+442079460958"
    assert updated.website == "https://bluedoor.example.com"
    assert (updated.timezone, updated.language) == ("Europe/London", "ru")


def test_onboarding_checklist_follows_the_data(db: Session) -> None:
    tenant = make_business(db)
    steps = {s.key: s.done for s in onboarding.checklist(session=db, tenant=tenant.ctx)}
    assert steps == {"account": True, "profile": True, "business": False, "team": False, "channel": False, "crm": False}
    business.update_business(
        session=db, tenant=tenant.ctx, business_in=BusinessUpdate(address="1 Main St", phone="+442079460958")
    )
    make_member(db, tenant)
    steps = {s.key: s.done for s in onboarding.checklist(session=db, tenant=tenant.ctx)}
    assert steps == {"account": True, "profile": True, "business": True, "team": True, "channel": False, "crm": False}
