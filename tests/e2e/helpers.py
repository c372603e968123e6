"""Small helpers for the end-to-end tests."""

from __future__ import annotations

import itertools
import re
import uuid

from playwright.sync_api import Page, expect
from sqlmodel import Session

from ioperator.models.user import Role, User
from ioperator.services import accounts
from tests.factories import PASSWORD, Tenant, context_for

_n = itertools.count(1)


def unique_email(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


def seed_business(db: Session, name: str, *, language: str = "en") -> Tenant:
    result = accounts.create_business(
        session=db,
        business_name=name,
        owner_email=unique_email("owner"),
        owner_password=PASSWORD,
        owner_name=f"{name} Owner",
        language=language,
    )
    db.commit()
    return Tenant(business=result.business, owner=result.owner)


def seed_member(db: Session, tenant: Tenant, role: Role, name: str) -> User:
    user = accounts.create_user(
        session=db,
        tenant=context_for(tenant.owner),
        email=unique_email(role.value),
        password=PASSWORD,
        role=role,
        name=name,
    )
    db.commit()
    return user


def log_in(page: Page, email: str, password: str = PASSWORD, *, expect_path: str = "/overview") -> None:
    page.goto("/login")
    wait_hydrated(page)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(expect_path) + r"/?(\?.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def wait_hydrated(page: Page) -> None:
    """Wait until the page's state has arrived over the websocket (the on_load handlers ran)."""
    page.locator('[data-hydrated="true"]').wait_for(state="attached")
