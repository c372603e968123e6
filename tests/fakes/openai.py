"""A fake OpenAI-compatible API: `GET /v1/models`, `GET /v1/models/{id}` and `POST /v1/chat/completions`
(a whole `chat.completion`, or `chat.completion.chunk`s as server-sent events ending in `data: [DONE]`).

It checks what OpenAI checks (the Bearer key, the model, the required fields) and answers with OpenAI's
shapes and error bodies. The reply is deterministic (`reply_for`), and streamed a word at a time.
Serve it with `tests.fakes.runner.serve(fake.app)`; the SDK's base URL is `<served URL>/v1`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

KEY = "sk-proj-Fake0penAiKey1234567890abcdefWXYZ"
MODEL = "gpt-4o-mini"
FAILURES = (
    "rate_limited",
    "insufficient_quota",
    "server_error",
    "timeout",
    "garbage",
    "mid_stream_error",
    "stream_cut",
)
STREAM_ONLY = ("mid_stream_error", "stream_cut")  # wait for the next streamed chat request
ROLES = ("system", "developer", "user", "assistant", "tool", "function")
FINGERPRINT = "fp_fake0001"
CHUNKS_BEFORE_FAILURE = 2
SERVER_ERROR = "The server had an error while processing your request. Sorry about that!"
NO_KEY = (
    "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer "
    "auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys."
)
_ids = itertools.count(1)


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    body: Any  # the parsed JSON body (None for a GET)
    retry_count: str  # the SDK's `x-stainless-retry-count`: "0", then "1" on its own retry
    headers: dict[str, str]  # lower-cased, without `authorization`


def reply_for(messages: list[dict[str, Any]]) -> str:
    """The assistant's answer: the last user message echoed, and the system prompt's first line named."""
    user = next((_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    system = next((_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer")), "")
    reply = f"You said: {user}"
    if system.strip():
        reply += f" (system: {system.strip().splitlines()[0]})"
    return reply


def pieces_of(text: str) -> list[str]:
    """How a reply is streamed: a word (with the space before it) per chunk."""
    return re.findall(r"\s*\S+", text) or ([text] if text else [])


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}]
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def _error(
    status: int,
    message: str,
    *,
    kind: str = "invalid_request_error",
    param: str | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return JSONResponse(body, status_code=status, headers=headers)


def _mask(key: str) -> str:
    """As OpenAI shows a wrong key: its start and last four characters."""
    return key[:3] + "*" * max(len(key) - 7, 4) + key[-4:] if len(key) > 8 else "*" * len(key)


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


class _CutStream(Exception):
    """Raised inside a streamed body: the server drops the connection mid-answer."""


class FakeOpenAI:
    """Models served, the key accepted, every request made, and failures to inject."""

    def __init__(
        self,
        *,
        api_key: str = KEY,
        models: tuple[str, ...] = (MODEL,),
        unlisted: tuple[str, ...] = (),
        list_models: bool = True,
        echo_key: bool = False,
        timeout_delay: float = 2.0,
    ) -> None:
        self.api_key = api_key
        self.models = list(models)
        self.unlisted = list(unlisted)  # served, but missing from GET /v1/models (some proxies do this)
        self.retired: list[str] = []  # known but decommissioned: 400 `model_decommissioned`, as Groq answers
        self.list_models = list_models  # False: the server has no model list (404), as some do
        self.echo_key = echo_key  # True: a wrong key is echoed whole, as some compatible servers do
        self.timeout_delay = timeout_delay  # how long a "timeout" failure keeps the caller waiting
        self.requests: list[Recorded] = []
        self._failures: list[tuple[str, float | None]] = []
        self.app = Starlette(
            routes=[
                Route("/v1/models", self._list, methods=["GET"]),
                Route("/v1/models/{model:path}", self._retrieve, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
            ]
        )

    def fail_next(self, kind: str, times: int = 1, retry_after: float | None = 5) -> None:
        """Make the next `times` requests fail (the stream-only kinds: the next streamed chat requests)."""
        assert kind in FAILURES, kind
        self._failures.extend([(kind, retry_after)] * times)

    def reset(self) -> None:
        self.requests.clear()
        self._failures.clear()

    @property
    def chat_requests(self) -> list[Any]:
        return [r.body for r in self.requests if r.path == "/v1/chat/completions"]

    # --- routes -----------------------------------------------------------------------------------

    async def _list(self, request: Request) -> Response:
        refused = await self._begin(request, None)
        if refused is not None:
            return refused
        if not self.list_models:
            return PlainTextResponse("Not Found", status_code=404)
        return JSONResponse({"object": "list", "data": [_model(m) for m in self.models]})

    async def _retrieve(self, request: Request) -> Response:
        refused = await self._begin(request, None)
        if refused is not None:
            return refused
        model = request.path_params["model"]
        if model not in self.models:
            return _error(404, f"The model '{model}' does not exist", param="model", code="model_not_found")
        return JSONResponse(_model(model))

    async def _chat(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            body = None
        streaming = isinstance(body, dict) and body.get("stream") is True
        refused = await self._begin(request, body)
        if refused is not None:
            return refused
        invalid = self._invalid(body)
        if invalid is not None:
            return invalid
        assert isinstance(body, dict)
        messages: list[dict[str, Any]] = body["messages"]
        text, finish = reply_for(messages), "stop"
        limit = body.get("max_tokens") or body.get("max_completion_tokens")
        if limit and len(pieces_of(text)) > limit:
            text, finish = "".join(pieces_of(text)[:limit]), "length"
        if streaming:
            failure = self._take(stream_only=True)
            options = body.get("stream_options") or {}
            chunks = self._chunks(body["model"], text, finish, failure, bool(options.get("include_usage")))
            return StreamingResponse(chunks, media_type="text/event-stream", headers=_request_id())
        return JSONResponse(_completion(body["model"], messages, text, finish), headers=_request_id())

    # --- checks -----------------------------------------------------------------------------------

    async def _begin(self, request: Request, body: Any) -> Response | None:
        """Record the request, then an injected failure or a refused key, if any."""
        retry_count = request.headers.get("x-stainless-retry-count", "")
        headers = {name: value for name, value in request.headers.items() if name != "authorization"}
        self.requests.append(Recorded(request.method, request.url.path, body, retry_count, headers))
        failure = self._take(stream_only=False)
        if failure is not None:
            return await self._fail(request, *failure)
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            return _error(401, NO_KEY)
        if key != self.api_key:
            shown = key if self.echo_key else _mask(key)
            message = f"Incorrect API key provided: {shown}. You can find your API key at https://platform.openai.com/account/api-keys."
            return _error(401, message, code="invalid_api_key")
        return None

    def _take(self, *, stream_only: bool) -> tuple[str, float | None] | None:
        if self._failures and (self._failures[0][0] in STREAM_ONLY) == stream_only:
            return self._failures.pop(0)
        return None

    def _invalid(self, body: Any) -> Response | None:
        if not isinstance(body, dict):
            return _error(
                400, "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload."
            )
        if not body.get("model"):
            return _error(400, "you must provide a model parameter")
        messages = body.get("messages")
        if messages is None:
            return _error(
                400, "Missing required parameter: 'messages'.", param="messages", code="missing_required_parameter"
            )
        if not isinstance(messages, list) or not messages:
            message = (
                "Invalid 'messages': empty array. Expected an array with minimum length 1, "
                "but got an empty array instead."
            )
            return _error(400, message, param="messages", code="empty_array")
        for index, item in enumerate(messages):
            role = item.get("role") if isinstance(item, dict) else None
            if role not in ROLES:
                supported = ", ".join(f"'{r}'" for r in ROLES)
                message = f"Invalid value: '{role}'. Supported values are: {supported}."
                return _error(400, message, param=f"messages[{index}].role", code="invalid_value")
            if role in ("system", "developer", "user") and not isinstance(item.get("content"), str | list):
                message = f"Missing required parameter: 'messages[{index}].content'."
                return _error(400, message, param=f"messages[{index}].content", code="missing_required_parameter")
        temperature = body.get("temperature")
        if temperature is not None and not (isinstance(temperature, int | float) and 0 <= temperature <= 2):
            message = f"Invalid 'temperature': expected a number between 0 and 2, but got {temperature} instead."
            return _error(400, message, param="temperature", code="invalid_value")
        if body["model"] in self.retired:
            message = f"The model `{body['model']}` has been decommissioned and is no longer supported."
            return _error(400, message, code="model_decommissioned")
        if body["model"] not in self.models + self.unlisted:
            message = f"The model `{body['model']}` does not exist or you do not have access to it."
            return _error(404, message, code="model_not_found")
        return None

    # --- answers ----------------------------------------------------------------------------------

    async def _fail(self, request: Request, kind: str, retry_after: float | None) -> Response:
        if kind == "rate_limited":
            headers = {} if retry_after is None else {"retry-after": f"{retry_after:g}"}
            message = (
                f"Rate limit reached for {MODEL} in organization org-fake on requests per min (RPM): Limit 3, "
                f"Used 3, Requested 1. Please try again in {retry_after or 20:g}s."
            )
            return _error(429, message, kind="requests", code="rate_limit_exceeded", headers=headers)
        if kind == "insufficient_quota":
            message = "You exceeded your current quota, please check your plan and billing details."
            return _error(429, message, kind="insufficient_quota", code="insufficient_quota")
        if kind == "server_error":
            return _error(500, SERVER_ERROR, kind="server_error")
        if kind == "timeout":
            await _wait_for_disconnect(request, self.timeout_delay)
            return _error(504, "Gateway Timeout", kind="server_error")
        return PlainTextResponse("<html><body>It works!</body></html>", media_type="text/html")  # "garbage"

    async def _chunks(
        self, model: str, text: str, finish: str, failure: tuple[str, float | None] | None, usage: bool
    ) -> AsyncIterator[bytes]:
        head: dict[str, Any] = {
            "id": f"chatcmpl-fake{next(_ids)}",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": FINGERPRINT,
            **({"usage": None} if usage else {}),
        }

        def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
            choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
            return _sse({**head, "choices": [choice]})

        yield chunk({"role": "assistant", "content": "", "refusal": None})
        for index, piece in enumerate(pieces_of(text)):
            if failure is not None and index == CHUNKS_BEFORE_FAILURE:
                if failure[0] == "stream_cut":
                    raise _CutStream("the connection drops mid-answer")
                yield _sse({"error": {"message": SERVER_ERROR, "type": "server_error", "param": None, "code": None}})
                return
            yield chunk({"content": piece})
        yield chunk({}, finish)
        if usage:
            yield _sse({**head, "choices": [], "usage": _usage(text, text)})
        yield b"data: [DONE]\n\n"


def _model(model: str) -> dict[str, Any]:
    return {"id": model, "object": "model", "created": 1721172741, "owned_by": "system"}


def _usage(prompt: str, completion: str) -> dict[str, Any]:
    prompt_tokens, completion_tokens = len(prompt.split()), len(completion.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _completion(model: str, messages: list[dict[str, Any]], text: str, finish: str) -> dict[str, Any]:
    prompt = " ".join(_text(m.get("content")) for m in messages)
    message: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
    return {
        "id": f"chatcmpl-fake{next(_ids)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish}],
        "usage": _usage(prompt, text),
        "service_tier": "default",
        "system_fingerprint": FINGERPRINT,
    }


def _request_id() -> dict[str, str]:
    return {"x-request-id": f"req_fake{next(_ids)}"}


async def _wait_for_disconnect(request: Request, seconds: float) -> None:
    """Keep the caller waiting, but stop as soon as it hangs up (so the server shuts down fast)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not await request.is_disconnected():
        await asyncio.sleep(0.02)
