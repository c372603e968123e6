"""Businesses and their people: sign-up, creating users, profile and password."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ioperator.core.auth import TenantContext, hash_password, verify_password
from ioperator.core.db import utcnow
from ioperator.core.errors import Conflict, NotFound, ValidationFailed
from ioperator.models.business import Business
from ioperator.models.user import ProfileUpdate, Role, User
from ioperator.services import validation


@dataclass(frozen=True)
class SignupResult:
    business: Business
    owner: User


def email_taken(*, session: Session, email: str) -> bool:
    return session.exec(select(User.id).where(User.email == email)).first() is not None


def create_business(
    *,
    session: Session,
    business_name: str,
    owner_email: str,
    owner_password: str,
    owner_name: str = "",
    language: str = "en",
) -> SignupResult:
    """Create a business with its first owner. Nothing is stored if any field is invalid."""
    business_name = validation.text(business_name, field="business_name", max_length=120, required=True)
    owner_name = validation.text(owner_name, field="name", max_length=120)
    email = validation.email(owner_email)
    password = validation.password(owner_password)
    language = validation.language(language)
    if email_taken(session=session, email=email):
        raise Conflict("error.email_taken", field="email")
    business = Business(name=business_name, language=language)
    session.add(business)
    session.flush()
    assert business.id is not None
    owner = User(
        business_id=business.id,
        email=email,
        name=owner_name,
        role=Role.OWNER,
        language=language,
        password_hash=hash_password(password),
    )
    session.add(owner)
    _flush_unique(session)
    return SignupResult(business=business, owner=owner)


def create_user(
    *,
    session: Session,
    tenant: TenantContext,
    email: str,
    password: str,
    role: Role | str,
    name: str = "",
    language: str | None = None,
) -> User:
    """Add a person to the tenant's business. Role checks are the caller's (team service, CLI)."""
    business = session.get(Business, tenant.business_id)
    if business is None:
        raise NotFound("error.business_not_found")
    email = validation.email(email)
    password = validation.password(password)
    name = validation.text(name, field="name", max_length=120)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationFailed("error.role_invalid", field="role") from None
    language = validation.language(language or business.language)
    if email_taken(session=session, email=email):
        raise Conflict("error.email_taken", field="email")
    user = User(
        business_id=tenant.business_id,
        email=email,
        name=name,
        role=role,
        language=language,
        password_hash=hash_password(password),
    )
    session.add(user)
    _flush_unique(session)
    return user


def get_user(*, session: Session, tenant: TenantContext, user_id: int) -> User | None:
    return session.exec(select(User).where(User.id == user_id, User.business_id == tenant.business_id)).first()


def get_user_or_raise(*, session: Session, tenant: TenantContext, user_id: int) -> User:
    user = get_user(session=session, tenant=tenant, user_id=user_id)
    if user is None:
        raise NotFound("error.member_not_found")
    return user


def update_profile(*, session: Session, tenant: TenantContext, profile_in: ProfileUpdate) -> User:
    """The signed-in user's own name and language."""
    user = _current_user(session=session, tenant=tenant)
    changes = profile_in.model_dump(exclude_unset=True)
    if "name" in changes:
        user.name = validation.text(changes["name"], field="name", max_length=120)
    if "language" in changes:
        user.language = validation.language(changes["language"])
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    return user


def change_password(*, session: Session, tenant: TenantContext, current_password: str, new_password: str) -> User:
    """Change the signed-in user's password; every other session of theirs is ended by the caller."""
    user = _current_user(session=session, tenant=tenant)
    if not verify_password(user.password_hash, current_password or ""):
        raise ValidationFailed("error.current_password_wrong", field="current_password")
    new_password = validation.password(new_password, field="new_password")
    if new_password == current_password:
        raise ValidationFailed("error.password_unchanged", field="new_password")
    user.password_hash = hash_password(new_password)
    user.updated_at = utcnow()
    session.add(user)
    session.flush()
    return user


def _current_user(*, session: Session, tenant: TenantContext) -> User:
    if tenant.user_id is None:
        raise NotFound("error.member_not_found")
    return get_user_or_raise(session=session, tenant=tenant, user_id=tenant.user_id)


def _flush_unique(session: Session) -> None:
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict("error.email_taken", field="email") from None
