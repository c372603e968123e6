"""AI Agent → CRM: connect YCLIENTS through the dialog (against the fake) and see the synced catalog."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.conftest import YCLIENTS_PARTNER, YCLIENTS_USER
from tests.e2e.helpers import log_in, seed_business
from tests.fakes.yclients import FakeYclients


def test_connect_yclients_and_see_the_synced_catalog(
    page: Page, app_db: Session, fake_yclients: tuple[FakeYclients, str]
) -> None:
    fake, _ = fake_yclients
    cuts = fake.add_category("Стрижки")
    anna, boris = fake.add_staff("Анна", "Стилист"), fake.add_staff("Борис", "Барбер")
    fake.add_service("Мужская стрижка", cuts, 1500, staff={boris: 3600})
    fake.add_service("Женская стрижка", cuts, 2000, 3500, staff={anna: 5400})
    tenant = seed_business(app_db, "Barbershop E2E")
    log_in(page, tenant.owner.email)
    page.get_by_role("link", name="CRM & booking").click()
    expect(page.get_by_role("heading", name="CRM & booking", level=1)).to_be_visible()
    expect(page.get_by_text("Nothing here yet: connect a CRM and sync it.")).to_be_visible()
    card = page.get_by_test_id("channel-card-yclients")
    expect(card).to_contain_text("booking")  # what it supports

    card.get_by_role("button", name="Connect").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Company ID").fill("777")
    dialog.get_by_label("Partner token").fill(YCLIENTS_PARTNER)
    dialog.get_by_label("User token").fill("not-the-user-token")
    dialog.get_by_role("button", name="Connect").click()
    expect(dialog.get_by_role("alert")).to_have_text("The provider refused these credentials.")
    dialog.get_by_label("User token").fill(YCLIENTS_USER)
    dialog.get_by_role("button", name="Connect").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    expect(card.get_by_test_id("channel-status")).to_have_text("Connected")
    expect(card.get_by_test_id("crm-counts")).to_contain_text("Services: 2")
    expect(card.get_by_test_id("crm-counts")).to_contain_text("Staff: 2")
    rows = page.get_by_test_id("crm-service-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Женская стрижка")).to_contain_text("2000.00–3500.00")
    expect(rows.filter(has_text="Женская стрижка")).to_contain_text("90 min")
    expect(rows.filter(has_text="Женская стрижка")).to_contain_text("Анна")

    page.get_by_label("Search services").fill("мужская")
    expect(rows).to_have_count(1)
    page.get_by_label("Search services").fill("")

    fake.add_service("Борода", cuts, 900, staff={boris: 1800})
    card.get_by_role("button", name="Sync now").click()
    expect(page.get_by_text("Catalog synced: 3 services, 2 staff.")).to_be_visible()
    expect(rows).to_have_count(3)
