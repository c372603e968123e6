"""DIKIDI: listed in the catalog but not available (reference §8). DIKIDI publishes no API; the only
code around uses its site's private endpoints or guessed URLs, which we do not build on."""

from __future__ import annotations

from ioperator.adapters.base import ConnectionInfo, ProviderConfig
from ioperator.adapters.crm.base import OPERATIONS, CrmAdapter
from ioperator.adapters.errors import Unsupported
from ioperator.adapters.registry import register

REASON = "DIKIDI has no public API"


@register
class DikidiAdapter(CrmAdapter):
    slug = "dikidi"
    position = 90
    title = "DIKIDI"
    description = "Salon bookings in DIKIDI; not available until DIKIDI offers a public API."
    docs_url = "https://dikidi.net"
    logo = "/logos/dikidi.svg"
    default_base_url = "https://dikidi.net"
    available = False
    unavailable_reason = REASON
    unsupported_reasons = dict.fromkeys(OPERATIONS, REASON)

    class Config(ProviderConfig):
        """Nothing to enter: there is nothing to connect to."""

    async def test_connection(self) -> ConnectionInfo:
        raise Unsupported(REASON)
