"""Page routes, in one place for links, redirects and tests."""

LOGIN = "/login"
SIGNUP = "/signup"
OVERVIEW = "/overview"
TEAM = "/team"
SETTINGS = "/settings"
API_KEYS = "/settings/api-keys"
PROFILE = "/profile"
CHANNELS = "/agent/channels"
CRM = "/agent/crm"
PROMPTS = "/agent/prompts"
TELEPHONY_PROVIDERS = "/telephony/providers"
TELEPHONY_NUMBERS = "/telephony/numbers"
TELEPHONY_USERS = "/telephony/users"

PUBLIC = (LOGIN, SIGNUP)


def safe_next(target: str | None) -> str:
    """Only same-site paths are followed after sign-in (no `//host`, no schemes)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return OVERVIEW
    if target.rstrip("/") in PUBLIC:
        return OVERVIEW
    return target
