"""Labels of the alerting engine: canonical label sets, fingerprints, and Alertmanager's
label matchers (used by rules to select series and by silences to select alerts). Pure.

Matchers: ``=`` equal, ``!=`` not equal, ``=~`` regex, ``!~`` not regex. A missing label
reads as the empty string (so ``commune!="Đông Kinh"`` matches labels without a commune).
Regexes are anchored: they must match the whole value (``warn`` does not match ``warning``;
``warn.*`` does).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, NoReturn

from iocvn.alerts import engine_messages  # noqa: F401  (registers the engine's texts)
from iocvn.core.errors import Invalid

Labels = tuple[tuple[str, str], ...]  # sorted by name: canonical, hashable
MatchOp = Literal["=", "!=", "=~", "!~"]
MATCH_OPS: tuple[MatchOp, ...] = ("=", "!=", "=~", "!~")
_OP_BY_TEXT: dict[str, MatchOp] = {op: op for op in MATCH_OPS}
_MATCHER = re.compile(
    r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|(.*?))\s*'
)


def _invalid(code: str, problem: str) -> NoReturn:
    raise Invalid(code, details={"problem": problem}, problem=problem)


def as_labels(labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> Labels:
    """Labels in canonical form: ``(name, value)`` pairs sorted by name."""
    pairs = dict(labels)
    for name, value in pairs.items():
        if not isinstance(name, str) or not name or not isinstance(value, str):
            problem = f"label {name!r}={value!r}: names are non-empty text, values text"
            _invalid("alert_labels_invalid", problem)
    return tuple(sorted(pairs.items()))


def fingerprint(labels: Mapping[str, str] | Iterable[tuple[str, str]]) -> str:
    """A stable 16-hex-digit hash of a label set: equal label sets, equal fingerprints."""
    canonical = json.dumps(as_labels(labels), ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(canonical.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True, slots=True)
class Matcher:
    """``name op value`` on labels, e.g. ``severity=~"critical|warning"``."""

    name: str
    op: MatchOp
    value: str
    _regex: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            _invalid("alert_matcher_invalid", "a matcher needs a label name")
        if self.op not in MATCH_OPS:
            _invalid(
                "alert_matcher_invalid",
                f"matcher operator {self.op!r} (one of {', '.join(MATCH_OPS)})",
            )
        regex = None
        if self.op in ("=~", "!~"):
            try:
                regex = re.compile(self.value)
            except re.error as e:
                _invalid("alert_matcher_invalid", f"regular expression {self.value!r}: {e}")
        object.__setattr__(self, "_regex", regex)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        """``commune="Đông Kinh"``, ``severity=~critical|warning``, ``kind!~"camera.*"``."""
        found = _MATCHER.fullmatch(text)
        if found is None:
            _invalid("alert_matcher_invalid", f"matcher {text!r} (name, one of = != =~ !~, value)")
        name, op, quoted, bare = found.groups()
        value = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else bare
        return cls(name, _OP_BY_TEXT[op], value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the labels satisfy this matcher (a missing label is the empty string)."""
        found = labels.get(self.name, "")
        if self._regex is not None:
            hit = self._regex.fullmatch(found) is not None
            return hit if self.op == "=~" else not hit
        return (found == self.value) if self.op == "=" else (found != self.value)


def matches_all(matchers: Iterable[Matcher], labels: Mapping[str, str] | Labels) -> bool:
    """Every matcher matches the labels (True without matchers)."""
    found = labels if isinstance(labels, Mapping) else dict(labels)
    return all(m.matches(found) for m in matchers)
