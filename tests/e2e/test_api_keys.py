"""Settings → API keys: create a key in the UI, copy it, fetch the configuration with it over HTTP, revoke it,
and see the next fetch refused."""

from __future__ import annotations

import httpx
from playwright.sync_api import BrowserContext, Page, expect
from sqlmodel import Session

from ioperator.models.user import Role
from tests.e2e.helpers import log_in, seed_business, seed_member
from tests.e2e.server import RunningApp


def test_create_copy_use_and_revoke_a_key(
    page: Page, context: BrowserContext, app_db: Session, app_server: RunningApp
) -> None:
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    tenant = seed_business(app_db, "Keyed Cafe")
    log_in(page, tenant.owner.email)
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    expect(page.get_by_text("No API keys yet.")).to_be_visible()
    expect(page.get_by_test_id("config-endpoint")).to_have_text(
        app_server.env["IOPERATOR_PUBLIC_BASE_URL"].rstrip("/") + "/api/v1/config"
    )

    page.get_by_role("button", name="New API key").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("   ")
    dialog.get_by_role("button", name="Create key").click()
    expect(dialog.get_by_text("This field is required.")).to_be_visible()
    dialog.get_by_label("Name").fill("Production bot")
    dialog.get_by_role("button", name="Create key").click()

    shown = page.get_by_role("dialog", name="Your new API key")
    expect(shown.get_by_text("it is shown only once", exact=False)).to_be_visible()
    key_text = shown.get_by_test_id("new-api-key").inner_text()
    assert key_text.startswith("iop_")
    shown.get_by_role("button", name="Copy key").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == key_text
    shown.get_by_role("button", name="Done").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    row = page.get_by_test_id("api-key-row").filter(has_text="Production bot")
    expect(row).to_contain_text(key_text[-4:])
    expect(row).not_to_contain_text(key_text)
    expect(row).to_contain_text("Active")
    expect(page.get_by_test_id("curl-example")).to_contain_text(key_text[:13])  # the business's real prefix

    url = app_server.url + "/api/v1/config"
    fetched = httpx.get(url, headers={"Authorization": f"Bearer {copied}"})
    assert fetched.status_code == 200
    assert fetched.json()["business"]["name"] == "Keyed Cafe"
    unchanged = httpx.get(url, headers={"Authorization": f"Bearer {copied}", "If-None-Match": fetched.headers["etag"]})
    assert unchanged.status_code == 304

    page.reload()
    row = page.get_by_test_id("api-key-row").filter(has_text="Production bot")
    expect(row.get_by_text("—")).to_have_count(0)  # "last used" is filled in now
    row.get_by_role("button", name="Revoke").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text("Production bot")
    confirm.get_by_role("button", name="Revoke").click()
    expect(row).to_contain_text("Revoked")
    expect(row.get_by_role("button", name="Revoke")).to_have_count(0)

    refused = httpx.get(url, headers={"Authorization": f"Bearer {copied}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"
    assert "Keyed Cafe" not in refused.text

    activity = page.get_by_test_id("audit-row")
    expect(activity.first).to_contain_text("Key revoked:")
    expect(page.get_by_test_id("audit-row").filter(has_text="Configuration fetched")).to_have_count(1)


def test_operators_see_keys_but_cannot_manage_them(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Read Only Deli")
    operator = seed_member(app_db, tenant, Role.OPERATOR, "Olga Operator")
    log_in(page, operator.email)
    page.goto("/settings/api-keys")
    expect(page.get_by_role("heading", name="API keys", level=1)).to_be_visible()
    expect(page.get_by_text("Only owners and admins can create or revoke API keys.")).to_be_visible()
    expect(page.get_by_role("button", name="New API key")).to_have_count(0)
