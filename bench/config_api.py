"""Benchmark: `GET /api/v1/config` on the production server, against a bare endpoint that returns the same bytes.

Starts the production build (tests/e2e/server.py) with `IOPERATOR_BENCH_ROUTES=true`, seeds a business through the
services (restaurant prompt, custom variables, a Telegram channel, a YCLIENTS catalog synced from the fake, an API
key), then drives three scenarios with `wrk` on loopback at each of `--connections` concurrent connections:

- `bare`: `GET /api/bench/bare`, the last served config body with no auth and no database work (the baseline);
- `config 200`: `GET /api/v1/config` with `Authorization: Bearer <key>`;
- `config 304`: the same with `If-None-Match: <its ETag>`.

It prints requests/s, p50/p99 latency, errors, the statuses wrk saw, the ratio of each config run to the bare one,
and the cores used during each run by the server, the load generator, PostgreSQL + Redis and anything else. From the
server's access log it adds the requests that started during a run and failed or took longer than 5 s (a stalled
worker). Setups: one worker on SQLite without Redis, then `--workers` granian workers with Redis on PostgreSQL. The
per-key rate limiter still runs on every request (its limit is raised to 1000000/second so that it never refuses).

    .venv/bin/python bench/config_api.py [--setup single|multi|both] [--connections 64[,32]] [--seconds 10] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import E2E_KEY, running_app  # noqa: E402
from tests.fakes.runner import serve  # noqa: E402
from tests.fakes.telegram import FakeTelegram  # noqa: E402
from tests.fakes.yclients import FakeYclients  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
REDIS_URL = "redis://127.0.0.1:6379/13"
RATE_LIMIT = "1000000/second"
EMAIL = "owner@bench-config.com"
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway account in a throwaway database
PARTNER, USER, COMPANY = "bench-partner-token-0001", "bench-user-token-0001", 4564
BOT_TOKEN = "434343:" + "C" * 35
WEBHOOK_BASE = "https://hooks.bench.example.com"
VARIABLES = [
    ("promo", "Free dessert with every main course on Fridays", "This week's offer"),
    ("parking", "Free parking in the courtyard, entrance from Lindenstrasse", "Where guests park"),
    ("delivery_zone", "We deliver within 5 km of the restaurant, minimum order 25 EUR", "Delivery"),
    ("allergens", "Every dish lists its allergens; ask the staff for the gluten-free menu", "Allergy policy"),
    ("group_bookings", "Groups of more than 8 guests book by phone, with a set menu", "Large groups"),
]
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Counts the statuses each wrk thread saw and prints one JSON line at the end (wrk itself only counts >= 400).
WRK_SCRIPT = r"""
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local seen = thread:get("statuses")
    if seen then
      for code, n in pairs(seen) do
        total[code] = (total[code] or 0) + n
      end
    end
  end
  local parts = {}
  for code, n in pairs(total) do
    parts[#parts + 1] = string.format('"%d":%d', code, n)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"duration_us":%.0f,"requests":%.0f,"bytes":%.0f,"connect":%.0f,"read":%.0f,"write":%.0f,' ..
    '"status":%.0f,"timeout":%.0f,"p50_us":%.0f,"p90_us":%.0f,"p99_us":%.0f,"mean_us":%.1f,"max_us":%.0f,' ..
    '"statuses":{%s}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max,
    table.concat(parts, ",")))
end
"""


@dataclass(frozen=True)
class Setup:
    name: str
    workers: int
    database: str  # sqlite | postgres
    redis_url: str  # "" for none

    @property
    def title(self) -> str:
        workers = "1 worker" if self.workers == 1 else f"{self.workers} workers"
        redis = f"Redis ({self.redis_url})" if self.redis_url else "no Redis (limiter in memory)"
        return f"{workers}, {'SQLite' if self.database == 'sqlite' else 'PostgreSQL'}, {redis}"


@dataclass(frozen=True)
class Seeded:
    token: str
    business_id: int
    owner_id: int
    services: int
    staff: int


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    headers: dict[str, str]
    expected: int


# --- services the setups need -----------------------------------------------------------------------------------
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


def redis_reachable(url: str) -> str:
    """'' when Redis answers PING, else why not."""
    import redis

    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        try:
            client.ping()
        finally:
            client.close()
        return ""
    except Exception as exc:  # any client or network failure means: skip
        return f"{type(exc).__name__}: {exc}"


def postgres_sessions(url: str) -> int | None:
    """Connections PostgreSQL has accepted so far in the database (`pg_stat_database.sessions`, PostgreSQL 14+)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            value = conn.execute(sa.text("SELECT sessions FROM pg_stat_database WHERE datname = current_database()"))
            return int(value.scalar_one())
    except Exception:  # an older server, or no permission: leave the figure out
        return None
    finally:
        engine.dispose()


@contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A schema of our own in the shared database (dropped afterwards); yields a URL whose search_path is it."""
    schema = f"bench_config_api_{os.getpid()}"
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        separator = "&" if "?" in url else "?"
        yield f"{url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        engine.dispose()


# --- seeding ----------------------------------------------------------------------------------------------------
def seed(database_url: str, data_dir: str, services: int, staff: int) -> Seeded:
    """A realistic business, written through the services into the server's database; returns its API key."""
    with ExitStack() as stack:
        telegram = FakeTelegram()
        telegram.add_bot(BOT_TOKEN, username="bench_bistro_bot", first_name="Bench Bistro")
        urls = {"telegram": stack.enter_context(serve(telegram.app))}
        if services:
            yclients = FakeYclients(partner_token=PARTNER, user_token=USER, company_id=COMPANY, lang="en")
            yclients.seed_catalog(services=services, staff=staff)
            urls["yclients"] = stack.enter_context(serve(yclients.app)) + "/api/v1"
        os.environ.update(
            {
                "IOPERATOR_DATABASE_URL": database_url,
                "IOPERATOR_SECRET_KEYS": E2E_KEY,
                "IOPERATOR_DATA_DIR": data_dir,
                "IOPERATOR_PROVIDER_BASE_URLS": json.dumps(urls),
                "IOPERATOR_WEBHOOK_BASE_URL": WEBHOOK_BASE,
            }
        )
        # Imported here, and the caches reset, so that the settings above are the ones read.
        from ioperator.core import crypto
        from ioperator.core.auth import TenantContext
        from ioperator.core.config import reset_settings
        from ioperator.core.db import reset_engine, session_scope
        from ioperator.models.business import BusinessUpdate
        from ioperator.models.user import Role
        from ioperator.services import accounts, api_keys, business, crm_sync, integrations, prompts

        reset_settings()
        reset_engine()
        crypto._fernet_for.cache_clear()
        synced = (0, 0)
        try:
            with session_scope() as session:
                signup = accounts.create_business(
                    session=session, business_name="Bench Bistro", owner_email=EMAIL, owner_password=PASSWORD
                )
                assert signup.business.id is not None and signup.owner.id is not None
                tenant = TenantContext(signup.business.id, signup.owner.id, Role.OWNER)
                business.update_business(
                    session=session,
                    tenant=tenant,
                    business_in=BusinessUpdate(
                        address="Lindenstrasse 12, 10969 Berlin",
                        phone="+4930901820",
                        website="https://bench-bistro.example.com",
                        timezone="Europe/Berlin",
                        working_hours="Mon-Fri 11:00-23:00, Sat-Sun 10:00-24:00",
                    ),
                )
                prompt, _ = prompts.create_prompt(
                    session=session, tenant=tenant, name="Main", template_slug="restaurant"
                )
                prompts.activate(session=session, tenant=tenant, prompt_id=prompt.id or 0)
                for name, value, description in VARIABLES:
                    prompts.set_custom_variable(
                        session=session, tenant=tenant, name=name, value=value, description=description
                    )
                asyncio.run(
                    integrations.connect(
                        session=session, tenant=tenant, provider="telegram", values={"bot_token": BOT_TOKEN}
                    )
                )
                if services:
                    values = {"company_id": str(COMPANY), "partner_token": PARTNER, "user_token": USER}
                    crm = asyncio.run(
                        integrations.connect(session=session, tenant=tenant, provider="yclients", values=values)
                    )
                    result = asyncio.run(
                        crm_sync.sync_catalog(session=session, tenant=tenant, integration_id=crm.id or 0)
                    )
                    synced = (result.services, result.staff)
                token = api_keys.create_key(session=session, tenant=tenant, name="Bench engine").token
        finally:
            reset_engine()
    return Seeded(token, signup.business.id, signup.owner.id, services=synced[0], staff=synced[1])


