"""The OpenAI-compatible chat adapter, through the official SDK, against the fake OpenAI API over real
HTTP: whole and streamed replies, the connection test, each error and the retry that recovers from it."""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import openai._base_client
import pytest

from ioperator.adapters.errors import AdapterError, CannotConnect, InvalidAuth, ProviderError, RateLimited
from ioperator.adapters.llm.openai_compatible import NOT_THE_API, LlmSettings, OpenAICompatibleChat, _clean
from tests.fakes import openai as oai
from tests.fakes.runner import serve

T = TypeVar("T")
KEY = oai.KEY
WRONG_KEY = "sk-proj-Wr0ngKeyWr0ngKeyWr0ngKey000011112222"
MODEL = oai.MODEL
QUICK = 0.1  # seconds: the timeout case stays fast (the SDK tries twice)
SYSTEM = "You are the operator of Cafe Aroma.\nAnswer briefly, in the guest's language."
MESSAGES = [
    {"role": "system", "content": SYSTEM},
    {"role": "user", "content": "Hi!"},
    {"role": "assistant", "content": "Hello! How can I help?"},
    {"role": "user", "content": "Is there a table for two at 7 pm?"},
]
TLS = ssl.create_default_context()  # built once: a new client would load the CA bundle every time
REPLY = "You said: Is there a table for two at 7 pm? (system: You are the operator of Cafe Aroma.)"


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on its own loop in a worker thread (another loop may be running here)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


async def collect(deltas: AsyncIterator[str], into: list[str] | None = None) -> list[str]:
    received = [] if into is None else into
    async for delta in deltas:
        received.append(delta)
    return received


Operation = Callable[[OpenAICompatibleChat], Awaitable[Any]]
OPERATIONS: dict[str, Operation] = {
    "complete": lambda chat: chat.complete(MESSAGES),
    "stream": lambda chat: collect(chat.stream(MESSAGES)),
    "test_connection": lambda chat: chat.test_connection(),
}


def call(operation: Operation, *, base_url: str, key: str = KEY, model: str = MODEL, **options: Any) -> Any:
    async def main() -> Any:
        async with httpx.AsyncClient(verify=TLS) as http:
            settings = LlmSettings(base_url=base_url, api_key=key, model=model, timeout_seconds=QUICK, **options)
            return await operation(OpenAICompatibleChat(settings, http=http))

    return run(main())


@pytest.fixture(autouse=True)
def quick_sdk_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK's own retry still happens (see `retry_count`), after 20 ms instead of ~0.5 s."""
    monkeypatch.setattr(openai._base_client, "INITIAL_RETRY_DELAY", 0.02)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[oai.FakeOpenAI, str]]:
    fake = oai.FakeOpenAI(timeout_delay=2.0)
    with serve(fake.app) as url:
        yield fake, f"{url}/v1"


@pytest.fixture
def fake(server: tuple[oai.FakeOpenAI, str]) -> oai.FakeOpenAI:
    fake = server[0]
    fake.reset()
    fake.models, fake.unlisted, fake.retired = [MODEL, "gpt-4o"], [], []
    fake.list_models, fake.echo_key = True, False
    return fake


@pytest.fixture
def base_url(server: tuple[oai.FakeOpenAI, str]) -> str:
    return server[1]


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def check_success(operation: str, result: Any, fake: oai.FakeOpenAI) -> None:
    last = fake.requests[-1]
    if operation == "test_connection":
        assert result == MODEL
        assert (last.method, last.path) == ("GET", "/v1/models")
        return
    assert (last.method, last.path) == ("POST", "/v1/chat/completions")
    assert last.body["messages"] == MESSAGES  # the system prompt and the turns arrive exactly
    assert last.body["model"] == MODEL
    assert "temperature" not in last.body
    if operation == "complete":
        assert result == REPLY
        assert last.body.get("stream") in (None, False)
    else:
        assert result == oai.pieces_of(REPLY) and len(result) > 3  # several deltas, in order
        assert "".join(result) == REPLY
        assert last.body["stream"] is True


