"""Silences (tạm tắt cảnh báo) as in Prometheus Alertmanager: label matchers (``Matcher``, in
``engine_labels``), a time box, who and why. Pure: ``now`` is passed. A silence mutes
notifications and escalation, never an alert's state (the state machine does not even see
silences). Active from ``starts_at`` included to ``ends_at`` excluded, so back-to-back
silences neither overlap nor leave a gap.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NoReturn

from iocvn.alerts import engine_messages  # noqa: F401  (registers the engine's texts)
from iocvn.alerts.engine_labels import Labels, Matcher
from iocvn.core.errors import Invalid


def _invalid(problem: str) -> NoReturn:
    raise Invalid("alert_silence_invalid", details={"problem": problem}, problem=problem)


@dataclass(frozen=True, slots=True)
class Silence:
    """Mutes the notifications of alerts its matchers all match, from ``starts_at`` to
    ``ends_at``; ``created_by`` and the reason (``comment``) are required."""

    matchers: tuple[Matcher, ...]
    starts_at: float
    ends_at: float
    created_by: str
    comment: str
    id: str = ""

    def __post_init__(self) -> None:
        if not self.matchers:
            _invalid("a silence needs at least one matcher")
        if all(m.matches({}) for m in self.matchers):
            _invalid("these matchers would silence every alert")
        if not self.ends_at > self.starts_at:
            _invalid("a silence must end after it starts")
        if not self.created_by.strip() or not self.comment.strip():
            _invalid("a silence needs its author and a reason")

    def active(self, now: float) -> bool:
        """In its time box: ``starts_at ≤ now < ends_at``."""
        return self.starts_at <= now < self.ends_at

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Every matcher matches the labels (time aside)."""
        return all(m.matches(labels) for m in self.matchers)


def silencing(
    labels: Mapping[str, str] | Labels, silences: Iterable[Silence], now: float
) -> list[Silence]:
    """The silences muting an alert with these labels at ``now``."""
    found = labels if isinstance(labels, Mapping) else dict(labels)
    return [s for s in silences if s.active(now) and s.matches(found)]


def is_silenced(
    labels: Mapping[str, str] | Labels, silences: Iterable[Silence], now: float
) -> bool:
    """Whether any silence mutes an alert with these labels at ``now``."""
    found = labels if isinstance(labels, Mapping) else dict(labels)
    return any(s.active(now) and s.matches(found) for s in silences)
