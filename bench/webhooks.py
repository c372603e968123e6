"""Benchmark: webhook intake on the production server, and a check that no delivery is lost or stored twice.

Starts the production build (tests/e2e/server.py) against SQLite and/or PostgreSQL, connects Telegram through the
service against a fake Bot API, then POSTs signed Telegram updates from concurrent senders, a share of them re-sends
of an earlier update. Prints deliveries per second, latency, and the rows in `message` against the ids sent.

    .venv/bin/python bench/webhooks.py [--db sqlite|postgres|both] [--deliveries 4000] [--concurrency 32] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.server import E2E_KEY, running_app  # noqa: E402
from tests.fakes import telegram  # noqa: E402
from tests.fakes.runner import serve  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WEBHOOK_BASE = "https://hooks.bench.example.com"
BOT_TOKEN = "424242:" + "B" * 35
EMAIL = "owner@bench-webhooks.com"
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway account in a throwaway database
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
WARMUP = 100
WARMUP_CHATS = 10
CHATS = 200
DUPLICATE_SHARE = 0.10
RACING_SHARE = 0.5  # of the duplicates: re-sent within the last `concurrency` deliveries, so they race the original
SEED = 20240601
# Server log lines worth reporting (the log is JSON lines, plus whatever Reflex and granian print).
LOG_TROUBLE = re.compile(
    r"^\[(ERROR|CRITICAL)\]|^[\w.]*(Error|Exception)\b.*:|database is locked|deadlock detected", re.IGNORECASE
)


@dataclass
class Delivery:
    body: bytes
    message_key: str  # "<chat>:<message id>", the provider_message_id the app stores
    duplicate: bool


@dataclass
class Result:
    status: int
    stored: int | None
    latency_ms: float
    duplicate: bool
    error: str = ""


@dataclass
class Integration:
    id: int
    webhook_secret: str


@dataclass
class Plan:
    warmup: list[Delivery] = field(default_factory=list)
    timed: list[Delivery] = field(default_factory=list)

    @property
    def unique_keys(self) -> set[str]:
        return {d.message_key for d in self.warmup + self.timed}


# --- the deliveries ---------------------------------------------------------------------------------------------
def make_plan(deliveries: int, concurrency: int, seed: int = SEED) -> Plan:
    """Warm-up updates on their own chats, then `deliveries` with every tenth a re-send of an earlier update."""
    rng = random.Random(seed)
    next_message_id: dict[int, int] = {}

    def new_update(chat_id: int) -> Delivery:
        message_id = next_message_id.get(chat_id, 0) + 1
        next_message_id[chat_id] = message_id
        payload = telegram.text_update(
            chat_id=chat_id,
            message_id=message_id,
            text=f"Hello #{message_id}, is a table for {rng.randint(1, 8)} free tonight?",
            first_name=f"Guest{chat_id % 1000}",
            username=f"guest_{chat_id}",
            date=1_700_000_000 + len(next_message_id) * 1000 + message_id,
        )
        return Delivery(telegram.encode(payload), f"{chat_id}:{message_id}", duplicate=False)

    plan = Plan()
    plan.warmup = [new_update(9_000_000 + i % WARMUP_CHATS) for i in range(WARMUP)]
    duplicate_every = round(1 / DUPLICATE_SHARE)
    originals: list[Delivery] = []
    for position in range(deliveries):
        if originals and position % duplicate_every == duplicate_every - 1:
            racing = rng.random() < RACING_SHARE
            pool = originals[-concurrency:] if racing else originals
            original = rng.choice(pool)
            plan.timed.append(Delivery(original.body, original.message_key, duplicate=True))
        else:
            delivery = new_update(7_000_000 + rng.randrange(CHATS))
            originals.append(delivery)
            plan.timed.append(delivery)
    return plan


# --- setting the app up -----------------------------------------------------------------------------------------
def postgres_reachable(url: str) -> str:
    """'' when PostgreSQL answers, else why not."""
    engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return ""
    except Exception as exc:  # any driver or network failure means: skip
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"
    finally:
        engine.dispose()


def fresh_postgres_schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def provider_env(fake_url: str) -> dict[str, str]:
    return {
        "IOPERATOR_PROVIDER_BASE_URLS": json.dumps({"telegram": fake_url}),
        "IOPERATOR_WEBHOOK_BASE_URL": WEBHOOK_BASE,
    }


def connect_telegram(database_url: str, fake_url: str, data_dir: str) -> Integration:
    """Seed a business and connect Telegram through the service, against the app's database."""
    os.environ.update(
        {
            "IOPERATOR_DATABASE_URL": database_url,
            "IOPERATOR_SECRET_KEYS": E2E_KEY,
            "IOPERATOR_DATA_DIR": data_dir,
            **provider_env(fake_url),
        }
    )
    # Imported here, and the caches reset, so that the settings above are the ones read.
    from ioperator.core.auth import TenantContext
    from ioperator.core.config import reset_settings
    from ioperator.core.db import reset_engine, session_scope
    from ioperator.models.user import Role
    from ioperator.services import accounts, integrations

    reset_settings()
    reset_engine()
    try:
        with session_scope() as session:
            signup = accounts.create_business(
                session=session,
                business_name="Bench Bistro",
                owner_email=EMAIL,
                owner_password=PASSWORD,
                owner_name="Bench Owner",
            )
            assert signup.business.id is not None and signup.owner.id is not None
            tenant = TenantContext(signup.business.id, signup.owner.id, Role.OWNER)
            integration = asyncio.run(
                integrations.connect(
                    session=session, tenant=tenant, provider="telegram", values={"bot_token": BOT_TOKEN}
                )
            )
            assert integration.id is not None and integration.webhook_secret
            connected = Integration(integration.id, integration.webhook_secret)
    finally:
        reset_engine()
    return connected


