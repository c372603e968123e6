"""The dashboard shell and its pages: language, theme, team, business settings, profile."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session

from ioperator.models.user import Role
from tests.e2e.helpers import log_in, seed_business, seed_member, unique_email, wait_hydrated
from tests.e2e.server import RunningApp


def test_switching_to_russian_shows_russian_labels_and_is_remembered(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Language Cafe")
    log_in(page, tenant.owner.email)
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Language").click()
    page.get_by_role("menuitem", name="Русский").click()
    expect(page.get_by_role("heading", name="Обзор", level=1)).to_be_visible()
    expect(page.get_by_role("link", name="Команда")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Обзор", level=1)).to_be_visible()
    expect(page.get_by_text("Чек-лист настройки")).to_be_visible()
    expect(page).to_have_title("Обзор · iOperator")
    # the language also follows the user to the sign-in page after logging out
    page.get_by_role("button", name="Меню аккаунта").click()
    page.get_by_role("menuitem", name="Выйти").click()
    page.wait_for_url(re.compile(r"/login/?$"))
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()


def test_login_page_language_switch(page: Page) -> None:
    page.goto("/login")
    wait_hydrated(page)
    page.get_by_role("combobox", name="Language").click()
    page.get_by_role("option", name="Русский").click()
    expect(page.get_by_role("heading", name="Вход")).to_be_visible()
    expect(page.get_by_label("Пароль")).to_be_visible()


def test_dark_theme_toggle_is_remembered(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Theme Bakery")
    log_in(page, tenant.owner.email)
    html = page.locator("html")
    before = html.get_attribute("class") or ""
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name=re.compile("theme")).click()
    expect(html).to_have_class(re.compile("dark" if "dark" not in before else "light"))
    after = html.get_attribute("class")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert html.get_attribute("class") == after


def test_owner_manages_the_team(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Team Garage")
    log_in(page, tenant.owner.email)
    page.get_by_role("link", name="Team").click()
    expect(page.get_by_role("heading", name="Team", level=1)).to_be_visible()
    page.get_by_role("button", name="Add member").click()
    dialog = page.get_by_role("dialog")
    email = unique_email("mechanic")
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Name").fill("Max Mechanic")
    dialog.get_by_label("Initial password").fill("short")
    dialog.get_by_role("button", name="Add member").click()
    expect(dialog.get_by_role("alert")).to_have_text("The password must have at least 10 characters.")
    dialog.get_by_label("Initial password").fill("a good initial password")
    dialog.get_by_role("button", name="Add member").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    row = page.get_by_test_id("member-row").filter(has_text=email)
    expect(row).to_be_visible()

    row.get_by_role("combobox", name="Role").click()
    page.get_by_role("option", name="Admin").click()
    expect(page.get_by_text("Role changed.")).to_be_visible()
    expect(row.get_by_role("combobox", name="Role")).to_have_text("Admin")

    # the last owner cannot be demoted: the error is shown and the role stays
    owner_row = page.get_by_test_id("member-row").filter(has_text=tenant.owner.email)
    owner_row.get_by_role("combobox", name="Role").click()
    page.get_by_role("option", name="Operator").click()
    expect(page.get_by_role("alert")).to_contain_text("at least one owner")
    expect(owner_row.get_by_role("combobox", name="Role")).to_have_text("Owner")

    row.get_by_role("button", name="Remove").click()
    confirm = page.get_by_role("alertdialog")
    expect(confirm).to_contain_text(email)
    confirm.get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("member-row").filter(has_text=email)).to_have_count(0)


def test_business_settings_by_role(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Settings Spa")
    operator = seed_member(app_db, tenant, Role.OPERATOR, "Olga Operator")
    log_in(page, tenant.owner.email)
    page.get_by_role("link", name="Business settings").click()
    expect(page.get_by_label("Business name")).to_have_value("Settings Spa")
    page.get_by_label("Phone").fill("12345")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Enter a valid phone number")).to_be_visible()
    page.get_by_label("Phone").fill("+44 20 7946 0958")
    page.get_by_label("Address", exact=True).fill("1 Spa Street, London")
    page.get_by_label("Business name").fill("Settings Spa & Wellness")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Business settings saved.")).to_be_visible()
    expect(page.get_by_test_id("business-name")).to_have_text("Settings Spa & Wellness")
    expect(page.get_by_label("Phone")).to_have_value("+44 20 7946 0958")

    page.context.clear_cookies()
    log_in(page, operator.email)
    page.goto("/settings")
    expect(page.get_by_text("Only owners and admins can change the business settings.")).to_be_visible()
    expect(page.get_by_role("button", name="Save changes")).to_have_count(0)
    expect(page.get_by_label("Business name")).to_have_attribute("readonly", "")


def test_profile_name_and_password(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Profile Pizzeria")
    log_in(page, tenant.owner.email)
    page.goto("/profile")
    page.get_by_label("Name", exact=True).fill("Paola Pizza")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Profile saved.")).to_be_visible()
    expect(page.get_by_role("button", name="Account menu")).to_contain_text("Paola Pizza")

    page.get_by_label("Current password").fill("wrong current password")
    page.get_by_label("New password", exact=True).fill("a brand new passphrase")
    page.get_by_label("Repeat the new password").fill("a brand new passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("The current password is not correct.")).to_be_visible()
    page.get_by_label("Current password").fill("correct horse battery")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Password changed.")).to_be_visible()
    page.context.clear_cookies()
    log_in(page, tenant.owner.email, "a brand new passphrase")


def test_cors_allows_only_the_configured_origin(app_server: RunningApp) -> None:
    def preflight(origin: str) -> httpx.Response:
        return httpx.options(
            app_server.url + "/api/v1/me", headers={"Origin": origin, "Access-Control-Request-Method": "GET"}
        )

    assert "access-control-allow-origin" not in preflight("https://evil.example.com").headers
    allowed = preflight(app_server.url)
    assert allowed.headers.get("access-control-allow-origin") == app_server.url
    simple = httpx.get(app_server.url + "/api/health", headers={"Origin": "https://evil.example.com"})
    assert "access-control-allow-origin" not in simple.headers


def test_health_and_metrics_on_the_production_server(app_server: RunningApp) -> None:
    health = httpx.get(app_server.url + "/api/health")
    assert health.status_code == 200 and health.json()["database"] == "ok"
    assert health.headers.get("x-request-id")
    metrics = httpx.get(app_server.url + "/metrics")
    assert 'route="/api/health"' in metrics.text


def test_sign_out_another_browser_from_the_profile(
    page: Page, browser: Browser, app_server: RunningApp, app_db: Session
) -> None:
    tenant = seed_business(app_db, "Sessions Studio")
    phone_ctx = browser.new_context(base_url=app_server.url, viewport={"width": 390, "height": 800})
    try:
        phone = phone_ctx.new_page()
        log_in(phone, tenant.owner.email)
        log_in(page, tenant.owner.email)
        page.goto("/profile")
        rows = page.get_by_test_id("session-row")
        expect(rows).to_have_count(2)
        expect(rows.filter(has_text="This browser")).to_have_count(1)
        rows.filter(has_not_text="This browser").get_by_role("button", name="Sign out").click()
        expect(page.get_by_text("Signed out of that browser.")).to_be_visible()
        expect(rows).to_have_count(1)
        phone.goto("/team")
        phone.wait_for_url(re.compile(r"/login/?\?next="))
    finally:
        phone_ctx.close()
