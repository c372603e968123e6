"""FastAPI dependencies: a database session per request and the signed-in dashboard user."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from ioperator.core.auth import TenantContext
from ioperator.core.db import session_scope
from ioperator.core.errors import NotAuthenticated, ValidationFailed
from ioperator.services import auth_sessions


def db_session() -> Iterator[Session]:
    """One session per request: committed when the route succeeds, rolled back when it raises."""
    with session_scope() as session:
        yield session


DbSession = Annotated[Session, Depends(db_session)]


async def loop_db_session() -> AsyncIterator[Session]:
    """The same, opened and closed on the event loop: for routes that must not hop between threadpool calls while
    holding a pooled connection (with more requests in flight than pool + threads, such hops can deadlock)."""
    with session_scope() as session:
        yield session


LoopDbSession = Annotated[Session, Depends(loop_db_session)]


def signed_in(request: Request, session: DbSession) -> auth_sessions.SignedIn:
    """The dashboard user from the HttpOnly session cookie, or 401."""
    current = auth_sessions.resolve(session=session, token=request.cookies.get(auth_sessions.COOKIE_NAME))
    if current is None:
        raise NotAuthenticated()
    request.state.language = current.user.language
    return current


def require_json(request: Request) -> None:
    """Cookie-authenticated writes must be JSON: a cross-site form cannot send it without CORS."""
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        content_type = request.headers.get("content-type", "")
        if request.method != "DELETE" and not content_type.startswith("application/json"):
            raise ValidationFailed("error.json_required")


SignedIn = Annotated[auth_sessions.SignedIn, Depends(signed_in)]


def tenant_of(current: SignedIn) -> TenantContext:
    return current.tenant


Tenant = Annotated[TenantContext, Depends(tenant_of)]
