"""The signed-in user's own profile and password."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ioperator.api.deps import DbSession, SignedIn, Tenant, require_json
from ioperator.models.user import ProfileUpdate, UserPublic
from ioperator.services import accounts, auth_sessions

router = APIRouter(prefix="/api/v1/me", tags=["account"], dependencies=[Depends(require_json)])


class PasswordChange(BaseModel):
    current_password: str
    new_password: str


@router.get("", response_model=UserPublic, summary="The signed-in user")
def me(current: SignedIn) -> UserPublic:
    return UserPublic.model_validate(current.user)


@router.patch("", response_model=UserPublic, summary="Change your name or language")
def update_me(body: ProfileUpdate, session: DbSession, tenant: Tenant) -> UserPublic:
    return UserPublic.model_validate(accounts.update_profile(session=session, tenant=tenant, profile_in=body))


@router.post("/password", status_code=204, summary="Change your password; other sessions are signed out")
def change_password(body: PasswordChange, request: Request, session: DbSession, tenant: Tenant) -> None:
    accounts.change_password(
        session=session, tenant=tenant, current_password=body.current_password, new_password=body.new_password
    )
    auth_sessions.end_other_sessions(
        session=session, tenant=tenant, keep_token=request.cookies.get(auth_sessions.COOKIE_NAME)
    )
