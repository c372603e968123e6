"""The Users page's state: loading the members, and editing one (a background event: assigning a number may
call its provider)."""

from __future__ import annotations

import reflex as rx
from reflex.event import EventSpec

from ioperator import routes
from ioperator.core.errors import NotAuthenticated, ServiceError
from ioperator.core.i18n import translate
from ioperator.pages.telephony.numbers.rows import label_of, member_names, plural, route_label
from ioperator.pages.telephony.users.rows import EDIT_FIELDS, NONE, VISIBLE_CHOICES, MemberRow, NumberChoice, _initials
from ioperator.services import telephony_numbers, telephony_users
from ioperator.services.validation import format_phone
from ioperator.state.base import SessionState, form_errors, tenant_scope


class TelephonyUsersState(rx.State):
    loaded: bool = False
    members: list[MemberRow] = []
    # edit dialog
    edit_open: bool = False
    edit_busy: bool = False
    edit_user_id: str = ""
    edit_title: str = ""
    edit_number_ids: list[str] = []
    edit_checked: list[dict[str, str]] = []  # id, label: the options of the primary number
    edit_primary: str = NONE
    edit_forwarding: str = ""
    edit_browser: bool = True
    edit_forward_offline: bool = False
    edit_voicemail: bool = True
    edit_search: str = ""
    edit_choices: list[NumberChoice] = []
    edit_more: str = ""  # "… more: filter to find them"
    edit_error: str = ""
    edit_errors: dict[str, str] = {}
    _candidates: list[NumberChoice] = []  # every number the member can be given (backend only)

    # --- loading ---------------------------------------------------------------------------
    @rx.event
    async def load(self) -> None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                members = telephony_users.list_members(session=session, tenant=tenant)
        except NotAuthenticated:
            return
        rows = []
        for m in members:
            primary = next((n for n in m.numbers if n.id == m.profile.primary_number_id), None)
            rows.append(
                MemberRow(
                    id=str(m.user.id),
                    name=m.user.name,
                    email=m.user.email,
                    initials=_initials(m.user.name, m.user.email),
                    me=m.user.id == base.user_id,
                    presence=m.profile.presence.value,
                    numbers=[format_phone(n.e164) for n in m.numbers],
                    primary=format_phone(primary.e164) if primary else "",
                    forwarding=format_phone(m.profile.forwarding_number),
                    receive_in_browser=m.profile.receive_in_browser,
                    forward_when_offline=m.profile.forward_when_offline,
                    voicemail=m.profile.voicemail_enabled,
                )
            )
        self.members = rows
        self.loaded = True

    # --- edit ------------------------------------------------------------------------------
    @rx.event
    async def open_edit(self, user_id: str) -> EventSpec | None:
        base = await self.get_state(SessionState)
        try:
            with base._tenant_session() as (session, tenant):
                member = telephony_users.get_member(session=session, tenant=tenant, user_id=int(user_id))
                names = member_names(session, tenant)
                numbers = telephony_numbers.list_numbers(session=session, tenant=tenant, state="all")
        except NotAuthenticated:
            return base._login_redirect()
        except (ServiceError, ValueError):
            return rx.toast.error(base._t("error.not_found"))
        mine = {n.id for n in member.numbers}
        self._candidates = [
            NumberChoice(
                id=str(n.id),
                label=format_phone(n.e164),
                name=label_of(n),
                note=""
                if n.id in mine or telephony_numbers.route_of(n) == telephony_numbers.ROUTE_NONE
                else route_label(n, names, base.lang),
                inactive=not n.active,
            )
            for n in numbers
            if n.active or n.id in mine  # an inactive number can only be kept, not given
        ]
        self.edit_user_id = user_id
        self.edit_title = base._t("telephony.users.edit_title", name=member.user.name or member.user.email)
        self.edit_number_ids = [str(n.id) for n in member.numbers]
        primary = member.profile.primary_number_id
        self.edit_primary = str(primary) if primary is not None and primary in mine else NONE
        self.edit_forwarding = format_phone(member.profile.forwarding_number)
        self.edit_browser = member.profile.receive_in_browser
        self.edit_forward_offline = member.profile.forward_when_offline
        self.edit_voicemail = member.profile.voicemail_enabled
        self.edit_search = ""
        self.edit_error, self.edit_errors, self.edit_busy = "", {}, False
        self._refresh_checked()
        self._refresh_choices(base.lang)
        self.edit_open = True
        return None

    def _refresh_checked(self) -> None:
        labels = {c.id: c.label for c in self._candidates}
        self.edit_checked = [{"id": i, "label": labels.get(i, i)} for i in self.edit_number_ids]

    def _refresh_choices(self, lang: str) -> None:
        """The visible part of the list: the member's numbers first, then the rest, narrowed by the filter."""
        needle = self.edit_search.strip().casefold()
        digits = "".join(ch for ch in needle if ch.isdigit())
        checked = set(self.edit_number_ids)
        matches = [
            c
            for c in self._candidates
            if not needle
            or needle in c.name.casefold()
            or needle in c.note.casefold()
            or (digits and digits in "".join(ch for ch in c.label if ch.isdigit()))
        ]
        matches.sort(key=lambda c: c.id not in checked)  # stable: keeps the numbers' order otherwise
        self.edit_choices = matches[:VISIBLE_CHOICES]
        hidden = len(matches) - len(self.edit_choices)
        self.edit_more = plural("telephony.users.more_numbers", hidden, lang) if hidden > 0 else ""

    @rx.event
    def set_edit_open(self, value: bool) -> None:
        if not self.edit_busy:
            self.edit_open = value

    @rx.event
    async def set_edit_search(self, value: str) -> None:
        base = await self.get_state(SessionState)
        self.edit_search = value[:60]
        self._refresh_choices(base.lang)

    @rx.event
    def toggle_number(self, number_id: str, checked: bool) -> None:
        ids = [i for i in self.edit_number_ids if i != number_id]
        if checked:
            ids.append(number_id)
        self.edit_number_ids = ids
        # The primary outbound number stays one of the member's numbers: unchecking it falls back to
        # another checked number (or none); a first number becomes the primary.
        if self.edit_primary != NONE and self.edit_primary not in ids:
            self.edit_primary = ids[0] if ids else NONE
        elif checked and len(ids) == 1:
            self.edit_primary = number_id
        self._refresh_checked()
        self.edit_errors = {k: v for k, v in self.edit_errors.items() if k not in ("number_ids", "primary_number_id")}

    @rx.event
    def set_edit_primary(self, value: str) -> None:
        self.edit_primary = value

    @rx.event
    def set_edit_forwarding(self, value: str) -> None:
        self.edit_forwarding = value[:40]

    @rx.event
    def set_edit_browser(self, value: bool) -> None:
        self.edit_browser = value

    @rx.event
    def set_edit_forward_offline(self, value: bool) -> None:
        self.edit_forward_offline = value

    @rx.event
    def set_edit_voicemail(self, value: bool) -> None:
        self.edit_voicemail = value

    @rx.event(background=True)
    async def save(self) -> EventSpec | list[EventSpec] | None:
        async with self:
            if self.edit_busy:
                return None
            base = await self.get_state(SessionState)
            token, lang = base._cookie_token(), base.lang
            user_id = int(self.edit_user_id)
            number_ids = [int(i) for i in self.edit_number_ids]
            primary = int(self.edit_primary) if self.edit_primary.isdigit() else None
            forwarding, browser = self.edit_forwarding, self.edit_browser
            offline, voicemail = self.edit_forward_offline, self.edit_voicemail
            self.edit_busy, self.edit_error, self.edit_errors = True, "", {}
        try:
            with tenant_scope(token) as (session, current):
                saved = await telephony_users.update_member(
                    session=session,
                    tenant=current.tenant,
                    user_id=user_id,
                    number_ids=number_ids,
                    primary_number_id=primary,
                    forwarding_number=forwarding,
                    receive_in_browser=browser,
                    forward_when_offline=offline,
                    voicemail_enabled=voicemail,
                )
                name = saved.user.name or saved.user.email
        except NotAuthenticated:
            async with self:
                self.edit_busy = False
            return rx.redirect(routes.LOGIN)
        except ServiceError as exc:
            errors, general = form_errors(exc, lang)
            if errors and not set(errors) <= set(EDIT_FIELDS):
                errors, general = {}, exc.message(lang)  # e.g. a provider refused: not a field of this form
            async with self:
                self.edit_errors, self.edit_error, self.edit_busy = errors, general, False
            return None
        async with self:
            self.edit_busy, self.edit_open = False, False
        return [rx.toast.success(translate("telephony.users.saved", lang, name=name)), TelephonyUsersState.load]
