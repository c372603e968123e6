"""Members of a business and their roles. The last owner can be neither removed nor demoted."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import Conflict, PermissionDenied, ValidationFailed
from ioperator.models.user import MemberCreate, MemberUpdate, Role, User
from ioperator.services import accounts, auth_sessions, validation


def list_members(*, session: Session, tenant: TenantContext) -> list[User]:
    return list(
        session.exec(
            select(User).where(User.business_id == tenant.business_id).order_by(col(User.created_at), col(User.id))
        ).all()
    )


def get_member_or_raise(*, session: Session, tenant: TenantContext, user_id: int) -> User:
    return accounts.get_user_or_raise(session=session, tenant=tenant, user_id=user_id)


def add_member(*, session: Session, tenant: TenantContext, member_in: MemberCreate) -> User:
    tenant.require_manager()
    role = _parse_role(member_in.role)
    if role is Role.OWNER:
        tenant.require_owner()
    return accounts.create_user(
        session=session,
        tenant=tenant,
        email=member_in.email,
        password=member_in.password,
        role=role,
        name=member_in.name,
        language=member_in.language,
    )


def update_member(*, session: Session, tenant: TenantContext, user_id: int, member_in: MemberUpdate) -> User:
    tenant.require_manager()
    member = get_member_or_raise(session=session, tenant=tenant, user_id=user_id)
    changes = member_in.model_dump(exclude_unset=True)
    if changes.get("role") is not None:
        new_role = _parse_role(changes["role"])
        if new_role != member.role:
            if Role.OWNER in (new_role, member.role):
                tenant.require_owner()
            if member.role is Role.OWNER:
                _ensure_another_owner(session=session, tenant=tenant, user_id=user_id, key="error.last_owner_demote")
            member.role = new_role
    if changes.get("name") is not None:
        member.name = validation.text(changes["name"], field="name", max_length=120)
    member.updated_at = utcnow()
    session.add(member)
    session.flush()
    return member


def remove_member(*, session: Session, tenant: TenantContext, user_id: int) -> None:
    tenant.require_manager()
    member = get_member_or_raise(session=session, tenant=tenant, user_id=user_id)
    if member.id == tenant.user_id:
        raise PermissionDenied("error.cannot_remove_self")
    if member.role is Role.OWNER:
        tenant.require_owner()
        _ensure_another_owner(session=session, tenant=tenant, user_id=user_id, key="error.last_owner_remove")
    auth_sessions.end_user_sessions(session=session, tenant=tenant, user_id=user_id)
    session.delete(member)
    session.flush()


def count_members(*, session: Session, tenant: TenantContext) -> int:
    return int(session.exec(select(func.count()).select_from(User).where(User.business_id == tenant.business_id)).one())


def _ensure_another_owner(*, session: Session, tenant: TenantContext, user_id: int, key: str) -> None:
    others = session.exec(
        select(func.count())
        .select_from(User)
        .where(User.business_id == tenant.business_id, User.role == Role.OWNER, User.id != user_id)
    ).one()
    if not others:
        raise Conflict(key, field="role")


def _parse_role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise ValidationFailed("error.role_invalid", field="role") from None
