"""Notification grouping as in Prometheus Alertmanager: alerts folded by fingerprint, grouped
by chosen labels, and when each group is due a notification (``group_wait``,
``group_interval``, ``repeat_interval``). Pure: ``now`` is passed; the caller stores the
groups, sends the notifications and records them with ``mark_sent``.

Each evaluation round: ``groups = regroup(groups, alerts, policy, now, silences)``, then for
each notification of ``due_notifications(groups, now)``: send it, then ``mark_sent``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Literal, NoReturn

from iocvn.alerts import engine_messages  # noqa: F401  (registers the engine's texts)
from iocvn.alerts.engine_labels import Labels
from iocvn.alerts.engine_rules import State
from iocvn.alerts.engine_silences import Silence, is_silenced
from iocvn.alerts.engine_state import AlertState
from iocvn.core.errors import Invalid

Reason = Literal["first", "update", "repeat"]
ALL_LABELS = "..."  # group_by=("...",): every distinct label set is its own group


def _invalid(problem: str) -> NoReturn:
    raise Invalid("alert_grouping_invalid", details={"problem": problem}, problem=problem)


@dataclass(frozen=True, slots=True)
class GroupPolicy:
    """How a receiver's alerts are grouped and paced (Alertmanager's defaults)."""

    group_by: tuple[str, ...] = ("alertname",)
    group_wait_s: float = 30.0
    group_interval_s: float = 300.0
    repeat_interval_s: float = 4 * 3600.0
    name: str = "default"

    def __post_init__(self) -> None:
        times = (self.group_wait_s, self.group_interval_s, self.repeat_interval_s)
        if not all(t >= 0 and math.isfinite(t) for t in times) or self.group_interval_s == 0:
            _invalid("group_wait ≥ 0, group_interval > 0 and repeat_interval ≥ 0 (seconds)")

    def key(self, labels: Labels) -> Labels:
        """The group an alert with these labels belongs to: its values of ``group_by``."""
        if ALL_LABELS in self.group_by:
            return labels
        wanted = self.group_by
        return tuple((name, value) for name, value in labels if name in wanted)


@dataclass(frozen=True, slots=True)
class AlertGroup:
    """Alerts that are notified together. ``firing``: active and not silenced; ``resolved``:
    notified as active, no longer active, not yet notified as resolved. ``notified``: the
    (fingerprint, state) pairs the last notification reported active."""

    key: Labels
    policy: GroupPolicy
    created_at: float
    firing: tuple[AlertState, ...] = ()
    resolved: tuple[AlertState, ...] = ()
    flushed_at: float | None = None
    notified: tuple[tuple[str, State], ...] = ()


@dataclass(frozen=True, slots=True)
class Notification:
    """One message to a receiver about one group."""

    key: Labels
    policy: str
    reason: Reason
    at: float
    firing: tuple[AlertState, ...]
    resolved: tuple[AlertState, ...]


def fold(alerts: Iterable[AlertState]) -> dict[str, AlertState]:
    """One alert per fingerprint (duplicates folded by labels): an active one before an
    inactive one, then the latest to change state, then the first given."""
    best: dict[str, AlertState] = {}
    for alert in alerts:
        kept = best.get(alert.fingerprint)
        if kept is None or _rank(alert) > _rank(kept):
            best[alert.fingerprint] = alert
    return best


def _rank(alert: AlertState) -> tuple[bool, float]:
    return alert.active, -math.inf if alert.since is None else alert.since


def regroup(
    groups: Iterable[AlertGroup],
    alerts: Iterable[AlertState],
    policy: GroupPolicy,
    now: float,
    silences: Iterable[Silence] = (),
) -> tuple[AlertGroup, ...]:
    """This round's groups of ``policy`` from the last round's and the alerts now (pass
    every active alert and every one a group has notified). A group is created at ``now`` by
    its first member, keeps its timing while it has members, and is dropped without any."""
    previous = {g.key: g for g in groups}
    silences = tuple(silences)
    firing: dict[Labels, list[AlertState]] = {}
    resolved: dict[Labels, list[AlertState]] = {}
    for fp, alert in sorted(fold(alerts).items()):
        key = policy.key(alert.labels)
        if alert.active:
            if not is_silenced(alert.labels, silences, now):
                firing.setdefault(key, []).append(alert)
        elif key in previous and any(fp == n for n, _ in previous[key].notified):
            resolved.setdefault(key, []).append(alert)
    result = []
    for key in sorted(firing.keys() | resolved.keys()):
        before = previous.get(key)
        result.append(
            AlertGroup(
                key=key,
                policy=policy,
                created_at=now if before is None else before.created_at,
                firing=tuple(firing.get(key, ())),
                resolved=tuple(resolved.get(key, ())),
                flushed_at=None if before is None else before.flushed_at,
                notified=() if before is None else before.notified,
            )
        )
    return tuple(result)


def due_notifications(groups: Iterable[AlertGroup], now: float) -> list[Notification]:
    """The notifications due at ``now``: a group's first ``group_wait`` after it was created;
    then, at least ``group_interval`` after the last, one when an alert is new or changed
    state or was resolved, or a reminder once ``repeat_interval`` has passed."""
    due = []
    for group in groups:
        reason = _reason(group, now)
        if reason is not None:
            due.append(
                Notification(
                    key=group.key,
                    policy=group.policy.name,
                    reason=reason,
                    at=now,
                    firing=group.firing,
                    resolved=group.resolved,
                )
            )
    return due


def _reason(group: AlertGroup, now: float) -> Reason | None:
    policy = group.policy
    if group.flushed_at is None:
        if group.firing and now >= group.created_at + policy.group_wait_s:
            return "first"
        return None
    if now < group.flushed_at + policy.group_interval_s:
        return None
    notified: Mapping[str, State] = dict(group.notified)
    if group.resolved or any(notified.get(a.fingerprint) != a.state for a in group.firing):
        return "update"
    if group.firing and now >= group.flushed_at + policy.repeat_interval_s:
        return "repeat"
    return None


def mark_sent(group: AlertGroup, notification: Notification) -> AlertGroup:
    """``group`` after ``notification`` was sent: its clock restarts, what it reported as
    active is remembered, what it reported resolved is forgotten."""
    return replace(
        group,
        flushed_at=notification.at,
        notified=tuple(sorted((a.fingerprint, a.state) for a in notification.firing)),
        resolved=(),
    )
