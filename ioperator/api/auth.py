"""Cookie endpoints. The session cookie is HttpOnly and SameSite=Lax; page JavaScript never sees it."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import BaseModel

from ioperator.api.deps import DbSession, require_json
from ioperator.core.config import get_settings
from ioperator.core.errors import NotAuthenticated
from ioperator.services import auth_sessions

router = APIRouter(prefix="/api/auth", tags=["auth"], dependencies=[Depends(require_json)])


class TicketIn(BaseModel):
    ticket: str


class LoginIn(BaseModel):
    email: str
    password: str


def client_address(request: Request) -> str:
    """The caller's address; behind `trusted_proxy_hops` proxies, taken from X-Forwarded-For."""
    hops = get_settings().trusted_proxy_hops
    if hops:
        forwarded = [ip.strip() for ip in request.headers.get("x-forwarded-for", "").split(",") if ip.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.client.host if request.client else ""


def set_session_cookie(response: Response, token: str) -> None:
    response.set_cookie(
        auth_sessions.COOKIE_NAME,
        token,
        max_age=auth_sessions.cookie_max_age(),
        httponly=True,
        samesite="lax",
        secure=get_settings().public_base_url.startswith("https://"),
        path="/",
    )


@router.post("/session", status_code=status.HTTP_204_NO_CONTENT, summary="Exchange a sign-in ticket for the cookie")
def exchange(body: TicketIn, session: DbSession, response: Response) -> None:
    token = auth_sessions.exchange_ticket(session=session, ticket=body.ticket)
    if token is None:
        raise NotAuthenticated("error.ticket_invalid")
    set_session_cookie(response, token)


@router.post("/login", status_code=status.HTTP_204_NO_CONTENT, summary="Sign in with email and password")
async def login(body: LoginIn, request: Request, session: DbSession, response: Response) -> None:
    user = await auth_sessions.authenticate(
        session=session, email=body.email, password=body.password, address=client_address(request)
    )
    ticket = auth_sessions.start_session(
        session=session,
        user=user,
        address=client_address(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    token = auth_sessions.exchange_ticket(session=session, ticket=ticket)
    assert token is not None
    set_session_cookie(response, token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out and clear the cookie")
def logout(request: Request, session: DbSession, response: Response) -> None:
    auth_sessions.end_session(session=session, token=request.cookies.get(auth_sessions.COOKIE_NAME))
    response.delete_cookie(auth_sessions.COOKIE_NAME, path="/", httponly=True, samesite="lax")
