"""The prompt's `{{variables}}`: validation (errors and warnings with their lines), rendering, starter templates."""

from __future__ import annotations

import json
import string
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ioperator.core.i18n import LOCALES_DIR
from ioperator.models.business import Business
from ioperator.models.crm import CrmServiceRow, CrmStaffRow
from ioperator.models.integration import Integration, IntegrationStatus
from ioperator.services import prompt_templates
from ioperator.services.prompt_render import (
    ISSUE_KINDS,
    Issue,
    find_variables,
    has_errors,
    render,
    render_prompt,
    required_sections_for,
    validate,
)
from ioperator.services.prompt_variables import (
    BUILTIN_NAMES,
    BUILTIN_VARIABLES,
    CatalogService,
    CatalogStaff,
    PromptContext,
    available_variables,
    catalog_from_rows,
    channel_names,
    context_for_business,
    custom_name_problem,
    empty_names,
    format_duration,
    format_price,
    resolve_values,
)

SECTIONS_EN = ["Role", "Business facts", "Rules"]
# Lines 1-6; test bodies start on line 7.
HEAD = "## Role\nYou are the host of {{business_name}}.\n## Business facts\nPhone: {{phone}}\n## Rules\nBe kind.\n"
CUSTOM = {"promo"}


def check(source: str, *, max_length: int = 10_000, empty: frozenset[str] = frozenset()) -> list[tuple[str, ...]]:
    issues = validate(
        source,
        known=BUILTIN_NAMES,
        custom=CUSTOM,
        required_sections=SECTIONS_EN,
        max_length=max_length,
        empty_values=empty,
    )
    return [(i.severity[0], i.kind, str(i.line), *i.params.values()) for i in issues]


USES_PROMO = HEAD + "Promo: {{promo}}\n"  # line 7


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        pytest.param(USES_PROMO, [], id="clean"),
        pytest.param("", [("e", "empty", "0")], id="empty"),
        pytest.param(" \n\t\n", [("e", "empty", "0")], id="blank"),
        pytest.param(USES_PROMO + "{{nope}}\n", [("e", "unknown_variable", "8", "nope")], id="unknown"),
        pytest.param(
            USES_PROMO + "x\n{{ bussiness_name }} {{bussiness_name}}\n",
            [("e", "unknown_variable_suggest", "9", "bussiness_name", "business_name")],
            id="unknown-with-suggestion-once-per-line",
        ),
        pytest.param(USES_PROMO + "{{ Name }}\n", [("e", "invalid_variable", "8", "{{ Name }}")], id="bad-name"),
        pytest.param(
            USES_PROMO + "{{}} {{first-name}}\n",
            [("e", "invalid_variable", "8", "{{}}"), ("e", "invalid_variable", "8", "{{first-name}}")],
            id="bad-names",
        ),
        pytest.param(USES_PROMO + "Call {{phone\n", [("e", "unclosed_braces", "8")], id="unclosed"),
        pytest.param(USES_PROMO + "ok\nthen }} here\n", [("e", "stray_closing_braces", "9")], id="stray-close"),
        pytest.param(
            USES_PROMO + "{{business_name\n}}\n",
            [("e", "unclosed_braces", "8"), ("e", "stray_closing_braces", "9")],
            id="variable-split-over-lines",
        ),
        pytest.param(USES_PROMO + "Use {single} braces and {} freely.\n", [], id="single-braces-are-text"),
        pytest.param(USES_PROMO + "{{{business_name}}}\n", [], id="triple-braces"),
        pytest.param(USES_PROMO + 'Reply as {"a": {"b": 1}}\n', [("e", "stray_closing_braces", "8")], id="json"),
        pytest.param(
            USES_PROMO + '```json\n{"a": {"b": 1}}\n{{ not closed\n```\n',
            [],
            id="json-in-a-code-fence",
        ),
        pytest.param(
            USES_PROMO + "~~~\n{{nope}}\n~~~\n",
            [("e", "unknown_variable", "9", "nope")],
            id="variables-in-a-fence-still-count",
        ),
        pytest.param(
            "## Role\n## Business facts\n{{promo}}\n",
            [("e", "missing_section", "0", "Rules")],
            id="missing-section",
        ),
        pytest.param(
            "## role:\n##   BUSINESS   facts\n## Правила\n{{promo}}\n",
            [],
            id="sections-any-case-either-language",
        ),
        pytest.param(
            "## Role\n### Business facts\n```\n## Rules\n```\n{{promo}}\n",
            [("e", "missing_section", "0", "Business facts"), ("e", "missing_section", "0", "Rules")],
            id="level-three-and-fenced-headings-do-not-count",
        ),
        pytest.param(HEAD, [("w", "unused_custom_variable", "0", "promo")], id="unused-custom"),
        pytest.param(
            HEAD + "}}\n",
            [("e", "stray_closing_braces", "7"), ("w", "unused_custom_variable", "0", "promo")],
            id="errors-before-warnings",
        ),
        pytest.param(
            USES_PROMO.replace("\n", "\r\n") + "{{nope}}\r\n",
            [("e", "unknown_variable", "8", "nope")],
            id="crlf-lines",
        ),
    ],
)
def test_validate(source: str, expected: list[tuple[str, ...]]) -> None:
    assert check(source) == expected