@pytest.mark.parametrize("operation", OPERATIONS)
def test_success(operation: str, fake: oai.FakeOpenAI, base_url: str) -> None:
    check_success(operation, call(OPERATIONS[operation], base_url=base_url), fake)
    assert [r.retry_count for r in fake.requests] == ["0"]


Arrange = Callable[[oai.FakeOpenAI, str], dict[str, Any]]


def _inject(kind: str, **options: Any) -> Arrange:
    def arrange(fake: oai.FakeOpenAI, base_url: str) -> dict[str, Any]:
        fake.fail_next(kind, **options)
        return {"base_url": base_url}

    return arrange


def _echoing_wrong_key(fake: oai.FakeOpenAI, base_url: str) -> dict[str, Any]:
    fake.echo_key = True
    return {"base_url": base_url, "key": WRONG_KEY}


# The SDK retries 429, 5xx, timeouts and refused connections once by itself: two failures in a row.
FAILURES: list[tuple[str, Arrange, type[AdapterError], str, str | None]] = [
    ("wrong_key", lambda f, url: {"base_url": url, "key": WRONG_KEY}, InvalidAuth, "Incorrect API key", "api_key"),
    ("wrong_key_echoed", _echoing_wrong_key, InvalidAuth, "Incorrect API key provided: ••••.", "api_key"),
    ("unknown_model", lambda f, url: {"base_url": url, "model": "gpt-9"}, ProviderError, "`gpt-9`", "model"),
    ("no_api_here", lambda f, url: {"base_url": url.removesuffix("/v1")}, ProviderError, "HTTP 404", "base_url"),
    ("rate_limited", _inject("rate_limited", retry_after=300), RateLimited, "Rate limit reached", None),
    ("out_of_quota", _inject("insufficient_quota", times=2), ProviderError, "exceeded your", "api_key"),
    ("server_error", _inject("server_error", times=2), CannotConnect, "The server had an error", None),
    ("timeout", _inject("timeout", times=2), CannotConnect, f"no answer within {QUICK:g} s", None),
    ("refused", lambda f, url: {"base_url": closed_port_url()}, CannotConnect, "(ConnectError)", None),
    ("not_the_api", _inject("garbage"), ProviderError, NOT_THE_API, "base_url"),
]


def check_no_key(error: AdapterError, *keys: str) -> None:
    for key in keys:
        for text in (str(error), error.detail, repr(error.params), repr(error.args)):
            assert key not in text


@pytest.mark.parametrize("operation", OPERATIONS)
@pytest.mark.parametrize(("case", "arrange", "expected", "detail", "field"), FAILURES, ids=[f[0] for f in FAILURES])
def test_each_error_then_recovery_on_retry(
    operation: str,
    case: str,
    arrange: Arrange,
    expected: type[AdapterError],
    detail: str,
    field: str | None,
    fake: oai.FakeOpenAI,
    base_url: str,
) -> None:
    with pytest.raises(expected) as caught:
        call(OPERATIONS[operation], **arrange(fake, base_url))

    error = caught.value
    assert type(error) is expected
    assert detail in error.detail, error.detail
    assert error.field == field
    check_no_key(error, KEY, WRONG_KEY)
    if expected is RateLimited:
        assert isinstance(error, RateLimited) and error.retry_after == 300 and error.params == {"seconds": 300}

    fake.echo_key = False
    check_success(operation, call(OPERATIONS[operation], base_url=base_url), fake)


