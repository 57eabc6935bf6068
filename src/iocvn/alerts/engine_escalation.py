"""Acknowledgement (xác nhận) and escalation (báo cáo vượt cấp) of active alerts. Pure: ``now``
is passed; the caller stores the states these functions return and sends the notices.

An episode (an unbroken stay among firing, no data and error) starts on the ladder's first
rung, the receivers of the ordinary notification. Each rung has ``ack_timeout_s`` to
acknowledge before the next rung is due, counted cumulatively from the episode's start, so
a late evaluation loop never pushes later rungs back. Acknowledging stops the climb;
resolution ends the episode and with it the acknowledgement and the rung reached.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import NoReturn

from iocvn.alerts import engine_messages  # noqa: F401  (registers the engine's texts)
from iocvn.alerts.engine_silences import Silence, is_silenced
from iocvn.alerts.engine_state import Acknowledgement, AlertState
from iocvn.core.errors import Conflict, Invalid


def _invalid(problem: str) -> NoReturn:
    raise Invalid("alert_ladder_invalid", details={"problem": problem}, problem=problem)


@dataclass(frozen=True, slots=True)
class EscalationLevel:
    """One rung: who is told (``name``, e.g. ``commune``) and how long they have to
    acknowledge before the next rung is."""

    name: str
    ack_timeout_s: float


@dataclass(frozen=True, slots=True)
class EscalationLadder:
    """The rungs, lowest first. The last rung's timeout is never used (nobody is above)."""

    levels: tuple[EscalationLevel, ...]

    def __post_init__(self) -> None:
        names = [level.name for level in self.levels]
        if not names or not all(names) or len(set(names)) != len(names):
            _invalid("a ladder needs at least one rung, each with its own name")
        if not all(
            level.ack_timeout_s > 0 and math.isfinite(level.ack_timeout_s)
            for level in self.levels[:-1]
        ):
            _invalid("every rung below the top needs a finite timeout > 0")

    def due_at(self, active_since: float, level: int) -> float:
        """When rung ``level`` is due for an episode begun at ``active_since``."""
        return active_since + math.fsum(lv.ack_timeout_s for lv in self.levels[:level])


# Xã/phường → the province IOC (Trung tâm IOC tỉnh) → the province's leaders.
DEFAULT_LADDER = EscalationLadder(
    (
        EscalationLevel("commune", 15 * 60.0),
        EscalationLevel("province_ioc", 30 * 60.0),
        EscalationLevel("leadership", 0.0),
    )
)


@dataclass(frozen=True, slots=True)
class Escalation:
    """A rung that is due: its index, its name, and since when."""

    level: int
    name: str
    due_at: float


def acknowledge(alert: AlertState, by: str, now: float, comment: str = "") -> AlertState:
    """``alert`` acknowledged by ``by`` at ``now``; it stops climbing the ladder. Only an
    active alert can be acknowledged, once per episode."""
    if not alert.active:
        raise Conflict("alert_not_active", details={"state": alert.state}, state=alert.state)
    if alert.ack is not None:
        raise Conflict("alert_already_acknowledged", details={"by": alert.ack.by}, by=alert.ack.by)
    return replace(alert, ack=Acknowledgement(by=by, at=now, comment=comment))


def escalation_due(
    alert: AlertState,
    ladder: EscalationLadder,
    now: float,
    silences: Iterable[Silence] = (),
) -> tuple[Escalation, ...]:
    """The rungs above ``alert.escalation_level`` that are due at ``now``, lowest first: none
    for an alert that is not active, is acknowledged, or is silenced."""
    if not alert.active or alert.ack is not None or alert.active_since is None:
        return ()
    due = []
    for level in range(alert.escalation_level + 1, len(ladder.levels)):
        at = ladder.due_at(alert.active_since, level)
        if at > now:
            break
        due.append(Escalation(level, ladder.levels[level].name, at))
    if due and is_silenced(alert.labels, silences, now):
        return ()
    return tuple(due)


def escalate(alert: AlertState, escalations: Iterable[Escalation]) -> AlertState:
    """``alert`` with the rungs it was escalated to recorded (the highest counts)."""
    level = max((e.level for e in escalations), default=alert.escalation_level)
    if level <= alert.escalation_level:
        return alert
    return replace(alert, escalation_level=level)
