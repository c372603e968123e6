"""Benchmark: time to a usable page in headless Chromium, and the backend's memory at idle.

Starts the production build (tests/e2e/server.py), seeds one business, then prints the median, min and max time
from navigation to a usable /login and /overview, and the resident memory of the server's processes.

    .venv/bin/python bench/pages.py [--runs 7] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Browser, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import BROWSER_ARGS, chromium_path, running_app  # noqa: E402

EMAIL = "owner@bench-bistro.com"
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway account in a throwaway database
IDLE_SECONDS = 5.0
TIMEOUT_MS = 30_000

# Marks the page hydrated once the backend's state delta sets Reflex's `is_hydrated` (it comes over the websocket).
HYDRATION_PROBE = """
(() => {
  const Native = window.WebSocket;
  window.__benchHydrated = false;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (typeof event.data === "string" && /"is_hydrated_rx_state_":\\s*true/.test(event.data)) {
          window.__benchHydrated = true;
        }
      });
    }
  };
})();
"""
LOGIN_USABLE = """
() => {
  const email = document.querySelector('input[name="email"]');
  const button = [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === "Sign in");
  return window.__benchHydrated && email && !email.disabled && email.checkVisibility()
    && button && !button.disabled && button.checkVisibility();
}
"""
OVERVIEW_USABLE = """
() => [...document.querySelectorAll('[data-testid="checklist-step"]')].some((row) => row.checkVisibility())
"""
DOM_CONTENT_LOADED = "() => performance.getEntriesByType('navigation')[0].domContentLoadedEventEnd"


def seed_owner(database_url: str) -> None:
    """Create the business and owner that the overview runs sign in as."""
    # Imported here so that IOPERATOR_DATA_DIR (set in main) is in place before the settings are read.
    from sqlmodel import Session

    from ioperator.core.db import make_engine
    from ioperator.services import accounts

    engine = make_engine(database_url)
    with Session(engine) as session:
        accounts.create_business(
            session=session,
            business_name="Bench Bistro",
            owner_email=EMAIL,
            owner_password=PASSWORD,
            owner_name="Bench Owner",
        )
        session.commit()
    engine.dispose()


def timed_visit(page: Page, url: str, usable: str) -> tuple[float, float]:
    """Navigate and wait until the `usable` predicate holds: (wall-clock ms, browser's domContentLoadedEventEnd)."""
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(usable, polling="raf", timeout=TIMEOUT_MS)
    elapsed_ms = (time.perf_counter() - start) * 1000
    return elapsed_ms, float(page.evaluate(DOM_CONTENT_LOADED))


def sign_in(page: Page, base_url: str) -> None:
    page.goto(base_url + "/login")
    page.wait_for_function(LOGIN_USABLE, timeout=TIMEOUT_MS)
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/overview**", timeout=TIMEOUT_MS)


def measure_login(browser: Browser, base_url: str) -> tuple[float, float]:
    context = browser.new_context()
    try:
        context.add_init_script(HYDRATION_PROBE)
        return timed_visit(context.new_page(), base_url + "/login", LOGIN_USABLE)
    finally:
        context.close()


def measure_overview(browser: Browser, base_url: str) -> tuple[float, float]:
    context = browser.new_context()
    try:
        context.add_init_script(HYDRATION_PROBE)
        page = context.new_page()
        sign_in(page, base_url)
        return timed_visit(page, base_url + "/overview", OVERVIEW_USABLE)
    finally:
        context.close()


def summarize(samples: list[tuple[float, float]]) -> dict[str, Any]:
    usable = [round(ms, 1) for ms, _ in samples]
    dcl = [round(ms, 1) for _, ms in samples]
    return {
        "median_ms": round(statistics.median(usable), 1),
        "min_ms": min(usable),
        "max_ms": max(usable),
        "dom_content_loaded_median_ms": round(statistics.median(dcl), 1),
        "samples_ms": usable,
    }


def time_pages(base_url: str, runs: int) -> dict[str, dict[str, Any]]:
    measures = {"/login": measure_login, "/overview": measure_overview}
    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=BROWSER_ARGS)
        try:
            for path, measure in measures.items():
                measure(browser, base_url)  # warm-up, not counted
                results[path] = summarize([measure(browser, base_url) for _ in range(runs)])
                print(f"timed {path}: {runs} runs", file=sys.stderr)
        finally:
            browser.close()
    return results


def process_tree(root_pid: int) -> dict[int, int]:
    """The root's process group plus every descendant (in case one started its own session): {pid: ppid}."""
    parents, groups = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents[int(entry.name)], groups[int(entry.name)] = int(fields[1]), int(fields[2])
    members = {pid for pid, group in groups.items() if group == root_pid} | {root_pid}
    grown = True
    while grown:
        children = {pid for pid, parent in parents.items() if parent in members}
        grown = not children <= members
        members |= children
    return {pid: parents[pid] for pid in sorted(members) if pid in parents}


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0  # a zombie or a kernel thread has no VmRSS


def short_cmdline(pid: int, width: int = 70) -> str:
    raw = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    words = [Path(word).name if word.startswith("/") else word for word in raw.split()]
    text = " ".join(words)
    return text if len(text) <= width else text[: width - 1] + "…"


def backend_memory(root_pid: int) -> dict[str, Any]:
    processes = []
    for pid, ppid in process_tree(root_pid).items():
        try:
            processes.append({"pid": pid, "ppid": ppid, "rss_kib": rss_kib(pid), "command": short_cmdline(pid)})
        except (FileNotFoundError, ProcessLookupError):
            continue
    return {"total_kib": sum(p["rss_kib"] for p in processes), "processes": processes}


def print_report(report: dict[str, Any]) -> None:
    print(f"\nTime to a usable page, headless Chromium, production build ({report['runs']} runs, ms)")
    print(f"{'page':<11}{'median':>8}{'min':>8}{'max':>8}{'DCL median':>12}")
    for path, figures in report["pages"].items():
        print(
            f"{path:<11}{figures['median_ms']:>8.0f}{figures['min_ms']:>8.0f}{figures['max_ms']:>8.0f}"
            f"{figures['dom_content_loaded_median_ms']:>12.0f}"
        )
    memory = report["backend_rss"]
    count = len(memory["processes"])
    total_mib = memory["total_kib"] / 1024
    plural = "es" if count != 1 else ""
    print(f"\nBackend RSS at idle, {IDLE_SECONDS:.0f} s after the runs: {total_mib:.1f} MiB in {count} process{plural}")
    print(f"{'pid':>8}{'ppid':>8}{'RSS MiB':>9}  command")
    for proc in memory["processes"]:
        print(f"{proc['pid']:>8}{proc['ppid']:>8}{proc['rss_kib'] / 1024:>9.1f}  {proc['command']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per page (default 7)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    print("starting the production build (the first start builds the frontend)...", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="ioperator-bench-") as data_dir, running_app() as app:
        os.environ["IOPERATOR_DATA_DIR"] = data_dir
        seed_owner(app.database_url)
        report: dict[str, Any] = {"runs": args.runs, "pages": time_pages(app.url, args.runs)}
        time.sleep(IDLE_SECONDS)
        report["backend_rss"] = backend_memory(app.process.pid)

    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print_report(report)


if __name__ == "__main__":
    main()