@pytest.mark.parametrize(
    ("kind", "expected", "detail"),
    [
        ("mid_stream_error", ProviderError, oai.SERVER_ERROR),
        ("stream_cut", CannotConnect, "(RemoteProtocolError)"),
    ],
)
def test_an_error_in_the_middle_of_a_stream_then_recovery(
    kind: str, expected: type[AdapterError], detail: str, fake: oai.FakeOpenAI, base_url: str
) -> None:
    fake.fail_next(kind)
    received: list[str] = []

    with pytest.raises(expected) as caught:
        call(lambda chat: collect(chat.stream(MESSAGES), received), base_url=base_url)

    assert received == oai.pieces_of(REPLY)[: oai.CHUNKS_BEFORE_FAILURE]  # what came before the error
    assert detail in caught.value.detail
    check_no_key(caught.value, KEY)
    assert len(fake.requests) == 1  # a stream that has started is not retried
    check_success("stream", call(OPERATIONS["stream"], base_url=base_url), fake)


def test_a_stream_failure_waits_for_a_stream(fake: oai.FakeOpenAI, base_url: str) -> None:
    fake.fail_next("mid_stream_error")
    check_success("complete", call(OPERATIONS["complete"], base_url=base_url), fake)
    with pytest.raises(ProviderError):
        call(OPERATIONS["stream"], base_url=base_url)


def test_the_sdk_retries_one_server_error_by_itself(fake: oai.FakeOpenAI, base_url: str) -> None:
    fake.fail_next("server_error")
    check_success("complete", call(OPERATIONS["complete"], base_url=base_url), fake)
    assert [r.retry_count for r in fake.requests] == ["0", "1"]


def test_the_sdk_waits_out_a_short_retry_after_by_itself(fake: oai.FakeOpenAI, base_url: str) -> None:
    fake.fail_next("rate_limited", retry_after=0.3)  # servers may send fractions of a second
    started = time.monotonic()
    check_success("complete", call(OPERATIONS["complete"], base_url=base_url), fake)
    assert time.monotonic() - started >= 0.3
    assert [r.retry_count for r in fake.requests] == ["0", "1"]


def test_a_rate_limit_without_retry_after(fake: oai.FakeOpenAI, base_url: str) -> None:
    fake.fail_next("rate_limited", times=2, retry_after=None)
    with pytest.raises(RateLimited) as caught:
        call(OPERATIONS["complete"], base_url=base_url)
    assert caught.value.retry_after is None and caught.value.params == {"seconds": 0}


def test_a_temperature_is_sent_only_when_set(fake: oai.FakeOpenAI, base_url: str) -> None:
    assert call(OPERATIONS["complete"], base_url=base_url, temperature=0.2) == REPLY
    assert fake.chat_requests[-1]["temperature"] == 0.2
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["complete"], base_url=base_url, temperature=3.0)
    assert "temperature" in caught.value.detail and caught.value.field is None


def test_a_model_served_but_not_listed_is_tried_with_one_token(fake: oai.FakeOpenAI, base_url: str) -> None:
    fake.unlisted = ["llama-3.1-8b"]
    assert call(OPERATIONS["test_connection"], base_url=base_url, model="llama-3.1-8b") == "llama-3.1-8b"
    listing, ping = fake.requests
    assert (listing.path, ping.path) == ("/v1/models", "/v1/chat/completions")
    assert (ping.body["model"], ping.body["max_tokens"], ping.body["messages"]) == (
        "llama-3.1-8b",
        1,
        [{"role": "user", "content": "ping"}],
    )


def test_a_server_without_a_model_list_is_asked_for_one_token(fake: oai.FakeOpenAI, base_url: str) -> None:
    fake.list_models = False
    assert call(OPERATIONS["test_connection"], base_url=base_url) == MODEL
    assert [r.path for r in fake.requests] == ["/v1/models", "/v1/chat/completions"]
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["test_connection"], base_url=base_url, model="gpt-9")
    assert caught.value.field == "model"


def test_a_consumer_may_stop_a_stream_early(fake: oai.FakeOpenAI, base_url: str) -> None:
    async def first_two(chat: OpenAICompatibleChat) -> list[str]:
        received: list[str] = []
        stream = chat.stream(MESSAGES)
        async for delta in stream:
            received.append(delta)
            if len(received) == 2:
                break
        await stream.aclose()  # type: ignore[attr-defined]
        return received

    assert call(first_two, base_url=base_url) == oai.pieces_of(REPLY)[:2]
    check_success("stream", call(OPERATIONS["stream"], base_url=base_url), fake)


