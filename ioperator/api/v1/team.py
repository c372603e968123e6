"""Members of the signed-in user's business."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ioperator.api.deps import DbSession, Tenant, require_json
from ioperator.models.user import MemberCreate, MemberUpdate, UserPublic
from ioperator.services import team

router = APIRouter(prefix="/api/v1/team/members", tags=["team"], dependencies=[Depends(require_json)])


@router.get("", response_model=list[UserPublic], summary="List members")
def list_members(session: DbSession, tenant: Tenant) -> list[UserPublic]:
    return [UserPublic.model_validate(m) for m in team.list_members(session=session, tenant=tenant)]


@router.post("", response_model=UserPublic, status_code=201, summary="Add a member (owners, admins)")
def add_member(body: MemberCreate, session: DbSession, tenant: Tenant) -> UserPublic:
    return UserPublic.model_validate(team.add_member(session=session, tenant=tenant, member_in=body))


@router.get("/{user_id}", response_model=UserPublic, summary="One member")
def get_member(user_id: int, session: DbSession, tenant: Tenant) -> UserPublic:
    return UserPublic.model_validate(team.get_member_or_raise(session=session, tenant=tenant, user_id=user_id))


@router.patch("/{user_id}", response_model=UserPublic, summary="Change a member's role or name (owners, admins)")
def update_member(user_id: int, body: MemberUpdate, session: DbSession, tenant: Tenant) -> UserPublic:
    return UserPublic.model_validate(
        team.update_member(session=session, tenant=tenant, user_id=user_id, member_in=body)
    )


@router.delete("/{user_id}", status_code=204, summary="Remove a member (owners, admins)")
def remove_member(user_id: int, session: DbSession, tenant: Tenant) -> None:
    team.remove_member(session=session, tenant=tenant, user_id=user_id)
