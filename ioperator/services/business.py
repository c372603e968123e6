"""The tenant's own business profile."""

from __future__ import annotations

from sqlmodel import Session

from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import NotFound
from ioperator.models.business import Business, BusinessUpdate
from ioperator.services import validation

_VALIDATORS = {
    "name": lambda v: validation.text(v, field="name", max_length=120, required=True),
    "address": lambda v: validation.text(v, field="address", max_length=300),
    "phone": validation.phone,
    "website": validation.website,
    "timezone": validation.timezone,
    "language": validation.language,
    "working_hours": lambda v: validation.text(v, field="working_hours", max_length=300),
}


def get_business(*, session: Session, tenant: TenantContext) -> Business:
    business = session.get(Business, tenant.business_id)
    if business is None:
        raise NotFound("error.business_not_found")
    return business


def update_business(*, session: Session, tenant: TenantContext, business_in: BusinessUpdate) -> Business:
    """Owners and admins change the profile; every field is checked before anything is written."""
    tenant.require_manager()
    business = get_business(session=session, tenant=tenant)
    changes = {
        name: _VALIDATORS[name](value)
        for name, value in business_in.model_dump(exclude_unset=True).items()
        if value is not None
    }
    for name, value in changes.items():
        setattr(business, name, value)
    business.updated_at = utcnow()
    session.add(business)
    session.flush()
    return business
