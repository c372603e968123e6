"""The agent's prompts for the signed-in dashboard: versions, restore, diff, variables, preview."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ioperator.api.deps import DbSession, Tenant, require_json
from ioperator.api.errors import request_language
from ioperator.core.i18n import translate
from ioperator.models.prompt import Prompt, PromptVersion
from ioperator.services import prompt_templates, prompt_variables, prompts
from ioperator.services.prompt_render import Issue

router = APIRouter(prefix="/api/v1/prompts", tags=["prompts"], dependencies=[Depends(require_json)])


class PromptOut(BaseModel):
    id: int
    name: str
    language: str
    template_slug: str
    is_active: bool
    current_version: int
    updated_at: datetime


class VersionOut(BaseModel):
    number: int
    source: str
    note: str
    author_id: int | None
    restored_from: int | None
    created_at: datetime


class IssueOut(BaseModel):
    severity: str
    code: str
    line: int
    message: str


class PromptCreate(BaseModel):
    name: str
    template_slug: str = ""
    language: str = "en"


class VersionCreate(BaseModel):
    source: str
    base_version: int
    note: str = ""


class SavedOut(BaseModel):
    version: VersionOut
    issues: list[IssueOut]


class VariableIn(BaseModel):
    name: str
    value: str = ""
    description: str = ""


class VariableOut(BaseModel):
    name: str
    description: str
    builtin: bool
    value: str | None = None
    id: int | None = None


class DiffLineOut(BaseModel):
    kind: str
    text: str
    old_line: int | None
    new_line: int | None


class TemplateOut(BaseModel):
    slug: str
    title: str
    language: str
    body: str


def _prompt(p: Prompt) -> PromptOut:
    return PromptOut.model_validate(p, from_attributes=True)


def _version(v: PromptVersion) -> VersionOut:
    return VersionOut.model_validate(v, from_attributes=True)


def _issues(issues: list[Issue], lang: str) -> list[IssueOut]:
    return [
        IssueOut(
            severity=i.severity,
            code=i.key.removeprefix("prompt.issue."),
            line=i.line,
            message=translate(i.key, lang, **i.params),
        )
        for i in issues
    ]


@router.get("", response_model=list[PromptOut], summary="Your business's prompts")
def list_prompts(session: DbSession, tenant: Tenant) -> list[PromptOut]:
    return [_prompt(p) for p in prompts.list_prompts(session=session, tenant=tenant)]


@router.post("", response_model=PromptOut, status_code=201, summary="Create a prompt (from a template)")
def create_prompt(body: PromptCreate, session: DbSession, tenant: Tenant) -> PromptOut:
    prompt, _ = prompts.create_prompt(
        session=session, tenant=tenant, name=body.name, template_slug=body.template_slug, language=body.language
    )
    return _prompt(prompt)


@router.get("/templates", response_model=list[TemplateOut], summary="Starter templates")
def templates(request: Request, language: str = "en") -> list[TemplateOut]:
    lang = request_language(request)
    return [
        TemplateOut(slug=t.slug, title=translate(t.title_key, lang), language=t.language, body=t.body)
        for t in prompt_templates.list_templates(language)
    ]


@router.get("/variables", response_model=list[VariableOut], summary="Built-in and custom variables")
def variables(request: Request, session: DbSession, tenant: Tenant) -> list[VariableOut]:
    lang = request_language(request)
    custom = {v.name: v for v in prompts.list_custom_variables(session=session, tenant=tenant)}
    out = []
    for info in prompt_variables.available_variables({n: v.value for n, v in custom.items()}):
        row = custom.get(info.name)
        out.append(
            VariableOut(
                name=info.name,
                description=row.description if row else translate(info.description_key, lang),
                builtin=row is None,
                value=row.value if row else None,
                id=row.id if row else None,
            )
        )
    return out


@router.put("/variables", response_model=VariableOut, summary="Create or change a custom variable")
def set_variable(body: VariableIn, session: DbSession, tenant: Tenant) -> VariableOut:
    row = prompts.set_custom_variable(
        session=session, tenant=tenant, name=body.name, value=body.value, description=body.description
    )
    return VariableOut(name=row.name, description=row.description, builtin=False, value=row.value, id=row.id)


@router.delete("/variables/{variable_id}", status_code=204, summary="Delete a custom variable")
def delete_variable(variable_id: int, session: DbSession, tenant: Tenant) -> None:
    prompts.delete_custom_variable(session=session, tenant=tenant, variable_id=variable_id)


@router.get("/{prompt_id}", response_model=PromptOut, summary="One prompt")
def get_prompt(prompt_id: int, session: DbSession, tenant: Tenant) -> PromptOut:
    return _prompt(prompts.get_prompt_or_raise(session=session, tenant=tenant, prompt_id=prompt_id))


@router.post("/{prompt_id}/activate", response_model=PromptOut, summary="Make this the active prompt")
def activate(prompt_id: int, session: DbSession, tenant: Tenant) -> PromptOut:
    return _prompt(prompts.activate(session=session, tenant=tenant, prompt_id=prompt_id))


@router.get("/{prompt_id}/versions", response_model=list[VersionOut], summary="Every version, newest first")
def versions(prompt_id: int, session: DbSession, tenant: Tenant) -> list[VersionOut]:
    return [_version(v) for v in prompts.list_versions(session=session, tenant=tenant, prompt_id=prompt_id)]


@router.post(
    "/{prompt_id}/versions",
    response_model=SavedOut,
    status_code=201,
    summary="Save a new version (refused with 409 on top of a newer one, 422 with the errors)",
)
def save(prompt_id: int, body: VersionCreate, request: Request, session: DbSession, tenant: Tenant) -> SavedOut:
    version, issues = prompts.save_version(
        session=session,
        tenant=tenant,
        prompt_id=prompt_id,
        source=body.source,
        base_version=body.base_version,
        note=body.note,
    )
    return SavedOut(version=_version(version), issues=_issues(issues, request_language(request)))


@router.get("/{prompt_id}/versions/{number}", response_model=VersionOut, summary="One version")
def version(prompt_id: int, number: int, session: DbSession, tenant: Tenant) -> VersionOut:
    return _version(prompts.get_version_or_raise(session=session, tenant=tenant, prompt_id=prompt_id, number=number))


@router.post(
    "/{prompt_id}/versions/{number}/restore",
    response_model=VersionOut,
    status_code=201,
    summary="Restore: a new version with this version's content",
)
def restore(prompt_id: int, number: int, session: DbSession, tenant: Tenant, activate: bool = False) -> VersionOut:
    return _version(
        prompts.restore_version(
            session=session, tenant=tenant, prompt_id=prompt_id, number=number, activate_prompt=activate
        )
    )


@router.get("/{prompt_id}/diff", response_model=list[DiffLineOut], summary="Line diff between two versions")
def diff(prompt_id: int, old: int, new: int, session: DbSession, tenant: Tenant) -> list[DiffLineOut]:
    lines = prompts.diff_versions(session=session, tenant=tenant, prompt_id=prompt_id, old=old, new=new)
    return [DiffLineOut(kind=d.kind, text=d.text, old_line=d.old_line, new_line=d.new_line) for d in lines]


@router.get("/{prompt_id}/rendered", summary="The latest version (or `version`) with current values")
def rendered(prompt_id: int, session: DbSession, tenant: Tenant, version: int | None = None) -> dict[str, str]:
    return {"text": prompts.render(session=session, tenant=tenant, prompt_id=prompt_id, number=version)}
