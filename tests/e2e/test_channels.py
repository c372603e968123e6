"""AI Agent → Channels: connect Telegram through the dialog (against the fake Bot API), receive a
webhook on the production server, test, read the event log, disconnect."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect
from sqlmodel import Session

from ioperator.models.user import Role
from tests.e2e.helpers import log_in, seed_business, seed_member
from tests.e2e.server import RunningApp
from tests.fakes import telegram
from tests.fakes.telegram import FakeTelegram

TOKEN = "424242:" + "E" * 35


def test_connect_receive_test_and_disconnect_telegram(
    page: Page, app_db: Session, app_server: RunningApp, fake_telegram: tuple[FakeTelegram, str]
) -> None:
    fake, _ = fake_telegram
    fake.add_bot(TOKEN, username="e2e_cafe_bot", first_name="E2E Cafe")
    tenant = seed_business(app_db, "Channel Cafe")
    log_in(page, tenant.owner.email)
    page.get_by_role("link", name="Channels").click()
    expect(page.get_by_role("heading", name="Channels", level=1)).to_be_visible()
    card = page.get_by_test_id("channel-card-telegram")
    expect(card.get_by_test_id("channel-status")).to_have_text("Not connected")

    # a wrong token: the error shows on the field, nothing is saved, the typed value stays
    card.get_by_role("button", name="Connect").click()
    dialog = page.get_by_role("dialog")
    wrong = "999999:" + "W" * 35
    dialog.get_by_label("Bot token").fill(wrong)
    dialog.get_by_role("button", name="Connect").click()
    expect(dialog.get_by_role("alert")).to_have_text("The provider refused these credentials.")
    expect(dialog.get_by_label("Bot token")).to_have_value(wrong)

    dialog.get_by_label("Bot token").fill(TOKEN)
    dialog.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(card.get_by_test_id("channel-status")).to_have_text("Connected")
    expect(card).to_contain_text("@e2e_cafe_bot")
    hook = fake.webhooks[TOKEN]
    assert re.fullmatch(r"https://hooks\.e2e\.example\.com/webhooks/telegram/\d+", hook["url"])

    # Telegram delivers a message to the production server
    path = hook["url"].removeprefix("https://hooks.e2e.example.com")
    delivery = telegram.encode(telegram.text_update(chat_id=777, message_id=1, text="Hello from e2e"))
    response = httpx.post(
        app_server.url + path, content=delivery, headers={"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]}
    )
    assert response.status_code == 200 and response.json()["stored"] == 1
    forged = httpx.post(app_server.url + path, content=delivery, headers={"X-Telegram-Bot-Api-Secret-Token": "x"})
    assert forged.status_code == 401

    card.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connection works: @e2e_cafe_bot")).to_be_visible()

    # re-opening shows the secret masked; leaving it blank keeps it
    card.get_by_role("button", name="Settings").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("••••EEEE")
    expect(dialog.get_by_label("Bot token")).to_have_value("")
    dialog.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(card.get_by_test_id("channel-status")).to_have_text("Connected")

    card.get_by_role("button", name="Event log").click()
    events = page.get_by_role("dialog")
    expect(events.get_by_test_id("event-row")).to_have_count(5)
    for label in ("Settings changed", "Test passed", "Webhook rejected", "Webhook received", "Connected"):
        expect(events).to_contain_text(label)
    events.get_by_role("button", name="Done").click()

    card.get_by_role("button", name="Disconnect").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Disconnect").click()
    expect(card.get_by_test_id("channel-status")).to_have_text("Not connected")
    assert fake.webhooks.get(TOKEN, {}).get("url", "") == ""


def test_operator_sees_channels_read_only(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Read Only Diner")
    operator = seed_member(app_db, tenant, Role.OPERATOR, "Olli Operator")
    log_in(page, operator.email)
    page.goto("/agent/channels")
    expect(page.get_by_text("Only owners and admins can connect or change channels.")).to_be_visible()
    expect(page.get_by_role("button", name="Connect")).to_have_count(0)


def test_channels_page_in_russian(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Русское кафе", language="ru")
    log_in(page, tenant.owner.email)
    page.goto("/agent/channels")
    expect(page.get_by_role("heading", name="Каналы", level=1)).to_be_visible()
    expect(page.get_by_test_id("channel-card-telegram").get_by_test_id("channel-status")).to_have_text("Не подключён")
    page.get_by_test_id("channel-card-telegram").get_by_role("button", name="Подключить").click()
    expect(page.get_by_role("dialog").get_by_label("Токен бота")).to_be_visible()
