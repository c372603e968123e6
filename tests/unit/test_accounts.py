"""Sign-up, users, profile and password: validation, hashing, nothing half-stored."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from ioperator.core.errors import Conflict, NotFound, ValidationFailed
from ioperator.models.business import Business
from ioperator.models.user import ProfileUpdate, Role, User
from ioperator.services import accounts
from tests.factories import PASSWORD, make_business, make_member


def _count(db: Session, model: type) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def test_signup_creates_business_and_owner_with_argon2_hash(db: Session) -> None:
    result = accounts.create_business(
        session=db,
        business_name="  Blue   Door  Cafe ",
        owner_email="Anna@Example.COM",
        owner_password=PASSWORD,
        owner_name="Anna",
        language="ru",
    )
    assert result.business.name == "Blue Door Cafe"
    assert result.business.language == "ru"
    owner = result.owner
    assert owner.role is Role.OWNER and owner.business_id == result.business.id
    assert owner.email == "anna@example.com"
    assert owner.password_hash.startswith("$argon2id$")
    assert PASSWORD not in owner.password_hash


@pytest.mark.parametrize(
    ("fields", "field", "key"),
    [
        ({"business_name": ""}, "business_name", "error.field_required"),
        ({"business_name": "x" * 121}, "business_name", "error.field_too_long"),
        ({"owner_email": "not-an-email"}, "email", "error.email_invalid"),
        ({"owner_email": ""}, "email", "error.email_required"),
        ({"owner_password": "short"}, "password", "error.password_too_short"),
        ({"owner_password": "x" * 300}, "password", "error.password_too_long"),
        ({"language": "de"}, "language", "error.language_invalid"),
        ({"owner_name": "n" * 121}, "name", "error.field_too_long"),
    ],
)
def test_signup_rejects_bad_input_and_stores_nothing(db: Session, fields: dict, field: str, key: str) -> None:
    values = {
        "business_name": "Cafe",
        "owner_email": "ok@example.com",
        "owner_password": PASSWORD,
        "owner_name": "",
        "language": "en",
        **fields,
    }
    before = (_count(db, Business), _count(db, User))
    with pytest.raises(ValidationFailed) as err:
        accounts.create_business(session=db, **values)
    assert (err.value.field, err.value.key) == (field, key)
    assert (_count(db, Business), _count(db, User)) == before


def test_signup_with_taken_email_is_a_conflict_and_stores_nothing(db: Session) -> None:
    tenant = make_business(db)
    before = _count(db, Business)
    with pytest.raises(Conflict) as err:
        accounts.create_business(
            session=db, business_name="Other", owner_email=tenant.owner.email.upper(), owner_password=PASSWORD
        )
    assert err.value.field == "email"
    assert _count(db, Business) == before


def test_create_user_in_unknown_business_is_not_found(db: Session) -> None:
    from ioperator.core.auth import TenantContext

    with pytest.raises(NotFound):
        accounts.create_user(
            session=db,
            tenant=TenantContext(business_id=999_999, user_id=None, role=Role.OWNER),
            email="a@example.com",
            password=PASSWORD,
            role="admin",
        )


def test_create_user_rejects_unknown_role(db: Session) -> None:
    tenant = make_business(db)
    with pytest.raises(ValidationFailed) as err:
        accounts.create_user(session=db, tenant=tenant.ctx, email="x@example.com", password=PASSWORD, role="boss")
    assert err.value.field == "role"


def test_new_member_inherits_business_language(db: Session) -> None:
    tenant = make_business(db, language="ru")
    member = make_member(db, tenant)
    assert member.language == "ru"


def test_update_profile(db: Session) -> None:
    tenant = make_business(db)
    user = accounts.update_profile(
        session=db, tenant=tenant.ctx, profile_in=ProfileUpdate(name="  Anna  K ", language="ru")
    )
    assert (user.name, user.language) == ("Anna K", "ru")
    with pytest.raises(ValidationFailed):
        accounts.update_profile(session=db, tenant=tenant.ctx, profile_in=ProfileUpdate(language="xx"))


def test_change_password(db: Session) -> None:
    from ioperator.core.auth import verify_password

    tenant = make_business(db)
    with pytest.raises(ValidationFailed) as err:
        accounts.change_password(
            session=db, tenant=tenant.ctx, current_password="wrong password", new_password="another good password"
        )
    assert err.value.field == "current_password"
    with pytest.raises(ValidationFailed) as err:
        accounts.change_password(session=db, tenant=tenant.ctx, current_password=PASSWORD, new_password="short")
    assert err.value.field == "new_password"
    with pytest.raises(ValidationFailed):
        accounts.change_password(session=db, tenant=tenant.ctx, current_password=PASSWORD, new_password=PASSWORD)
    user = accounts.change_password(
        session=db, tenant=tenant.ctx, current_password=PASSWORD, new_password="another good password"
    )
    assert verify_password(user.password_hash, "another good password")
    assert not verify_password(user.password_hash, PASSWORD)
