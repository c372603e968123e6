"""AI Agent → Prompts: write, insert a variable from the panel, save twice, history, diff, restore, preview."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlmodel import Session

from tests.e2e.helpers import log_in, seed_business
from tests.fakes.openai import KEY, MODEL, FakeOpenAI

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


def test_try_the_prompt_in_a_test_chat(page: Page, app_db: Session, fake_openai: tuple[FakeOpenAI, str]) -> None:
    _, url = fake_openai
    tenant = seed_business(app_db, "Chat Cafe")
    log_in(page, tenant.owner.email)
    page.goto("/agent/prompts")
    page.get_by_role("button", name="New prompt").click()
    page.get_by_role("dialog").get_by_label("Name").fill("Main")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    expect(page.get_by_text("To try the prompt, set the AI model")).to_be_visible()

    page.goto("/settings")
    page.get_by_label("API address").fill(url)
    page.get_by_label("Model").fill(MODEL)
    page.get_by_label("API key").fill("sk-not-the-key-0000")
    page.get_by_role("button", name="Test and save").click()
    expect(page.get_by_text("The provider refused these credentials.")).to_be_visible()
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Test and save").click()
    expect(page.get_by_text("AI model saved.")).to_be_visible()
    expect(page.get_by_label("API key")).to_have_attribute("placeholder", "••••WXYZ")

    page.goto("/agent/prompts")
    page.get_by_label("Prompt (Markdown)").fill(DRAFT.replace("Name: ", "Name: {{business_name}}"))
    expect(page.get_by_test_id("prompt-preview")).to_contain_text("Name: Chat Cafe")
    page.get_by_label("Write as a customer would…").fill("Do you have a table for two?")
    page.get_by_role("button", name="Send").click()
    reply = page.get_by_test_id("chat-assistant")
    expect(reply).to_contain_text("You said: Do you have a table for two?")
    expect(reply).to_contain_text("(system: ## Role)")
    expect(page.get_by_test_id("chat-user")).to_have_text("Do you have a table for two?")


def test_custom_variables_from_the_panel(page: Page, app_db: Session) -> None:
    tenant = seed_business(app_db, "Variable Bar")
    log_in(page, tenant.owner.email)
    page.goto("/agent/prompts")
    page.get_by_role("button", name="New prompt").click()
    page.get_by_role("dialog").get_by_label("Name").fill("Main")
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    editor = page.get_by_label("Prompt (Markdown)")
    editor.fill(DRAFT)
    page.get_by_label("Name (a–z, 0–9, _)").fill("Bad Name")
    page.get_by_role("button", name="Save variable").click()
    expect(page.get_by_role("alert").filter(has_text="lowercase")).to_be_visible()
    page.get_by_label("Name (a–z, 0–9, _)").fill("promo")
    page.get_by_label("What it is").fill("This week's offer")
    page.get_by_label("Value").fill("Free dessert on Mondays")
    page.get_by_role("button", name="Save variable").click()
    expect(page.get_by_text("Variable saved.")).to_be_visible()
    expect(editor).to_have_value(DRAFT)  # the draft being edited is kept
    page.evaluate(
        "() => { const el = document.getElementById('prompt-editor'); el.focus();"
        " el.setSelectionRange(el.value.length, el.value.length); }"
    )
    page.get_by_test_id("prompt-variable").get_by_role("button", name="{{promo}}").click()
    expect(page.get_by_test_id("prompt-preview")).to_contain_text("Free dessert on Mondays")
    page.get_by_role("button", name="Delete this variable").click()
    expect(page.get_by_test_id("prompt-issue").first).to_contain_text("promo")