def test_empty_value_is_a_warning_at_its_first_use() -> None:
    source = USES_PROMO + "{{ promo }} again, and {{website}}\n"
    assert check(source, empty=frozenset({"promo", "website", "address"})) == [
        ("w", "empty_value", "7", "promo"),
        ("w", "empty_value", "8", "website"),
    ]


def test_too_long_points_at_the_line_where_the_limit_is_crossed() -> None:
    source = USES_PROMO + "a" * 50 + "\n" + "b" * 50 + "\n"  # the limit falls in line 9
    limit = len(USES_PROMO) + 60
    assert check(source, max_length=limit) == [("e", "too_long", "9", str(limit), str(len(source)))]
    assert check(source, max_length=len(source)) == []


def test_warnings_do_not_block_saving() -> None:
    warnings_only = validate(
        HEAD,
        known=BUILTIN_NAMES,
        custom={"promo"},
        required_sections=SECTIONS_EN,
        max_length=999,
        empty_values={"phone"},
    )
    assert [i.severity for i in warnings_only] == ["warning", "warning"]
    assert not has_errors(warnings_only)
    assert has_errors(validate("{{x}}", known=set(), custom=set(), required_sections=[], max_length=99))


def test_required_sections_default_and_per_language() -> None:
    assert required_sections_for(None, "en") == SECTIONS_EN
    assert required_sections_for("salon", "ru") == ["Роль", "О бизнесе", "Правила"]
    assert required_sections_for("no-such-template", "de") == SECTIONS_EN
    ru_headings = "## Роль\n## О бизнесе\n## правила\n"
    assert validate(ru_headings, known=set(), custom=set(), required_sections=SECTIONS_EN, max_length=99) == []
    en_headings = "## Role\n## Business facts\n## Rules\n"
    ru_required = required_sections_for(None, "ru")
    assert validate(en_headings, known=set(), custom=set(), required_sections=ru_required, max_length=99) == []
    own = validate("## Role\n", known=set(), custom=set(), required_sections=["Menu"], max_length=99)
    assert own == [Issue("error", "prompt.issue.missing_section", 0, {"section": "Menu"})]


def test_find_variables_with_lines() -> None:
    source = "Hi {{ business_name }}\n\n{{phone}} {{website}} {{Bad}} {{phone}}\n"
    assert find_variables(source) == [("business_name", 1), ("phone", 3), ("website", 3), ("phone", 3)]
    assert find_variables("no variables {here}") == []


