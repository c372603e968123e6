"""Prompts: immutable numbered versions, restore as a new version, conflicts, validation, rendering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from ioperator.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from ioperator.models.business import BusinessUpdate
from ioperator.models.user import Role
from ioperator.services import business, prompts
from tests.factories import context_for, make_business, make_member

SOURCE = """## Role
You are the assistant of {{business_name}}.

## Business facts
Phone: {{phone}}. Today is {{weekday}}.

## Rules
Never invent prices. {{greeting}}
"""


def _prompt(db: Session):  # type: ignore[no-untyped-def]
    tenant = make_business(db, "Blue Door")
    prompts.set_custom_variable(
        session=db, tenant=tenant.ctx, name="greeting", value="Say hello.", description="How to greet"
    )
    prompt, _ = prompts.create_prompt(session=db, tenant=tenant.ctx, name="Main", language="en")
    return tenant, prompt


def test_versions_are_numbered_and_immutable(db: Session) -> None:
    tenant, prompt = _prompt(db)
    assert prompt.is_active and prompt.current_version == 0
    v1, _ = prompts.save_version(
        session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE, base_version=0, note="first"
    )
    v2, _ = prompts.save_version(
        session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE + "Be brief.\n", base_version=1
    )
    assert (v1.number, v2.number, prompt.current_version) == (1, 2, 2)
    assert v1.author_id == tenant.owner.id and v1.note == "first"
    versions = prompts.list_versions(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0)
    assert [v.number for v in versions] == [2, 1]


def test_saving_on_top_of_a_newer_version_is_refused(db: Session) -> None:
    tenant, prompt = _prompt(db)
    prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE, base_version=0)
    prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE + "x\n", base_version=1)
    with pytest.raises(Conflict) as err:  # an editor that started from version 1
        prompts.save_version(
            session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE + "y\n", base_version=1
        )
    assert "version 2" in err.value.message()
    assert prompt.current_version == 2


def test_restore_creates_a_new_version_and_can_activate(db: Session) -> None:
    tenant, prompt = _prompt(db)
    other, _ = prompts.create_prompt(session=db, tenant=tenant.ctx, name="Other", language="en")
    prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=other.id or 0, source=SOURCE, base_version=0)
    prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=other.id or 0, source=SOURCE + "v2\n", base_version=1)
    restored = prompts.restore_version(
        session=db, tenant=tenant.ctx, prompt_id=other.id or 0, number=1, activate_prompt=True
    )
    assert (restored.number, restored.restored_from, restored.source) == (3, 1, SOURCE)
    assert other.is_active and not prompt.is_active
    assert [v.number for v in prompts.list_versions(session=db, tenant=tenant.ctx, prompt_id=other.id or 0)] == [
        3,
        2,
        1,
    ]


@pytest.mark.parametrize(
    ("source", "key", "line"),
    [
        ("", "prompt.issue.empty", "0"),
        (SOURCE.replace("{{phone}}", "{{phnoe}}"), "prompt.issue.unknown_variable_suggest", "5"),
        (SOURCE.replace("{{phone}}", "{{phone"), "prompt.issue.unclosed_braces", "5"),
        (SOURCE.replace("## Rules", "## Notes"), "prompt.issue.missing_section", "0"),
    ],
)
def test_errors_block_saving_with_their_line(db: Session, source: str, key: str, line: str) -> None:
    tenant, prompt = _prompt(db)
    with pytest.raises(prompts.PromptInvalid) as err:
        prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=source, base_version=0)
    assert err.value.key == key and err.value.params["line"] == line
    assert prompt.current_version == 0


def test_warnings_do_not_block(db: Session) -> None:
    tenant, prompt = _prompt(db)
    _, issues = prompts.save_version(
        session=db,
        tenant=tenant.ctx,
        prompt_id=prompt.id or 0,
        source=SOURCE.replace("{{greeting}}", ""),
        base_version=0,
    )
    assert {i.key for i in issues} >= {"prompt.issue.unused_custom_variable", "prompt.issue.empty_value"}
    assert prompt.current_version == 1


def test_too_long_prompt_is_refused(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from ioperator.core.config import reset_settings

    monkeypatch.setenv("IOPERATOR_PROMPT_MAX_LENGTH", "1000")
    reset_settings()
    try:
        tenant, prompt = _prompt(db)
        with pytest.raises(prompts.PromptInvalid) as err:
            prompts.save_version(
                session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE + "x" * 1000, base_version=0
            )
        assert err.value.key == "prompt.issue.too_long"
    finally:
        monkeypatch.undo()
        reset_settings()


def test_render_fills_business_date_and_custom_values(db: Session) -> None:
    tenant, prompt = _prompt(db)
    business.update_business(
        session=db, tenant=tenant.ctx, business_in=BusinessUpdate(phone="+442079460958", timezone="Europe/London")
    )
    prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE, base_version=0)
    text = prompts.render(
        session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, now=datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    )
    assert "assistant of Blue Door." in text and "+442079460958" in text
    assert "Today is Monday" in text and "Say hello." in text and "{{" not in text


def test_templates_start_a_valid_first_version(db: Session) -> None:
    tenant = make_business(db)
    prompt, _ = prompts.create_prompt(session=db, tenant=tenant.ctx, name="Salon", template_slug="salon", language="ru")
    assert prompt.current_version == 1
    with pytest.raises(ValidationFailed):
        prompts.create_prompt(session=db, tenant=tenant.ctx, name="X", template_slug="spaceship")
    with pytest.raises(Conflict):
        prompts.create_prompt(session=db, tenant=tenant.ctx, name="Salon")


def test_diff_between_versions(db: Session) -> None:
    tenant, prompt = _prompt(db)
    prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=SOURCE, base_version=0)
    prompts.save_version(
        session=db,
        tenant=tenant.ctx,
        prompt_id=prompt.id or 0,
        source=SOURCE.replace("Never invent prices.", "Never guess prices."),
        base_version=1,
    )
    diff = prompts.diff_versions(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, old=1, new=2)
    changed = [(d.kind, d.text) for d in diff if d.kind != "same"]
    assert changed == [("removed", "Never invent prices. {{greeting}}"), ("added", "Never guess prices. {{greeting}}")]
    with pytest.raises(NotFound):
        prompts.diff_versions(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, old=1, new=9)


def test_operators_read_but_do_not_edit(db: Session) -> None:
    tenant, prompt = _prompt(db)
    operator = context_for(make_member(db, tenant, Role.OPERATOR))
    assert prompts.list_prompts(session=db, tenant=operator)
    with pytest.raises(PermissionDenied):
        prompts.save_version(session=db, tenant=operator, prompt_id=prompt.id or 0, source=SOURCE, base_version=0)
    with pytest.raises(PermissionDenied):
        prompts.set_custom_variable(session=db, tenant=operator, name="x", value="y")


def test_custom_variable_names_are_checked(db: Session) -> None:
    tenant = make_business(db)
    for bad in ("Bad Name", "business_name", ""):
        with pytest.raises(ValidationFailed):
            prompts.set_custom_variable(session=db, tenant=tenant.ctx, name=bad, value="v")
    row = prompts.set_custom_variable(session=db, tenant=tenant.ctx, name="promo", value="10% off")
    prompts.delete_custom_variable(session=db, tenant=tenant.ctx, variable_id=row.id or 0)
    assert prompts.list_custom_variables(session=db, tenant=tenant.ctx) == []


def test_working_hours_reach_the_prompt(db: Session) -> None:
    tenant, prompt = _prompt(db)
    business.update_business(
        session=db, tenant=tenant.ctx, business_in=BusinessUpdate(working_hours="Mon-Fri 9:00-20:00")
    )
    source = SOURCE.replace("Phone: {{phone}}.", "Open: {{working_hours}}.")
    prompts.save_version(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0, source=source, base_version=0)
    assert "Open: Mon-Fri 9:00-20:00." in prompts.render(session=db, tenant=tenant.ctx, prompt_id=prompt.id or 0)