# --- the load ---------------------------------------------------------------------------------------------------
async def send_all(url: str, secret: str, deliveries: list[Delivery], concurrency: int) -> tuple[list[Result], float]:
    """POST every delivery from `concurrency` senders taking them in order: (results, wall-clock seconds)."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    headers = {SECRET_HEADER: secret, "Content-Type": "application/json"}
    results: list[Result | None] = [None] * len(deliveries)
    cursor = iter(range(len(deliveries)))

    async def sender(client: httpx.AsyncClient) -> None:
        for index in cursor:  # a shared iterator: each sender takes the next delivery when it is free
            delivery = deliveries[index]
            start = time.perf_counter()
            try:
                response = await client.post(url, content=delivery.body, headers=headers)
            except httpx.HTTPError as exc:
                elapsed = (time.perf_counter() - start) * 1000
                results[index] = Result(0, None, elapsed, delivery.duplicate, f"{type(exc).__name__}: {exc}")
                continue
            elapsed = (time.perf_counter() - start) * 1000
            stored = None
            if response.status_code == 200:
                stored = int(response.json().get("stored", -1))
            results[index] = Result(
                response.status_code,
                stored,
                elapsed,
                delivery.duplicate,
                "" if response.status_code == 200 else response.text[:200],
            )

    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(120.0)) as client:
        start = time.perf_counter()
        await asyncio.gather(*(sender(client) for _ in range(concurrency)))
        wall = time.perf_counter() - start
    return [r for r in results if r is not None], wall


def percentile(values: list[float], pct: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[pct - 1]


# --- checking what was stored -----------------------------------------------------------------------------------
def count_rows(database_url: str, integration_id: int) -> dict[str, int]:
    from ioperator.models.integration import EventKind

    engine = sa.create_engine(database_url)
    queries = {
        "messages": "SELECT count(*) FROM message",
        "distinct_ids": "SELECT count(DISTINCT provider_message_id) FROM message",
        "doubled_ids": "SELECT count(*) FROM "
        "(SELECT provider_message_id FROM message GROUP BY 1 HAVING count(*) > 1) AS doubled",
        "conversations": "SELECT count(*) FROM conversation",
        "contacts": "SELECT count(*) FROM contact",
        "received_events": "SELECT count(*) FROM integration_event WHERE integration_id = :id AND kind = :kind",
    }
    kind = EventKind.WEBHOOK_RECEIVED.value
    try:
        with engine.connect() as conn:
            return {
                name: int(conn.execute(sa.text(sql), {"id": integration_id, "kind": kind}).scalar_one())
                for name, sql in queries.items()
            }
    finally:
        engine.dispose()


def stored_keys(database_url: str) -> set[str]:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return {row[0] for row in conn.execute(sa.text("SELECT provider_message_id FROM message"))}
    finally:
        engine.dispose()


def log_trouble(log_path: Path, limit: int = 8) -> dict[str, Any]:
    """Errors in the server log, grouped by their last line (the exception), most frequent first."""
    try:
        lines = log_path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return {"path": str(log_path), "lines": 0, "errors": 0, "top": []}
    found: Counter[str] = Counter()
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict):
            if str(record.get("level", "")).upper() in ("ERROR", "CRITICAL"):
                tail = [t for t in str(record.get("exc_info") or "").splitlines() if t.strip()]
                found[f"{record.get('logger', '')}: {record.get('message', '')}: {tail[-1] if tail else ''}"] += 1
        elif LOG_TROUBLE.search(line):
            found[line.strip()[:300]] += 1
    return {
        "path": str(log_path),
        "lines": len(lines),
        "errors": sum(found.values()),
        "top": [{"count": n, "line": text[:400]} for text, n in found.most_common(limit)],
    }


# --- one database -----------------------------------------------------------------------------------------------
@contextmanager
def fake_telegram() -> Iterator[str]:
    fake = telegram.FakeTelegram()
    fake.add_bot(BOT_TOKEN, username="bench_bistro_bot", first_name="Bench Bistro")
    with serve(fake.app) as url:
        yield url


def run_one(name: str, database_url: str | None, plan: Plan, concurrency: int, log_dir: Path) -> dict[str, Any]:
    print(f"[{name}] starting the production build...", file=sys.stderr)
    with (
        tempfile.TemporaryDirectory(prefix="ioperator-bench-") as data_dir,
        fake_telegram() as fake_url,
        running_app(database_url=database_url, extra_env=provider_env(fake_url), log_dir=log_dir / name) as app,
    ):
        integration = connect_telegram(app.database_url, fake_url, data_dir)
        url = app.url.replace("localhost", "127.0.0.1") + f"/webhooks/telegram/{integration.id}"
        print(f"[{name}] connected integration {integration.id}; warming up ({len(plan.warmup)})...", file=sys.stderr)
        warm, _ = asyncio.run(send_all(url, integration.webhook_secret, plan.warmup, concurrency))
        print(f"[{name}] sending {len(plan.timed)} deliveries from {concurrency} senders...", file=sys.stderr)
        timed, wall = asyncio.run(send_all(url, integration.webhook_secret, plan.timed, concurrency))
        rows = count_rows(app.database_url, integration.id)
        keys = stored_keys(app.database_url)
        trouble = log_trouble(app.log_path)

    sent = plan.unique_keys
    everything = warm + timed
    latencies = [r.latency_ms for r in timed]
    non_200 = [r for r in everything if r.status != 200]
    stored_sum = sum(r.stored or 0 for r in everything)
    duplicates_stored = [r for r in everything if r.duplicate and r.status == 200 and r.stored != 0]
    statuses = Counter(str(r.status) for r in non_200)
    acknowledged: Counter[str] = Counter()  # message id -> `stored` summed over its 200 answers
    for delivery, result in zip(plan.warmup + plan.timed, everything, strict=True):
        if result.status == 200:
            acknowledged[delivery.message_key] += result.stored or 0
    return {
        "database": name,
        "deliveries": len(timed),
        "duplicates": sum(r.duplicate for r in timed),
        "warmup": len(warm),
        "concurrency": concurrency,
        "seconds": round(wall, 2),
        "deliveries_per_s": round(len(timed) / wall, 1),
        "answered_200_per_s": round(sum(r.status == 200 for r in timed) / wall, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "non_200": len(non_200),
        "non_200_by_status": dict(statuses),
        "non_200_samples": [{"count": n, "body": text} for text, n in Counter(r.error for r in non_200).most_common(3)],
        "unique_sent": len(sent),
        "message_rows": rows["messages"],
        "stored_in_responses": stored_sum,
        "duplicates_answered_stored_nonzero": len(duplicates_stored),
        "lost": len(sent - keys),
        "lost_after_200": len((set(acknowledged) - keys) & sent),
        "never_answered_200": len(sent - set(acknowledged)),
        "answered_stored_twice": sum(1 for n in acknowledged.values() if n > 1),
        "answered_stored_never": sum(1 for n in acknowledged.values() if n == 0),
        "doubled": rows["doubled_ids"],
        "extra_rows": rows["messages"] - rows["distinct_ids"],
        "unexpected_rows": len(keys - sent),
        "conversations": rows["conversations"],
        "contacts": rows["contacts"],
        "webhook_received_events": rows["received_events"],
        "log": trouble,
    }


def ok(figures: dict[str, Any]) -> bool:
    return (
        figures["non_200"] == 0
        and figures["lost"] == 0
        and figures["doubled"] == 0
        and figures["extra_rows"] == 0
        and figures["unexpected_rows"] == 0
        and figures["message_rows"] == figures["unique_sent"]
        and figures["stored_in_responses"] == figures["unique_sent"]
        and figures["lost_after_200"] == 0
        and figures["answered_stored_twice"] == 0
        and figures["answered_stored_never"] == 0
    )


def print_report(reports: list[dict[str, Any]], skipped: dict[str, str]) -> None:
    for f in reports:
        print(
            f"\nWebhook intake, production build, {f['database']}: {f['deliveries']} Telegram deliveries "
            f"({f['duplicates']} re-sends) from {f['concurrency']} senders, after {f['warmup']} uncounted"
        )
        print(f"  {'deliveries/s':<38}{f['deliveries_per_s']:>10.1f}   ({f['seconds']:.2f} s)")
        print(f"  {'deliveries answered 200/s':<38}{f['answered_200_per_s']:>10.1f}")
        print(f"  {'latency p50 / p99 / max ms':<38}{f['p50_ms']:>10.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f}")
        print(f"  {'non-200 responses':<38}{f['non_200']:>10}   {f['non_200_by_status'] or ''}")
        print(f"  {'unique message ids sent':<38}{f['unique_sent']:>10}   (warm-up included)")
        print(f"  {'rows in message':<38}{f['message_rows']:>10}")
        print(f"  {'sum of stored in responses':<38}{f['stored_in_responses']:>10}")
        print(
            f"  {'re-sends answered stored: 1':<38}{f['duplicates_answered_stored_nonzero']:>10}"
            "   (their original was still in flight, or refused)"
        )
        print(f"  {'conversations / contacts':<38}{f['conversations']:>10} / {f['contacts']}")
        print(f"  {'webhook_received events':<38}{f['webhook_received_events']:>10}")
        print(f"  {'ids never answered 200':<38}{f['never_answered_200']:>10}   (refused: a provider would retry)")
        print(f"  {'ids lost after a 200':<38}{f['lost_after_200']:>10}")
        print(f"  {'ids answered stored: 1 twice':<38}{f['answered_stored_twice']:>10}")
        print(f"  {'ids answered 200 but never stored: 1':<38}{f['answered_stored_never']:>10}")
        print(f"  lost: {f['lost']}, doubled: {f['doubled']}  -> {'OK' if ok(f) else 'MISMATCH'}")
        log = f["log"]
        print(f"  server log: {log['errors']} error lines of {log['lines']} ({log['path']})")
        for entry in log["top"]:
            print(f"    {entry['count']:>6} x {entry['line']}")
        for sample in f["non_200_samples"]:
            print(f"    {sample['count']:>6} x non-200 body: {sample['body']}")
    for name, why in skipped.items():
        print(f"\n{name}: {why}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both", help="default both")
    parser.add_argument("--deliveries", type=int, default=4000, help="timed deliveries (default 4000)")
    parser.add_argument("--concurrency", type=int, default=32, help="concurrent senders (default 32)")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="its public schema is dropped and recreated")
    parser.add_argument("--log-dir", help="where the server logs are kept (default: a new temporary directory)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    plan = make_plan(args.deliveries, args.concurrency)
    log_dir = Path(args.log_dir) if args.log_dir else Path(tempfile.mkdtemp(prefix="ioperator-bench-logs-"))
    reports: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    for name in ("sqlite", "postgres"):
        if args.db not in (name, "both"):
            continue
        database_url = None
        if name == "postgres":
            why = postgres_reachable(args.postgres_url)
            if why:
                print(f"[postgres] skipped: {args.postgres_url} does not answer ({why})", file=sys.stderr)
                skipped[name] = f"{args.postgres_url} does not answer: {why}"
                continue
            fresh_postgres_schema(args.postgres_url)
            database_url = args.postgres_url
        try:
            reports.append(run_one(name, database_url, plan, args.concurrency, log_dir))
        except RuntimeError as exc:  # the app did not start: report it, go on with the other database
            print(f"[{name}] failed: {exc}", file=sys.stderr)
            failed[name] = str(exc).splitlines()[0]

    if args.json:
        print(json.dumps({"runs": reports, "skipped": skipped, "failed": failed}, indent=2))
    else:
        notes = {name: f"skipped ({why})" for name, why in skipped.items()}
        print_report(reports, notes | {name: f"FAILED: {why}" for name, why in failed.items()})
    if failed or not all(ok(f) for f in reports):
        sys.exit(1)


if __name__ == "__main__":
    main()
