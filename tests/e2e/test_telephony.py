"""Telephony end to end against fake Telnyx and Twilio: add credentials, test, make default, sync numbers,
route one to a member, assign another, and see both on the Users page; set your own status."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session

from ioperator.models.user import Role
from tests.e2e.helpers import log_in, seed_business, seed_member
from tests.fakes.telnyx import FakeTelnyx
from tests.fakes.twilio import FakeTwilio
from tests.telephony_env import TELNYX_KEY, TELNYX_PUBLIC_KEY, TWILIO_SID, TWILIO_TOKEN


def connect(page: Page, slug: str, values: dict[str, str]) -> None:
    card = page.get_by_test_id(f"provider-card-{slug}")
    card.get_by_role("button", name="Add provider").click()
    dialog = page.get_by_role("dialog")
    for label, value in values.items():
        dialog.get_by_label(label).fill(value)
    dialog.get_by_role("button", name="Connect").click()


def test_twilio_from_credentials_to_a_members_numbers(
    page: Page,
    app_db: Session,
    fake_twilio: tuple[FakeTwilio, str],
    fake_telnyx: tuple[FakeTelnyx, str],
) -> None:
    twilio, telnyx = fake_twilio[0], fake_telnyx[0]
    twilio.reset()
    twilio.add_account(TWILIO_SID, TWILIO_TOKEN, friendly_name="Blue Door Twilio", balance="25.40")
    first, second, _ = (
        twilio.add_number("+14155550101", friendly_name="Front desk"),
        twilio.add_number("+14155550102", friendly_name="Bookings"),
        twilio.add_number("+442079460000", friendly_name="London"),
    )
    telnyx.reset()
    telnyx.add_account(TELNYX_KEY)
    telnyx.add_numbers(2)

    tenant = seed_business(app_db, "Ring Ring Salon")
    seed_member(app_db, tenant, Role.OPERATOR, "Anna Agent")
    log_in(page, tenant.owner.email)
    page.get_by_role("link", name="Providers").click()
    expect(page.get_by_role("heading", name="Telephony providers", level=1)).to_be_visible()

    # Telnyx first: it becomes the default
    connect(page, "telnyx", {"API key": TELNYX_KEY, "Public key": TELNYX_PUBLIC_KEY})
    telnyx_card = page.get_by_test_id("provider-card-telnyx")
    expect(telnyx_card.get_by_test_id("provider-status")).to_have_text("Active")
    expect(telnyx_card.get_by_text("Default", exact=True)).to_be_visible()

    # Twilio: a wrong token is refused on its field and nothing is stored; then the right one
    connect(page, "twilio", {"Account SID": TWILIO_SID, "Auth Token": "0" * 32})
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("The provider refused these credentials.")).to_be_visible()
    expect(dialog.get_by_label("Account SID")).to_have_value(TWILIO_SID)
    assert twilio.applications == {}
    dialog.get_by_label("Auth Token").fill(TWILIO_TOKEN)
    dialog.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    twilio_card = page.get_by_test_id("provider-card-twilio")
    expect(twilio_card.get_by_test_id("provider-status")).to_have_text("Active")
    expect(twilio_card).to_contain_text("Blue Door Twilio")
    expect(twilio_card).to_contain_text("Calls reach iOperator: set up automatically.")
    [app] = twilio.applications.values()
    assert app["voice_url"].endswith("/voice") and "/webhooks/twilio/" in app["voice_url"]

    twilio_card.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connection works", exact=False).first).to_be_visible()
    twilio_card.get_by_role("button", name="Make default").click()
    expect(twilio_card.get_by_text("Default", exact=True)).to_be_visible()
    expect(telnyx_card.get_by_text("Default", exact=True)).to_have_count(0)
    expect(telnyx_card.get_by_role("button", name="Make default")).to_be_visible()

    # Numbers: sync both providers, then route the front desk to Anna
    page.get_by_role("link", name="Numbers").click()
    expect(page.get_by_role("heading", name="Phone numbers", level=1)).to_be_visible()
    page.get_by_test_id("sync-numbers").click()
    expect(page.get_by_test_id("number-row")).to_have_count(5)
    expect(page.get_by_test_id("numbers-count")).to_have_text("5 numbers")
    page.get_by_role("searchbox", name="Search by number or name").fill("front")
    expect(page.get_by_test_id("number-row")).to_have_count(1)
    row = page.get_by_test_id("number-row").filter(has_text="Front desk")
    expect(row).to_contain_text("+1 415-555-0101")
    row.get_by_test_id("edit-routing").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("route-mode-user").click()
    dialog.get_by_role("combobox", name="Team member").click()
    page.get_by_role("option", name="Anna Agent").click()
    dialog.get_by_test_id("save-routing").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(row).to_contain_text("Rings Anna Agent")
    expect(row.get_by_test_id("not-pointed")).to_have_count(0)
    assert twilio.numbers[first]["voice_application_sid"] == next(iter(twilio.applications))

    # Users: Anna has the front desk; give her the bookings line too, as her primary
    page.get_by_role("link", name="Users").click()
    anna = page.get_by_test_id("telephony-user-row").filter(has_text="Anna Agent")
    expect(anna.get_by_test_id("member-numbers")).to_contain_text("+1 415-555-0101")
    anna.get_by_test_id("edit-member").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_test_id("number-choice").filter(has_text="+1 415-555-0102").get_by_role("checkbox").click()
    dialog.get_by_role("combobox", name="Primary outbound number").click()
    page.get_by_role("option", name=re.compile(r"\+1 415-555-0102")).click()
    dialog.get_by_role("textbox", name="Forwarding number").fill("+44 7911 123456")
    dialog.get_by_test_id("save-member").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(anna.get_by_test_id("member-numbers")).to_contain_text("+1 415-555-0102")
    expect(anna.get_by_test_id("member-primary")).to_contain_text("+1 415-555-0102")
    expect(anna.get_by_test_id("member-forwarding")).to_contain_text("+44 7911 123456")
    assert twilio.numbers[second]["voice_application_sid"] == next(iter(twilio.applications))

    # and the Numbers page agrees
    page.get_by_role("link", name="Numbers").click()
    page.get_by_role("button", name="Clear filters").first.click()  # the search is kept while the tab is open
    bookings = page.get_by_test_id("number-row").filter(has_text="Bookings")
    expect(bookings).to_contain_text("Rings Anna Agent")

    # my own status, from the user menu
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name=re.compile("^Status")).click()
    page.get_by_test_id("presence-busy").click()
    expect(page.get_by_test_id("presence-dot").first).to_have_attribute("data-presence", "busy")
