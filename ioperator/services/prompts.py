"""The agent's prompts: named prompts with immutable numbered versions, one prompt active.

Saving validates first (errors block, warnings don't) and refuses to overwrite a version the editor
did not start from. Restoring creates a new version with the old content: history is never rewritten.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from ioperator.core.auth import TenantContext
from ioperator.core.config import get_settings
from ioperator.core.db import utcnow
from ioperator.core.errors import Conflict, NotFound, ValidationFailed
from ioperator.core.i18n import translate
from ioperator.models.crm import CrmServiceRow, CrmStaffRow
from ioperator.models.prompt import Prompt, PromptVariable, PromptVersion
from ioperator.services import business as business_service
from ioperator.services import integrations, prompt_render, prompt_templates, prompt_variables, validation
from ioperator.services.prompt_render import Issue


class PromptInvalid(ValidationFailed):
    """Saving was blocked by errors in the prompt; `issues` lists them (and the warnings)."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = issues
        first = next(i for i in issues if i.severity == "error")
        super().__init__(first.key, field="source", line=str(first.line), **first.params)

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        body = super().as_dict(lang)
        body["issues"] = [
            {
                "severity": i.severity,
                "code": i.key.removeprefix("prompt.issue."),
                "line": i.line,
                "message": translate(i.key, lang, **i.params),
            }
            for i in self.issues
        ]
        return body


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same" | "added" | "removed"
    text: str
    old_line: int | None
    new_line: int | None


# --- prompts --------------------------------------------------------------------------------------
def list_prompts(*, session: Session, tenant: TenantContext) -> list[Prompt]:
    return list(
        session.exec(select(Prompt).where(Prompt.business_id == tenant.business_id).order_by(col(Prompt.name))).all()
    )


def get_prompt_or_raise(*, session: Session, tenant: TenantContext, prompt_id: int) -> Prompt:
    prompt = session.exec(
        select(Prompt).where(Prompt.id == prompt_id, Prompt.business_id == tenant.business_id)
    ).first()
    if prompt is None:
        raise NotFound("error.prompt_not_found")
    return prompt


def get_active_prompt(*, session: Session, tenant: TenantContext) -> Prompt | None:
    return session.exec(
        select(Prompt).where(Prompt.business_id == tenant.business_id, col(Prompt.is_active).is_(True))
    ).first()


def create_prompt(
    *, session: Session, tenant: TenantContext, name: str, template_slug: str = "", language: str = "en"
) -> tuple[Prompt, list[Issue]]:
    """A new prompt, started from a template (version 1); the business's first prompt becomes active."""
    tenant.require_manager()
    name = validation.text(name, field="name", max_length=120, required=True)
    language = validation.language(language)
    template = prompt_templates.get_template(template_slug, language) if template_slug else None
    if template_slug and template is None:
        raise ValidationFailed("error.template_unknown", field="template_slug")
    if session.exec(select(Prompt.id).where(Prompt.business_id == tenant.business_id, Prompt.name == name)).first():
        raise Conflict("error.prompt_name_taken", field="name")
    prompt = Prompt(
        business_id=tenant.business_id,
        name=name,
        language=language,
        template_slug=template_slug,
        is_active=get_active_prompt(session=session, tenant=tenant) is None,
    )
    session.add(prompt)
    session.flush()
    body = template.body if template else ""
    if not body:
        return prompt, []
    _, issues = save_version(
        session=session, tenant=tenant, prompt_id=prompt.id or 0, source=body, base_version=0, note=""
    )
    return prompt, issues


def activate(*, session: Session, tenant: TenantContext, prompt_id: int) -> Prompt:
    tenant.require_manager()
    prompt = get_prompt_or_raise(session=session, tenant=tenant, prompt_id=prompt_id)
    if prompt.current_version == 0:
        raise ValidationFailed("error.prompt_empty")
    for other in list_prompts(session=session, tenant=tenant):
        if other.is_active and other.id != prompt.id:
            other.is_active = False
            other.updated_at = utcnow()
            session.add(other)
    if not prompt.is_active:
        prompt.is_active = True
        prompt.updated_at = utcnow()
    session.add(prompt)
    session.flush()
    return prompt


