"""Check and render the agent's Markdown prompt and its `{{name}}` variables.

Rules (what `validate` reports):
* a variable is `{{name}}` or `{{ name }}` with a name `[a-z][a-z0-9_]*`, on one line;
* errors block saving: an empty or over-long prompt, an unknown variable, `{{...}}` with a bad name, a `{{` without
  its `}}` on the same line, a stray `}}`, a missing required `##` section;
* warnings do not: a custom variable the prompt never uses, a variable whose current value is empty;
* single braces are plain text; inside fenced code blocks (``` or ~~~) unbalanced double braces are text too (JSON
  examples), though `{{name}}` there is still a variable;
* lines are 1-based; line 0 means the prompt as a whole (empty, a missing section, an unused custom variable).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Literal

from ioperator.core.i18n import normalize_language
from ioperator.services.prompt_variables import PromptContext, resolve_values

VAR_RE = re.compile(r"\{\{\s*([a-z][a-z0-9_]*)\s*\}\}")
# One pass per line, leftmost first: a variable, `{{...}}` with a bad name, then a lone `{{` or `}}`.
# `{{(?!\{)` lets `{{{name}}}` read as `{` + `{{name}}` + `}`. The leading `(?=[{}])` lets the regex engine skip
# ahead to the next brace instead of trying every alternative at every position (3x faster).
_TOKEN_RE = re.compile(
    r"(?=[{}])(?:(?P<var>\{\{\s*(?P<name>[a-z][a-z0-9_]*)\s*\}\})|(?P<bad>\{\{[^{}]*\}\})"
    r"|(?P<open>\{\{(?!\{))|(?P<close>\}\}))"
)
_HEADING_RE = re.compile(r" {0,3}##[ \t]+(.+?)[ \t#]*")
_FENCE_RE = re.compile(r" {0,3}(`{3,}|~{3,})")

Severity = Literal["error", "warning"]
ISSUE_KINDS: tuple[str, ...] = (
    "empty",
    "too_long",
    "unknown_variable",
    "unknown_variable_suggest",
    "invalid_variable",
    "unclosed_braces",
    "stray_closing_braces",
    "missing_section",
    "unused_custom_variable",
    "empty_value",
)

# Required sections by key, with their heading in each language; a heading in either language counts.
SECTIONS: dict[str, dict[str, str]] = {
    "role": {"en": "Role", "ru": "Роль"},
    "business": {"en": "Business facts", "ru": "О бизнесе"},
    "rules": {"en": "Rules", "ru": "Правила"},
}
DEFAULT_SECTION_KEYS: tuple[str, ...] = ("role", "business", "rules")
# A template may require other sections than the defaults (the starter templates use the defaults).
TEMPLATE_SECTION_KEYS: dict[str, tuple[str, ...]] = {
    "restaurant": DEFAULT_SECTION_KEYS,
    "salon": DEFAULT_SECTION_KEYS,
    "clinic": DEFAULT_SECTION_KEYS,
}


@dataclass(frozen=True)
class Issue:
    severity: Severity
    key: str  # i18n key, `prompt.issue.<kind>`
    line: int  # 1-based; 0 = the prompt as a whole
    params: dict[str, str] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return self.key.removeprefix("prompt.issue.")


def _heading_key(text: str) -> str:
    return " ".join(text.replace("ё", "е").replace("Ё", "Е").split()).strip(" :.").casefold()


_ALIASES: dict[str, frozenset[str]] = {}
for _names in SECTIONS.values():
    _group = frozenset(_heading_key(h) for h in _names.values())
    for _name in _group:
        _ALIASES[_name] = _group


def required_sections_for(template_slug: str | None, language: str) -> list[str]:
    """The `##` headings a prompt must have, in `language`: the template's, else role, business facts, rules."""
    lang = normalize_language(language)
    keys = TEMPLATE_SECTION_KEYS.get(template_slug or "", DEFAULT_SECTION_KEYS)
    return [SECTIONS[key][lang] for key in keys]


