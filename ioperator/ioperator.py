"""App assembly: REST API, observability middleware, theme and pages."""

from __future__ import annotations

import reflex as rx

from ioperator import routes
from ioperator.api import build_api
from ioperator.components.i18n import t
from ioperator.components.layout import loading
from ioperator.core.config import get_settings
from ioperator.core.logging import configure_logging
from ioperator.core.observability import ObservabilityMiddleware
from ioperator.pages.api_keys import ApiKeysState, api_keys_page
from ioperator.pages.channels import channels_page
from ioperator.pages.crm import CrmCatalogState, crm_page
from ioperator.pages.integrations.state import IntegrationsState
from ioperator.pages.llm_settings import LlmSettingsState
from ioperator.pages.login import LoginState, login_page
from ioperator.pages.overview import OverviewState, overview_page
from ioperator.pages.profile import ProfileState, profile_page
from ioperator.pages.prompts import PromptsState, prompts_page
from ioperator.pages.settings import SettingsState, settings_page
from ioperator.pages.signup import SignupState, signup_page
from ioperator.pages.team import TeamState, team_page
from ioperator.pages.telephony.numbers import NumbersState, numbers_page
from ioperator.pages.telephony.providers import TelephonyProvidersState, providers_page
from ioperator.pages.telephony.users import TelephonyUsersState, telephony_users_page
from ioperator.state.base import SessionState

settings = get_settings()
settings.check_production_ready()  # refuses to start in production without encryption keys
settings.encryption_keys()  # in development: generates data/secret.key once
configure_logging()

app = rx.App(
    api_transformer=[build_api(), ObservabilityMiddleware],
    head_components=[
        rx.el.meta(name="robots", content="noindex"),
        rx.el.link(rel="icon", href="/favicon.svg", type="image/svg+xml"),
    ],
)


def index() -> rx.Component:
    return loading()


def page_title(key: str) -> rx.Var[str]:
    """The browser tab's title, in the user's language."""
    return t(key) + " · iOperator"


app.add_page(index, route="/", title="iOperator", on_load=SessionState.go_home)
app.add_page(
    login_page,
    route=routes.LOGIN,
    title=page_title("login.title"),
    on_load=[SessionState.load_public, LoginState.clear],
)
app.add_page(
    signup_page,
    route=routes.SIGNUP,
    title=page_title("signup.title"),
    on_load=[SessionState.load_public, SignupState.clear],
)
for page, route, title_key, loaders in (
    (overview_page, routes.OVERVIEW, "overview.title", [OverviewState.load]),
    (prompts_page, routes.PROMPTS, "prompts.title", [PromptsState.load]),
    (channels_page, routes.CHANNELS, "channels.title", [IntegrationsState.load_channels]),
    (crm_page, routes.CRM, "crm.title", [IntegrationsState.load_crm, CrmCatalogState.load]),
    (team_page, routes.TEAM, "team.title", [TeamState.load]),
    (settings_page, routes.SETTINGS, "settings.title", [SettingsState.load, LlmSettingsState.load]),
    (profile_page, routes.PROFILE, "profile.title", [ProfileState.load]),
    (api_keys_page, routes.API_KEYS, "api_keys.title", [ApiKeysState.load]),
    (
        providers_page,
        routes.TELEPHONY_PROVIDERS,
        "telephony.providers_title",
        [IntegrationsState.load_telephony, TelephonyProvidersState.load],
    ),
    (numbers_page, routes.TELEPHONY_NUMBERS, "telephony.numbers.title", [NumbersState.load]),
    (telephony_users_page, routes.TELEPHONY_USERS, "telephony.users.title", [TelephonyUsersState.load]),
):
    app.add_page(page, route=route, title=page_title(title_key), on_load=[SessionState.require_login, *loaders])
