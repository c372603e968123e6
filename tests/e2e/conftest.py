"""End-to-end fixtures: the production build started once per session, headless Chromium,
data seeded through the services, and a screenshot of the page whenever a test fails.

`E2E_DATABASE_URL` and `E2E_REDIS_URL` run the server on PostgreSQL / Redis (`.ci/run` does).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlmodel import Session

from ioperator.core.db import make_engine
from tests.e2e.server import BROWSER_ARGS, ROOT, RunningApp, chromium_path, running_app
from tests.fakes.openai import FakeOpenAI
from tests.fakes.runner import serve
from tests.fakes.telegram import FakeTelegram
from tests.fakes.telnyx import PREFIX as TELNYX_PREFIX
from tests.fakes.telnyx import FakeTelnyx
from tests.fakes.twilio import FakeTwilio
from tests.fakes.yclients import FakeYclients

ARTIFACTS = ROOT / "test-artifacts"
E2E_WEBHOOK_BASE = "https://hooks.e2e.example.com"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture(scope="session")
def fake_telegram() -> Iterator[tuple[FakeTelegram, str]]:
    """A fake Bot API the production server talks to instead of api.telegram.org."""
    fake = FakeTelegram()
    with serve(fake.app) as url:
        yield fake, url


YCLIENTS_PARTNER, YCLIENTS_USER = "e2e-partner-token", "e2e-user-token"


@pytest.fixture(scope="session")
def fake_yclients() -> Iterator[tuple[FakeYclients, str]]:
    fake = FakeYclients(partner_token=YCLIENTS_PARTNER, user_token=YCLIENTS_USER, company_id=777)
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="session")
def fake_openai() -> Iterator[tuple[FakeOpenAI, str]]:
    """An OpenAI-compatible server; its address is typed into Business settings → AI model."""
    fake = FakeOpenAI()
    with serve(fake.app) as url:
        yield fake, url + "/v1"


@pytest.fixture(scope="session")
def fake_twilio() -> Iterator[tuple[FakeTwilio, str]]:
    """A Twilio REST API: the telephony pages connect to it, provision a TwiML app and sync its numbers."""
    fake = FakeTwilio(hold_seconds=1.0)
    with serve(fake.app) as url:
        yield fake, url


@pytest.fixture(scope="session")
def fake_telnyx() -> Iterator[tuple[FakeTelnyx, str]]:
    fake = FakeTelnyx(hold_seconds=1.0)
    with serve(fake.app) as url:
        yield fake, url + TELNYX_PREFIX


@pytest.fixture(scope="session")
def app_server(
    fake_telegram: tuple[FakeTelegram, str],
    fake_yclients: tuple[FakeYclients, str],
    fake_twilio: tuple[FakeTwilio, str],
    fake_telnyx: tuple[FakeTelnyx, str],
) -> Iterator[RunningApp]:
    with running_app(
        database_url=os.environ.get("E2E_DATABASE_URL") or None,
        redis_url=os.environ.get("E2E_REDIS_URL", ""),
        log_dir=ARTIFACTS,
        extra_env={
            "IOPERATOR_PROVIDER_BASE_URLS": json.dumps(
                {
                    "telegram": fake_telegram[1],
                    "yclients": fake_yclients[1] + "/api/v1",
                    "twilio": fake_twilio[1],
                    "telnyx": fake_telnyx[1],
                }
            ),
            "IOPERATOR_WEBHOOK_BASE_URL": E2E_WEBHOOK_BASE,
        },
    ) as app:
        yield app


@pytest.fixture(scope="session")
def app_db(app_server: RunningApp) -> Iterator[Session]:
    """A session on the server's database, for seeding through the services."""
    engine = make_engine(app_server.database_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=BROWSER_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, app_server: RunningApp) -> Iterator[BrowserContext]:
    ctx = browser.new_context(base_url=app_server.url, viewport={"width": 1280, "height": 860}, locale="en-US")
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        for index, open_page in enumerate(context.pages):
            open_page.screenshot(path=str(ARTIFACTS / f"{name}-{index}.png"), full_page=True)
    assert errors == [], f"JavaScript errors on the page: {errors}"
