"""Docs that are tested: every setting and every command is documented."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.main import get_command

from iocvn.cli import app
from iocvn.config import Settings

ROOT = Path(__file__).resolve().parent.parent


def all_docs() -> str:
    texts = [ROOT.joinpath("README.md").read_text(encoding="utf-8")]
    texts += [p.read_text(encoding="utf-8") for p in sorted(ROOT.glob("docs/**/*.md"))]
    return "\n".join(texts)


def test_every_setting_is_documented() -> None:
    doc = ROOT.joinpath("docs/configuration.md").read_text(encoding="utf-8")
    missing = [
        f"IOCVN_{n.upper()}" for n in Settings.model_fields if f"`IOCVN_{n.upper()}`" not in doc
    ]
    assert missing == []


def _commands(group: object, prefix: str) -> list[str]:
    found = []
    for name, cmd in getattr(group, "commands", {}).items():
        path = f"{prefix} {name}"
        if getattr(cmd, "commands", None):
            found += _commands(cmd, path)
        else:
            found.append(path)
    return found


def test_every_command_is_documented() -> None:
    doc = all_docs()
    commands = _commands(get_command(app), "iocvn")
    assert len(commands) > 10
    missing = [c for c in commands if c not in doc]
    assert missing == []


def test_readme_starts_with_the_two_commands() -> None:
    head = ROOT.joinpath("README.md").read_text(encoding="utf-8").split("\n")[:6]
    assert any(line.startswith("make demo") for line in head)
    assert any(line.startswith("make test") for line in head)
    assert isinstance(app, typer.Typer)
