"""Members' telephony profiles and numbers, and each member's own status."""

from __future__ import annotations

from fastapi import APIRouter

from ioperator.api.deps import DbSession, Tenant
from ioperator.api.v1.telephony.numbers import _number
from ioperator.api.v1.telephony.schemas import MemberIn, MemberOut, ProfileOut, RowId, StatusIn, StatusOut
from ioperator.models.telephony import TelephonyProfile
from ioperator.services import telephony_users

router = APIRouter()


def _profile(profile: TelephonyProfile) -> ProfileOut:
    return ProfileOut(
        presence=profile.presence,
        presence_at=profile.presence_at,
        primary_number_id=profile.primary_number_id,
        forwarding_number=profile.forwarding_number,
        receive_in_browser=profile.receive_in_browser,
        forward_when_offline=profile.forward_when_offline,
        voicemail_enabled=profile.voicemail_enabled,
    )


def _member(member: telephony_users.MemberTelephony) -> MemberOut:
    user = member.user
    names = {user.id or 0: user.name or user.email}
    return MemberOut(
        id=user.id or 0,
        name=user.name,
        email=user.email,
        role=user.role,
        profile=_profile(member.profile),
        numbers=[_number(n, names) for n in member.numbers],
    )


@router.get("/users", response_model=list[MemberOut], summary="Every member's telephony profile and numbers")
def list_members(session: DbSession, tenant: Tenant) -> list[MemberOut]:
    return [_member(m) for m in telephony_users.list_members(session=session, tenant=tenant)]


@router.get("/users/{user_id}", response_model=MemberOut, summary="One member's telephony profile and numbers")
def get_member(user_id: RowId, session: DbSession, tenant: Tenant) -> MemberOut:
    return _member(telephony_users.get_member(session=session, tenant=tenant, user_id=user_id))


@router.put("/users/{user_id}", response_model=MemberOut, summary="Set a member's numbers and preferences")
async def update_member(user_id: RowId, body: MemberIn, session: DbSession, tenant: Tenant) -> MemberOut:
    member = await telephony_users.update_member(
        session=session,
        tenant=tenant,
        user_id=user_id,
        number_ids=body.number_ids,
        primary_number_id=body.primary_number_id,
        forwarding_number=body.forwarding_number,
        receive_in_browser=body.receive_in_browser,
        forward_when_offline=body.forward_when_offline,
        voicemail_enabled=body.voicemail_enabled,
    )
    return _member(member)


@router.get("/me/status", response_model=StatusOut, summary="Your own status")
def own_status(session: DbSession, tenant: Tenant) -> StatusOut:
    return StatusOut(presence=telephony_users.own_presence(session=session, tenant=tenant))


@router.put("/me/status", response_model=StatusOut, summary="Set your own status (any member)")
def set_status(body: StatusIn, session: DbSession, tenant: Tenant) -> StatusOut:
    return StatusOut(
        presence=telephony_users.set_presence(session=session, tenant=tenant, presence=body.presence).presence
    )
