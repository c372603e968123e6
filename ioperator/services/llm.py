"""The business's language model (OpenAI-compatible) and the prompt editor's streamed test chat.

Settings are tested against the endpoint before they are saved; the key is stored encrypted, shown
masked, and a blank key keeps the stored one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlmodel import Session, select

from ioperator.adapters.errors import AdapterError, RateLimited
from ioperator.adapters.llm.openai_compatible import LlmSettings, OpenAICompatibleChat
from ioperator.core import crypto
from ioperator.core.auth import TenantContext
from ioperator.core.db import utcnow
from ioperator.core.errors import IntegrationFailed, ValidationFailed
from ioperator.core.http import http_client
from ioperator.models.llm import LlmConfig
from ioperator.services import validation

MAX_TURNS = 20


@dataclass(frozen=True)
class LlmPublic:
    base_url: str
    model: str
    temperature: float | None
    masked_key: str


def get_config(*, session: Session, tenant: TenantContext) -> LlmConfig | None:
    return session.exec(select(LlmConfig).where(LlmConfig.business_id == tenant.business_id)).first()


def public(config: LlmConfig | None) -> LlmPublic | None:
    if config is None:
        return None
    return LlmPublic(config.base_url, config.model, config.temperature, crypto.mask(config.api_key))


async def save_config(
    *, session: Session, tenant: TenantContext, base_url: str, api_key: str, model: str, temperature: str | float = ""
) -> LlmConfig:
    """Test the endpoint with these settings, then store them (a blank key keeps the stored one)."""
    tenant.require_manager()
    base_url = (base_url or "").strip().rstrip("/")
    if not base_url.startswith(("https://", "http://")) or " " in base_url or len(base_url) > 300:
        raise ValidationFailed("error.llm_url_invalid", field="base_url")
    model = validation.text(model, field="model", max_length=120, required=True)
    temp = _temperature(temperature)
    existing = get_config(session=session, tenant=tenant)
    key = (api_key or "").strip() or (existing.api_key if existing else "") or ""
    settings = LlmSettings(base_url=base_url, api_key=key, model=model, temperature=temp, timeout_seconds=20)
    chat = OpenAICompatibleChat(settings, http=http_client())
    try:
        await chat.test_connection()
    except AdapterError as exc:
        raise _failed(exc) from None
    config = existing or LlmConfig(business_id=tenant.business_id, base_url=base_url, model=model)
    config.base_url, config.model, config.temperature = base_url, model, temp
    config.api_key = key or None
    config.updated_at = utcnow()
    session.add(config)
    session.flush()
    return config


async def stream_reply(
    *, session: Session, tenant: TenantContext, system_prompt: str, turns: list[dict[str, str]]
) -> AsyncIterator[str]:
    """Stream the model's answer to the conversation `turns` under `system_prompt`."""
    config = get_config(session=session, tenant=tenant)
    if config is None:
        raise ValidationFailed("error.llm_not_configured")
    settings = LlmSettings(
        base_url=config.base_url, api_key=config.api_key or "", model=config.model, temperature=config.temperature
    )
    messages = [{"role": "system", "content": system_prompt}] + [
        {"role": t["role"], "content": t["content"]} for t in turns[-MAX_TURNS:] if t["role"] in ("user", "assistant")
    ]
    chat = OpenAICompatibleChat(settings, http=http_client())
    try:
        async for delta in chat.stream(messages):
            yield delta
    except AdapterError as exc:
        raise _failed(exc) from None


def _temperature(value: str | float) -> float | None:
    if value in ("", None):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ValidationFailed("error.llm_temperature_invalid", field="temperature") from None
    if not 0 <= number <= 2:
        raise ValidationFailed("error.llm_temperature_invalid", field="temperature")
    return number


def _failed(exc: AdapterError) -> IntegrationFailed:
    retry_after = exc.retry_after if isinstance(exc, RateLimited) else None
    return IntegrationFailed(
        exc.key, field=exc.field, retry_after=retry_after, detail=exc.detail, seconds=retry_after or ""
    )