def touch_variable(seeded: Seeded, value: str) -> None:
    """Change one custom variable through the service (the config's fingerprint changes: the next fetch rebuilds)."""
    from ioperator.core.auth import TenantContext
    from ioperator.core.db import reset_engine, session_scope
    from ioperator.models.user import Role
    from ioperator.services import prompts

    try:
        with session_scope() as session:
            tenant = TenantContext(seeded.business_id, seeded.owner_id, Role.OWNER)
            prompts.set_custom_variable(session=session, tenant=tenant, name="promo", value=value)
    finally:
        reset_engine()


# --- CPU accounting ---------------------------------------------------------------------------------------------
DATA_SERVICES = ("postgres", "redis-server")


def process_cpu_seconds(pgid: int) -> tuple[float, float, int]:
    """CPU seconds of the processes in the server's process group, and of PostgreSQL's and Redis's processes
    (with their reaped children); and how many server processes there are."""
    server, services, count = 0, 0, 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()  # fields[0] is field 3 (state) of proc(5)
        # utime + stime, plus cutime + cstime: the CPU of children that exited and were reaped (PostgreSQL forks a
        # backend per connection; a pool that opens and closes connections shows up here)
        ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))
        if int(fields[2]) == pgid:
            server += ticks
            count += 1
        elif name.startswith(DATA_SERVICES):
            services += ticks
    return server / CLK_TCK, services / CLK_TCK, count


def system_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


class CpuMeter:
    """Cores used during a run: the server's processes, the load generator (wrk, or this process), PostgreSQL and
    Redis, and the rest of the machine (other users)."""

    def __init__(self, server_pgid: int) -> None:
        self.pgid = server_pgid

    def _client(self) -> float:
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        own = resource.getrusage(resource.RUSAGE_SELF)
        return children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime

    def __enter__(self) -> CpuMeter:
        self.server0, self.services0, self.processes = process_cpu_seconds(self.pgid)
        self.client0 = self._client()
        self.busy0, self.total0 = system_cpu()
        self.wall0 = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        wall = time.monotonic() - self.wall0
        server, services, _ = process_cpu_seconds(self.pgid)
        client = self._client() - self.client0
        busy, total = system_cpu()
        cores = os.cpu_count() or 1
        self.server_cores = (server - self.server0) / wall
        self.services_cores = (services - self.services0) / wall
        self.client_cores = client / wall
        self.busy_cores = (busy - self.busy0) / (total - self.total0) * cores if total > self.total0 else 0.0
        self.other_cores = max(0.0, self.busy_cores - self.server_cores - self.client_cores - self.services_cores)


def background_cores(server_pgid: int, seconds: float = 1.0) -> float:
    """Cores busy with other work than the server's, PostgreSQL's and Redis's while nothing is sent."""
    with CpuMeter(server_pgid) as meter:
        time.sleep(seconds)
    return meter.other_cores


def wait_for_quiet(server_pgid: int, limit: float) -> float:
    """Wait up to `limit` seconds for other users of the machine to leave it under 0.2 cores; returns their share."""
    deadline = time.monotonic() + limit
    while True:
        share = background_cores(server_pgid)
        if share < 0.2 or time.monotonic() >= deadline:
            return share
        time.sleep(2)


