"""Benchmark: rendering and validating the agent's prompt.

Builds a ~20 KB Markdown prompt with 50 `{{variable}}` uses (every built-in variable, including the catalog ones,
and five custom variables) and a context with a 500-item catalog (categories, price ranges, durations, staff) and
40 staff, then prints the median, p10 and p90 over `--runs` timed calls (after warm-up) of:

- `render_prompt`: find the variables used, resolve each once (the 500-item catalog list included), substitute;
- `render` alone, with the values already resolved;
- `resolve_values` alone;
- `validate` (the save-time check).

    .venv/bin/python bench/prompt_render.py [--runs 2000] [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ioperator.services.prompt_render import (  # noqa: E402
    VAR_RE,
    find_variables,
    render,
    render_prompt,
    required_sections_for,
    validate,
)
from ioperator.services.prompt_variables import (  # noqa: E402
    BUILTIN_NAMES,
    CatalogService,
    CatalogStaff,
    PromptContext,
    empty_names,
    resolve_values,
)

PROMPT_BYTES = 20_000
VARIABLE_USES = 50
CATALOG_SIZE = 500
STAFF_SIZE = 40
CUSTOM = {f"custom_{i}": f"Custom value number {i}" for i in range(5)}


def build_context(rng: random.Random) -> PromptContext:
    staff = tuple(
        CatalogStaff(f"Specialist {i}", rng.choice(["Stylist", "Barber", "Colourist", ""])) for i in range(40)
    )
    services = []
    for i in range(CATALOG_SIZE):
        low = Decimal(rng.randrange(500, 5000, 50))
        high = low + Decimal(rng.choice([0, 500, 1500])) if rng.random() < 0.5 else None
        services.append(
            CatalogService(
                name=f"Service number {i}",
                category=f"Category {i % 12}",
                price=low if rng.random() < 0.95 else None,
                price_max=high,
                duration_minutes=rng.choice([None, 15, 30, 45, 60, 90, 120]),
                staff=tuple(s.name for s in rng.sample(staff, rng.randint(0, 3))),
            )
        )
    return PromptContext(
        business_name="Bench Salon",
        address="1 Main Street, Springfield",
        phone="+15550100",
        website="https://salon.example",
        timezone="Europe/Moscow",
        working_hours="Mon-Fri 10:00-21:00, Sat-Sun 11:00-19:00",
        channels=("Telegram", "WhatsApp", "Instagram"),
        services=tuple(services),
        staff=staff,
        custom=CUSTOM,
        language="en",
        now=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
    )


def build_prompt() -> str:
    """~20 KB: the three required sections, prose, and 50 variable uses spread over the text."""
    names = sorted(BUILTIN_NAMES) + sorted(CUSTOM)
    filler = (
        "Answer briefly and politely, quote prices only from the list, and hand over to a human when unsure. "
        "Never invent facts; say you will check with the team instead."
    )
    head = ["# Assistant", "", "## Role", "", "## Business facts", "", "## Rules", ""]
    body = [filler] * (PROMPT_BYTES // len(filler))
    step = len(body) // VARIABLE_USES
    for use in range(VARIABLE_USES):
        body[use * step] = f"- Fact {use}: {{{{{names[use % len(names)]}}}}} ({filler[:60]})"
    lines = head + body
    while sum(len(line) + 1 for line in lines) < PROMPT_BYTES:
        lines.append(filler)
    return "\n".join(lines)[:PROMPT_BYTES]


def timed(call: Callable[[], Any], runs: int) -> dict[str, float]:
    for _ in range(max(10, runs // 10)):
        call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000)
    deciles = statistics.quantiles(samples, n=10)
    return {"median_us": statistics.median(samples), "p10_us": deciles[0], "p90_us": deciles[-1]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000, help="timed calls per measure (default 2000)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    ctx = build_context(random.Random(7))
    prompt = build_prompt()
    used = set(VAR_RE.findall(prompt))
    values = resolve_values(ctx, used)
    rendered = render_prompt(prompt, ctx)
    assert len(find_variables(prompt)) == VARIABLE_USES and "{{" not in rendered
    sections = required_sections_for(None, "en")

    def check() -> None:
        validate(
            prompt,
            known=BUILTIN_NAMES,
            custom=set(CUSTOM),
            required_sections=sections,
            max_length=50_000,
            empty_values=empty_names(values),
        )

    report: dict[str, Any] = {
        "prompt_chars": len(prompt),
        "variable_uses": VARIABLE_USES,
        "distinct_variables": len(used),
        "catalog_items": len(ctx.services),
        "rendered_chars": len(rendered),
        "runs": args.runs,
        "timings": {
            "render_prompt (resolve + substitute)": timed(lambda: render_prompt(prompt, ctx), args.runs),
            "render (values ready)": timed(lambda: render(prompt, values), args.runs),
            "resolve_values": timed(lambda: resolve_values(ctx, used), args.runs),
            "validate": timed(check, args.runs),
        },
    }
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(
        f"Prompt: {report['prompt_chars']} chars, {VARIABLE_USES} variable uses ({len(used)} distinct), "
        f"{len(ctx.services)}-item catalog; rendered {report['rendered_chars']} chars; {args.runs} runs each"
    )
    print(f"{'measure':<38}{'median µs':>11}{'p10 µs':>9}{'p90 µs':>9}")
    for name, figures in report["timings"].items():
        print(f"{name:<38}{figures['median_us']:>11.1f}{figures['p10_us']:>9.1f}{figures['p90_us']:>9.1f}")


if __name__ == "__main__":
    main()
