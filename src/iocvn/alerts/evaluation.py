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
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from iocvn.alerts import engine
from iocvn.alerts.models_rules import AlertInstance, AlertRule
from iocvn.alerts.stored import (
    Stored,
    alert_state,
    engine_rule,
    series_labels,
    store_state,
    store_transition,
)
from iocvn.alerts.stored import announce as announce_stored
from iocvn.core import events
from iocvn.core import jobs as background
from iocvn.core.http import begin_writing
from iocvn.core.ids import new_id
from iocvn.core.jobs import Loop
from iocvn.core.timeutil import utcnow
from iocvn.sensors import directory
from iocvn.sensors.directory import DeviceInfo
from iocvn.sensors.models import Device, Latest, Reading

log = logging.getLogger("iocvn.alerts")
READINGS_EVENT = "sensors.readings"
ROUND_EVENT = "alerts.round"  # payload: session, now — the loop's locked round, after evaluating
LOCK_KEY = 4_060_001  # pg_try_advisory_xact_lock key of the evaluation loop
CHUNK = 500  # devices per query of an evaluation (bound parameters stay few)
FUTURE = timedelta(minutes=5)  # ingestion accepts readings up to 5 minutes ahead
clock: Callable[[], datetime] = utcnow  # the time of evaluations on ingestion (tests set it)


@dataclass
class EvalReport:
    """What one evaluation did: series evaluated and the transitions it stored."""

    evaluated: int = 0
    transitions: list[engine.Transition] = field(default_factory=list)
    stored: list[Stored] = field(default_factory=list)


def announce(session: Session, report: EvalReport, now: datetime) -> None:
    """Publish ``alerts.transitions`` for what an evaluation stored (notifications, the
    violation log…: listeners work in the same transaction, each in its own savepoint)."""
    announce_stored(session, report.stored, now)


def _samples(
    session: Session, infos: Sequence[DeviceInfo], rule: engine.Rule, now: datetime
) -> dict[int, dict[str, list[engine.Sample]]]:
    """Each device's samples of the rule's quantities over its look-back, oldest first (one
    query for all the devices). A rule reading only the newest sample (``last`` thresholds,
    absence) gets it from the latest values, kept on ingestion in the same transaction, not
    from every reading of the window (a device reporting each second has hundreds)."""
    table: Any = Latest if rule.newest_only else Reading
    since = now - timedelta(seconds=rule.lookback_s)
    rows = session.execute(
        select(table.device_id, table.quantity, table.ts, table.value)
        .where(
            table.device_id.in_(sorted({i.id for i in infos})),
            table.quantity.in_(sorted(rule.quantities)),
            table.ts > since,
            table.ts <= now + FUTURE,
        )
        .order_by(table.device_id, table.quantity, table.ts)
    )
    found: dict[int, dict[str, list[engine.Sample]]] = defaultdict(lambda: defaultdict(list))
    for device_id, quantity, at, value in rows:
        found[device_id][quantity].append((at.timestamp(), value))
    return found


def _instances(
    session: Session, row: AlertRule, fingerprints: Iterable[str]
) -> dict[str, AlertInstance]:
    """The stored instances of a rule among these fingerprints, locked (PostgreSQL) in
    fingerprint order, so two evaluations never deadlock."""
    found = session.execute(
        select(AlertInstance)
        .where(AlertInstance.rule_id == row.id, AlertInstance.fingerprint.in_(sorted(fingerprints)))
        .order_by(AlertInstance.fingerprint)
        .with_for_update()
    ).scalars()
    return {i.fingerprint: i for i in found}


def evaluate_rule(
    session: Session,
    row: AlertRule,
    rule: engine.Rule,
    infos: Sequence[DeviceInfo],
    now: datetime,
    report: EvalReport,
) -> None:
    """Step one rule over these devices' series at ``now`` and store their states and
    transitions: two queries (instances, samples) per :data:`CHUNK` devices."""
    for start in range(0, len(infos), CHUNK):
        _evaluate_chunk(session, row, rule, infos[start : start + CHUNK], now, report)


def _evaluate_chunk(
    session: Session,
    row: AlertRule,
    rule: engine.Rule,
    infos: Sequence[DeviceInfo],
    now: datetime,
    report: EvalReport,
) -> None:
    fresh = {info.id: engine.new_alert(rule, series_labels(info)) for info in infos}
    instances = _instances(session, row, (a.fingerprint for a in fresh.values()))
    samples = _samples(session, infos, rule, now)
    at = now.timestamp()
    for info in infos:
        alert = fresh[info.id]
        instance = instances.get(alert.fingerprint)
        current = alert if instance is None else alert_state(instance, rule)
        observation = engine.Observation(samples=dict(samples.get(info.id, {})))
        new, transitions = engine.step(current, observation, at)
        report.evaluated += 1
        if instance is None:
            if not transitions:
                continue  # normal and staying so: no row
            instance = AlertInstance(
                id=new_id(), rule_id=row.id, fingerprint=alert.fingerprint,
                labels=dict(alert.labels), device=info.code, org_code=info.org_code,
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
            report.transitions.append(t)
            report.stored.append(store_transition(session, instance, row, t, now))


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
    series = [(code, info, series_labels(info)) for code, info in sorted(infos.items())]
    for row, rule in rules:
        # a group rule watches the selected devices that measure all it reads
        watched = [
            info
            for code, info, labels in series
            if rule.quantities & quantities[code]
            and rule.selects(labels)
            and rule.quantities <= info.quantities
        ]
        evaluate_rule(session, row, rule, watched, now, report)
    session.flush()
    announce(session, report, now)
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
        watched = [
            info
            for info, labels in series
            if rule.selects(labels) and rule.quantities <= info.quantities
        ]
        evaluate_rule(session, row, rule, watched, now, report)
    session.flush()
    announce(session, report, now)
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
        at = now or utcnow()
        report = evaluate_all(session, at)
        # time-driven work under the same lock: due notification groups, escalation
        events.publish(ROUND_EVENT, session=session, now=at)
        return report

    report = background.run_locked(sessions, LOCK_KEY, work, log)
    if report is not None and report.transitions:
        log.info("alert evaluation round", extra={"transitions": len(report.transitions)})
    return report


def evaluation_loop(sessions: sessionmaker[Session], interval: float = 15.0) -> Loop:
    """The loop of ``iocvn serve`` (not started)."""
    return Loop("iocvn-alerts", interval, lambda: run_once(sessions))
