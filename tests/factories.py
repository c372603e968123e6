"""Data for tests, created through the services (never by writing rows by hand)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from sqlmodel import Session

from ioperator.core.auth import TenantContext
from ioperator.models.business import Business
from ioperator.models.user import Role, User
from ioperator.services import accounts

PASSWORD = "correct horse battery"
_counter = itertools.count(1)


@dataclass
class Tenant:
    business: Business
    owner: User

    @property
    def ctx(self) -> TenantContext:
        return context_for(self.owner)


def context_for(user: User) -> TenantContext:
    assert user.id is not None
    return TenantContext(business_id=user.business_id, user_id=user.id, role=Role(user.role))


def make_business(session: Session, name: str | None = None, *, language: str = "en") -> Tenant:
    n = next(_counter)
    result = accounts.create_business(
        session=session,
        business_name=name or f"Business {n}",
        owner_email=f"owner{n}@example.com",
        owner_password=PASSWORD,
        owner_name=f"Owner {n}",
        language=language,
    )
    return Tenant(business=result.business, owner=result.owner)


def make_member(session: Session, tenant: Tenant, role: Role = Role.OPERATOR, *, name: str = "") -> User:
    n = next(_counter)
    return accounts.create_user(
        session=session,
        tenant=tenant.ctx,
        email=f"member{n}@example.com",
        password=PASSWORD,
        role=role,
        name=name or f"Member {n}",
    )


def make_api_key(session: Session, tenant: Tenant, name: str = "Engine") -> str:
    """A new API key of the business; returns the full key."""
    from ioperator.services import api_keys

    return api_keys.create_key(session=session, tenant=tenant.ctx, name=name).token
