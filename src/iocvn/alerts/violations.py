"""The violation log (nhật ký vi phạm, issue #5 R6: "the system automatically logs each
violation"): a rule whose ``scenario`` is one of :data:`VIOLATION_SCENARIOS`
(``industrial_emission``) writes one :class:`AlertViolation` per episode of each of its
alerts, when the alert fires.

:func:`on_transitions` listens to ``alerts.transitions`` (published by :mod:`.evaluation`
after it stored an evaluation's transitions, in the same transaction) and works inside a
savepoint: a failure here never loses the readings or the alert states. The first
``firing`` of an episode opens a row (the limits exceeded, with their units; the episode's
start is when the alert went ``pending``); later active states of the episode raise its peak;
``resolved`` closes it (``ended_at``, the peak over the whole episode from the raw readings).
Opening, raising and closing are audited as the system (``alert.violation.*``). Nothing else
ever changes or deletes a row. This module must not decide whether an alert fires: the engine
does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from iocvn.alerts import conditions, engine
from iocvn.alerts.engine import Rate, Threshold
from iocvn.alerts.engine_rules import OPS, Values
from iocvn.alerts.models_rules import AlertTransition
from iocvn.alerts.models_violations import AlertViolation
from iocvn.alerts.stored import TRANSITIONS_EVENT, Stored, dt, engine_rule
from iocvn.audit.service import record
from iocvn.auth.scope import OrgScope
from iocvn.core import events
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.ids import new_id
from iocvn.sensors.kinds import KINDS
from iocvn.sensors.models import Device, Reading

VIOLATION_SCENARIOS = frozenset({"industrial_emission"})  # khí thải khu công nghiệp
SYSTEM = Actor.system("alert-violations")
_LOWER_IS_WORSE = frozenset({"<", "<="})


def logs_violations(scenario: str | None) -> bool:
    """Whether a rule of this scenario keeps a violation log."""
    return scenario in VIOLATION_SCENARIOS


@dataclass
class _Audit:
    """Audit entries to record once the savepoint's work has succeeded (an entry recorded in a
    savepoint that rolls back would outlive the rows it describes)."""

    entries: list[tuple[str, AlertViolation, dict[str, Any] | None]] = field(default_factory=list)

    def add(self, action: str, row: AlertViolation, before: dict[str, Any] | None) -> None:
        self.entries.append((action, row, before))

    def record(self, session: Session) -> None:
        for action, row, before in self.entries:
            record(session, SYSTEM, action, target_type="alert_violation", target_id=row.id,
                   before=before, after=row.snapshot())  # fmt: skip


# --- writing the log ------------------------------------------------------------------------


def _units(session: Session, code: str | None) -> dict[str, str]:
    """Units of a device's quantities: its own, then its kind's."""
    device = session.execute(select(Device).where(Device.code == code)).scalar_one_or_none()
    if device is None:
        return {}
    kind = KINDS.get(device.kind)
    return (dict(kind.quantities) if kind else {}) | dict(device.quantities or {})


def exceeded_limits(
    rule: engine.Rule, values: Values, units: dict[str, str]
) -> list[dict[str, Any]]:
    """The thresholds and rates of a rule that its compared ``values`` break, with the value,
    the limit and the unit."""
    found = []
    for leaf in conditions.leaves(rule.condition):
        if not isinstance(leaf, Threshold | Rate):
            continue
        reduce = "rate" if isinstance(leaf, Rate) else leaf.reduce
        value = values.get(f"{reduce}({leaf.quantity})")
        if value is None or not OPS[leaf.op](value, leaf.value):
            continue
        unit = units.get(leaf.quantity, "")
        found.append({"quantity": leaf.quantity, "reduce": reduce, "op": leaf.op,
                      "limit": leaf.value, "value": value,
                      "unit": f"{unit}/min" if reduce == "rate" and unit else unit})  # fmt: skip
    return found


def _pending_since(session: Session, instance_id: str) -> datetime | None:
    """When the episode's pending period began: the transition before the firing one, when it
    went ``pending`` (None: ``for_s`` 0, or fired from another active state)."""
    rows = session.execute(
        select(AlertTransition.to_state, AlertTransition.at)
        .where(AlertTransition.instance_id == instance_id)
        .order_by(AlertTransition.id.desc())
        .limit(2)
    ).all()
    if len(rows) == 2 and rows[0][0] == "firing" and rows[1][0] == "pending":
        found: datetime = rows[1][1]
        return found
    return None


def _peak(session: Session, row: AlertViolation, until: datetime) -> float | None:
    """The worst reading of the violation's quantity from its start to ``until`` (the value
    that fired it when no raw reading is left)."""
    if row.quantity is None or row.device is None:
        return row.value
    worst = func.min if row.op in _LOWER_IS_WORSE else func.max
    found = session.execute(
        select(worst(Reading.value))
        .join(Device, Device.id == Reading.device_id)
        .where(
            Device.code == row.device,
            Reading.quantity == row.quantity,
            Reading.ts >= row.started_at,
            Reading.ts <= until,
        )
    ).scalar()
    candidates = [v for v in (found, row.value, row.peak_value) if v is not None]
    if not candidates:
        return None
    return min(candidates) if row.op in _LOWER_IS_WORSE else max(candidates)


def _open_row(session: Session, instance_id: str) -> AlertViolation | None:
    return session.execute(
        select(AlertViolation)
        .where(AlertViolation.instance_id == instance_id, AlertViolation.ended_at.is_(None))
        .order_by(AlertViolation.fired_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def _open(session: Session, item: Stored, audit: _Audit) -> AlertViolation:
    """The first ``firing`` of an episode: a new row."""
    instance, transition = item.instance, item.transition
    rule = engine_rule(item.rule)
    exceeded = exceeded_limits(rule, transition.values, _units(session, instance.device))
    first: dict[str, Any] = exceeded[0] if exceeded else {}
    if not first:  # fired without a broken limit to show (no data treated as alerting)
        leaf = next(conditions.leaves(rule.condition))
        first = {"quantity": leaf.quantity, "op": getattr(leaf, "op", None),
                 "limit": getattr(leaf, "value", None), "value": None, "unit": ""}  # fmt: skip
    fired_at = dt(transition.at)
    assert fired_at is not None
    row = AlertViolation(
        id=new_id(), rule_id=item.rule.id, instance_id=instance.id, rule_name=item.rule.name,
        device=instance.device, org_code=instance.org_code, area_code=instance.area_code,
        severity=item.rule.severity, quantity=first["quantity"], op=first["op"],
        limit_value=first["limit"], unit=first["unit"], value=first["value"],
        exceeded=exceeded, peak_value=first["value"],
        started_at=_pending_since(session, instance.id) or fired_at,
        fired_at=fired_at,
    )  # fmt: skip
    session.add(row)
    row.peak_value = _peak(session, row, fired_at)
    session.flush()
    audit.add("alert.violation.open", row, None)
    return row


def apply(session: Session, item: Stored, audit: _Audit) -> AlertViolation | None:
    """Log one stored transition of a violation-logging rule: open, raise or close the row of
    its instance's episode (None when there is nothing to log)."""
    to_state = item.transition.to_state
    at = dt(item.transition.at)
    assert at is not None
    current = _open_row(session, item.instance.id)
    new_episode = item.transition.from_state not in engine.ACTIVE
    if to_state == "firing" and (current is None or new_episode):
        return _open(session, item, audit)  # (a row left open by a lost close stays so)
    if current is None:
        return None
    before = {"peak_value": current.peak_value, "ended_at": None}
    if to_state == "resolved":
        current.peak_value = _peak(session, current, at)
        current.ended_at = at
        audit.add("alert.violation.close", current, before)
    elif to_state in engine.ACTIVE:  # the episode goes on: its peak so far
        peak = _peak(session, current, at)
        if peak == current.peak_value:
            return current
        current.peak_value = peak
        audit.add("alert.violation.update", current, before)
    else:
        return current
    session.flush()
    return current


