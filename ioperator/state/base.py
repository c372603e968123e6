"""The signed-in user and business, and the one helper every handler uses to reach business data.

Guards redirect; handlers protect: `require_login` only redirects, while every handler that reads or
writes business data goes through `SessionState._tenant_session()`, which re-checks the HttpOnly
session cookie against the database each time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from http.cookies import CookieError, SimpleCookie
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from ioperator import routes
from ioperator.core.auth import TenantContext
from ioperator.core.config import get_settings
from ioperator.core.db import session_scope
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import (
    catalog,
    format_datetime,
    language_from_accept_header,
    normalize_language,
    translate,
)
from ioperator.models.user import Role
from ioperator.services import auth_sessions

LANG_COOKIE = "ioperator_lang"
_JSON_POST = "{method: 'POST', credentials: 'same-origin', headers: {'Content-Type': 'application/json'}"


class SessionState(rx.State):
    user_id: int = 0
    user_name: str = ""
    user_email: str = ""
    role: str = ""
    business_id: int = 0
    business_name: str = ""
    business_timezone: str = "UTC"
    lang: str = "en"
    # Remembers the language for the sign-in pages; not a secret (the session cookie is HttpOnly).
    lang_pref: str = rx.Cookie("", name=LANG_COOKIE, same_site="lax", max_age=365 * 24 * 3600)

    @rx.var
    def texts(self) -> dict[str, str]:
        return catalog(self.lang)

    @rx.var
    def signed_in(self) -> bool:
        return self.user_id > 0

    @rx.var
    def can_manage(self) -> bool:
        return self.role in (Role.OWNER.value, Role.ADMIN.value)

    @rx.var
    def password_hint(self) -> str:
        return translate("signup.password_hint", self.lang, min=get_settings().password_min_length)

    @rx.var
    def role_label(self) -> str:
        return catalog(self.lang).get(f"role.{self.role}", "") if self.role else ""

    @rx.var
    def display_name(self) -> str:
        return self.user_name or self.user_email

    @rx.var
    def initials(self) -> str:
        source = self.user_name or self.user_email
        parts = [p for p in source.replace("@", " ").split() if p]
        return "".join(p[0] for p in parts[:2]).upper() or "?"

    # --- helpers (underscore: not events) -------------------------------------------------------
    def _cookie_token(self) -> str | None:
        raw = self.router.headers.cookie or self.router.headers.raw_headers.get("cookie", "")
        try:
            jar = SimpleCookie(raw)
        except CookieError:
            return None
        morsel = jar.get(auth_sessions.COOKIE_NAME)
        return morsel.value if morsel else None

    def _apply(self, current: auth_sessions.SignedIn) -> None:
        self.user_id = current.user.id or 0
        self.user_name = current.user.name
        self.user_email = current.user.email
        self.role = current.user.role.value
        self.business_id = current.business.id or 0
        self.business_name = current.business.name
        self.business_timezone = current.business.timezone
        self.lang = normalize_language(current.user.language)

    def _forget(self) -> None:
        self.user_id = 0
        self.user_name = self.user_email = self.role = self.business_name = ""
        self.business_id = 0

    @contextmanager
    def _tenant_session(self) -> Iterator[tuple[Session, TenantContext]]:
        """A database session and the tenant of the live cookie session; NotAuthenticated if none."""
        try:
            with tenant_scope(self._cookie_token()) as (session, current):
                self._apply(current)
                yield session, current.tenant
        except NotAuthenticated:
            self._forget()
            raise

    def _t(self, key: str, **params: object) -> str:
        return translate(key, self.lang, **params)

    def _time(self, value: datetime | None) -> str:
        return format_datetime(value, self.business_timezone)

    def _login_redirect(self) -> EventSpec:
        target = self.router.url.path or routes.OVERVIEW
        return rx.redirect(f"{routes.LOGIN}?next={quote(target)}")

    # --- events --------------------------------------------------------------------------------
    @rx.event
    def require_login(self) -> EventSpec | None:
        """on_load guard of dashboard pages: redirects to the login page when signed out."""
        try:
            with self._tenant_session():
                pass
        except NotAuthenticated:
            return self._login_redirect()
        return None

    @rx.event
    def go_home(self) -> EventSpec:
        """on_load of `/`: the overview when signed in, otherwise the login page."""
        try:
            with self._tenant_session():
                pass
        except NotAuthenticated:
            return rx.redirect(routes.LOGIN)
        return rx.redirect(routes.OVERVIEW)

    @rx.event
    def load_public(self) -> EventSpec | None:
        """on_load of the sign-in pages: signed-in users go on; others get their language."""
        with session_scope() as session:
            current = auth_sessions.resolve(session=session, token=self._cookie_token())
            if current is not None:
                self._apply(current)
                return rx.redirect(routes.OVERVIEW)
        self._forget()
        self.lang = (
            normalize_language(self.lang_pref)
            if self.lang_pref
            else language_from_accept_header(self.router.headers.accept_language)
        )
        return None

    @rx.event
    def set_public_language(self, lang: str) -> None:
        self.lang = normalize_language(lang)
        self.lang_pref = self.lang

    @rx.event
    def set_language(self, lang: str) -> EventSpec | None:
        """Switch the signed-in user's language; it is saved on their profile."""
        from ioperator.models.user import ProfileUpdate
        from ioperator.services import accounts

        try:
            with self._tenant_session() as (session, tenant):
                accounts.update_profile(session=session, tenant=tenant, profile_in=ProfileUpdate(language=lang))
        except NotAuthenticated:
            return self._login_redirect()
        self.lang = normalize_language(lang)
        self.lang_pref = self.lang
        # Pages keep some server-made text (statuses, provider descriptions, dates): load them afresh.
        return rx.call_script("window.location.reload()")

    @rx.event
    def logout(self) -> EventSpec:
        with session_scope() as session:
            auth_sessions.end_session(session=session, token=self._cookie_token())
        self._forget()
        return finish_cookie_call("/api/auth/logout", {}, routes.LOGIN)


@contextmanager
def tenant_scope(token: str | None) -> Iterator[tuple[Session, auth_sessions.SignedIn]]:
    """A database session and the signed-in user for a session token; NotAuthenticated if none.

    Background events use it directly (they must not hold the state lock during provider calls).
    """
    with session_scope() as session:
        current = auth_sessions.resolve(session=session, token=token)
        if current is None:
            raise NotAuthenticated()
        yield session, current


def form_errors(exc: ServiceError, lang: str) -> tuple[dict[str, str], str]:
    """A service error as (errors by field, general error) for a form: on the field when it names one."""
    if exc.field:
        return {exc.field: exc.message(lang)}, ""
    return {}, exc.message(lang)


def finish_cookie_call(endpoint: str, body: dict[str, str], then: str) -> EventSpec:
    """POST to a cookie endpoint from the page (the cookie is HttpOnly), then load `then` afresh.

    The full page load opens a new websocket, whose handshake carries the new cookie.
    """
    payload = json.dumps(body)
    target = json.dumps(then)
    # Dropping the tab's state token makes the next page start from fresh server-side state, so
    # nothing of the previous user's pages can reach the next one who signs in in this tab.
    return rx.call_script(
        f"fetch({json.dumps(endpoint)}, {_JSON_POST}, body: JSON.stringify({payload})}})"
        f".finally(() => {{ window.sessionStorage.removeItem('token'); window.location.assign({target}); }})"
    )
