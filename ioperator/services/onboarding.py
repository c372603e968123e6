"""The overview page's set-up checklist. Later features add their own steps to STEPS."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlmodel import Session

from ioperator.core.auth import TenantContext
from ioperator.models.integration import IntegrationStatus
from ioperator.services import accounts, business, integrations, team


@dataclass(frozen=True)
class ChecklistStep:
    key: str  # i18n: onboarding.<key>.title / onboarding.<key>.hint
    done: bool
    route: str  # where the user goes to complete it


StepCheck = Callable[[Session, TenantContext], ChecklistStep]


def _account(session: Session, tenant: TenantContext) -> ChecklistStep:
    return ChecklistStep(key="account", done=True, route="/profile")


def _profile(session: Session, tenant: TenantContext) -> ChecklistStep:
    user = accounts.get_user(session=session, tenant=tenant, user_id=tenant.user_id or 0)
    return ChecklistStep(key="profile", done=bool(user and user.name), route="/profile")


def _business_details(session: Session, tenant: TenantContext) -> ChecklistStep:
    biz = business.get_business(session=session, tenant=tenant)
    done = bool(biz.address and biz.phone)
    return ChecklistStep(key="business", done=done, route="/settings")


def _team(session: Session, tenant: TenantContext) -> ChecklistStep:
    return ChecklistStep(key="team", done=team.count_members(session=session, tenant=tenant) > 1, route="/team")


def _channel(session: Session, tenant: TenantContext) -> ChecklistStep:
    connected = any(
        i.status is IntegrationStatus.CONNECTED
        for i in integrations.list_integrations(session=session, tenant=tenant, kind="channel")
    )
    return ChecklistStep(key="channel", done=connected, route="/agent/channels")


def _crm(session: Session, tenant: TenantContext) -> ChecklistStep:
    connected = any(
        i.status is not IntegrationStatus.DISCONNECTED
        for i in integrations.list_integrations(session=session, tenant=tenant, kind="crm")
    )
    return ChecklistStep(key="crm", done=connected, route="/agent/crm")


STEPS: list[StepCheck] = [_account, _profile, _business_details, _team, _channel, _crm]


def checklist(*, session: Session, tenant: TenantContext) -> list[ChecklistStep]:
    return [step(session, tenant) for step in STEPS]
