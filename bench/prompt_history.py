"""Benchmark: the Prompts page's history dialog with 1,000 versions, on the production build.

Seeds one prompt with 1,000 versions through the services, signs in with headless Chromium, and times from
the click on "History" until the dialog lists every version (median of several openings). Also times the
service call that loads the list.

    .venv/bin/python bench/prompt_history.py [--versions 1000] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from tests.e2e.server import BROWSER_ARGS, E2E_KEY, chromium_path, running_app  # noqa: E402

EMAIL, PASSWORD = "owner@history-bench.com", "correct horse battery"


def seed(database_url: str, versions: int) -> float:
    """Create the business, a prompt and `versions` versions; return the list_versions time in ms."""
    os.environ.update(
        {
            "IOPERATOR_DATABASE_URL": database_url,
            "IOPERATOR_SECRET_KEYS": E2E_KEY,
            "IOPERATOR_DATA_DIR": tempfile.mkdtemp(prefix="bench-history-"),
        }
    )
    from ioperator.core.auth import TenantContext
    from ioperator.core.db import session_scope
    from ioperator.models.user import Role
    from ioperator.services import accounts, prompts

    with session_scope() as session:
        result = accounts.create_business(
            session=session, business_name="History Bench", owner_email=EMAIL, owner_password=PASSWORD
        )
        tenant = TenantContext(business_id=result.business.id or 0, user_id=result.owner.id, role=Role.OWNER)
        prompt, _ = prompts.create_prompt(session=session, tenant=tenant, name="Main", template_slug="restaurant")
        body = prompts.get_version_or_raise(session=session, tenant=tenant, prompt_id=prompt.id or 0, number=1).source
        for n in range(2, versions + 1):
            prompts.save_version(
                session=session,
                tenant=tenant,
                prompt_id=prompt.id or 0,
                source=body + f"\n<!-- edit {n} -->\n",
                base_version=n - 1,
                note=f"edit {n}",
            )
        started = time.perf_counter()
        rows = prompts.list_versions(session=session, tenant=tenant, prompt_id=prompt.id or 0)
        elapsed = (time.perf_counter() - started) * 1000
        assert len(rows) == versions
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with running_app() as app:
        service_ms = seed(app.database_url, args.versions)
        timings = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium_path(), args=BROWSER_ARGS)
            page = browser.new_context(base_url=app.url, viewport={"width": 1440, "height": 900}).new_page()
            page.goto("/login")
            page.locator('[data-hydrated="true"]').wait_for(state="attached")
            page.get_by_label("Email").fill(EMAIL)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/overview**")
            page.goto("/agent/prompts")
            page.get_by_role("button", name="History").wait_for()
            for _ in range(args.runs):
                started = time.perf_counter()
                page.get_by_role("button", name="History").click()
                page.wait_for_function(
                    f"() => document.querySelectorAll('[data-testid=\"prompt-version\"]').length === {args.versions}",
                    timeout=60_000,
                )
                timings.append((time.perf_counter() - started) * 1000)
                page.keyboard.press("Escape")
                page.get_by_role("dialog").wait_for(state="detached")
            browser.close()
    print(f"History dialog with {args.versions} versions, production build, headless Chromium ({args.runs} runs)")
    print(
        f"  click to all rows listed: median {statistics.median(timings):.0f} ms "
        f"(min {min(timings):.0f}, max {max(timings):.0f})"
    )
    print(f"  loading the list in the service: {service_ms:.1f} ms")


if __name__ == "__main__":
    main()
