"""The official `vonage` SDK, built per operation, and its exceptions turned into typed adapter errors.

The SDK is synchronous (requests), so the adapter runs each operation in a worker thread and builds the
client there. `Sdk` holds the same objects `vonage.Vonage` would (its HTTP client, `account`,
`application`, `numbers`), taken from the SDK's own packages (`vonage_http_client`, `vonage_account`, ...):
this package is named `vonage` too, and naming the SDK's parts leaves no doubt which one is meant.

The SDK writes every URL as `https://{host}{path}` (reference §4-5): a base-URL override points both of
its hosts at the override's `host:port`, and an `http://` override (a local fake) gets a transport
adapter, mounted for that exact prefix only, that sends those requests as plain HTTP.

The SDK logs each request's headers at DEBUG level, the `Authorization` header included: a filter on its
logger masks that header, so neither the API secret (Basic) nor an application JWT reaches our logs.
"""

from __future__ import annotations

import base64
import importlib.metadata
import logging
import math
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from vonage_account import Account
from vonage_application import Application
from vonage_http_client import Auth, HttpClient, HttpClientOptions
from vonage_http_client.errors import (
    AuthenticationError,
    ForbiddenError,
    HttpRequestError,
    JWTGenerationError,
    NotFoundError,
    RateLimitedError,
)
from vonage_jwt.errors import VonageJwtError
from vonage_numbers import Numbers
from vonage_utils.errors import VonageError

from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited
from ioperator.adapters.telephony.vonage.config import VonageConfig

DEFAULT_BASE_URL = "https://api.nexmo.com"
AuthKind = Literal["basic", "jwt"]
AUTH_FIELD: dict[AuthKind, str] = {"basic": "api_secret", "jwt": "private_key"}
MAX_DETAIL = 300
SDK_VERSION = importlib.metadata.version("vonage")  # the User-Agent vonage.Vonage would send


class HttpsToHttpAdapter(HTTPAdapter):
    """Sends the SDK's `https://` requests for one host as plain HTTP (reference §5(b))."""

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(request.url, str) and request.url.startswith("https://"):
            request.url = "http://" + request.url[len("https://") :]
        return super().send(request, *args, **kwargs)


class MaskAuthorization(logging.Filter):
    """Masks the `Authorization` header in the SDK's own log lines (it logs the request headers)."""

    HEADER = re.compile(r"""(['"]Authorization['"]\s*:\s*)b?(['"]).*?\2""")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and "Authorization" in record.msg:
            record.msg = self.HEADER.sub(r"\1'***'", record.msg)
        return True


def _mask_sdk_logs() -> None:
    logger = logging.getLogger("vonage")  # the logger vonage_http_client writes to
    if not any(isinstance(existing, MaskAuthorization) for existing in logger.filters):
        logger.addFilter(MaskAuthorization())


_mask_sdk_logs()


@dataclass(frozen=True)
class Sdk:
    """What `vonage.Vonage(auth, options)` builds, for the APIs this adapter uses."""

    http: HttpClient
    account: Account
    application: Application
    numbers: Numbers


def build(settings: VonageConfig, base_url: str, timeout: float) -> Sdk:
    """One operation's SDK client: explicit timeout, no SDK retries (the retry policy is ours)."""
    options: dict[str, Any] = {"timeout": max(1, math.ceil(timeout)), "max_retries": 0}
    split = urlsplit(base_url)
    custom = base_url.rstrip("/") != DEFAULT_BASE_URL
    if custom:
        options |= {"api_host": split.netloc, "rest_host": split.netloc}
    auth = Auth(
        api_key=settings.api_key,
        api_secret=settings.api_secret.get_secret_value(),
        application_id=settings.application_id,
        private_key=settings.private_key.get_secret_value(),
    )
    http = HttpClient(auth, HttpClientOptions(**options), SDK_VERSION)
    http._timeout = timeout  # HttpClientOptions takes whole seconds only; pinned vonage-http-client 1.5.2
    if custom:
        session = http._session
        session.trust_env = False  # no proxy or CA bundle from the environment for a pinned address
        if split.scheme == "http":
            session.mount(f"https://{split.netloc}/", HttpsToHttpAdapter(max_retries=0))
    return Sdk(http, Account(http), Application(http), Numbers(http))


def secrets_of(settings: VonageConfig) -> tuple[str, ...]:
    """Every secret string that must never appear in an error detail."""
    secret = settings.api_secret.get_secret_value()
    basic = base64.b64encode(f"{settings.api_key}:{secret}".encode()).decode("ascii")
    values = [secret, basic, settings.private_key.get_secret_value()]
    if settings.signature_secret is not None:
        values.append(settings.signature_secret.get_secret_value())
    return tuple(value for value in values if value)


@contextmanager
def guard(
    auth: AuthKind,
    secrets: tuple[str, ...],
    *,
    missing: AdapterError | None = None,
    forbidden: AdapterError | None = None,
) -> Iterator[None]:
    """Run SDK calls; any exception leaves as a typed AdapterError. `auth` names the credential the call
    used (Basic: the API secret; JWT: the private key); `missing` is raised for a 404."""
    try:
        yield
    except AdapterError:
        raise
    except AuthenticationError as exc:
        raise InvalidAuth(_detail(exc, secrets), field=AUTH_FIELD[auth]) from None
    except ForbiddenError as exc:
        raise forbidden or InvalidAuth(_detail(exc, secrets), field=AUTH_FIELD[auth]) from None
    except NotFoundError as exc:
        raise missing or ProviderError(_detail(exc, secrets)) from None
    except RateLimitedError as exc:
        raise RateLimited(_detail(exc, secrets), retry_after=_retry_after(exc.response)) from None
    except HttpRequestError as exc:
        status = exc.response.status_code
        if status >= 500:
            raise CannotConnect(f"Vonage answered HTTP {status}") from None
        raise ProviderError(_detail(exc, secrets)) from None
    except requests.Timeout:
        raise CannotConnect("Vonage did not answer in time") from None
    except requests.RequestException as exc:
        raise CannotConnect(f"could not reach Vonage ({type(exc).__name__})") from None
    except (VonageJwtError, JWTGenerationError):
        raise InvalidAuth("the private key could not sign a request", field="private_key") from None
    except VonageError as exc:
        raise ProviderError(_scrub(str(exc), secrets)) from None
    except (ValidationError, KeyError, TypeError, ValueError):
        raise ProviderError("Vonage answered something unexpected") from None


def _detail(exc: HttpRequestError, secrets: tuple[str, ...]) -> str:
    """The provider's own words: RFC 7807 `title`/`detail`, or the legacy `error-code-label`."""
    response = exc.response
    try:
        body = response.json()
    except ValueError:
        body = None
    parts: list[str] = []
    if isinstance(body, dict):
        for key in ("title", "detail", "error-code-label", "error_text", "error_title"):
            value = body.get(key)
            if isinstance(value, str) and value.strip() and value.strip() not in parts:
                parts.append(value.strip())
    text = ": ".join(parts) or f"Vonage answered HTTP {response.status_code}"
    return _scrub(text, secrets)[:MAX_DETAIL]


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _retry_after(response: Any) -> int | None:
    try:
        return max(0, math.ceil(float(response.headers.get("Retry-After", ""))))
    except (TypeError, ValueError):
        return None
