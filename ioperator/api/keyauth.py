"""Authentication of bot engines: `Authorization: Bearer <API key>`, then the key's rate limit."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ioperator.api.deps import LoopDbSession
from ioperator.core.errors import ApiKeyRejected
from ioperator.services import api_keys, api_rate_limit


async def api_key(request: Request, session: LoopDbSession) -> api_keys.KeyAuth:
    """The key's tenant; 401 for a missing, malformed, unknown, revoked or expired key; 429 over its limit.

    Runs on the event loop (one indexed lookup and one limiter hit): no threadpool hop while a connection is held."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiKeyRejected("api.error.key_missing")
    auth = api_keys.authenticate(session=session, token=token.strip())
    if auth is None:
        raise ApiKeyRejected("api.error.key_invalid")
    api_rate_limit.hit(auth.public_id)
    return auth


ApiKeyAuth = Annotated[api_keys.KeyAuth, Depends(api_key)]