def test_without_a_shared_client_the_sdk_uses_and_closes_its_own(fake: oai.FakeOpenAI, base_url: str) -> None:
    async def main() -> str:
        chat = OpenAICompatibleChat(LlmSettings(base_url=base_url, api_key=KEY, model=MODEL))
        try:
            return await chat.complete(MESSAGES)
        finally:
            await chat.aclose()

    assert run(main()) == REPLY


def test_the_hosts_openai_environment_stays_out_of_owners_requests(
    fake: oai.FakeOpenAI, base_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_ORG_ID", "org-host")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_host")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-host-key-0000")
    with pytest.raises(InvalidAuth):
        call(OPERATIONS["complete"], base_url=base_url, key="")  # no key: never the host's
    check_success("complete", call(OPERATIONS["complete"], base_url=base_url), fake)
    for request in fake.requests:
        assert "openai-organization" not in request.headers and "openai-project" not in request.headers


def test_a_retired_model_is_shown_on_the_model_field(fake: oai.FakeOpenAI, base_url: str) -> None:
    fake.retired = ["mixtral-8x7b-32768"]
    with pytest.raises(ProviderError) as caught:
        call(OPERATIONS["complete"], base_url=base_url, model="mixtral-8x7b-32768")
    assert caught.value.field == "model" and "decommissioned" in caught.value.detail
    check_success("complete", call(OPERATIONS["complete"], base_url=base_url), fake)


def test_the_key_stays_out_of_reprs_and_details() -> None:
    settings = LlmSettings(base_url="https://api.openai.com/v1", api_key=KEY, model=MODEL)
    assert KEY not in repr(settings)
    assert _clean(f"bad key {KEY}!", KEY) == "bad key ••••!"
    assert _clean("Incorrect API key provided: gsk_x sk-ab***wxyz.", "other") == (
        "Incorrect API key provided: gsk_x sk-••••."
    )
    assert len(_clean("x" * 1000, KEY)) == 300


# --- The fake itself refuses what OpenAI refuses ------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"messages": [{"role": "user", "content": "hi"}]}, 400, None),
        ({"model": MODEL}, 400, "missing_required_parameter"),
        ({"model": MODEL, "messages": []}, 400, "empty_array"),
        ({"model": MODEL, "messages": [{"role": "robot", "content": "hi"}]}, 400, "invalid_value"),
        ({"model": MODEL, "messages": [{"role": "user"}]}, 400, "missing_required_parameter"),
        ({"model": "gpt-9", "messages": [{"role": "user", "content": "hi"}]}, 404, "model_not_found"),
    ],
)
def test_the_fake_checks_required_fields(
    body: dict[str, Any], status: int, code: str | None, fake: oai.FakeOpenAI, base_url: str
) -> None:
    response = httpx.post(f"{base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.status_code == status
    assert set(response.json()["error"]) == {"message", "type", "param", "code"}
    assert response.json()["error"]["code"] == code


def test_the_fake_speaks_openais_stream_and_auth(fake: oai.FakeOpenAI, base_url: str) -> None:
    body = {"model": MODEL, "messages": MESSAGES, "stream": True, "stream_options": {"include_usage": True}}
    response = httpx.post(f"{base_url}/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert response.headers["content-type"].startswith("text/event-stream")
    lines = [line for line in response.text.split("\n") if line]
    assert lines[-1] == "data: [DONE]" and all(line.startswith("data: ") for line in lines)
    refused = httpx.get(f"{base_url}/models", headers={"Authorization": f"Bearer {WRONG_KEY}"})
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert WRONG_KEY not in refused.text
    assert httpx.get(f"{base_url}/models").status_code == 401
    assert httpx.get(f"{base_url}/models/{MODEL}", headers={"Authorization": f"Bearer {KEY}"}).json()["id"] == MODEL
