"""Each member's telephony profile: their numbers, primary outbound number, forwarding, preferences, status.

A member's numbers are the numbers routed to "ring" them (one column, see models/telephony.py), so
assigning here and routing on the Numbers page always agree. The primary outbound number must be one
of the member's numbers; it is cleared when the number leaves them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import ValidationFailed
from ioperator.models.telephony import PhoneNumber, Presence, TelephonyProfile
from ioperator.models.user import User
from ioperator.services import team, telephony_numbers, validation


@dataclass(frozen=True)
class MemberTelephony:
    user: User
    profile: TelephonyProfile  # not yet stored when the member has never been set up (defaults)
    numbers: list[PhoneNumber]


def list_members(*, session: Session, tenant: TenantContext) -> list[MemberTelephony]:
    members = team.list_members(session=session, tenant=tenant)
    profiles = {
        p.user_id: p
        for p in session.exec(select(TelephonyProfile).where(TelephonyProfile.business_id == tenant.business_id))
    }
    numbers: dict[int, list[PhoneNumber]] = {}
    routed = session.exec(
        select(PhoneNumber)
        .where(PhoneNumber.business_id == tenant.business_id, col(PhoneNumber.route_user_id).is_not(None))
        .order_by(col(PhoneNumber.e164))
    )
    for number in routed:
        numbers.setdefault(number.route_user_id or 0, []).append(number)
    return [
        MemberTelephony(
            user=m,
            profile=profiles.get(m.id or 0) or _default(tenant, m.id or 0),
            numbers=numbers.get(m.id or 0, []),
        )
        for m in members
    ]


def get_member(*, session: Session, tenant: TenantContext, user_id: int) -> MemberTelephony:
    member = team.get_member_or_raise(session=session, tenant=tenant, user_id=user_id)
    numbers = session.exec(
        select(PhoneNumber)
        .where(PhoneNumber.business_id == tenant.business_id, PhoneNumber.route_user_id == member.id)
        .order_by(col(PhoneNumber.e164))
    ).all()
    return MemberTelephony(user=member, profile=_profile(session, tenant, member.id or 0), numbers=list(numbers))


async def update_member(
    *,
    session: Session,
    tenant: TenantContext,
    user_id: int,
    number_ids: list[int],
    primary_number_id: int | None,
    forwarding_number: str,
    receive_in_browser: bool,
    forward_when_offline: bool,
    voicemail_enabled: bool,
) -> MemberTelephony:
    """Owners and admins set a member's numbers and preferences. Numbers taken from another member leave
    them (and stop being their primary); numbers left out stop ringing this member."""
    tenant.require_manager()
    member = team.get_member_or_raise(session=session, tenant=tenant, user_id=user_id)
    wanted = [
        telephony_numbers.get_number_or_raise(session=session, tenant=tenant, number_id=n) for n in set(number_ids)
    ]
    if any(not n.active for n in wanted if n.route_user_id != member.id):
        raise ValidationFailed("telephony.error.number_inactive", field="number_ids")
    if primary_number_id is not None and primary_number_id not in {n.id for n in wanted}:
        raise ValidationFailed("telephony.error.primary_not_assigned", field="primary_number_id")
    forwarding = validation.phone(forwarding_number, field="forwarding_number")
    if forward_when_offline and not forwarding:
        raise ValidationFailed("telephony.error.forwarding_needed", field="forwarding_number")
    for number in wanted:  # provider calls first: a failure leaves everything as it was
        await telephony_numbers.point_here(session=session, number=number)

    current = session.exec(select(PhoneNumber).where(PhoneNumber.route_user_id == member.id)).all()
    for number in current:
        if number.id not in {n.id for n in wanted}:
            telephony_numbers.assign(session=session, number=number, to_user=None)
    for number in wanted:
        telephony_numbers.assign(session=session, number=number, to_user=member.id)
    session.flush()
    profile = _profile(session, tenant, member.id or 0)
    profile.primary_number_id = primary_number_id
    profile.forwarding_number = forwarding
    profile.receive_in_browser = receive_in_browser
    profile.forward_when_offline = forward_when_offline
    profile.voicemail_enabled = voicemail_enabled
    profile.updated_at = utcnow()
    session.add(profile)
    session.flush()
    return get_member(session=session, tenant=tenant, user_id=user_id)


def set_presence(*, session: Session, tenant: TenantContext, presence: str) -> TelephonyProfile:
    """Any member sets their own status (the user menu)."""
    try:
        value = Presence(presence)
    except ValueError:
        raise ValidationFailed("error.field_invalid", field="presence") from None
    if tenant.user_id is None:
        raise ValidationFailed("error.field_invalid", field="presence")
    profile = _profile(session, tenant, tenant.user_id)
    if profile.presence is not value or profile.id is None:
        profile.presence, profile.presence_at, profile.updated_at = value, utcnow(), utcnow()
        session.add(profile)
        session.flush()
    return profile


def own_presence(*, session: Session, tenant: TenantContext) -> Presence:
    if tenant.user_id is None:
        return Presence.OFFLINE
    profile = session.exec(select(TelephonyProfile).where(TelephonyProfile.user_id == tenant.user_id)).first()
    return profile.presence if profile else Presence.OFFLINE


def _default(tenant: TenantContext, user_id: int) -> TelephonyProfile:
    return TelephonyProfile(business_id=tenant.business_id, user_id=user_id)


def _profile(session: Session, tenant: TenantContext, user_id: int) -> TelephonyProfile:
    existing = session.exec(
        select(TelephonyProfile).where(
            TelephonyProfile.user_id == user_id, TelephonyProfile.business_id == tenant.business_id
        )
    ).first()
    return existing or _default(tenant, user_id)
