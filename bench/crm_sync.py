"""Benchmark: CRM catalog sync of a large catalog, and the provider rate limiter under concurrent callers.

1. Serves the fake YCLIENTS (tests/fakes/yclients.py) seeded with `--services` services and `--staff` staff,
   connects it through the integrations service on a fresh database, then times `crm_sync.sync_catalog`: the first
   sync (rows written, HTTP requests the fake saw), a second sync that should change nothing, and the peak memory
   (tracemalloc, and the process's ru_maxrss and current RSS).
2. Builds 20 YCLIENTS adapters of one account (5 requests/s) and 5 EasyWeek adapters of one key (1 request/s),
   calls `list_staff()` on all of them at once, and checks from the fake's request log that no 1-second window
   saw more requests than the provider allows.

Each fake runs in a child process (`serve(fake.app)` there): its memory and CPU are not counted, and its arrival
timestamps are not delayed by this process's GIL (in-process, the first request was at times logged ~0.1 s late,
which packed 6 requests into one second).

    .venv/bin/python bench/crm_sync.py [--services 5000] [--staff 200] [--db sqlite|postgres|both] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.easyweek import FakeEasyWeek  # noqa: E402
from tests.fakes.runner import serve  # noqa: E402
from tests.fakes.yclients import FakeYclients  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PARTNER, USER, COMPANY = "bench-partner-token-0001", "bench-user-token-0001", 4564
EASYWEEK_KEY, EASYWEEK_WORKSPACE = "bench-easyweek-key-0001", "bench-salon"
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway account in a throwaway database
YCLIENTS_CALLERS, EASYWEEK_CALLERS = 20, 5
MIB = 1024 * 1024


# --- the fakes, each in a child process ----------------------------------------------------------------------
class Control:
    """Serves a fake's app, plus `/_bench/requests` (its request log) and `/_bench/reset` (clears it)."""

    def __init__(self, app: Any, log: list[Any]) -> None:
        self.app, self.log = app, log

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        from starlette.responses import JSONResponse

        if scope["type"] == "http" and scope["path"] == "/_bench/reset":
            self.log.clear()
            await JSONResponse({})(scope, receive, send)
        elif scope["type"] == "http" and scope["path"] == "/_bench/requests":
            seen = [[s.method, s.path, s.at] for s in self.log]
            await JSONResponse({"requests": seen})(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def serve_fake(kind: str, services: int, staff: int) -> None:
    """Child mode: seed the fake, serve it, print the URL, and serve until stdin closes."""
    if kind == "yclients":
        yclients = FakeYclients(partner_token=PARTNER, user_token=USER, company_id=COMPANY)
        yclients.seed_catalog(services=services, staff=staff)
        control = Control(yclients.app, yclients.requests)
    else:
        easyweek = FakeEasyWeek()
        easyweek.keys[EASYWEEK_KEY] = EASYWEEK_WORKSPACE
        location = easyweek.add_location("Bench salon")
        for n in range(staff):
            easyweek.add_staffer(location, f"Master{n}", "Lee", "Stylist")
        control = Control(easyweek.app, easyweek.seen)
    with serve(control) as url:
        print(url, flush=True)
        sys.stdin.read()


@contextmanager
def fake_process(kind: str, *, services: int = 0, staff: int = 1) -> Iterator[tuple[str, httpx.Client]]:
    """A fake provider served by a child process (its memory, CPU and GIL are not this process's): (URL, control)."""
    argv = [sys.executable, __file__, "--serve-fake", kind, "--services", str(services), "--staff", str(staff)]
    child = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        url = child.stdout.readline().strip()
        if not url.startswith("http://"):
            raise RuntimeError(f"the fake {kind} did not start (exit code {child.poll()})")
        with httpx.Client(base_url=url, timeout=30) as control:
            yield url, control
    finally:
        if child.stdin:
            child.stdin.close()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def request_times(control: httpx.Client) -> list[float]:
    return [float(at) for _, _, at in control.get("/_bench/requests").json()["requests"]]


# --- helpers -----------------------------------------------------------------------------------------------------
def maxrss_mib() -> float:
    """The process's peak resident memory so far (ru_maxrss: KiB on Linux, bytes on macOS)."""
    value = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return value / MIB if sys.platform == "darwin" else value / 1024


def current_rss_mib() -> float | None:
    """The process's resident memory now (VmRSS; Linux only)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def busiest_window(times: Sequence[float], seconds: float = 1.0) -> int:
    """The most timestamps within any `seconds`-long window (as FakeYclients.busiest_window)."""
    ordered = sorted(times)
    return max((sum(1 for t in ordered[i:] if t < start + seconds) for i, start in enumerate(ordered)), default=0)


def spacing(times: Sequence[float]) -> dict[str, float | None]:
    gaps = [b - a for a, b in itertools.pairwise(sorted(times))]
    if not gaps:
        return {"mean": None, "min": None, "max": None}
    return {"mean": statistics.fmean(gaps), "min": min(gaps), "max": max(gaps)}


def postgres_reachable(url: str) -> str:
    """'' when PostgreSQL answers, else why not."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return ""
    except Exception as exc:  # any driver or network failure means: skip
        text = str(exc).strip()
        return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
    finally:
        engine.dispose()


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A schema of our own in the shared database (dropped afterwards); yields a URL whose search_path is it."""
    schema = f"bench_crm_sync_{os.getpid()}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        from ioperator.core.db import reset_engine

        reset_engine()  # close the app's pooled connections before dropping what they use
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


# --- 1. the catalog sync -----------------------------------------------------------------------------------------
def use_database(database_url: str) -> None:
    """Point the app at `database_url`, drop cached settings, engine and keys, and migrate."""
    os.environ["IOPERATOR_DATABASE_URL"] = database_url
    from ioperator.core import crypto, migrations
    from ioperator.core.config import reset_settings
    from ioperator.core.db import reset_engine

    reset_settings()
    reset_engine()
    crypto._fernet_for.cache_clear()
    migrations.upgrade("head")


def connect_yclients(email: str) -> tuple[Any, int]:
    """A new business whose owner connects the fake YCLIENTS through the service: (tenant, integration id)."""
    from ioperator.core.auth import TenantContext
    from ioperator.core.db import session_scope
    from ioperator.models.user import Role
    from ioperator.services import accounts, integrations

    with session_scope() as session:
        signup = accounts.create_business(
            session=session, business_name="Bench Salon", owner_email=email, owner_password=PASSWORD
        )
        assert signup.business.id is not None and signup.owner.id is not None
        tenant = TenantContext(signup.business.id, signup.owner.id, Role.OWNER)
        values = {"company_id": str(COMPANY), "partner_token": PARTNER, "user_token": USER}
        row = asyncio.run(integrations.connect(session=session, tenant=tenant, provider="yclients", values=values))
        assert row.id is not None
        return tenant, row.id


def timed_sync(control: httpx.Client, tenant: Any, integration_id: int, *, trace: bool = False) -> dict[str, Any]:
    """One sync in its own session, committed (as a request would), with the requests the fake saw."""
    from ioperator.core.db import session_scope
    from ioperator.services import crm_sync

    control.post("/_bench/reset").raise_for_status()
    rss_before, now_before = maxrss_mib(), current_rss_mib()
    if trace:
        tracemalloc.start()
    started = time.monotonic()
    with session_scope() as session:
        result = asyncio.run(crm_sync.sync_catalog(session=session, tenant=tenant, integration_id=integration_id))
        committing = time.monotonic()
        session.commit()
    ended = time.monotonic()
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / MIB
        tracemalloc.stop()
    rss_after, now_after = maxrss_mib(), current_rss_mib()
    log = control.get("/_bench/requests").json()
    at = [float(a) for _, _, a in log["requests"]]
    return {
        "seconds": ended - started,
        "commit_seconds": ended - committing,
        "requests": len(log["requests"]),
        "paths": [f"{method} {path}" for method, path, _ in log["requests"]],
        "http_span_seconds": (max(at) - min(at)) if at else 0.0,
        "until_first_request_seconds": (min(at) - started) if at else None,
        "services": result.services,
        "staff": result.staff,
        "changed": result.changed,
        "tracemalloc_peak_mib": peak,
        "maxrss_before_mib": rss_before,
        "maxrss_after_mib": rss_after,
        "rss_before_mib": now_before,
        "rss_after_mib": now_after,
    }


def stored_rows(integration_id: int) -> tuple[int, int]:
    from sqlmodel import col, func, select

    from ioperator.core.db import session_scope
    from ioperator.models.crm import CrmServiceRow, CrmStaffRow

    counts = []
    with session_scope() as session:
        for model in (CrmServiceRow, CrmStaffRow):
            query = select(func.count()).select_from(model).where(col(model.integration_id) == integration_id)
            counts.append(int(session.exec(query).one()))
    return counts[0], counts[1]


def sync_benchmark(label: str, database_url: str, control: httpx.Client, services: int, staff: int) -> dict[str, Any]:
    from ioperator.adapters.crm.yclients import YclientsAdapter

    use_database(database_url)
    limit = YclientsAdapter.rate_limit
    interval = limit.seconds / limit.requests * 1.05  # the limiter's spacing (resilience.limiter_for)

    # Timed without tracemalloc (it slows Python down several-fold).
    tenant, integration_id = connect_yclients(f"owner-a@{label}.bench.example.com")
    first = timed_sync(control, tenant, integration_id)
    rows = stored_rows(integration_id)
    second = timed_sync(control, tenant, integration_id)
    # The same two syncs for a second business, under tracemalloc, for the peak of Python allocations.
    tenant_b, integration_b = connect_yclients(f"owner-b@{label}.bench.example.com")
    traced_first = timed_sync(control, tenant_b, integration_b, trace=True)
    traced_second = timed_sync(control, tenant_b, integration_b, trace=True)

    checks = {
        "first sync wrote every item": rows == (services, staff) and first["changed"] == services + staff,
        "second sync changed nothing": second["changed"] == 0 and traced_second["changed"] == 0,
    }
    return {
        "db": label,
        "catalog": {"services": services, "staff": staff},
        "rate_limit": {"requests": limit.requests, "seconds": limit.seconds, "interval_seconds": interval},
        "first": first,
        "rows_written": {"services": rows[0], "staff": rows[1], "total": sum(rows)},
        "second": second,
        "traced_first": traced_first,
        "traced_second": traced_second,
        "checks": checks,
    }


def print_sync(report: dict[str, Any]) -> None:
    first, second = report["first"], report["second"]
    tfirst, tsecond = report["traced_first"], report["traced_second"]
    interval, rows = report["rate_limit"]["interval_seconds"], report["rows_written"]
    catalog = report["catalog"]
    title = f"fake YCLIENTS, {catalog['services']} services, {catalog['staff']} staff ({report['db']})"
    print(f"\n== CRM catalog sync: {title} ==")
    print(
        f"first sync        {first['seconds']:7.3f} s   ({first['requests']} HTTP requests over "
        f"{first['http_span_seconds']:.3f} s; commit {first['commit_seconds']:.3f} s)"
    )
    print(f"  requests        {', '.join(first['paths'])}")
    print(
        f"  rows written    {rows['total']} ({rows['services']} services, {rows['staff']} staff); "
        f"changed {first['changed']}"
    )
    n = first["requests"]
    print(
        f"  rate-limit floor: ({n} - 1) x {interval:.2f} s = {max(0, n - 1) * interval:.2f} s "
        f"(YCLIENTS allows {report['rate_limit']['requests']:g} req/s; our limiter spaces requests {interval:.2f} s "
        f"apart and sends the first at once, so {n} x {interval:.2f} s = {n * interval:.2f} s is an upper "
        "estimate); the rest is parsing and the database"
    )
    print(
        f"second sync       {second['seconds']:7.3f} s   ({second['requests']} HTTP requests; "
        f"changed {second['changed']}{' - OK' if second['changed'] == 0 else ' - EXPECTED 0'})"
    )
    print(
        f"peak memory       tracemalloc {tfirst['tracemalloc_peak_mib']:.1f} MiB during a first sync "
        f"({tfirst['seconds']:.2f} s traced), {tsecond['tracemalloc_peak_mib']:.1f} MiB during a no-change sync"
    )
    grew = first["maxrss_after_mib"] - first["maxrss_before_mib"]
    print(
        f"  ru_maxrss       {first['maxrss_before_mib']:.1f} MiB before the first sync -> "
        f"{first['maxrss_after_mib']:.1f} MiB after (+{grew:.1f}); after the no-change sync "
        f"{second['maxrss_after_mib']:.1f} MiB (a high-water mark: sign-up's Argon2 hash already took ~64 MiB)"
    )
    if first["rss_before_mib"] is not None:
        print(
            f"  current RSS     {first['rss_before_mib']:.1f} -> {first['rss_after_mib']:.1f} MiB over the first sync, "
            f"{second['rss_before_mib']:.1f} -> {second['rss_after_mib']:.1f} MiB over the no-change sync (VmRSS)"
        )
    for name, passed in report["checks"].items():
        print(f"  check: {name}: {'OK' if passed else 'FAILED'}")


# --- 2. the rate limiter under concurrent callers ----------------------------------------------------------------
def limiter_report(provider: str, callers: int, times: list[float], elapsed: float, limit: Any) -> dict[str, Any]:
    busiest = busiest_window(times, limit.seconds)
    return {
        "provider": provider,
        "callers": callers,
        "requests": len(times),
        "elapsed_seconds": elapsed,
        "busiest_window": busiest,
        "window_seconds": limit.seconds,
        "limit": limit.requests,
        "spacing_seconds": spacing(times),
        "gaps_seconds": [round(b - a, 4) for a, b in itertools.pairwise(sorted(times))],
        "ok": busiest <= limit.requests,
    }


def yclients_limiter(url: str, control: httpx.Client, staff: int, callers: int = YCLIENTS_CALLERS) -> dict[str, Any]:
    from ioperator.adapters.crm.yclients import YclientsAdapter

    values = {"company_id": str(COMPANY), "partner_token": PARTNER, "user_token": USER}

    async def crowd() -> list[Any]:
        async with httpx.AsyncClient() as http:
            config = YclientsAdapter.parse_config(values)
            # adapters are built per use: these share one bucket because they share the account
            adapters = [YclientsAdapter(config, http=http, base_url=f"{url}/api/v1") for _ in range(callers)]
            return await asyncio.gather(*(adapter.list_staff() for adapter in adapters))

    control.post("/_bench/reset").raise_for_status()
    started = time.monotonic()
    results = asyncio.run(crowd())
    elapsed = time.monotonic() - started
    assert len(results) == callers and all(len(people) == staff for people in results)
    return limiter_report("yclients", callers, request_times(control), elapsed, YclientsAdapter.rate_limit)


def easyweek_limiter(callers: int = EASYWEEK_CALLERS) -> dict[str, Any]:
    from ioperator.adapters.crm.easyweek.adapter import EasyWeekAdapter

    if not hasattr(FakeEasyWeek(), "seen"):
        return {"provider": "easyweek", "skipped": "the fake keeps no request log"}
    values = {"api_key": EASYWEEK_KEY, "workspace": EASYWEEK_WORKSPACE}
    with fake_process("easyweek", staff=1) as (url, control):

        async def crowd() -> list[Any]:
            async with httpx.AsyncClient() as http:
                config = EasyWeekAdapter.parse_config(values)
                base_url = f"{url}/api/public/v2"
                adapters = [EasyWeekAdapter(config, http=http, base_url=base_url) for _ in range(callers)]
                return await asyncio.gather(*(adapter.list_staff() for adapter in adapters))

        started = time.monotonic()
        results = asyncio.run(crowd())
        elapsed = time.monotonic() - started
        times = request_times(control)
    assert len(results) == callers and all(len(people) == 1 for people in results)
    return limiter_report("easyweek", callers, times, elapsed, EasyWeekAdapter.rate_limit)


def print_limiter(report: dict[str, Any]) -> None:
    if "skipped" in report:
        print(f"{report['provider']}: skipped - {report['skipped']}")
        return
    gaps = report["spacing_seconds"]
    window = f"{report['window_seconds']:g} s"
    print(
        f"{report['provider']:<9} {report['callers']:2d} concurrent list_staff() on one account: "
        f"{report['requests']} requests in {report['elapsed_seconds']:.2f} s; busiest {window} window "
        f"{report['busiest_window']}; spacing mean {gaps['mean']:.3f} s, min {gaps['min']:.3f} s; "
        f"provider limit {report['limit']:g}/{window} -> {'OK' if report['ok'] else 'EXCEEDED'}"
    )


# --- main ----------------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=5000, help="services in the fake catalog (default 5000)")
    parser.add_argument("--staff", type=int, default=200, help="staff in the fake catalog (default 200)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite", help="default sqlite")
    parser.add_argument("--postgres", action="store_true", help="the same as --db both")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="a schema of its own is created and dropped")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve-fake", choices=["yclients", "easyweek"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_fake:
        serve_fake(args.serve_fake, args.services, args.staff)
        return
    databases = ["sqlite", "postgres"] if args.postgres or args.db == "both" else [args.db]

    reports: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-crm-sync-") as data_dir:
        with fake_process("yclients", services=args.services, staff=args.staff) as (fake_url, control):
            # Set before the app's settings are first read (ioperator is imported only below).
            os.environ.update(
                {
                    "IOPERATOR_DATA_DIR": data_dir,
                    "IOPERATOR_SECRET_KEYS": Fernet.generate_key().decode(),
                    "IOPERATOR_PROVIDER_BASE_URLS": json.dumps({"yclients": f"{fake_url}/api/v1"}),
                }
            )
            for db in databases:
                if db == "sqlite":
                    url = f"sqlite:///{Path(data_dir) / 'bench.db'}"
                    reports.append(sync_benchmark("sqlite", url, control, args.services, args.staff))
                    continue
                reason = postgres_reachable(args.postgres_url)
                if reason:
                    skipped["postgres"] = reason
                    continue
                with postgres_schema(args.postgres_url) as url:
                    reports.append(sync_benchmark("postgres", url, control, args.services, args.staff))
            limiters = [yclients_limiter(fake_url, control, args.staff)]
        limiters.append(easyweek_limiter())

    failed = [name for r in reports for name, ok in r["checks"].items() if not ok]
    failed += [f"{r['provider']} rate limit" for r in limiters if r.get("ok") is False]
    if args.json:
        print(json.dumps({"sync": reports, "skipped": skipped, "limiter": limiters, "failed": failed}, indent=2))
    else:
        for report in reports:
            print_sync(report)
        for db, reason in skipped.items():
            print(f"\n{db}: skipped - {reason}")
        print("\n== Rate limiter: concurrent callers of one provider account ==")
        for report in limiters:
            print_limiter(report)
        print(f"\n{'all checks passed' if not failed else 'FAILED: ' + '; '.join(failed)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
