"""Sign up, log out, log in, wrong password, guards, and the HttpOnly session cookie."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlmodel import Session

from ioperator.models.user import Role
from tests.e2e.helpers import log_in, seed_business, seed_member, unique_email, wait_hydrated
from tests.factories import PASSWORD


def test_sign_up_lands_on_the_overview_then_log_out_and_in(page: Page) -> None:
    email = unique_email("signup")
    page.goto("/signup")
    wait_hydrated(page)
    page.get_by_label("Business name").fill("Green Leaf Salon")
    page.get_by_label("Your name").fill("Gina Green")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("a long salon passphrase")
    page.get_by_role("button", name="Create business").click()
    page.wait_for_url(re.compile(r"/overview/?$"))
    expect(page.get_by_role("heading", name="Overview", level=1)).to_be_visible()
    expect(page).to_have_title("Overview · iOperator")
    expect(page.get_by_test_id("business-name")).to_have_text("Green Leaf Salon")
    expect(page.get_by_text("Set-up checklist")).to_be_visible()
    expect(page.get_by_test_id("checklist-step")).to_have_count(6)

    cookies = {c["name"]: c for c in page.context.cookies()}
    session_cookie = cookies["ioperator_session"]
    assert session_cookie["httpOnly"] is True and session_cookie["sameSite"] == "Lax"
    assert "ioperator_session" not in page.evaluate("document.cookie")

    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/?$"))
    assert "ioperator_session" not in {c["name"] for c in page.context.cookies()}
    page.goto("/overview")
    page.wait_for_url(re.compile(r"/login/?\?next="))

    log_in(page, email, "a long salon passphrase")
    expect(page.get_by_test_id("business-name")).to_have_text("Green Leaf Salon")


def test_wrong_password_shows_an_error(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Wrong Password Diner")
    page.goto("/login")
    wait_hydrated(page)
    page.get_by_label("Email").fill(tenant.owner.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    assert re.search(r"/login/?$", page.url)
    assert "ioperator_session" not in {c["name"] for c in page.context.cookies()}


def test_signup_errors_show_on_the_field_and_keep_input(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Taken Email Bistro")
    page.goto("/signup")
    wait_hydrated(page)
    page.get_by_label("Business name").fill("Second Bistro")
    page.get_by_label("Email").fill(tenant.owner.email)
    page.get_by_label("Password").fill("a long enough password")
    page.get_by_role("button", name="Create business").click()
    expect(page.get_by_text("An account with this email already exists.")).to_be_visible()
    expect(page.get_by_label("Business name")).to_have_value("Second Bistro")


def test_unauthenticated_visit_redirects_to_login_and_shows_no_business_data(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Secret Recipe Kitchen")
    for path in ("/overview", "/team", "/settings", "/profile"):
        response = page.goto(path)
        assert response is not None
        page.wait_for_url(re.compile(r"/login/?\?next="))
        expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
        content = page.content()
        assert "Secret Recipe Kitchen" not in content and tenant.owner.email not in content
    # after signing in, the user lands where they were going
    page.goto("/team")
    page.wait_for_url(re.compile(r"/login/?\?next="))
    wait_hydrated(page)
    page.get_by_label("Email").fill(tenant.owner.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/team/?$"))


def test_member_of_b_sees_nothing_of_a(page: Page, app_db: Session) -> None:
    alpha = seed_business(app_db, "Alpha Dental Clinic")
    alpha_admin = seed_member(app_db, alpha, Role.ADMIN, "Alpha Admin Person")
    bravo = seed_business(app_db, "Bravo Barbers")
    bravo_operator = seed_member(app_db, bravo, Role.OPERATOR, "Bravo Operator Person")
    # A's admin uses this browser tab first, then logs out; B's operator signs in in the same tab.
    log_in(page, alpha_admin.email)
    page.goto("/team")
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    page.get_by_role("button", name="Account menu").click()
    page.get_by_role("menuitem", name="Log out").click()
    page.wait_for_url(re.compile(r"/login/?$"))
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    log_in(page, bravo_operator.email)
    for path in ("/overview", "/team", "/settings", "/profile"):
        page.goto(path)
        expect(page.get_by_test_id("business-name")).to_have_text("Bravo Barbers")
        content = page.content()
        assert "Alpha" not in content and alpha.owner.email not in content, path
    page.goto("/team")
    expect(page.get_by_test_id("member-row")).to_have_count(2)
    received = "".join(frames)
    assert "Bravo Barbers" in received  # the recorder works
    assert "Alpha" not in received and alpha_admin.email not in received  # nothing of A reached B's browser