# --- rendering ------------------------------------------------------------------------------------------------
SERVICES = (
    CatalogService("Men's haircut", "Haircuts", Decimal("1500"), None, 45, ("Boris",)),
    CatalogService("Colouring", "Colour", Decimal("3000"), Decimal("5500.50"), 150, ("Anna", "Vera")),
    CatalogService("Women's haircut", "Haircuts", Decimal("2000"), Decimal("3500"), 60),
    CatalogService("Consultation"),
    CatalogService("Toner", "Colour", None, Decimal("900"), 30),
    CatalogService("Fringe trim", "Haircuts", Decimal("500"), Decimal("500"), 15),
)
STAFF = (CatalogStaff("Anna", "Colourist"), CatalogStaff("Boris", "Barber"), CatalogStaff("Vera"))
# 21:30 UTC on Sunday 22 Nov 2026 is already Monday 23 Nov in Moscow (UTC+3).
NOW = datetime(2026, 11, 22, 21, 30, tzinfo=UTC)


def context(**changes: object) -> PromptContext:
    fields: dict[str, object] = {
        "business_name": "Bench Salon",
        "address": "1 Main St",
        "phone": "+15550100",
        "website": "https://salon.example",
        "timezone": "Europe/Moscow",
        "working_hours": "Mon-Sat 10:00-21:00\n",
        "channels": ("Telegram", "WhatsApp"),
        "services": SERVICES,
        "staff": STAFF,
        "custom": {"promo": "-10% on Tuesdays", "parking": ""},
        "language": "en",
        "now": NOW,
    }
    fields.update(changes)
    return PromptContext(**fields)  # type: ignore[arg-type]


def test_render_business_facts_channels_and_custom() -> None:
    source = (
        "{{business_name}} | {{ address }} | {{phone}} | {{website}} | {{working_hours}} | {{channels}} | "
        "{{promo}} | {{parking}} | {{unknown_one}}"
    )
    assert render_prompt(source, context()) == (
        "Bench Salon | 1 Main St | +15550100 | https://salon.example | Mon-Sat 10:00-21:00 | Telegram, WhatsApp | "
        "-10% on Tuesdays |  | {{unknown_one}}"
    )


@pytest.mark.parametrize(
    ("timezone", "language", "expected"),
    [
        ("Europe/Moscow", "en", "Monday 2026-11-23 00:30 Europe/Moscow"),
        ("Europe/Moscow", "ru", "понедельник 2026-11-23 00:30 Europe/Moscow"),
        ("America/New_York", "en", "Sunday 2026-11-22 16:30 America/New_York"),
        ("America/New_York", "ru", "воскресенье 2026-11-22 16:30 America/New_York"),
        ("Not/AZone", "en", "Sunday 2026-11-22 21:30 Not/AZone"),
    ],
)
def test_date_and_weekday_in_the_business_time_zone(timezone: str, language: str, expected: str) -> None:
    ctx = context(timezone=timezone, language=language)
    assert render_prompt("{{weekday}} {{today}} {{current_time}} {{timezone}}", ctx) == expected


def test_naive_now_is_utc_and_no_now_is_the_clock() -> None:
    naive = context(now=datetime(2026, 11, 22, 21, 30), timezone="Europe/Moscow")
    assert render_prompt("{{today}}", naive) == "2026-11-23"
    assert render_prompt("{{today}}", context(now=None, timezone="UTC")) == datetime.now(UTC).date().isoformat()


def test_services_as_a_compact_markdown_list() -> None:
    assert render_prompt("{{services}}", context()) == (
        "- Consultation\n"
        "\n"
        "**Haircuts**\n"
        "- Men's haircut — 1500 — 45 min (Boris)\n"
        "- Women's haircut — 2000–3500 — 1 h\n"
        "- Fringe trim — 500 — 15 min\n"
        "\n"
        "**Colour**\n"
        "- Colouring — 3000–5500.50 — 2 h 30 min (Anna, Vera)\n"
        "- Toner — up to 900 — 30 min"
    )  # uncategorized first, then the categories in the CRM's order
    ru = render_prompt("{{services}}", context(language="ru", services=SERVICES[1:2] + SERVICES[4:5]))
    assert ru == "**Colour**\n- Colouring — 3000–5500.50 — 2 ч 30 мин (Anna, Vera)\n- Toner — до 900 — 30 мин"
    assert render_prompt("{{services}}", context(services=())) == ""


