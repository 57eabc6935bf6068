"""Alert rules and alerts as the pure engine sees them (:mod:`.engine`), and back: a rule
row's engine rule and condition, an instance row's state, a transition added to an alert's
history and announced (``alerts.transitions``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from iocvn.alerts import conditions, engine
from iocvn.alerts.engine import AlertState, Matcher, State
from iocvn.alerts.models_rules import AlertInstance, AlertRule, AlertTransition
from iocvn.core import events
from iocvn.core.errors import Invalid
from iocvn.sensors.directory import DeviceInfo

TRANSITIONS_EVENT = "alerts.transitions"  # payload: session, stored (list[Stored]), now


def ts(at: datetime | None) -> float | None:
    """Seconds since the epoch (the engine's time) of a datetime, None kept."""
    return None if at is None else at.timestamp()


def dt(at: float | None) -> datetime | None:
    """The UTC datetime of the engine's seconds since the epoch, None kept."""
    return None if at is None else datetime.fromtimestamp(at, UTC)


def series_labels(info: DeviceInfo) -> dict[str, str]:
    """The labels of a device's series: ``device``, ``kind``, ``org_unit`` and ``area`` (the
    commune it stands in, when known)."""
    labels = {"device": info.code, "kind": info.kind, "org_unit": info.org_code}
    if info.area_code:
        labels["area"] = info.area_code
    return labels


def rule_condition(row: AlertRule) -> engine.Condition:
    """The engine's condition of a stored rule: its ``condition``, or (rules made before
    conditions) the threshold of its flat ``quantity``, ``op`` and ``value``."""
    if row.condition is not None:
        return conditions.parse(row.condition, row.interval_s)
    if row.quantity is None or row.op is None or row.value is None:
        problem = "a rule needs a condition"
        raise Invalid("alert_rule_invalid", details={"problem": problem}, problem=problem)
    return engine.Threshold(row.quantity, cast(Any, row.op), row.value)


def condition_json(row: AlertRule) -> dict[str, Any] | None:
    """A rule's condition as JSON, derived from the flat columns for older rules (as stored
    when the row cannot be read: a rule edited by hand)."""
    try:
        return conditions.dump(rule_condition(row), row.interval_s)
    except Invalid:
        return row.condition


def engine_rule(row: AlertRule) -> engine.Rule:
    """The engine's rule of a stored rule."""
    selector = tuple(Matcher.parse(m) for m in row.selector)
    if row.device:
        selector = (Matcher("device", "=", row.device), *selector)
    return engine.Rule(
        name=row.name,
        condition=rule_condition(row),
        selector=selector,
        for_s=row.for_s,
        severity=cast(Any, row.severity),
        labels=engine.as_labels(row.labels or {}),
        scenario=row.scenario,
        interval_s=row.interval_s,
        no_data_state=cast(Any, row.no_data_state or "NoData"),
    )


def alert_state(row: AlertInstance, rule: engine.Rule) -> AlertState:
    """The engine's state of a stored instance."""
    ack = None
    if row.acknowledged_by is not None and row.acknowledged_at is not None:
        ack = engine.Acknowledgement(
            by=row.acknowledged_by, at=row.acknowledged_at.timestamp(), comment=row.ack_comment
        )
    return AlertState(
        rule=rule,
        labels=engine.as_labels(row.labels),
        fingerprint=row.fingerprint,
        state=cast(State, row.state),
        since=ts(row.since),
        active_since=ts(row.active_since),
        pending_to=cast(State | None, row.pending_to),
        ack=ack,
        escalation_level=row.escalation_level,
    )


def store_state(row: AlertInstance, alert: AlertState) -> None:
    """Copy the engine's state into the row."""
    row.state = alert.state
    row.since = dt(alert.since)
    row.active_since = dt(alert.active_since)
    row.pending_to = alert.pending_to
    row.acknowledged_by = alert.ack.by if alert.ack else None
    row.acknowledged_at = dt(alert.ack.at) if alert.ack else None
    row.ack_comment = alert.ack.comment if alert.ack else ""
    row.escalation_level = alert.escalation_level


@dataclass(frozen=True)
class Stored:
    """A transition as stored: its instance row (flushed, in the session) and rule row."""

    instance: AlertInstance
    rule: AlertRule
    transition: engine.Transition


def store_transition(
    session: Session, instance: AlertInstance, rule: AlertRule, t: engine.Transition, now: datetime
) -> Stored:
    """Add a transition to an alert's history (in the session, not flushed)."""
    session.add(
        AlertTransition(
            instance_id=instance.id, rule_id=rule.id, fingerprint=t.fingerprint,
            from_state=t.from_state, to_state=t.to_state, at=dt(t.at) or now,
            values=dict(t.values), error=t.error, notifies=t.notifies,
        )
    )  # fmt: skip
    return Stored(instance, rule, t)


def announce(session: Session, stored: Sequence[Stored], now: datetime) -> None:
    """Publish ``alerts.transitions`` for stored transitions (notifications, the violation
    log…: listeners work in the same transaction, each in its own savepoint)."""
    if stored:
        session.flush()
        events.publish(TRANSITIONS_EVENT, session=session, stored=list(stored), now=now)
