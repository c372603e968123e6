"""One shared httpx client per event loop for adapters, and the address each provider is called at."""

from __future__ import annotations

import asyncio
import weakref

import httpx

from ioperator.core.config import VERSION, get_settings

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = weakref.WeakKeyDictionary()


def http_client() -> httpx.AsyncClient:
    """The client of the running event loop (connection pooling); a client never crosses loops."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None or client.is_closed:
        client = httpx.AsyncClient(
            timeout=httpx.Timeout(10.0, connect=5.0),
            headers={"User-Agent": f"iOperator/{VERSION}"},
            follow_redirects=False,
        )
        _clients[loop] = client
    return client


def provider_base_url(slug: str) -> str | None:
    """An override of a provider's API address (tests point adapters at local fakes), else None."""
    return get_settings().provider_base_urls.get(slug) or None
