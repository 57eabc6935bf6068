"""SLA policy of citizen feedback (phản ánh, kiến nghị): deadlines per stage, due soon, escalation.

Pure data and arithmetic on ``feedback.calendar``: no database, no clock (callers pass ``now``).

**Stages**: ``accept`` (tiếp nhận: the handling unit accepts or returns the case) and ``resolve``
(xử lý); each starts its own clock. **Priorities**: ``urgent`` (khẩn), ``normal`` (thông
thường), ``complex`` (phức tạp). Defaults of ``SlaPolicy()``: accept within 8 working hours
whatever the priority; resolve urgent within 4 working hours, normal within 10 working days,
complex within 15 working days. A category may override any (stage, priority) — the category
tree's ``resolve_days`` becomes ``{(resolve, normal): WorkingDays(n)}`` — and a child category
without its own override takes its parent's (``giao_thong.o_ga`` → ``giao_thong``).

**Status** at ``now``: ``overdue`` after the deadline; ``due_soon`` once the working time left is
at most ``due_soon_share`` of the stage's working time (20 %: the last 48 minutes of an urgent
case, the last 2 working days of a normal one); ``on_time`` before. **Escalation**: ``unit``
(the handling unit) until the deadline; then ``ioc`` (the operations centre); ``leadership``
(the province's leaders) once the clock has run past the deadline by half the stage's working
time. Every threshold is an instant computed on the clock, so pauses also hold back due-soon
and escalation, and the instants (``due_soon_at``, ``deadline``, ``escalations``) can be stored
on the case to list overdue and due-soon cases with a plain query.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from iocvn.feedback.calendar import (
    Duration,
    PauseLike,
    WorkCalendar,
    WorkingDays,
    aware_utc,
    deadline,
    elapsed_working_time,
    is_paused,
    working_budget,
)

Stage = Literal["accept", "resolve"]
Priority = Literal["urgent", "normal", "complex"]
Status = Literal["on_time", "due_soon", "overdue"]
Level = Literal["unit", "ioc", "leadership"]
STAGES: tuple[Stage, ...] = ("accept", "resolve")
PRIORITIES: tuple[Priority, ...] = ("urgent", "normal", "complex")
LEVELS: tuple[Level, ...] = ("unit", "ioc", "leadership")  # lowest first
Durations = Mapping[tuple[Stage, Priority], Duration]

DEFAULT_DURATIONS: Durations = {
    ("accept", "urgent"): timedelta(hours=8),
    ("accept", "normal"): timedelta(hours=8),
    ("accept", "complex"): timedelta(hours=8),
    ("resolve", "urgent"): timedelta(hours=4),
    ("resolve", "normal"): WorkingDays(10),
    ("resolve", "complex"): WorkingDays(15),
}
# (level, share of the stage's working time past the deadline after which it applies)
DEFAULT_ESCALATION: tuple[tuple[Level, float], ...] = (("ioc", 0.0), ("leadership", 0.5))


@dataclass(frozen=True)
class SlaPolicy:
    """Time limits (thời hạn xử lý) per stage and priority, per-category overrides, thresholds."""

    durations: Durations = field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    overrides: Mapping[str, Durations] = field(default_factory=dict)
    due_soon_share: float = 0.2
    escalation: tuple[tuple[Level, float], ...] = DEFAULT_ESCALATION

    def __post_init__(self) -> None:
        missing = [(s, p) for s in STAGES for p in PRIORITIES if (s, p) not in self.durations]
        if missing:
            raise ValueError(f"no time limit for {missing}")
        if not 0 <= self.due_soon_share <= 1:
            raise ValueError(f"due_soon_share must lie in [0, 1], not {self.due_soon_share}")
        shares = [share for _, share in self.escalation]
        if any(s < 0 for s in shares) or shares != sorted(shares):
            raise ValueError(f"escalation shares must be non-negative and rising: {shares}")

    def duration(self, stage: Stage, priority: Priority, category: str | None = None) -> Duration:
        """The time limit of a stage: the category's (or its nearest parent's), else the default."""
        code = category
        while code:
            found = self.overrides.get(code, {}).get((stage, priority))
            if found is not None:
                return found
            code = code.rpartition(".")[0]
        return self.durations[(stage, priority)]


@dataclass(frozen=True)
class SlaState:
    """Where a stage's clock stands at ``now``."""

    duration: Duration
    budget: timedelta  # the stage's working time
    deadline: datetime
    due_soon_at: datetime
    remaining: timedelta  # working time left; negative once overrun by working time
    status: Status
    escalation: Level
    escalations: tuple[tuple[Level, datetime], ...]  # (level, instant after which it applies)
    paused: bool


def stage_deadline(
    policy: SlaPolicy,
    calendar: WorkCalendar,
    *,
    stage: Stage,
    stage_start: datetime,
    priority: Priority,
    category: str | None = None,
    pauses: Iterable[PauseLike] = (),
    now: datetime | None = None,
) -> datetime:
    """The stage's deadline alone: :func:`sla_state`'s ``deadline``, without the other instants
    (what is stored on a case; ``now`` ends a pause still running)."""
    budget = working_budget(calendar, stage_start, policy.duration(stage, priority, category))
    return deadline(calendar, stage_start, budget, tuple(pauses), now)


def sla_state(
    policy: SlaPolicy,
    calendar: WorkCalendar,
    *,
    stage: Stage,
    stage_start: datetime,
    now: datetime,
    priority: Priority,
    category: str | None = None,
    pauses: Iterable[PauseLike] = (),
) -> SlaState:
    """Deadline, working time left, status and escalation level of a stage at ``now``.

    A reopened case passes the reopening time as ``stage_start``: its clock starts again with
    the whole time limit, and pauses from before do not count.
    """
    now = aware_utc(now)
    pauses = tuple(pauses)
    duration = policy.duration(stage, priority, category)
    budget = working_budget(calendar, stage_start, duration)

    def reached(working_time: timedelta) -> datetime:
        return deadline(calendar, stage_start, working_time, pauses, now)

    due = reached(budget)
    due_soon_at = reached(budget - budget * policy.due_soon_share)
    escalations = tuple(
        (level, reached(budget + budget * share)) for level, share in policy.escalation
    )
    status: Status = "overdue" if now > due else "due_soon" if now >= due_soon_at else "on_time"
    level: Level = "unit"
    for candidate, after in escalations:
        if now > after:
            level = candidate
    return SlaState(
        duration=duration,
        budget=budget,
        deadline=due,
        due_soon_at=due_soon_at,
        remaining=budget - elapsed_working_time(calendar, stage_start, now, pauses),
        status=status,
        escalation=level,
        escalations=escalations,
        paused=is_paused(pauses, now),
    )
