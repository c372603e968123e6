"""The README documents every setting and the commands it tells people to run exist."""

from __future__ import annotations

from pathlib import Path

from ioperator.cli import build_parser
from ioperator.core.config import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme_table() -> None:
    missing = [
        f"IOPERATOR_{name.upper()}" for name in Settings.model_fields if f"`IOPERATOR_{name.upper()}`" not in README
    ]
    assert missing == []


def test_every_cli_command_is_documented() -> None:
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    assert commands
    for command in commands:
        assert f"`{command}" in README, command


def test_make_targets_named_in_readme_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("run", "test", "lint", "format", "test-unit", "test-e2e", "migrate", "bench", "clean"):
        assert f"\n{target}:" in makefile, target
