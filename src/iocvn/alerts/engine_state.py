"""The alert instance's state machine (Grafana's): ``step(alert, observation, now)``.

Pure and deterministic: no clock (``now`` is passed), no database, no notification — it
returns the new state and the transitions for the caller to store and notify. Hot path: the
evaluation loop calls it for every series at every evaluation, so an evaluation that changes
nothing returns the very same state object and an empty tuple, allocating nothing.
Semantics are in ``engine``'s docstring and docs/alerts.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from iocvn.alerts.engine_labels import Labels, fingerprint
from iocvn.alerts.engine_rules import (
    ACTIVE,
    Observation,
    Rule,
    Severity,
    State,
    Values,
    observed_values,
    outcome,
)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """Someone took charge of an active alert (xác nhận đã tiếp nhận): who, when, and why."""

    by: str
    at: float
    comment: str = ""


@dataclass(frozen=True, slots=True)
class AlertState:
    """One alert instance (a rule × a series' labels) and where it stands.

    ``since``: when the current state began (for ``pending``, the start of the streak being
    timed). ``active_since``: when the current episode — an unbroken stay among ``firing``,
    ``no_data`` and ``error`` — began; escalation counts from it. ``pending_to``: the active
    state a ``pending`` alert is heading for. ``ack`` and ``escalation_level`` belong to the
    episode and are cleared when it ends.
    """

    rule: Rule
    labels: Labels
    fingerprint: str
    state: State = "normal"
    since: float | None = None
    active_since: float | None = None
    pending_to: State | None = None
    ack: Acknowledgement | None = None
    escalation_level: int = 0

    @property
    def active(self) -> bool:
        """Firing, no data or error: notified and escalated."""
        return self.state in ACTIVE

    @property
    def label_map(self) -> dict[str, str]:
        """The labels as a dict (for matchers and templates)."""
        return dict(self.labels)


@dataclass(frozen=True, slots=True)
class Transition:
    """A change of state, for the caller to store (history) and hand to notifications."""

    fingerprint: str
    rule: str
    labels: Labels
    severity: Severity
    from_state: State
    to_state: State
    at: float
    values: Values
    error: str | None = None

    @property
    def notifies(self) -> bool:
        """Whether receivers hear of it: entering or changing an active state, or resolving.
        ``pending`` and the quiet return to ``normal`` are history only."""
        return self.to_state in ACTIVE or self.to_state == "resolved"


NO_TRANSITIONS: tuple[Transition, ...] = ()


def new_alert(rule: Rule, series: Mapping[str, str] | Iterable[tuple[str, str]]) -> AlertState:
    """The ``normal`` instance of ``rule`` for a series, labelled and fingerprinted."""
    labels = rule.instance_labels(series)
    return AlertState(rule=rule, labels=labels, fingerprint=fingerprint(labels))


def step(
    alert: AlertState, observation: Observation, now: float
) -> tuple[AlertState, tuple[Transition, ...]]:
    """Evaluate ``alert``'s rule on ``observation`` at ``now``: the new state and the
    transitions (none, or one). Returns ``alert`` itself when nothing changed."""
    rule = alert.rule
    target = outcome(rule, observation, now)
    current = alert.state
    if target == "normal":
        if current == "normal":
            return alert, NO_TRANSITIONS
        if current in ACTIVE:  # the episode ends: acknowledgement and escalation go with it
            new = _entered(alert, "resolved", now)
        else:  # pending (never fired: flapping stays quiet) or resolved
            new = _entered(alert, "normal", now)
    elif current == target:
        return alert, NO_TRANSITIONS
    elif current in ACTIVE:  # firing ⇄ no_data ⇄ error: the same episode goes on at once
        new = AlertState(
            rule=rule,
            labels=alert.labels,
            fingerprint=alert.fingerprint,
            state=target,
            since=now,
            active_since=alert.active_since,
            ack=alert.ack,
            escalation_level=alert.escalation_level,
        )
    elif current == "pending" and alert.pending_to == target:
        assert alert.since is not None
        if now - alert.since < rule.for_s:
            return alert, NO_TRANSITIONS
        new = _entered(alert, target, now, active_since=now)
    elif current == "pending":  # heading elsewhere now: time the new streak from here
        return _entered(alert, "pending", now, pending_to=target), NO_TRANSITIONS
    elif rule.for_s > 0:  # normal or resolved
        new = _entered(alert, "pending", now, pending_to=target)
    else:
        new = _entered(alert, target, now, active_since=now)
    return new, (_transition(alert, new, observation, now),)


def stand_down(alert: AlertState, now: float) -> tuple[AlertState, tuple[Transition, ...]]:
    """``alert`` taken out of evaluation at ``now`` (an edit of its rule): an active alert is
    ``resolved`` (its episode ends, receivers are told), a pending or resolved one goes quietly
    back to ``normal`` (a pending timer starts afresh at the next evaluation), a normal one
    stays. The transition carries no values: nothing was observed."""
    if alert.state == "normal":
        return alert, NO_TRANSITIONS
    new = _entered(alert, "resolved" if alert.active else "normal", now)
    return new, (_transition(alert, new, None, now),)


def _entered(
    alert: AlertState,
    state: State,
    now: float,
    *,
    active_since: float | None = None,
    pending_to: State | None = None,
) -> AlertState:
    """``alert`` in a new state begun at ``now``, outside any episode unless told."""
    return AlertState(
        rule=alert.rule,
        labels=alert.labels,
        fingerprint=alert.fingerprint,
        state=state,
        since=now,
        active_since=active_since,
        pending_to=pending_to,
    )


def _transition(
    old: AlertState, new: AlertState, observation: Observation | None, now: float
) -> Transition:
    """From ``old`` to ``new`` at ``now``, with what was observed (None: nothing was)."""
    rule = old.rule
    return Transition(
        fingerprint=old.fingerprint,
        rule=rule.name,
        labels=old.labels,
        severity=rule.severity,
        from_state=old.state,
        to_state=new.state,
        at=now,
        values=observed_values(rule, observation, now) if observation else {},
        error=observation.error if observation else None,
    )


def replay(
    alert: AlertState, observations: Iterable[tuple[float, Observation]]
) -> tuple[AlertState, list[Transition]]:
    """Step through ``(now, observation)`` pairs in order: the last state and every
    transition (for tests, back-fills and explaining an alert's history)."""
    transitions: list[Transition] = []
    for now, observation in observations:
        alert, found = step(alert, observation, now)
        transitions.extend(found)
    return alert, transitions
