"""AI Agent → Prompts: write, insert a variable from the panel, save twice, history, diff, restore, preview."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.helpers import log_in, seed_business

DRAFT = "## Role\nYou answer for the business.\n\n## Business facts\nName: \n\n## Rules\nBe brief.\n"


def test_write_save_compare_restore_and_preview(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Prompt Bistro")
    log_in(page, tenant.owner.email)
    page.get_by_role("link", name="Prompts").click()
    expect(page.get_by_text("No prompt yet.")).to_be_visible()
    page.get_by_role("button", name="New prompt").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("Main")
    dialog.get_by_role("button", name="Create").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    editor = page.get_by_label("Prompt (Markdown)")
    editor.fill(DRAFT)
    # put the cursor after "Name: " and insert {{business_name}} from the panel
    page.evaluate(
        "() => { const el = document.getElementById('prompt-editor'); const i = el.value.indexOf('Name: ') + 6;"
        " el.focus(); el.setSelectionRange(i, i); }"
    )
    page.get_by_test_id("prompt-variable").get_by_role("button", name="{{business_name}}").click()
    expect(editor).to_have_value(DRAFT.replace("Name: ", "Name: {{business_name}}"))
    expect(page.get_by_test_id("prompt-preview")).to_contain_text("Name: Prompt Bistro")

    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as version 1.")).to_be_visible()
    editor.fill(editor.input_value().replace("Be brief.", "Be brief and kind."))
    expect(page.get_by_test_id("prompt-preview")).to_contain_text("Be brief and kind.")
    page.get_by_label("What changed (optional)").fill("kinder")
    page.get_by_role("button", name="Save version").click()
    expect(page.get_by_text("Saved as version 2.")).to_be_visible()

    # an error blocks saving, with its line
    editor.fill(editor.input_value() + "\n{{unknown_thing}}\n")
    expect(page.get_by_test_id("prompt-issue").first).to_contain_text("unknown_thing")
    expect(page.get_by_role("button", name="Save version")).to_be_disabled()

    page.get_by_role("button", name="History").click()
    history = page.get_by_role("dialog")
    expect(history.get_by_test_id("prompt-version")).to_have_count(2)
    expect(history.get_by_test_id("prompt-version").first).to_contain_text("kinder")
    expect(history.get_by_test_id("diff-removed")).to_contain_text("Be brief.")
    expect(history.get_by_test_id("diff-added")).to_contain_text("Be brief and kind.")
    history.get_by_test_id("prompt-version").filter(has_text="v1").get_by_role("button", name="Restore").click()
    expect(page.get_by_text("Version 1 restored as version 3.")).to_be_visible()
    expect(editor).to_have_value(DRAFT.replace("Name: ", "Name: {{business_name}}"))
    expect(page.get_by_test_id("prompt-preview")).to_contain_text("Be brief.")
    expect(page.get_by_test_id("prompt-preview")).not_to_contain_text("kind")
