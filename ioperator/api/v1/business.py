"""The signed-in user's business profile."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ioperator.api.deps import DbSession, Tenant, require_json
from ioperator.models.business import BusinessPublic, BusinessUpdate
from ioperator.services import business

router = APIRouter(prefix="/api/v1/business", tags=["business"], dependencies=[Depends(require_json)])


@router.get("", response_model=BusinessPublic, summary="Your business")
def get_business(session: DbSession, tenant: Tenant) -> BusinessPublic:
    return BusinessPublic.model_validate(business.get_business(session=session, tenant=tenant))


@router.patch("", response_model=BusinessPublic, summary="Change your business profile (owners, admins)")
def update_business(body: BusinessUpdate, session: DbSession, tenant: Tenant) -> BusinessPublic:
    return BusinessPublic.model_validate(business.update_business(session=session, tenant=tenant, business_in=body))
