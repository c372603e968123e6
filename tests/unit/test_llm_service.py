"""The business's AI model: tested before saving, key encrypted and masked, streamed test chat."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from ioperator.core.errors import IntegrationFailed, PermissionDenied, ValidationFailed
from ioperator.models.user import Role
from ioperator.services import llm
from tests.factories import context_for, make_business, make_member
from tests.fakes.openai import KEY, MODEL, FakeOpenAI
from tests.fakes.runner import serve
from tests.unit.test_auth_sessions import run


@pytest.fixture(scope="module")
def openai_url() -> Iterator[tuple[FakeOpenAI, str]]:
    fake = FakeOpenAI()
    with serve(fake.app) as url:
        yield fake, url + "/v1"


def test_settings_are_tested_then_stored_encrypted(db: Session, openai_url: tuple[FakeOpenAI, str]) -> None:
    _, url = openai_url
    tenant = make_business(db)
    with pytest.raises(IntegrationFailed) as err:
        run(llm.save_config(session=db, tenant=tenant.ctx, base_url=url, api_key="sk-wrong-key-000", model=MODEL))
    assert err.value.field == "api_key" and "sk-wrong" not in err.value.message()
    assert llm.get_config(session=db, tenant=tenant.ctx) is None
    config = run(
        llm.save_config(session=db, tenant=tenant.ctx, base_url=url + "/", api_key=KEY, model=MODEL, temperature="0.3")
    )
    assert (config.base_url, config.temperature) == (url, 0.3)
    raw = db.connection().execute(sa.text("SELECT api_key FROM llm_config")).scalar_one()
    assert KEY not in raw
    assert llm.public(config).masked_key == "••••WXYZ"  # type: ignore[union-attr]
    again = run(llm.save_config(session=db, tenant=tenant.ctx, base_url=url, api_key="", model=MODEL))
    assert again.api_key == KEY  # a blank key keeps the stored one


@pytest.mark.parametrize(
    ("values", "field"),
    [({"base_url": "ftp://x"}, "base_url"), ({"model": ""}, "model"), ({"temperature": "3"}, "temperature")],
)
def test_bad_settings_are_refused(db: Session, openai_url: tuple[FakeOpenAI, str], values: dict, field: str) -> None:
    _, url = openai_url
    tenant = make_business(db)
    with pytest.raises(ValidationFailed) as err:
        run(
            llm.save_config(
                session=db, tenant=tenant.ctx, **{"base_url": url, "api_key": KEY, "model": MODEL, **values}
            )
        )
    assert err.value.field == field


def test_stream_reply_sends_the_rendered_prompt(db: Session, openai_url: tuple[FakeOpenAI, str]) -> None:
    fake, url = openai_url
    tenant = make_business(db)
    run(llm.save_config(session=db, tenant=tenant.ctx, base_url=url, api_key=KEY, model=MODEL))

    async def chat() -> str:
        parts = [
            d
            async for d in llm.stream_reply(
                session=db,
                tenant=tenant.ctx,
                system_prompt="You are Blue Door.",
                turns=[{"role": "user", "content": "Open on Sunday?"}],
            )
        ]
        assert len(parts) > 1  # streamed in pieces
        return "".join(parts)

    answer = run(chat())
    assert "Open on Sunday?" in answer
    sent = fake.requests[-1].body["messages"]
    assert sent[0] == {"role": "system", "content": "You are Blue Door."}
    fake.fail_next("server_error", times=2)

    async def failing() -> None:
        async for _ in llm.stream_reply(
            session=db, tenant=tenant.ctx, system_prompt="x", turns=[{"role": "user", "content": "hi"}]
        ):
            pass

    with pytest.raises(IntegrationFailed):
        run(failing())
    assert "Open on Sunday?" in run(chat())  # and the next message works again


def test_not_configured_and_roles(db: Session, openai_url: tuple[FakeOpenAI, str]) -> None:
    _, url = openai_url
    tenant = make_business(db)

    async def chat() -> None:
        async for _ in llm.stream_reply(session=db, tenant=tenant.ctx, system_prompt="x", turns=[]):
            pass

    with pytest.raises(ValidationFailed):
        run(chat())
    operator = context_for(make_member(db, tenant, Role.OPERATOR))
    with pytest.raises(PermissionDenied):
        run(llm.save_config(session=db, tenant=operator, base_url=url, api_key=KEY, model=MODEL))
