"""Evaluating alert rules on the database (issue #5): the pure engine's ``step`` for each
rule × device series, its state and transitions stored in the caller's transaction.

- :func:`evaluate_readings` runs when readings arrive: ingestion publishes
  ``sensors.readings`` (payload: the stored readings and the session) and :func:`on_readings`
  evaluates the enabled rules watching those devices in the same transaction, inside a
  savepoint (a failure drops the evaluation, never the readings).
- :func:`evaluate_all` runs every rule over every device it selects: the transitions time
  alone makes (``pending`` → ``firing`` after ``for_s`` without a new reading; no data once a
  device falls silent). ``iocvn serve`` runs it in a loop (:func:`evaluation_loop`) under a
  PostgreSQL advisory lock, so with several server processes each round runs on one of them.

An instance's row is read ``FOR UPDATE`` (PostgreSQL), so an evaluation on ingestion and the
loop never both fire the same alert; an instance gets a row once it first leaves ``normal``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from iocvn.alerts import engine
from iocvn.alerts.models_rules import AlertInstance, AlertRule, AlertTransition
from iocvn.alerts.rules import alert_state, dt, engine_rule, series_labels, store_state
from iocvn.core import events
from iocvn.core import jobs as background
from iocvn.core.http import begin_writing
from iocvn.core.ids import new_id
from iocvn.core.jobs import Loop
from iocvn.core.timeutil import utcnow
from iocvn.sensors import directory
from iocvn.sensors.directory import DeviceInfo
from iocvn.sensors.models import Device, Reading

log = logging.getLogger("iocvn.alerts")
READINGS_EVENT = "sensors.readings"
LOCK_KEY = 4_060_001  # pg_try_advisory_xact_lock key of the evaluation loop
FUTURE = timedelta(minutes=5)  # ingestion accepts readings up to 5 minutes ahead
clock: Callable[[], datetime] = utcnow  # the time of evaluations on ingestion (tests set it)


@dataclass
class EvalReport:
    """What one evaluation did: series evaluated and the transitions it stored."""

    evaluated: int = 0
    transitions: list[engine.Transition] = field(default_factory=list)


def _samples(
    session: Session, info: DeviceInfo, rule: engine.Rule, now: datetime
) -> dict[str, list[engine.Sample]]:
    """The device's samples of the rule's quantities over its look-back, oldest first."""
    since = now - timedelta(seconds=rule.lookback_s)
    rows = session.execute(
        select(Reading.quantity, Reading.ts, Reading.value)
        .where(
            Reading.device_id == info.id,
            Reading.quantity.in_(sorted(rule.quantities)),
            Reading.ts > since,
            Reading.ts <= now + FUTURE,
        )
        .order_by(Reading.quantity, Reading.ts)
    )
    found: dict[str, list[engine.Sample]] = defaultdict(list)
    for quantity, at, value in rows:
        found[quantity].append((at.timestamp(), value))
    return dict(found)


def evaluate_one(
    session: Session,
    row: AlertRule,
    rule: engine.Rule,
    info: DeviceInfo,
    now: datetime,
    report: EvalReport,
) -> None:
    """Step one rule × device series at ``now`` and store its state and transition."""
    labels = series_labels(info)
    fresh = engine.new_alert(rule, labels)
    instance = session.execute(
        select(AlertInstance)
        .where(AlertInstance.rule_id == row.id, AlertInstance.fingerprint == fresh.fingerprint)
        .with_for_update()
    ).scalar_one_or_none()
    current = fresh if instance is None else alert_state(instance, rule)
    observation = engine.Observation(samples=_samples(session, info, rule, now))
    at = now.timestamp()
    new, transitions = engine.step(current, observation, at)
    report.evaluated += 1
    if instance is None:
        if not transitions:
            return  # normal and staying so: no row
        instance = AlertInstance(
            id=new_id(), rule_id=row.id, fingerprint=fresh.fingerprint,
            labels=dict(fresh.labels), device=info.code, org_code=info.org_code,
            area_code=info.area_code,
        )  # fmt: skip
        session.add(instance)
    values = engine.observed_values(rule, observation, at)
    instance.values = dict(values)
    instance.value = next(iter(values.values()), None)
    instance.last_eval = now
    if new is not current:
        store_state(instance, new)
    for t in transitions:
        session.add(
            AlertTransition(
                instance_id=instance.id, rule_id=row.id, fingerprint=t.fingerprint,
                from_state=t.from_state, to_state=t.to_state, at=dt(t.at) or now,
                values=dict(t.values), error=t.error, notifies=t.notifies,
            )
        )  # fmt: skip
        report.transitions.append(t)


def _enabled(session: Session) -> list[tuple[AlertRule, engine.Rule]]:
    rows = session.execute(
        select(AlertRule).where(AlertRule.enabled.is_(True)).order_by(AlertRule.id)
    ).scalars()
    found = []
    for row in rows:
        try:
            found.append((row, engine_rule(row)))
        except Exception:  # a rule the engine refuses (stored by hand) must not stop the others
            log.exception("alert rule not loadable", extra={"rule": row.id})
    return found


def evaluate_readings(
    session: Session,
    readings: Iterable[Mapping[str, Any]],
    now: datetime,
    rules: list[tuple[AlertRule, engine.Rule]] | None = None,
) -> EvalReport:
    """Evaluate, at ``now``, the enabled rules (``rules``, when the caller loaded them)
    watching the devices and quantities of these readings (``{device, quantity, ts, value,
    out_of_range}``)."""
    quantities: dict[str, set[str]] = defaultdict(set)
    for r in readings:
        quantities[str(r["device"])].add(str(r["quantity"]))
    report = EvalReport()
    if not quantities:
        return report
    rules = _enabled(session) if rules is None else rules
    if not rules:
        return report
    infos = directory.lookup(session, quantities)
    series = [(code, info, series_labels(info)) for code, info in infos.items()]
    for row, rule in rules:
        for code, info, labels in series:
            if rule.quantities & quantities[code] and rule.selects(labels):
                evaluate_one(session, row, rule, info, now, report)
    session.flush()
    return report


def evaluate_all(session: Session, now: datetime) -> EvalReport:
    """Evaluate every enabled rule over every active device it selects, at ``now``."""
    report = EvalReport()
    rules = _enabled(session)
    if not rules:
        return report
    codes = session.execute(select(Device.code).where(Device.status == "active")).scalars()
    infos = directory.lookup(session, list(codes))
    series = [(info, series_labels(info)) for _, info in sorted(infos.items())]
    for row, rule in rules:
        for info, labels in series:
            if rule.selects(labels):
                evaluate_one(session, row, rule, info, now, report)
    session.flush()
    return report


def on_readings(event: events.Event) -> None:
    """Handler of ``sensors.readings`` (payload: readings, session): evaluate in the
    publisher's transaction, inside a savepoint."""
    session: Session = event.payload["session"]
    rules = _enabled(session)
    if not rules:  # no SAVEPOINT round trips on every batch of a province without rules
        return
    with session.begin_nested():
        evaluate_readings(session, event.payload["readings"], clock(), rules)


def subscribe() -> None:
    """Listen to stored readings (idempotent; called at start-up by ``app``)."""
    events.subscribe(READINGS_EVENT, on_readings)


def unsubscribe() -> None:
    """Stop listening (tests)."""
    events.unsubscribe(READINGS_EVENT, on_readings)


def run_once(sessions: sessionmaker[Session], now: datetime | None = None) -> EvalReport | None:
    """One round of :func:`evaluate_all` in its own transaction, on one node only (None when
    another node holds the lock, or the round failed: logged)."""

    def work(session: Session) -> EvalReport:
        begin_writing(session)  # SQLite: take the write lock before reading the states
        return evaluate_all(session, now or utcnow())

    report = background.run_locked(sessions, LOCK_KEY, work, log)
    if report is not None and report.transitions:
        log.info("alert evaluation round", extra={"transitions": len(report.transitions)})
    return report


def evaluation_loop(sessions: sessionmaker[Session], interval: float = 15.0) -> Loop:
    """The loop of ``iocvn serve`` (not started)."""
    return Loop("iocvn-alerts", interval, lambda: run_once(sessions))
