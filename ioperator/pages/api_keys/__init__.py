"""Settings → API keys: keys for bot engines (shown once), the endpoint and a curl example, recent activity."""

from ioperator.pages.api_keys.state import ApiKeysState
from ioperator.pages.api_keys.view import api_keys_page

__all__ = ["ApiKeysState", "api_keys_page"]
