"""Benchmark: phone-number sync of 2,000 numbers across Telnyx, Twilio and Vonage (the fakes), and its database writes.

Serves the fake Telnyx, Twilio and Vonage (tests/telephony_env.py: one account each) seeded with `--numbers`
numbers split 35/35/30 %, connects all three for one business through the service on a fresh database (with a
public webhook address, so connecting provisions the provider side), then times `telephony_numbers.sync_numbers`,
each in its own session and committed as a request would:

1. the first sync (every number new);
2. a second sync with nothing changed at the providers: it must write nothing (checked; exit code 1 otherwise);
3. (unless --no-churn) a sync after removing 5 % of the Twilio numbers and renaming a few at Telnyx and Twilio.

For each: wall time, split into fetching (the adapters' `list_numbers`, paging over HTTP) and applying (the
comparison, ORM flush and statements), and the commit; numbers fetched/added/updated/deactivated; the HTTP requests
the fakes saw; and the statements the engine ran (a `before_cursor_execute`/`after_cursor_execute` listener):
INSERT/UPDATE/DELETE statements and the rows they wrote (rowcount; for INSERTs the parameter sets), SELECTs, and the
time spent inside the driver's execute.

The fakes run in this process (uvicorn threads, as in the tests): building their JSON pages shares the GIL and is
part of the fetch time.

    .venv/bin/python bench/number_sync.py [--numbers 2000] [--db sqlite|postgres|both] [--no-churn] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import sqlalchemy as sa
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.telephony_env import CONFIGS, WEBHOOK_BASE, Phones, fake_phone_servers  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery"  # noqa: S105 - a throwaway account in a throwaway database
PROVIDERS = ("telnyx", "twilio", "vonage")
SHARES = (0.35, 0.35)  # telnyx, twilio; vonage gets the rest (2,000 -> 700/700/600)
WRITES = ("INSERT", "UPDATE", "DELETE")
REMOVE_PERCENT, RENAME_EACH = 5, 5  # the third sync: 5 % of Twilio's numbers gone, 5 renamed at Telnyx and at Twilio


def split(total: int) -> dict[str, int]:
    telnyx, twilio = (int(total * share) for share in SHARES)
    return {"telnyx": telnyx, "twilio": twilio, "vonage": total - telnyx - twilio}


# --- counting the database's work -------------------------------------------------------------------------------------
@dataclass
class Statements:
    """What the engine sent to the driver while `on`: statements and rows written by kind, time inside execute."""

    on: bool = False
    statements: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)
    execute_seconds: float = 0.0
    _started: list[float] = field(default_factory=list)
    _counted: set[int] = field(default_factory=set)  # insertmanyvalues contexts whose rows are counted

    def attach(self, engine: sa.Engine) -> None:
        sa.event.listen(engine, "before_cursor_execute", self.before)
        sa.event.listen(engine, "after_cursor_execute", self.after)

    def detach(self, engine: sa.Engine) -> None:
        sa.event.remove(engine, "before_cursor_execute", self.before)
        sa.event.remove(engine, "after_cursor_execute", self.after)

    def reset(self) -> None:
        self.statements.clear()
        self.rows.clear()
        self.execute_seconds = 0.0
        self._counted.clear()

    @staticmethod
    def kind(statement: str) -> str:
        words = statement.lstrip().split(None, 1)
        return words[0].upper() if words else ""

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not self.on:
            return
        self.statements[self.kind(statement)] += 1
        self._started.append(time.perf_counter())

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        if not self.on or not self._started:
            return
        self.execute_seconds += time.perf_counter() - self._started.pop()
        kind = self.kind(statement)
        if kind in WRITES:
            self.rows[kind] += self.rows_written(kind, cursor, parameters, context, executemany)

    def rows_written(self, kind: str, cursor: Any, parameters: Any, context: Any, executemany: bool) -> int:
        compiled = getattr(context, "compiled_parameters", None) or []
        if kind == "INSERT" and compiled:
            # One parameter set per row. An "insertmanyvalues" INSERT (ORM inserts with RETURNING) reaches the
            # driver as several executes - one per row on SQLite, batches of up to 1,000 on PostgreSQL - with
            # no per-batch size in the event, and the rowcount of INSERT ... RETURNING is 0 on SQLite until its
            # rows are fetched: count the context's parameter sets once.
            if id(context) in self._counted:
                return 0
            self._counted.add(id(context))
            return len(compiled)
        if cursor.rowcount >= 0:
            return int(cursor.rowcount)
        return len(parameters) if executemany else 1

    def writes(self) -> dict[str, Any]:
        return {
            "statements": {kind: self.statements[kind] for kind in WRITES},
            "rows": {kind: self.rows[kind] for kind in WRITES},
            "total_statements": sum(self.statements[kind] for kind in WRITES),
            "total_rows": sum(self.rows[kind] for kind in WRITES),
        }


@contextmanager
def timed_provider_calls(seconds: dict[str, float], current: list[str]) -> Iterator[None]:
    """Time each awaited provider call (`integrations.call`: in a sync, an adapter's `list_numbers`) per provider."""
    from ioperator.services import integrations

    original = integrations.call

    async def call(awaitable: Any) -> Any:
        started = time.perf_counter()
        try:
            return await original(awaitable)
        finally:
            provider = current[0] if current else "?"
            seconds[provider] = seconds.get(provider, 0.0) + time.perf_counter() - started

    with mock.patch.object(integrations, "call", call):
        yield


# --- the database -----------------------------------------------------------------------------------------------------
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
    schema = f"bench_number_sync_{os.getpid()}"
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


def connect_providers(email: str) -> Any:
    """A new business whose owner connects the three fakes through the service (each in its own transaction)."""
    from ioperator.core.auth import TenantContext
    from ioperator.core.db import session_scope
    from ioperator.models.user import Role
    from ioperator.services import accounts, telephony_providers

    with session_scope() as session:
        signup = accounts.create_business(
            session=session, business_name="Bench Salon", owner_email=email, owner_password=PASSWORD
        )
        assert signup.business.id is not None and signup.owner.id is not None
        tenant = TenantContext(signup.business.id, signup.owner.id, Role.OWNER)
    for provider in PROVIDERS:
        with session_scope() as session:
            row = asyncio.run(
                telephony_providers.connect(session=session, tenant=tenant, provider=provider, values=CONFIGS[provider])
            )
            assert row.provider_state, f"{provider} was not provisioned"
    return tenant


def stored_numbers(tenant: Any) -> dict[str, int]:
    from sqlmodel import col, func, select

    from ioperator.core.db import session_scope
    from ioperator.models.telephony import PhoneNumber

    with session_scope() as session:
        base = select(func.count()).select_from(PhoneNumber).where(col(PhoneNumber.business_id) == tenant.business_id)
        total = int(session.exec(base).one())
        active = int(session.exec(base.where(col(PhoneNumber.active).is_(True))).one())
    return {"total": total, "active": active}


# --- one sync ---------------------------------------------------------------------------------------------------------
def timed_sync(phones: Phones, counter: Statements, tenant: Any) -> dict[str, Any]:
    """One sync in its own session, committed (as a request would): times, report, requests, statements."""
    from ioperator.core.db import session_scope
    from ioperator.services import telephony_numbers

    requests_before = {slug: len(phones.fake(slug).requests) for slug in PROVIDERS}
    marks: list[tuple[str, float]] = []  # (provider, when its turn began); "" = the end
    current: list[str] = []
    fetch: dict[str, float] = {}

    async def progress(index: int, total: int, provider: str) -> None:
        marks.append((provider, time.perf_counter()))
        current[:] = [provider]

    counter.reset()
    counter.on = True
    try:
        with timed_provider_calls(fetch, current):
            started = time.perf_counter()
            with session_scope() as session:
                report = asyncio.run(
                    telephony_numbers.sync_numbers(session=session, tenant=tenant, on_progress=progress)
                )
                committing = time.perf_counter()
                session.commit()
            ended = time.perf_counter()
    finally:
        counter.on = False

    spans = {provider: end - begin for (provider, begin), (_, end) in itertools.pairwise(marks)}
    providers = []
    for result in report.providers:
        fake = phones.fake(result.provider)
        seen = fake.requests[requests_before[result.provider] :]
        provider_seconds = spans.get(result.provider, 0.0)
        fetch_seconds = fetch.get(result.provider, 0.0)
        providers.append(
            {
                "provider": result.provider,
                "fetched": result.fetched,
                "added": result.added,
                "updated": result.updated,
                "deactivated": result.deactivated,
                "error": result.error,
                "requests": len(seen),
                "request_paths": dict(Counter(f"{method} {path}" for method, path in seen)),
                "seconds": provider_seconds,
                "fetch_seconds": fetch_seconds,
                "apply_seconds": provider_seconds - fetch_seconds,
            }
        )
    fetch_total = sum(p["fetch_seconds"] for p in providers)
    return {
        "seconds": ended - started,
        "fetch_seconds": fetch_total,
        "apply_seconds": (committing - started) - fetch_total,  # incl. reading the connected providers
        "commit_seconds": ended - committing,
        "fetched": report.fetched,
        "added": sum(p["added"] for p in providers),
        "updated": sum(p["updated"] for p in providers),
        "deactivated": sum(p["deactivated"] for p in providers),
        "changed": report.changed,
        "failed": [p.provider for p in report.failed],
        "requests": sum(p["requests"] for p in providers),
        "providers": providers,
        "writes": counter.writes(),
        "selects": counter.statements["SELECT"],
        "statements": sum(counter.statements.values()),
        "db_execute_seconds": counter.execute_seconds,
    }


def churn(phones: Phones, seeded: dict[str, list[str]]) -> dict[str, int]:
    """Remove REMOVE_PERCENT % of Twilio's numbers; rename RENAME_EACH at Telnyx and at Twilio (others than those)."""
    twilio = seeded["twilio"]
    removed = twilio[: max(1, len(twilio) * REMOVE_PERCENT // 100)] if twilio else []
    for ref in removed:
        phones.twilio.remove_number(ref)
    renamed = 0
    for ref in seeded["telnyx"][:RENAME_EACH]:
        phones.telnyx.numbers[ref]["customer_reference"] = f"Bench line {ref}"
        renamed += 1
    for ref in twilio[len(removed) : len(removed) + RENAME_EACH]:
        phones.twilio.numbers[ref]["friendly_name"] = f"Bench line {ref}"
        renamed += 1
    return {"removed": len(removed), "renamed": renamed}


def sync_benchmark(label: str, database_url: str, phones: Phones, total: int, with_churn: bool) -> dict[str, Any]:
    from ioperator.core.db import get_engine

    phones.reset()
    counts = split(total)
    seeded = {slug: phones.fake(slug).add_numbers(counts[slug]) for slug in PROVIDERS}
    use_database(database_url)
    tenant = connect_providers(f"owner@{label}.bench.example.com")

    counter = Statements()
    engine = get_engine()
    counter.attach(engine)
    try:
        first = timed_sync(phones, counter, tenant)
        after_first = stored_numbers(tenant)
        second = timed_sync(phones, counter, tenant)
        third, changes, after_third = None, {"removed": 0, "renamed": 0}, None
        if with_churn:
            changes = churn(phones, seeded)
            third = timed_sync(phones, counter, tenant)
            after_third = stored_numbers(tenant)
    finally:
        counter.detach(engine)

    by_provider = {p["provider"]: p for p in first["providers"]}
    checks = {
        "first sync fetched and added every number": all(
            by_provider[slug]["fetched"] == by_provider[slug]["added"] == counts[slug] for slug in PROVIDERS
        )
        and after_first == {"total": total, "active": total}
        and first["writes"]["rows"]["INSERT"] >= total,
        "no provider failed": not (first["failed"] or second["failed"] or (third and third["failed"])),
        "second sync changed nothing": second["changed"] == 0 and second["fetched"] == total,
        "second sync wrote nothing (0 INSERT/UPDATE/DELETE statements)": second["writes"]["total_statements"] == 0,
    }
    if third is not None:
        checks["third sync deactivated the removed numbers and updated the renamed ones"] = (
            third["deactivated"] == changes["removed"]
            and third["updated"] == changes["renamed"]
            and third["added"] == 0
            and after_third == {"total": total, "active": total - changes["removed"]}
        )
    return {
        "db": label,
        "numbers": counts,
        "first": first,
        "second": second,
        "third": third,
        "churn": changes,
        "stored_after_first": after_first,
        "stored_after_third": after_third,
        "checks": checks,
    }


# --- output -----------------------------------------------------------------------------------------------------------
def writes_text(writes: dict[str, Any]) -> str:
    parts = [f"{kind} {writes['statements'][kind]}/{writes['rows'][kind]}" for kind in WRITES]
    return f"{writes['total_statements']:5d}/{writes['total_rows']:<5d} ({', '.join(parts)})"


def print_report(report: dict[str, Any]) -> None:
    counts = report["numbers"]
    split_text = ", ".join(f"{slug} {counts[slug]}" for slug in PROVIDERS)
    print(f"\n== Number sync: {sum(counts.values())} numbers ({split_text}), {report['db']} ==")
    print(
        f"{'':27} {'wall s':>7} {'fetch s':>7} {'apply s':>7} {'commit s':>8} {'fetched':>7} "
        f"{'+add':>5} {'~upd':>5} {'-deact':>6} {'HTTP':>5} {'DB exec s':>9} {'SELECT':>6}  "
        "writes: statements/rows (by kind)"
    )
    churn = report["churn"]
    runs = [("1 all new", report["first"]), ("2 nothing changed", report["second"])]
    if report["third"] is not None:
        runs.append((f"3 -{churn['removed']} ~{churn['renamed']} renamed", report["third"]))
    for name, run in runs:
        print(
            f"sync {name:22} {run['seconds']:7.3f} {run['fetch_seconds']:7.3f} {run['apply_seconds']:7.3f} "
            f"{run['commit_seconds']:8.3f} {run['fetched']:7d} {run['added']:5d} {run['updated']:5d} "
            f"{run['deactivated']:6d} {run['requests']:5d} {run['db_execute_seconds']:9.3f} {run['selects']:6d}  "
            f"{writes_text(run['writes'])}"
        )
    for name, run in runs:
        print(f"  sync {name}, per provider:")
        for p in run["providers"]:
            sid = CONFIGS["twilio"]["account_sid"]
            paths = "; ".join(f"{path.replace(sid, '{sid}')} x{n}" for path, n in p["request_paths"].items())
            print(
                f"    {p['provider']:<7} {p['seconds']:6.3f} s (fetch {p['fetch_seconds']:.3f}, apply "
                f"{p['apply_seconds']:.3f}); fetched {p['fetched']}, +{p['added']} ~{p['updated']} "
                f"-{p['deactivated']}; {p['requests']} requests: {paths}{' ERROR ' + p['error'] if p['error'] else ''}"
            )
    second = report["second"]["writes"]
    verdict = "OK" if second["total_statements"] == 0 else "EXPECTED 0"
    print(
        f"  second sync (nothing changed): {second['total_statements']} database writes "
        f"({second['total_rows']} rows) - {verdict}"
    )
    for name, passed in report["checks"].items():
        print(f"  check: {name}: {'OK' if passed else 'FAILED'}")


# --- main -------------------------------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--numbers", type=int, default=2000, help="numbers over the three providers (default 2000)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite", help="default sqlite")
    parser.add_argument("--postgres-url", default=POSTGRES_URL, help="a schema of its own is created and dropped")
    parser.add_argument("--no-churn", action="store_true", help="skip the third sync (removals and renames)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    if args.numbers < 3:
        parser.error("--numbers must be at least 3")
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]

    reports: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="bench-number-sync-") as data_dir, fake_phone_servers() as phones:
        # Set before the app's settings are first read (use_database resets them).
        os.environ.update(
            {
                "IOPERATOR_DATA_DIR": data_dir,
                "IOPERATOR_SECRET_KEYS": Fernet.generate_key().decode(),
                "IOPERATOR_PROVIDER_BASE_URLS": json.dumps(phones.urls),
                "IOPERATOR_WEBHOOK_BASE_URL": WEBHOOK_BASE,  # https: connecting provisions the provider side
            }
        )
        for db in databases:
            if db == "sqlite":
                url = f"sqlite:///{Path(data_dir) / 'bench.db'}"
                reports.append(sync_benchmark("sqlite", url, phones, args.numbers, not args.no_churn))
                continue
            reason = postgres_reachable(args.postgres_url)
            if reason:
                skipped["postgres"] = reason
                continue
            with postgres_schema(args.postgres_url) as url:
                reports.append(sync_benchmark("postgres", url, phones, args.numbers, not args.no_churn))
        from ioperator.core.db import reset_engine

        reset_engine()

    failed = [f"{r['db']}: {name}" for r in reports for name, ok in r["checks"].items() if not ok]
    if args.json:
        print(json.dumps({"sync": reports, "skipped": skipped, "failed": failed}, indent=2))
    else:
        for report in reports:
            print_report(report)
        for db, reason in skipped.items():
            print(f"\n{db}: skipped - {reason}")
        print(f"\n{'all checks passed' if not failed else 'FAILED: ' + '; '.join(failed)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