def find_variables(source: str) -> list[tuple[str, int]]:
    """Every `{{name}}` in the prompt with its 1-based line, in order."""
    found: list[tuple[str, int]] = []
    if "{{" not in source:
        return found
    for number, line in enumerate(_lines(source), 1):
        if "{{" in line:
            found.extend((name, number) for name in VAR_RE.findall(line))
    return found


def render(source: str, values: Mapping[str, str]) -> str:
    """The prompt with each known variable replaced by its value; unknown ones stay as written."""
    if "{{" not in source:
        return source
    return VAR_RE.sub(lambda m: values.get(m.group(1), m.group(0)), source)


def render_prompt(source: str, ctx: PromptContext) -> str:
    """Render with the current values from `ctx`, resolving only the variables the prompt uses, once each."""
    return render(source, resolve_values(ctx, set(VAR_RE.findall(source))))


def has_errors(issues: Collection[Issue]) -> bool:
    return any(issue.severity == "error" for issue in issues)


def validate(
    source: str,
    *,
    known: Collection[str],
    custom: Collection[str],
    required_sections: Collection[str],
    max_length: int,
    empty_values: Collection[str] = frozenset(),
) -> list[Issue]:
    """Errors (block saving) then warnings, each group by line."""
    if not source.strip():
        return [Issue("error", "prompt.issue.empty", 0)]
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    issues: list[Issue] = []
    if len(text) > max_length:
        at = text.count("\n", 0, max_length) + 1
        issues.append(Issue("error", "prompt.issue.too_long", at, {"max": str(max_length), "length": str(len(text))}))

    names = set(known) | set(custom)
    first_use: dict[str, int] = {}
    unknown: set[tuple[str, int]] = set()
    headings: set[str] = set()
    fence = ""
    for number, line in enumerate(text.split("\n"), 1):
        if (opener := _FENCE_RE.match(line)) is not None:
            marker = opener.group(1)
            if not fence:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence) and not line[opener.end() :].strip():
                fence = ""
            continue
        if not fence and line.lstrip(" ").startswith("##") and (heading := _HEADING_RE.fullmatch(line)):
            headings.add(_heading_key(heading.group(1)))
        if "{" not in line and "}" not in line:
            continue
        for token in _TOKEN_RE.finditer(line):
            kind = token.lastgroup
            if kind == "var":
                name = token.group("name")
                first_use.setdefault(name, number)
                if name not in names and (name, number) not in unknown:
                    unknown.add((name, number))
                    issues.append(_unknown(name, number, names))
            elif fence:
                continue
            elif kind == "bad":
                issues.append(Issue("error", "prompt.issue.invalid_variable", number, {"text": token.group(0)}))
            elif kind == "open":
                issues.append(Issue("error", "prompt.issue.unclosed_braces", number))
            else:
                issues.append(Issue("error", "prompt.issue.stray_closing_braces", number))

    for section in required_sections:
        wanted = _heading_key(section)
        if not headings & _ALIASES.get(wanted, frozenset({wanted})):
            issues.append(Issue("error", "prompt.issue.missing_section", 0, {"section": section}))
    for name in sorted(set(custom) - set(first_use)):
        issues.append(Issue("warning", "prompt.issue.unused_custom_variable", 0, {"name": name}))
    for name in sorted(set(empty_values) & set(first_use), key=first_use.__getitem__):
        issues.append(Issue("warning", "prompt.issue.empty_value", first_use[name], {"name": name}))
    return sorted(issues, key=lambda i: (i.severity != "error", i.line))


def _unknown(name: str, line: int, names: set[str]) -> Issue:
    close = difflib.get_close_matches(name, sorted(names), n=1, cutoff=0.75)
    if close:
        return Issue("error", "prompt.issue.unknown_variable_suggest", line, {"name": name, "suggestion": close[0]})
    return Issue("error", "prompt.issue.unknown_variable", line, {"name": name})


def _lines(source: str) -> list[str]:
    return source.replace("\r\n", "\n").replace("\r", "\n").split("\n")