@pytest.mark.parametrize(
    ("minutes", "language", "expected"),
    [(None, "en", ""), (0, "en", ""), (45, "en", "45 min"), (60, "ru", "1 ч"), (95, "en", "1 h 35 min")],
)
def test_format_duration(minutes: int | None, language: str, expected: str) -> None:
    assert format_duration(minutes, language) == expected


def test_format_price() -> None:
    assert format_price(CatalogService("x", price=Decimal("1200.00"))) == "1200"
    assert format_price(CatalogService("x", price=Decimal("9.9"), price_max=Decimal("12"))) == "9.90–12"
    assert format_price(CatalogService("x", price=Decimal("20"), price_max=Decimal("10"))) == "20"
    assert format_price(CatalogService("x")) == ""


def test_staff_list() -> None:
    assert render_prompt("{{staff}}", context()) == "- Anna — Colourist\n- Boris — Barber\n- Vera"


def test_values_are_not_expanded_again() -> None:
    assert render("{{a}} {{b}}", {"a": "{{b}}", "b": "B"}) == "{{b}} B"
    assert render("plain text", {"a": "x"}) == "plain text"


def test_resolve_values_only_what_is_asked_and_empty_names() -> None:
    ctx = context(website="")
    assert set(resolve_values(ctx, {"phone", "promo", "nope"})) == {"phone", "promo"}
    everything = resolve_values(ctx)
    assert set(everything) == BUILTIN_NAMES | {"promo", "parking"}
    assert empty_names(everything) == {"website", "parking"}


def test_available_variables_for_the_side_panel() -> None:
    rows = available_variables({"promo": "This month's offer", "phone": "clashes with a built-in"})
    builtin = [r for r in rows if r.builtin]
    assert [r.name for r in builtin] == [v.name for v in BUILTIN_VARIABLES]
    assert all(r.description_key == f"prompt.var.{r.name}" for r in builtin)
    assert [(r.name, r.description, r.token) for r in rows if not r.builtin] == [
        ("promo", "This month's offer", "{{promo}}")
    ]


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("promo_2026", None),
        ("Promo", "prompt.issue.custom_name_invalid"),
        ("2promo", "prompt.issue.custom_name_invalid"),
        ("x" * 41, "prompt.issue.custom_name_invalid"),
        ("phone", "prompt.issue.custom_name_taken"),
    ],
)
def test_custom_variable_names(name: str, problem: str | None) -> None:
    assert custom_name_problem(name) == problem


def test_context_from_the_rows() -> None:
    def service(name: str, staff_ids: list[str], *, active: bool = True) -> CrmServiceRow:
        return CrmServiceRow(
            business_id=1,
            integration_id=1,
            external_id=name,
            name=name,
            category="Hair",
            staff_ids=staff_ids,
            active=active,
            price=Decimal("10"),
            duration_minutes=30,
        )

    staff = [
        CrmStaffRow(business_id=1, integration_id=1, external_id="7", name="Anna", position="Stylist"),
        CrmStaffRow(business_id=1, integration_id=1, external_id="8", name="Gone", active=False),
        CrmStaffRow(business_id=1, integration_id=2, external_id="9", name="Other CRM"),
    ]
    services = [service("Cut", ["7", "8", "9"]), service("Old", [], active=False)]
    catalog, people = catalog_from_rows(services, staff)
    assert catalog == (CatalogService("Cut", "Hair", Decimal("10"), None, 30, ("Anna",)),)
    assert people == (CatalogStaff("Anna", "Stylist"), CatalogStaff("Other CRM"))

    integrations = [
        Integration(
            business_id=1, provider="whatsapp", kind="channel", instance_key="a", status=IntegrationStatus.CONNECTED
        ),
        Integration(
            business_id=1, provider="telegram", kind="channel", instance_key="b", status=IntegrationStatus.CONNECTED
        ),
        Integration(
            business_id=1, provider="instagram", kind="channel", instance_key="c", status=IntegrationStatus.ERROR
        ),
        Integration(
            business_id=1, provider="yclients", kind="crm", instance_key="d", status=IntegrationStatus.CONNECTED
        ),
    ]
    assert channel_names(integrations) == ("Telegram", "WhatsApp")

    business = Business(name="Bistro", address="Main St", timezone="Europe/Moscow", language="ru")
    ctx = context_for_business(business, services=services, staff=staff, integrations=integrations, now=NOW)
    assert (
        render_prompt("{{business_name}}, {{weekday}}, {{channels}}", ctx) == "Bistro, понедельник, Telegram, WhatsApp"
    )


