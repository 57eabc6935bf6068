"""The default category tree of citizen feedback (lĩnh vực phản ánh, kiến nghị).

Loaded from ``data/categories.yaml`` and checked (unique codes, a child's code starts with
its parent's, known priorities). The province edits its own copy later; this module only
reads the packaged default: no database, no writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal, cast, get_args

import yaml

DEFAULT_FILE = Path(__file__).parent / "data" / "categories.yaml"
Priority = Literal["urgent", "normal", "complex"]  # the SLA levels (feedback.sla)
PRIORITIES: tuple[Priority, ...] = get_args(Priority)


@dataclass(frozen=True)
class Category:
    """One node of the tree: ``giao_thong.o_ga`` (Ổ gà, hư hỏng mặt đường) under ``giao_thong``."""

    code: str
    name_vi: str
    name_en: str
    parent: str | None
    priority: Priority
    resolve_days: int

    @property
    def top_level(self) -> str:
        """Code of the top-level field this category belongs to."""
        return top_level(self.code)


def top_level(code: str) -> str:
    """``giao_thong.o_ga`` → ``giao_thong``; a top-level code is its own field."""
    return code.partition(".")[0]


@lru_cache(maxsize=1)
def default_tree() -> tuple[Category, ...]:
    """Every category of the packaged tree, each parent before its children."""
    raw = yaml.safe_load(DEFAULT_FILE.read_text(encoding="utf-8"))
    return tuple(parse_tree(raw["categories"]))


def by_code(tree: tuple[Category, ...] | None = None) -> dict[str, Category]:
    """The categories of ``tree`` (default: the packaged one) by code."""
    return {c.code: c for c in (default_tree() if tree is None else tree)}


def children(code: str | None, tree: tuple[Category, ...] | None = None) -> list[Category]:
    """Direct children of ``code`` (``None``: the top-level fields), in file order."""
    return [c for c in (default_tree() if tree is None else tree) if c.parent == code]


def parse_tree(entries: list[Mapping[str, Any]], parent: Category | None = None) -> list[Category]:
    """Flatten nested YAML entries into categories; raise ``ValueError`` on a bad entry."""
    found: list[Category] = []
    for entry in entries:
        name = str(entry["code"])
        if not (name.isascii() and name.isidentifier() and name.islower()):
            raise ValueError(f"category code {name!r}: lower-case ASCII words joined by _")
        code = f"{parent.code}.{name}" if parent else name
        priority = entry.get("priority", parent.priority if parent else None)
        resolve_days = entry.get("resolve_days", parent.resolve_days if parent else None)
        if priority not in PRIORITIES:
            raise ValueError(f"category {code}: priority {priority!r} not in {PRIORITIES}")
        if not isinstance(resolve_days, int) or resolve_days < 1:
            raise ValueError(f"category {code}: resolve_days must be a positive integer")
        category = Category(
            code=code,
            name_vi=str(entry["vi"]),
            name_en=str(entry["en"]),
            parent=parent.code if parent else None,
            priority=cast(Priority, priority),
            resolve_days=resolve_days,
        )
        found.append(category)
        found += parse_tree(entry.get("children", []), category)
    if parent is None:
        codes = [c.code for c in found]
        duplicated = sorted({c for c in codes if codes.count(c) > 1})
        if duplicated:
            raise ValueError(f"duplicated category codes: {duplicated}")
    return found
