"""Password hashing (Argon2id via argon2-cffi) and the tenant context every service takes."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ioperator.core.errors import PermissionDenied
from ioperator.models.user import Role


@dataclass(frozen=True, slots=True)
class TenantContext:
    """Who is acting, and for which business. Services filter every query by `business_id`."""

    business_id: int
    user_id: int | None
    role: Role

    @property
    def can_manage(self) -> bool:
        """Owners and admins change business settings and members; operators only read."""
        return self.role in (Role.OWNER, Role.ADMIN)

    def require_manager(self) -> None:
        if not self.can_manage:
            raise PermissionDenied("error.role_required_manager")

    def require_owner(self) -> None:
        if self.role is not Role.OWNER:
            raise PermissionDenied("error.role_required_owner")


@functools.cache
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id with the library's current recommended parameters


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)


@functools.cache
def dummy_hash() -> str:
    """Verified against when an email is unknown, so both paths take the same time."""
    return _hasher().hash("iOperator timing equaliser")
