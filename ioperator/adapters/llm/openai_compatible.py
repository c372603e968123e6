"""Chat with any OpenAI-compatible server (OpenAI, OpenRouter, Groq, Ollama, vLLM, LM Studio...)
through the official `openai` SDK: streamed or whole replies, and a connection test.

Every SDK exception becomes one of our typed errors in `_translated`, and only there — including an
error that arrives in the middle of a stream. No message ever carries the API key.

The SDK retries once by itself (`max_retries=1`): a 429, a 408/409, a 5xx, a timeout or a refused
connection is tried again after a short backoff (or after the server's `retry-after`, up to 2 min,
when the server sends one). A stream that has started is never retried.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any, cast

import httpx
import openai
from openai.types.chat import ChatCompletion, ChatCompletionChunk, ChatCompletionMessageParam

from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited

Messages = list[dict[str, str]]
NO_KEY = "no-key"  # servers without auth (Ollama, LM Studio) ignore it; the SDK refuses an empty key
DETAIL_LIMIT = 300
NOT_THE_API = "the server at this address does not answer like an OpenAI-compatible API"
# Without these the SDK would add the host's OPENAI_ORG_ID / OPENAI_PROJECT_ID to every owner's requests.
_NO_HOST_HEADERS = {"OpenAI-Organization": openai.omit, "OpenAI-Project": openai.omit}
_KEY_LIKE = re.compile(r"\b(sk|gsk|xai)-[A-Za-z0-9_*\-]{4,}(?:\.+[A-Za-z0-9_*\-]+)*")  # also "sk-ab***...wxyz"


@dataclass(frozen=True)
class LlmSettings:
    base_url: str  # e.g. "https://api.openai.com/v1"
    api_key: str = field(repr=False)
    model: str
    timeout_seconds: float = 30
    temperature: float | None = None


class OpenAICompatibleChat:
    """One owner's model. Built per use; pass the shared httpx client to pool connections."""

    def __init__(self, settings: LlmSettings, http: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self._owns_http = http is None
        with self._translated():
            self._client = openai.AsyncOpenAI(
                base_url=settings.base_url.strip(),
                api_key=settings.api_key or NO_KEY,
                timeout=settings.timeout_seconds,
                max_retries=1,
                default_headers=cast(Any, _NO_HOST_HEADERS),
                # The SDK accepts an `httpx.AsyncClient` as well as its own `httpx2` one (typed as the latter).
                http_client=cast(Any, http),
            )

    async def stream(self, messages: Messages) -> AsyncIterator[str]:
        """The reply's text as it arrives, delta by delta."""
        with self._translated():
            chunks = await self._client.chat.completions.create(
                model=self.settings.model, messages=_params(messages), stream=True, temperature=self._temperature()
            )
            seen = False
            async with chunks:
                async for chunk in chunks:
                    seen = True
                    for text in _delta_texts(chunk):
                        yield text
            if not seen:  # a 2xx that is not an event stream: some other web server lives at this address
                raise ProviderError(NOT_THE_API, field="base_url")

    async def complete(self, messages: Messages) -> str:
        """The whole reply at once."""
        with self._translated():
            completion = await self._client.chat.completions.create(
                model=self.settings.model, messages=_params(messages), temperature=self._temperature()
            )
            return _reply_text(completion)

    async def test_connection(self) -> str:
        """Check the address, the key and the model; return the model's id.

        Listing models (`GET /models`) is the common ground and costs nothing. A server without that
        list, or one that serves a model it does not list, is asked for a one-token reply instead.
        """
        model = self.settings.model
        with self._translated():
            try:
                listing = await self._client.models.with_raw_response.list()
                listed = _model_ids(listing.text)
            except openai.NotFoundError:
                listed = set()
            if model not in listed:
                ping: Messages = [{"role": "user", "content": "ping"}]
                _reply_text(
                    await self._client.chat.completions.create(model=model, messages=_params(ping), max_tokens=1)
                )
        return model

    async def aclose(self) -> None:
        """Close the SDK's own HTTP client (a client passed in belongs to the caller and stays open)."""
        if self._owns_http:
            await self._client.close()

    def _temperature(self) -> float | openai.Omit:
        return openai.omit if self.settings.temperature is None else self.settings.temperature

    @contextlib.contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except openai.OpenAIError as exc:
            raise _adapter_error(exc, self.settings) from exc


def _params(messages: Messages) -> list[ChatCompletionMessageParam]:
    return cast("list[ChatCompletionMessageParam]", messages)


def _delta_texts(chunk: ChatCompletionChunk) -> list[str]:
    texts: list[str] = []
    for choice in getattr(chunk, "choices", None) or []:
        content = getattr(getattr(choice, "delta", None), "content", None)
        if isinstance(content, str) and content:
            texts.append(content)
    return texts


def _reply_text(completion: ChatCompletion) -> str:
    """The first choice's text. The SDK hands back a plain string (or a hollow model) when a 2xx body is
    not a chat completion, so the shape is checked here rather than trusted."""
    choices = getattr(completion, "choices", None)
    if not isinstance(completion, ChatCompletion) or not isinstance(choices, list):
        raise ProviderError(NOT_THE_API, field="base_url")
    if not choices:
        raise ProviderError("the server sent no reply")
    content = getattr(getattr(choices[0], "message", None), "content", None)
    return content if isinstance(content, str) else ""


def _model_ids(text: str) -> set[str]:
    """The ids of a `{"object": "list", "data": [{"id": ...}]}` body."""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, list):
        raise ProviderError(NOT_THE_API, field="base_url")
    return {str(item["id"]) for item in data if isinstance(item, dict) and item.get("id")}