# --- versions -------------------------------------------------------------------------------------
def save_version(
    *,
    session: Session,
    tenant: TenantContext,
    prompt_id: int,
    source: str,
    base_version: int,
    note: str = "",
    restored_from: int | None = None,
) -> tuple[PromptVersion, list[Issue]]:
    """Validate and store a new version. `base_version` is the version the editor started from: saving
    on top of a newer one is refused (Conflict), so two editors never silently overwrite each other."""
    tenant.require_manager()
    prompt = get_prompt_or_raise(session=session, tenant=tenant, prompt_id=prompt_id)
    if base_version != prompt.current_version:
        raise Conflict("error.prompt_conflict", field="source", latest=prompt.current_version)
    note = validation.text(note, field="note", max_length=300)
    issues = check(session=session, tenant=tenant, prompt=prompt, source=source)
    if prompt_render.has_errors(issues):
        raise PromptInvalid(issues)
    prompt.current_version += 1
    prompt.updated_at = utcnow()
    version = PromptVersion(
        business_id=tenant.business_id,
        prompt_id=prompt.id or 0,
        number=prompt.current_version,
        source=source,
        note=note,
        author_id=tenant.user_id,
        restored_from=restored_from,
    )
    session.add_all([prompt, version])
    session.flush()
    return version, issues


def restore_version(
    *, session: Session, tenant: TenantContext, prompt_id: int, number: int, activate_prompt: bool = False
) -> PromptVersion:
    """A new version with the content of version `number` (history is never rewritten)."""
    prompt = get_prompt_or_raise(session=session, tenant=tenant, prompt_id=prompt_id)
    old = get_version_or_raise(session=session, tenant=tenant, prompt_id=prompt_id, number=number)
    version, _ = save_version(
        session=session,
        tenant=tenant,
        prompt_id=prompt_id,
        source=old.source,
        base_version=prompt.current_version,
        note="",
        restored_from=number,
    )
    if activate_prompt:
        activate(session=session, tenant=tenant, prompt_id=prompt_id)
    return version


def list_versions(*, session: Session, tenant: TenantContext, prompt_id: int) -> list[PromptVersion]:
    """Every version, newest first."""
    prompt = get_prompt_or_raise(session=session, tenant=tenant, prompt_id=prompt_id)
    return list(
        session.exec(
            select(PromptVersion)
            .where(PromptVersion.prompt_id == prompt.id, PromptVersion.business_id == tenant.business_id)
            .order_by(col(PromptVersion.number).desc())
        ).all()
    )


def get_version_or_raise(*, session: Session, tenant: TenantContext, prompt_id: int, number: int) -> PromptVersion:
    prompt = get_prompt_or_raise(session=session, tenant=tenant, prompt_id=prompt_id)
    version = session.exec(
        select(PromptVersion).where(
            PromptVersion.prompt_id == prompt.id,
            PromptVersion.business_id == tenant.business_id,
            PromptVersion.number == number,
        )
    ).first()
    if version is None:
        raise NotFound("error.prompt_version_not_found")
    return version


def diff_versions(*, session: Session, tenant: TenantContext, prompt_id: int, old: int, new: int) -> list[DiffLine]:
    """Line-level differences from version `old` to version `new`."""
    a = get_version_or_raise(session=session, tenant=tenant, prompt_id=prompt_id, number=old).source.splitlines()
    b = get_version_or_raise(session=session, tenant=tenant, prompt_id=prompt_id, number=new).source.splitlines()
    lines: list[DiffLine] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if op == "equal":
            lines += [DiffLine("same", a[i], i + 1, j1 + (i - i1) + 1) for i in range(i1, i2)]
            continue
        lines += [DiffLine("removed", a[i], i + 1, None) for i in range(i1, i2)]
        lines += [DiffLine("added", b[j], None, j + 1) for j in range(j1, j2)]
    return lines


