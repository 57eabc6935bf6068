"""Alert rules evaluated on the database with controlled time: readings ingested through
``sensors.ingest`` step the rules watching their device (in the same transaction), and
``evaluate_all`` makes what time alone changes (pending → firing after ``for_s``, no data)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from iocvn.alerts import evaluation, instances, rules
from iocvn.alerts.models_rules import AlertInstance, AlertTransition
from iocvn.audit.models import AuditEntry
from iocvn.core.errors import Conflict
from iocvn.db import session_factory
from iocvn.sensors.ingest import ingest
from tests.alerts.conftest import Clock
from tests.factories.alerts import rule
from tests.factories.sensors import ACTOR, NOW, device, reading, units

MIN = timedelta(minutes=1)


def _level(
    session: Session, clock: Clock, at: datetime, value: float, code: str = "KC-LS-01"
) -> None:
    clock.now = at
    report = ingest(session, [reading(code, at, currentLevel=value)], now=at)
    assert report.accepted == 1, report
    session.commit()


def _instance(session: Session) -> AlertInstance:
    session.expire_all()
    return session.execute(select(AlertInstance)).scalar_one()


def _path(session: Session) -> list[tuple[str, str]]:
    session.expire_all()
    rows = session.execute(select(AlertTransition).order_by(AlertTransition.id)).scalars()
    return [(t.from_state, t.to_state) for t in rows]


@pytest.fixture
def gauge(session: Session) -> Session:
    """The province and the Kỳ Cùng gauge (every 5 minutes), with the rule ``> 3 m for 10 min``."""
    units(session)
    device(session)
    rule(session)
    return session


def test_a_threshold_goes_pending_fires_after_for_s_and_resolves(
    gauge: Session, clock: Clock
) -> None:
    session = gauge
    _level(session, clock, NOW - 5 * MIN, 2.5)
    assert session.execute(select(func.count(AlertInstance.id))).scalar() == 0  # normal: no row
    _level(session, clock, NOW, 3.4)
    alert = _instance(session)
    assert alert.state == "pending" and alert.pending_to == "firing" and alert.since == NOW
    assert alert.value == 3.4 and alert.labels["device"] == "KC-LS-01"
    assert alert.labels["alertname"] == "Mực nước sông Kỳ Cùng vượt báo động 1"
    _level(session, clock, NOW + 5 * MIN, 3.6)
    assert _instance(session).state == "pending"  # 5 of the 10 minutes
    # no new reading: time alone fires it, at the loop's next round
    report = evaluation.evaluate_all(session, NOW + 10 * MIN - timedelta(seconds=1))
    assert report.transitions == []
    report = evaluation.evaluate_all(session, NOW + 10 * MIN)
    session.commit()
    assert [t.to_state for t in report.transitions] == ["firing"]
    alert = _instance(session)
    assert alert.state == "firing" and alert.active_since == NOW + 10 * MIN
    assert alert.values == {"last(currentLevel)": 3.6}
    # a second round changes nothing
    assert evaluation.evaluate_all(session, NOW + 11 * MIN).transitions == []
    _level(session, clock, NOW + 15 * MIN, 2.9)
    assert _instance(session).state == "resolved"
    _level(session, clock, NOW + 20 * MIN, 2.8)
    assert _instance(session).state == "normal"
    assert _path(session) == [
        ("normal", "pending"),
        ("pending", "firing"),
        ("firing", "resolved"),
        ("resolved", "normal"),
    ]
    notifies = session.execute(
        select(AlertTransition.to_state).where(AlertTransition.notifies)
    ).scalars()
    assert sorted(notifies) == ["firing", "resolved"]


def test_a_flap_within_for_s_never_fires(gauge: Session, clock: Clock) -> None:
    session = gauge
    _level(session, clock, NOW, 3.4)
    _level(session, clock, NOW + 5 * MIN, 2.0)
    evaluation.evaluate_all(session, NOW + 12 * MIN)
    session.commit()
    assert _instance(session).state == "normal"
    assert _path(session) == [("normal", "pending"), ("pending", "normal")]


def test_a_silent_device_becomes_no_data(gauge: Session, clock: Clock) -> None:
    session = gauge
    _level(session, clock, NOW, 2.0)
    # 3 expected intervals (15 min) without a reading: no data, then after for_s, NoData
    assert evaluation.evaluate_all(session, NOW + 15 * MIN - timedelta(seconds=1)).transitions == []
    evaluation.evaluate_all(session, NOW + 15 * MIN)
    assert _instance(session).state == "pending" and _instance(session).pending_to == "no_data"
    evaluation.evaluate_all(session, NOW + 25 * MIN)
    session.commit()
    assert _instance(session).state == "no_data"
    _level(session, clock, NOW + 26 * MIN, 2.1)
    assert _instance(session).state == "resolved"


def test_readings_of_other_devices_and_quantities_are_not_evaluated(
    gauge: Session, clock: Clock
) -> None:
    session = gauge
    device(session, "KC-LS-02")
    clock.now = NOW
    ingest(session, [reading("KC-LS-02", NOW, currentLevel=9.0)], now=NOW)
    report = evaluation.evaluate_readings(
        session, [{"device": "KC-LS-02", "quantity": "currentLevel"}], NOW
    )
    assert report.evaluated == 0
    assert session.execute(select(func.count(AlertInstance.id))).scalar() == 0


def test_a_disabled_rule_is_not_evaluated(gauge: Session, clock: Clock) -> None:
    session = gauge
    found = rules.list_rules(session)[0]
    rules.disable_rule(session, ACTOR, found)
    session.commit()
    _level(session, clock, NOW, 5.0)
    assert evaluation.evaluate_all(session, NOW + 20 * MIN).evaluated == 0
    with pytest.raises(Conflict):
        rules.disable_rule(session, ACTOR, found)


def test_acknowledgement_is_kept_for_the_episode_and_cleared_on_resolution(
    gauge: Session, clock: Clock
) -> None:
    session = gauge
    _level(session, clock, NOW, 3.4)
    with pytest.raises(Conflict) as refused:  # pending: nothing to acknowledge yet
        instances.acknowledge(session, ACTOR, _instance(session).id, "đang xem", NOW, None)
    assert refused.value.code == "alert_not_active"
    session.rollback()
    evaluation.evaluate_all(session, NOW + 10 * MIN)
    alert_id = _instance(session).id
    instances.acknowledge(session, ACTOR, alert_id, "Đã cử tổ ứng trực", NOW + 11 * MIN, None)
    session.commit()
    alert = _instance(session)
    assert alert.acknowledged_by == "ky-thuat" and alert.ack_comment == "Đã cử tổ ứng trực"
    with pytest.raises(Conflict) as twice:
        instances.acknowledge(session, ACTOR, alert_id, "lần nữa", NOW + 12 * MIN, None)
    assert twice.value.code == "alert_already_acknowledged"
    session.rollback()
    _level(session, clock, NOW + 13 * MIN, 3.9)  # still firing: the ack stays
    assert _instance(session).acknowledged_by == "ky-thuat"
    _level(session, clock, NOW + 14 * MIN, 1.0)
    alert = _instance(session)
    assert alert.state == "resolved" and alert.acknowledged_by is None
    actions = session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars()
    assert list(actions).count("alert.ack") == 1


def test_concurrent_rounds_never_double_fire(gauge: Session, clock: Clock, db: Engine) -> None:
    """Two server processes' loops at once: one fires the alert, the other skips the round
    (PostgreSQL advisory lock) or finds it firing already."""
    session = gauge
    _level(session, clock, NOW, 3.4)
    sessions = session_factory(db)
    barrier = threading.Barrier(4)
    results: list[object] = []

    def run() -> None:
        barrier.wait()
        results.append(evaluation.run_once(sessions, NOW + 10 * MIN))

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 4
    fired = session.execute(
        select(func.count(AlertTransition.id)).where(AlertTransition.to_state == "firing")
    ).scalar()
    assert fired == 1
    assert _instance(session).state == "firing"