def _adapter_error(exc: openai.OpenAIError, settings: LlmSettings) -> AdapterError:
    detail = _clean(_server_message(exc), settings.api_key)
    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return InvalidAuth(detail, field="api_key")
    if isinstance(exc, openai.NotFoundError) and not isinstance(exc.body, dict):
        return ProviderError(detail, field="base_url")  # a bare 404 page: no API lives at this address
    if isinstance(exc, openai.RateLimitError):
        if exc.code == "insufficient_quota":  # a 429 that waiting does not cure: the account is out of credit
            return ProviderError(detail, field="api_key")
        return RateLimited(detail, retry_after=_retry_after(exc.response.headers))
    if isinstance(exc, openai.InternalServerError):  # 5xx: the service is down or overloaded, as errors.py files it
        return CannotConnect(detail)
    if isinstance(exc, openai.APITimeoutError):
        return CannotConnect(f"no answer within {settings.timeout_seconds:g} s")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        return CannotConnect(f"{detail} ({type(cause).__name__})" if cause else detail)
    return ProviderError(detail, field=_field_of(exc, detail))


def _field_of(exc: openai.OpenAIError, detail: str) -> str | None:
    """The model field when the server's error is about the model (unknown, decommissioned...)."""
    if not isinstance(exc, openai.APIError):
        return None
    about_model = exc.param == "model" or "model" in (exc.code or "")
    if isinstance(exc, openai.NotFoundError):
        about_model = about_model or "model" in detail.lower()
    return "model" if about_model else None


def _server_message(exc: openai.OpenAIError) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        return str(body["message"])
    if isinstance(exc, openai.APIStatusError):
        page = isinstance(body, str) and body.lstrip().startswith("<")  # an HTML error page says nothing useful
        text = body if isinstance(body, str) and body and not page else exc.response.reason_phrase
        return f"HTTP {exc.status_code}: {text}"
    return getattr(exc, "message", None) or str(exc) or type(exc).__name__


def _clean(text: str, api_key: str) -> str:
    """One short line, without the key (some servers echo it whole) or anything shaped like one."""
    if len(api_key) >= 4:
        text = text.replace(api_key, "••••")
    text = _KEY_LIKE.sub(lambda match: f"{match.group(1)}-••••", text)
    text = " ".join(text.split())
    return text if len(text) <= DETAIL_LIMIT else text[: DETAIL_LIMIT - 1] + "…"


def _retry_after(headers: Any) -> int | None:
    """Whole seconds from `retry-after` (seconds) or `retry-after-ms`; None when absent or a date."""
    for name, divisor in (("retry-after", 1.0), ("retry-after-ms", 1000.0)):
        try:
            seconds = float(headers.get(name, "")) / divisor
        except (TypeError, ValueError):
            continue
        if math.isfinite(seconds) and seconds >= 0:
            return math.ceil(seconds)
    return None
