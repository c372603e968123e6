"""Concurrent webhook deliveries on one SQLite file: all stored once, none refused as "locked"."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlmodel import Session, func, select

from ioperator.api.webhooks import _process
from ioperator.core import migrations
from ioperator.core.db import make_engine
from ioperator.models.business import Business
from ioperator.models.inbox import Message
from ioperator.models.integration import Integration, IntegrationStatus
from tests.fakes import telegram

SECRET = "concurrency-secret-token-0123456789"


def test_parallel_deliveries_with_duplicates(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hooks.db'}")
    with engine.begin() as conn:
        migrations.upgrade("head", connection=conn)
    with Session(engine) as session:
        business = Business(name="Hooks")
        session.add(business)
        session.flush()
        integration = Integration(
            business_id=business.id or 0,
            provider="telegram",
            kind="channel",
            instance_key="telegram",
            status=IntegrationStatus.CONNECTED,
            secrets=json.dumps({"bot_token": "1:x"}),
            webhook_secret=SECRET,
        )
        session.add(integration)
        session.commit()
        integration_id = integration.id or 0

    bodies = [
        telegram.encode(telegram.text_update(chat_id=100 + n % 40, message_id=n, text=f"m{n}")) for n in range(240)
    ]
    bodies += bodies[::10]  # 10% re-sent

    def deliver(body: bytes) -> tuple[int, int]:
        with Session(engine, expire_on_commit=False) as session:
            outcome = _process(session, "telegram", integration_id, {"x-telegram-bot-api-secret-token": SECRET}, body)
            session.commit()
            return outcome.status, outcome.stored

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(deliver, bodies))

    assert {status for status, _ in results} == {200}
    assert sum(stored for _, stored in results) == 240
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Message)).one() == 240
    engine.dispose()
