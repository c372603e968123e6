"""Telephony for the signed-in dashboard: providers (connect, enable, default, set-up), numbers (sync, list,
routing) and members' telephony profiles. Thin over the services, which check the roles."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from ioperator.api.deps import require_json
from ioperator.api.v1.telephony import numbers, providers, users

router = APIRouter(prefix="/api/v1/telephony", tags=["telephony"], dependencies=[Depends(require_json)])
router.include_router(providers.router)
router.include_router(numbers.router)
router.include_router(users.router)