def on_transitions(event: events.Event) -> None:
    """Handler of ``alerts.transitions`` (payload: session, stored, now): log the transitions
    of violation-logging rules in the publisher's transaction, inside a savepoint."""
    stored: Sequence[Stored] = event.payload["stored"]
    mine = [s for s in stored if logs_violations(s.rule.scenario)]
    if not mine:
        return
    session: Session = event.payload["session"]
    audit = _Audit()
    with session.begin_nested():
        for item in mine:
            apply(session, item, audit)
    audit.record(session)


def subscribe() -> None:
    """Listen to stored alert transitions (idempotent; called at start-up by ``app``)."""
    events.subscribe(TRANSITIONS_EVENT, on_transitions)


def unsubscribe() -> None:
    """Stop listening (tests)."""
    events.unsubscribe(TRANSITIONS_EVENT, on_transitions)


# --- reading the log ------------------------------------------------------------------------


@dataclass(frozen=True)
class ViolationFilter:
    """Which violations: under way at some time in ``[since, until)``, of a device, of a
    unit (``org_unit``: the device's owner)."""

    since: datetime | None = None
    until: datetime | None = None
    device: str | None = None
    org_unit: str | None = None

    def clauses(self) -> list[ColumnElement[bool]]:
        """The filter as SQL conditions (422 ``alert_violation_range_invalid``)."""
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise Invalid("alert_violation_range_invalid")
        found: list[ColumnElement[bool]] = []
        if self.since is not None:
            ended = AlertViolation.ended_at
            found.append(or_(ended.is_(None), ended >= self.since))
        if self.until is not None:
            found.append(AlertViolation.started_at < self.until)
        if self.device is not None:
            found.append(AlertViolation.device == self.device)
        if self.org_unit is not None:
            found.append(AlertViolation.org_code == self.org_unit)
        return found


def list_violations(
    session: Session, scope: OrgScope | None, where: ViolationFilter, *, limit: int = 1000
) -> list[AlertViolation]:
    """Violations in the caller's scope (devices of its unit or standing in its commune),
    latest start first."""
    query = select(AlertViolation).where(*where.clauses())
    if scope is not None:
        query = query.where(
            scope.handling_clause(AlertViolation.org_code, AlertViolation.area_code)
        )
    query = query.order_by(AlertViolation.started_at.desc(), AlertViolation.id.desc())
    return list(session.execute(query.limit(limit)).scalars())