# --- starter templates ----------------------------------------------------------------------------------------
TEMPLATE_CASES = [(slug, lang) for slug in prompt_templates.SLUGS for lang in ("en", "ru")]


@pytest.mark.parametrize(("slug", "language"), TEMPLATE_CASES)
def test_templates_validate_clean_and_render_fully(slug: str, language: str) -> None:
    template = prompt_templates.get_template(slug, language)
    assert template is not None
    assert (template.slug, template.language, template.title_key) == (slug, language, f"prompt.template.{slug}")
    assert template.required_sections == tuple(required_sections_for(slug, language))
    issues = validate(
        template.body,
        known=BUILTIN_NAMES,
        custom=set(),
        required_sections=template.required_sections,
        max_length=20_000,
    )
    assert issues == []
    assert 40 <= len(template.body.splitlines()) <= 90
    used = {name for name, _ in find_variables(template.body)}
    assert {"business_name", "working_hours", "today", "weekday", "services"} <= used
    rendered = render_prompt(template.body, context(language=language))
    assert "{{" not in rendered and "}}" not in rendered
    assert "Bench Salon" in rendered and "Men's haircut — 1500 — " in rendered


def test_list_and_get_templates() -> None:
    assert [t.slug for t in prompt_templates.list_templates("ru")] == ["restaurant", "salon", "clinic"]
    assert {t.language for t in prompt_templates.list_templates("xx")} == {"en"}
    assert prompt_templates.get_template("bakery", "en") is None
    ru = prompt_templates.get_template("clinic", "ru")
    assert ru is not None and "## Правила" in ru.body


# --- translations ---------------------------------------------------------------------------------------------
def test_prompt_keys_are_translated() -> None:
    keys = {v.description_key for v in BUILTIN_VARIABLES}
    keys |= {f"prompt.issue.{kind}" for kind in ISSUE_KINDS}
    keys |= {"prompt.issue.custom_name_invalid", "prompt.issue.custom_name_taken"}
    keys |= {f"prompt.template.{slug}" for slug in prompt_templates.SLUGS}
    catalogs = {lang: json.loads((LOCALES_DIR / f"{lang}.json").read_text("utf-8")) for lang in ("en", "ru")}
    if not keys & set(catalogs["en"]):
        pytest.skip("the prompt.* keys have not been added to the catalogs yet")
    for strings in catalogs.values():
        assert sorted(keys - set(strings)) == []
    params = {
        "too_long": {"max", "length"},
        "unknown_variable": {"name"},
        "unknown_variable_suggest": {"name", "suggestion"},
        "invalid_variable": {"text"},
        "missing_section": {"section"},
        "unused_custom_variable": {"name"},
        "empty_value": {"name"},
    }
    for kind in ISSUE_KINDS:
        text = catalogs["en"][f"prompt.issue.{kind}"]
        assert {n for _, n, _, _ in string.Formatter().parse(text) if n} == params.get(kind, set()), kind
