"""The signed-in user's own profile, password and signed-in browsers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ioperator.api.deps import DbSession, SignedIn, Tenant, require_json
from ioperator.models.auth import SessionPublic
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


@router.get("/sessions", response_model=list[SessionPublic], summary="Your signed-in browsers")
def list_sessions(request: Request, session: DbSession, tenant: Tenant) -> list[SessionPublic]:
    token = request.cookies.get(auth_sessions.COOKIE_NAME)
    return [
        SessionPublic(
            id=row.id or 0,
            device=auth_sessions.describe_user_agent(row.user_agent),
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=auth_sessions.is_current(row, token),
        )
        for row in auth_sessions.list_sessions(session=session, tenant=tenant)
    ]


@router.delete("/sessions/{session_id}", status_code=204, summary="Sign out one of your browsers")
def end_session(session_id: int, session: DbSession, tenant: Tenant) -> None:
    auth_sessions.end_own_session(session=session, tenant=tenant, session_id=session_id)