# --- the load ---------------------------------------------------------------------------------------------------
def run_wrk(url: str, headers: dict[str, str], seconds: float, connections: int, threads: int, script: Path) -> dict:
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s", "-s", str(script)]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    done = subprocess.run([*argv, url], capture_output=True, text=True, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    duration = raw["duration_us"] / 1e6
    return {
        "requests": int(raw["requests"]),
        "seconds": round(duration, 2),
        "rps": raw["requests"] / duration if duration else 0.0,
        "p50_ms": raw["p50_us"] / 1000,
        "p90_ms": raw["p90_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "mean_ms": raw["mean_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "socket_errors": {k: int(raw[k]) for k in ("connect", "read", "write", "timeout")},
        "wrk_status_errors": int(raw["status"]),  # wrk's "Non-2xx or 3xx responses": statuses >= 400
        "statuses": {str(k): int(v) for k, v in sorted(raw["statuses"].items())},
        "mb_per_s": raw["bytes"] / duration / 1e6 if duration else 0.0,
    }


async def python_load(url: str, headers: dict[str, str], seconds: float, connections: int) -> dict:
    """The fallback without wrk: `connections` httpx clients in a loop. Client-bound: it measures itself too."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    errors: Counter[str] = Counter()
    received = 0

    async def worker(client: httpx.AsyncClient, deadline: float) -> None:
        nonlocal received
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                response = await client.get(url, headers=headers)
            except httpx.TimeoutException:
                errors["timeout"] += 1
                continue
            except httpx.HTTPError:
                errors["read"] += 1
                continue
            latencies.append((time.perf_counter() - start) * 1000)
            statuses[response.status_code] += 1
            received += len(response.content)

    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(10.0)) as client:
        start = time.perf_counter()
        await asyncio.gather(*(worker(client, start + seconds) for _ in range(connections)))
        wall = time.perf_counter() - start
    cuts = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else [0.0] * 99
    return {
        "requests": len(latencies),
        "seconds": round(wall, 2),
        "rps": len(latencies) / wall,
        "p50_ms": cuts[49],
        "p90_ms": cuts[89],
        "p99_ms": cuts[98],
        "mean_ms": statistics.fmean(latencies) if latencies else 0.0,
        "max_ms": max(latencies, default=0.0),
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
        "wrk_status_errors": sum(n for code, n in statuses.items() if code >= 400),
        "statuses": {str(k): v for k, v in sorted(statuses.items())},
        "mb_per_s": received / wall / 1e6,
    }


def load(
    url: str, headers: dict[str, str], seconds: float, connections: int, args: argparse.Namespace, script: Path | None
) -> dict:
    if script is not None:
        return run_wrk(url, headers, seconds, connections, args.threads, script)
    return asyncio.run(python_load(url, headers, seconds, connections))


def fit_in_this_minute(needed: float) -> float:
    """Wait for the next minute when `needed` seconds would cross it; returns the seconds waited.

    The restaurant prompt uses the clock ({{today}}, {{current_time}}), so each worker rebuilds the config on its
    first request of a new minute and the ETag changes: a run that crossed a minute would turn 304s into 200s.
    """
    now = datetime.now()
    into = now.second + now.microsecond / 1e6
    if into + needed <= 59.5 or needed > 58:
        return 0.0
    wait = 60.0 - into + 0.3
    time.sleep(wait)
    return wait


# --- one setup --------------------------------------------------------------------------------------------------
def fetch(client: httpx.Client, path: str, headers: dict[str, str]) -> tuple[httpx.Response, float]:
    start = time.perf_counter()
    response = client.get(path, headers=headers)
    return response, (time.perf_counter() - start) * 1000


def prime_workers(base: str, auth: dict[str, str], tries: int = 40) -> int:
    """Fetch the config on every worker (each caches its own), one request at a time on fresh connections, so that
    the bare route has a body everywhere; returns how many of 20 fresh connections still got no bare body."""
    for _ in range(tries):
        with httpx.Client(base_url=base, timeout=30) as fresh:  # a new connection: maybe another worker
            fresh.get("/api/v1/config", headers=auth).raise_for_status()
    misses = 0
    for _ in range(20):
        with httpx.Client(base_url=base, timeout=30) as fresh:
            misses += fresh.get("/api/bench/bare").status_code != 200
    return misses


def wait_until_responsive(base: str, auth: dict[str, str], limit: float = 240) -> float:
    """Seconds until the config and the health check each answer within 2 s (a stalled server first works off
    what it queued: requests whose client has gone are still served)."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            with httpx.Client(base_url=base, timeout=2) as client:
                if (
                    client.get("/api/v1/config", headers=auth).status_code == 200
                    and client.get("/api/health").status_code == 200
                ):
                    break
        except httpx.HTTPError:
            pass
        time.sleep(1)
    return time.monotonic() - start


def wait_for_log_quiet(path: Path, not_before: float, limit: float = 300) -> None:
    """Wait until `not_before` (a wall-clock time) and until the server log has not grown for 5 s: requests stuck
    in a stalled worker end, with an error, only when the database pool gives up on them (30 s)."""
    deadline = time.time() + limit
    size, since = -1, time.monotonic()
    while time.time() < deadline:
        now_size = path.stat().st_size
        if now_size != size:
            size, since = now_size, time.monotonic()
        if time.time() >= not_before and time.monotonic() - since >= 5:
            return
        time.sleep(1)


def server_side(path: Path, windows: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """For each (start, end) wall-clock window: the statuses, slowest duration and errors (by exception) of the
    requests the server's access log says started in it (a request's start is its log time minus its duration)."""
    access: list[tuple[float, int, float, str]] = []  # (start, status, duration ms, request id)
    failures: dict[str, str] = {}  # request id -> the exception's last line
    for raw in path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(record, dict):
            continue
        if record.get("logger") == "ioperator.access" and "duration_ms" in record:
            try:
                end = datetime.strptime(str(record["time"]), "%Y-%m-%d %H:%M:%S,%f").timestamp()
            except ValueError:
                continue
            duration = float(record["duration_ms"])
            access.append((end - duration / 1000, int(record["status"]), duration, str(record.get("request_id"))))
        elif str(record.get("level", "")).upper() in ("ERROR", "CRITICAL"):
            tail = [t for t in str(record.get("exc_info") or "").splitlines() if t.strip()]
            failures[str(record.get("request_id"))] = (tail[-1] if tail else str(record.get("message", "")))[:200]
    found = []
    for start, end in windows:
        inside = [a for a in access if start <= a[0] < end]
        statuses = Counter(str(a[1]) for a in inside)
        errors = Counter(failures[a[3]] for a in inside if a[3] in failures)
        found.append(
            {
                "statuses": dict(sorted(statuses.items())),
                "slowest_ms": round(max((a[2] for a in inside), default=0.0), 1),
                "errors": dict(errors.most_common(5)),
            }
        )
    return found


def run_setup(setup: Setup, database_url: str | None, args: argparse.Namespace, script: Path | None) -> dict:
    extra = {"IOPERATOR_BENCH_ROUTES": "true", "IOPERATOR_API_RATE_LIMIT": RATE_LIMIT}
    if setup.redis_url:
        extra["GRANIAN_WORKERS"] = str(setup.workers)
    print(f"[{setup.name}] starting the production build ({setup.title})...", file=sys.stderr)
    with (
        tempfile.TemporaryDirectory(prefix="ioperator-bench-") as data_dir,
        running_app(
            database_url=database_url,
            redis_url=setup.redis_url,
            extra_env=extra,
            log_dir=Path(args.log_dir) / setup.name,
        ) as app,
    ):
        seeded = seed(app.database_url, data_dir, args.services, args.staff)
        auth = {"Authorization": f"Bearer {seeded.token}"}
        base = app.url.replace("localhost", "127.0.0.1")
        print(f"[{setup.name}] seeded ({seeded.services} services, {seeded.staff} staff); checking...", file=sys.stderr)
        with httpx.Client(base_url=base, timeout=30) as client:
            first, first_ms = fetch(client, "/api/v1/config", auth)
            if first.status_code != 200 or "etag" not in first.headers:
                raise RuntimeError(f"GET /api/v1/config answered {first.status_code}: {first.text[:300]}")
            cached_ms = statistics.median(fetch(client, "/api/v1/config", auth)[1] for _ in range(9))
            bare_ms = statistics.median(fetch(client, "/api/bench/bare", {})[1] for _ in range(9))
            rebuilds = []
            for n in range(3):  # a change through the service: the next fetch rebuilds the document
                touch_variable(seeded, f"Free dessert with every main course on Fridays (#{n})")
                rebuilds.append(fetch(client, "/api/v1/config", auth)[1])
        misses = prime_workers(base, auth)
        with httpx.Client(base_url=base, timeout=30) as client:
            body = client.get("/api/v1/config", headers=auth)
            bare = client.get("/api/bench/bare")
        checks = {
            "config_bytes": len(body.content),
            "bare_same_bytes": bare.status_code == 200 and bare.content == body.content,
            "bare_misses_on_fresh_connections": misses,
            "first_fetch_ms": round(first_ms, 1),
            "cached_fetch_ms": round(cached_ms, 1),
            "bare_fetch_ms": round(bare_ms, 1),
            "rebuild_fetch_ms": round(statistics.median(rebuilds), 1),
        }

        runs: list[dict[str, Any]] = []
        windows: list[tuple[float, float]] = []
        scenarios = [
            Scenario("bare", "/api/bench/bare", {}, 200),
            Scenario("config 200", "/api/v1/config", auth, 200),
            Scenario("config 304", "/api/v1/config", auth, 304),
        ]
        plan = [(n, c, sc) for n in range(1, args.repeat + 1) for c in args.connections for sc in scenarios]
        for round_, connections, scenario in plan:
            # A stalled server answers the queued requests (whose clients have gone) before anything new.
            waited = wait_until_responsive(base, auth)
            background = wait_for_quiet(app.process.pid, args.wait_quiet)
            fit_in_this_minute(args.warmup + args.seconds + 1.5)
            headers = dict(scenario.headers)
            with httpx.Client(base_url=base, timeout=120) as client:
                # One request alone first: it does this minute's rebuild and any due `last_used_at` write
                # (once a minute per key), so that they do not fall on a burst of the run.
                alone = client.get(scenario.path, headers=headers)
                if scenario.expected == 304:
                    headers["If-None-Match"] = alone.headers["etag"]
                    check = client.get(scenario.path, headers=headers)
                    if check.status_code != 304 or check.content:
                        raise RuntimeError(f"If-None-Match answered {check.status_code}, {len(check.content)} B")
            print(
                f"[{setup.name}] round {round_}: {scenario.name} x{connections}: {args.warmup:g} s warm-up, "
                f"{args.seconds:g} s...",
                file=sys.stderr,
            )
            warm_start = time.time()
            load(base + scenario.path, headers, args.warmup, connections, args, script)
            run_start = time.time()
            sessions = postgres_sessions(app.database_url) if setup.database == "postgres" else None
            with CpuMeter(app.process.pid) as cpu:
                figures = load(base + scenario.path, headers, args.seconds, connections, args, script)
            if sessions is not None:
                after = postgres_sessions(app.database_url)
                figures["postgres_connections_opened"] = None if after is None else after - sessions - 1
            windows += [(warm_start, run_start), (run_start, time.time())]
            unexpected = sum(n for code, n in figures["statuses"].items() if int(code) != scenario.expected)
            figures.update(
                {
                    "round": round_,
                    "scenario": scenario.name,
                    "connections": connections,
                    "expected_status": scenario.expected,
                    "unexpected_statuses": unexpected,
                    "waited_for_server_before_s": round(waited, 1),
                    "server_cores": round(cpu.server_cores, 2),
                    "client_cores": round(cpu.client_cores, 2),
                    "db_redis_cores": round(cpu.services_cores, 2),
                    "other_cores": round(cpu.other_cores, 2),
                    "busy_cores": round(cpu.busy_cores, 2),
                    "background_cores_before": round(background, 2),
                    "server_processes": cpu.processes,
                }
            )
            runs.append(figures)
        print(f"[{setup.name}] waiting for requests still in the server to end...", file=sys.stderr)
        wait_for_log_quiet(app.log_path, windows[-1][1] + 35)
        sides = server_side(app.log_path, windows)
        log_lines = sum(1 for _ in app.log_path.open("rb"))

    for figures, warm, side in zip(runs, sides[::2], sides[1::2], strict=True):
        server_failures = sum(n for code, n in side["statuses"].items() if int(code) >= 500)
        # Stalled: requests that took longer than wrk waits (5 s), or none answered at all.
        stalled = figures["requests"] == 0 or side["slowest_ms"] > 5000
        figures.update(
            {
                "server_statuses": side["statuses"],
                "server_slowest_ms": side["slowest_ms"],
                "server_errors": side["errors"],
                "server_failures": server_failures,
                "warmup_server_failures": sum(n for code, n in warm["statuses"].items() if int(code) >= 500),
                "stalled": stalled,
                "errors": figures["unexpected_statuses"] + sum(figures["socket_errors"].values()) + server_failures,
            }
        )
    bare_rps = {(r["round"], r["connections"]): r["rps"] for r in runs if r["scenario"] == "bare"}
    for figures in runs:
        bare = bare_rps[figures["round"], figures["connections"]]
        figures["ratio_to_bare"] = round(figures["rps"] / bare, 3) if bare else None
        for key in ("rps", "p50_ms", "p90_ms", "p99_ms", "mean_ms", "max_ms", "mb_per_s"):
            figures[key] = round(figures[key], 2)
    return {
        "setup": setup.name,
        "title": setup.title,
        "workers": setup.workers,
        "database": setup.database,
        "redis": bool(setup.redis_url),
        "services": seeded.services,
        "staff": seeded.staff,
        "checks": checks,
        "summary": summarize(runs),
        "runs": runs,
        "server_log": str(app.log_path),
        "server_log_lines": log_lines,
    }


# --- the report -------------------------------------------------------------------------------------------------
def summarize(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per (connections, scenario): the medians over the rounds, the range of req/s, and the errors added up."""
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for r in runs:
        groups.setdefault((r["connections"], r["scenario"]), []).append(r)
    rows = []
    for (connections, scenario), group in groups.items():
        statuses: Counter[str] = Counter()
        for r in group:
            statuses.update(r["statuses"])
        row: dict[str, Any] = {
            "connections": connections,
            "scenario": scenario,
            "rounds": len(group),
            "rps_min": min(r["rps"] for r in group),
            "rps_max": max(r["rps"] for r in group),
            "errors": sum(r["errors"] for r in group),
            "stalled_rounds": sum(r["stalled"] for r in group),
            "statuses": dict(sorted(statuses.items())),
        }
        for key in ("rps", "p50_ms", "p99_ms", "server_cores", "client_cores", "db_redis_cores", "other_cores"):
            row[key] = round(statistics.median(r[key] for r in group), 2)
        opened = [r["postgres_connections_opened"] for r in group if r.get("postgres_connections_opened") is not None]
        if opened:
            row["postgres_connections_opened"] = round(statistics.median(opened))
        rows.append(row)
    bare = {row["connections"]: row["rps"] for row in rows if row["scenario"] == "bare"}
    for row in rows:
        row["ratio_to_bare"] = round(row["rps"] / bare[row["connections"]], 3) if bare.get(row["connections"]) else None
    return rows


def print_report(reports: list[dict[str, Any]], notes: dict[str, str], args: argparse.Namespace, tool: str) -> None:
    cores = os.cpu_count() or 1
    print(
        f"\nConfig API, production build: {args.seconds:g} s per run after {args.warmup:g} s warm-up, {tool}, on "
        f"loopback; {cores} cores shared by the server, the load generator, PostgreSQL and Redis. The per-key rate "
        f"limiter runs on every request (limit raised to {RATE_LIMIT})."
    )
    for report in reports:
        c = report["checks"]
        print(f"\n{report['title']}")
        print(
            f"  body {c['config_bytes']} bytes ({report['services']} services, {report['staff']} staff); bare returns "
            f"the same bytes: {'yes' if c['bare_same_bytes'] else 'NO'}"
        )
        print(
            f"  one request alone: config {c['cached_fetch_ms']} ms (first {c['first_fetch_ms']} ms, rebuilt after a "
            f"change {c['rebuild_fetch_ms']} ms), bare {c['bare_fetch_ms']} ms"
        )
        rounds = max((r["round"] for r in report["runs"]), default=1)
        if rounds > 1:
            print(f"  medians of {rounds} rounds (req/s: median, and min-max)")
        print(
            f"  {'scenario':<12}{'conns':>6}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs bare':>9}   "
            f"{'cores: server/client/db+redis/other':<37}{'req/s range' if rounds > 1 else 'statuses'}"
        )
        for row in report["summary"]:
            ratio = "-" if row["scenario"] == "bare" else f"{row['ratio_to_bare']:.2f}"
            cpu = "/".join(f"{row[k]:.2f}" for k in ("server_cores", "client_cores", "db_redis_cores", "other_cores"))
            statuses = ", ".join(f"{code}: {n}" for code, n in row["statuses"].items()) or "none"
            last = f"{row['rps_min']:.0f}-{row['rps_max']:.0f}" if rounds > 1 else statuses
            print(
                f"  {row['scenario']:<12}{row['connections']:>6}{row['rps']:>10.1f}{row['p50_ms']:>9.2f}"
                f"{row['p99_ms']:>9.2f}{row['errors']:>8}{ratio:>9}   {cpu:<37}{last}"
            )
        opened = [row for row in report["summary"] if "postgres_connections_opened" in row]
        if opened:
            print(
                "  PostgreSQL connections opened during a run (median): "
                + ", ".join(
                    f"{row['scenario']} x{row['connections']}: {row['postgres_connections_opened']}" for row in opened
                )
            )
        for r in report["runs"]:
            name = f"  {'round ' + str(r['round']) + ': ' if rounds > 1 else ''}{r['scenario']} x{r['connections']}: "
            if r["stalled"]:
                print(
                    f"{name}STALLED: {r['requests']} responses in the run; the server saw requests of up to "
                    f"{r['server_slowest_ms'] / 1000:.1f} s and answered {r['server_failures']} with 5xx "
                    f"(server-side statuses {r['server_statuses']})"
                )
            for line, n in r["server_errors"].items():
                print(f"{name}{n} x server error: {line}")
            if max(r["background_cores_before"], r["other_cores"]) > 0.25:
                print(
                    f"{name}other work on the machine: {r['background_cores_before']:.2f} cores just before the run, "
                    f"{r['other_cores']:.2f} during it"
                )
    for name, why in notes.items():
        print(f"\n{name}: {why}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=["single", "multi", "both"], default="both", help="default both")
    parser.add_argument("--seconds", type=float, default=10, help="measured seconds per run (default 10)")
    parser.add_argument("--repeat", type=int, default=1, help="rounds of every run; medians reported (default 1)")
    parser.add_argument("--warmup", type=float, default=2, help="uncounted seconds before each run (default 2)")
    parser.add_argument(
        "--connections", default="64", help="concurrent connections, or a comma-separated list: 64,32 (default 64)"
    )
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="granian workers of the Redis setup (default 2)")
    parser.add_argument("--single-db", choices=["sqlite", "postgres"], default="sqlite", help="default sqlite")
    parser.add_argument("--multi-db", choices=["sqlite", "postgres"], default="postgres", help="default postgres")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="the run uses (and drops) a schema of its own")
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"for the several-worker setup (default {REDIS_URL})")
    parser.add_argument("--services", type=int, default=200, help="CRM catalog services (default 200; 0: no CRM)")
    parser.add_argument("--staff", type=int, default=20, help="CRM catalog staff (default 20)")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        help="before each run, wait up to this many seconds for other work on the machine to stop (default 0)",
    )
    parser.add_argument("--python-client", action="store_true", help="use the Python load generator, not wrk")
    parser.add_argument("--log-dir", help="where the server logs are kept (default: a new temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    args.log_dir = args.log_dir or tempfile.mkdtemp(prefix="ioperator-bench-logs-")
    args.connections = [int(n) for n in str(args.connections).split(",") if n.strip()]

    notes: dict[str, str] = {}
    wrk = shutil.which("wrk")
    if args.python_client or not wrk:
        tool = "Python httpx load generator (client-bound: it measures itself as much as the server)"
        if not args.python_client:
            notes["load generator"] = "wrk is not installed (apt-get install wrk): fell back to the Python client"
    else:
        version = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
        found = re.search(r"wrk \S+", version.stdout + version.stderr)
        tool = f"{found.group(0) if found else 'wrk'} with {args.threads} threads"

    setups = []
    if args.setup in ("single", "both"):
        setups.append(Setup("single", 1, args.single_db, ""))
    if args.setup in ("multi", "both"):
        setups.append(Setup("multi", args.workers, args.multi_db, args.redis_url))

    reports: list[dict[str, Any]] = []
    failed: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="ioperator-bench-wrk-") as scratch:
        script: Path | None = None
        if "wrk" in tool:
            script = Path(scratch) / "statuses.lua"
            script.write_text(WRK_SCRIPT)
        for setup in setups:
            if setup.redis_url:
                why = redis_reachable(setup.redis_url)
                if why:
                    print(
                        f"[{setup.name}] skipped: Redis at {setup.redis_url} does not answer ({why})", file=sys.stderr
                    )
                    notes[setup.name] = f"skipped: Redis at {setup.redis_url} does not answer ({why})"
                    continue
            with ExitStack() as stack:
                database_url = None
                if setup.database == "postgres":
                    why = postgres_reachable(args.postgres_url)
                    if why:
                        notes[setup.name] = f"skipped: {args.postgres_url} does not answer ({why})"
                        print(f"[{setup.name}] {notes[setup.name]}", file=sys.stderr)
                        continue
                    database_url = stack.enter_context(postgres_schema(args.postgres_url))
                try:
                    reports.append(run_setup(setup, database_url, args, script))
                except RuntimeError as exc:  # the app did not start or answered wrongly: go on with the next
                    print(f"[{setup.name}] failed: {exc}", file=sys.stderr)
                    failed[setup.name] = str(exc).splitlines()[0]

    if args.json:
        print(json.dumps({"tool": tool, "runs": reports, "notes": notes, "failed": failed}, indent=2))
    else:
        print_report(reports, notes | {name: f"FAILED: {why}" for name, why in failed.items()}, args, tool)
    if failed or any(r["errors"] for report in reports for r in report["runs"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