# --- variables, checking and rendering --------------------------------------------------------------
def list_custom_variables(*, session: Session, tenant: TenantContext) -> list[PromptVariable]:
    return list(
        session.exec(
            select(PromptVariable)
            .where(PromptVariable.business_id == tenant.business_id)
            .order_by(col(PromptVariable.name))
        ).all()
    )


def set_custom_variable(
    *, session: Session, tenant: TenantContext, name: str, value: str, description: str = ""
) -> PromptVariable:
    tenant.require_manager()
    name = (name or "").strip()
    problem = prompt_variables.custom_name_problem(name)
    if problem:
        raise ValidationFailed(problem, field="name")
    description = validation.text(description, field="description", max_length=200)
    if len(value or "") > 5000:
        raise ValidationFailed("error.field_too_long", field="value", max=5000)
    row = session.exec(
        select(PromptVariable).where(PromptVariable.business_id == tenant.business_id, PromptVariable.name == name)
    ).first() or PromptVariable(business_id=tenant.business_id, name=name)
    row.value, row.description, row.updated_at = value or "", description, utcnow()
    session.add(row)
    session.flush()
    return row


def delete_custom_variable(*, session: Session, tenant: TenantContext, variable_id: int) -> None:
    tenant.require_manager()
    row = session.exec(
        select(PromptVariable).where(PromptVariable.id == variable_id, PromptVariable.business_id == tenant.business_id)
    ).first()
    if row is None:
        raise NotFound("error.variable_not_found")
    session.delete(row)
    session.flush()


def context(
    *, session: Session, tenant: TenantContext, language: str, now: datetime | None = None
) -> prompt_variables.PromptContext:
    """Everything the variables draw on: the business, its CRM catalog, channels and custom variables."""
    business = business_service.get_business(session=session, tenant=tenant)
    services = session.exec(select(CrmServiceRow).where(CrmServiceRow.business_id == tenant.business_id)).all()
    staff = session.exec(select(CrmStaffRow).where(CrmStaffRow.business_id == tenant.business_id)).all()
    custom = {v.name: v.value for v in list_custom_variables(session=session, tenant=tenant)}
    return prompt_variables.context_for_business(
        business,
        working_hours=business.working_hours,
        services=services,
        staff=staff,
        integrations=integrations.list_integrations(session=session, tenant=tenant),
        custom=custom,
        language=language,
        now=now,
    )


def check(*, session: Session, tenant: TenantContext, prompt: Prompt, source: str) -> list[Issue]:
    ctx = context(session=session, tenant=tenant, language=prompt.language)
    names = {v.name for v in prompt_variables.available_variables(ctx.custom)}
    values = prompt_variables.resolve_values(ctx, {n for n, _ in prompt_render.find_variables(source)} & names)
    return prompt_render.validate(
        source,
        known=names,
        custom=set(ctx.custom),
        required_sections=prompt_render.required_sections_for(prompt.template_slug or None, prompt.language),
        max_length=get_settings().prompt_max_length,
        empty_values=prompt_variables.empty_names(values),
    )


def render(
    *,
    session: Session,
    tenant: TenantContext,
    prompt_id: int,
    number: int | None = None,
    source: str | None = None,
    now: datetime | None = None,
) -> str:
    """A version (the latest by default), or a draft `source`, with current values filled in."""
    prompt = get_prompt_or_raise(session=session, tenant=tenant, prompt_id=prompt_id)
    if source is None:
        if prompt.current_version == 0:
            return ""
        source = get_version_or_raise(
            session=session, tenant=tenant, prompt_id=prompt_id, number=number or prompt.current_version
        ).source
    return prompt_render.render_prompt(
        source, context(session=session, tenant=tenant, language=prompt.language, now=now)
    )
