"""Escalation of unacknowledged alerts with controlled time: the ladder of
IOCVN_ALERT_ESCALATION (commune 15 min → province IOC 30 min → leadership), each rung told
once (its contact points and its people), audited; stopped by an acknowledgement or a
silence; a late round climbs every rung due; never twice, even with rounds side by side."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iocvn.alerts import escalation, evaluation, instances, notifications, silences
from iocvn.alerts.engine import EscalationLadder, EscalationLevel
from iocvn.audit.models import AuditEntry
from iocvn.config import Settings
from iocvn.core.errors import Invalid
from iocvn.db import session_factory
from iocvn.sensors.ingest import ingest
from tests.alerts.conftest import Clock
from tests.factories.alert_notify import (
    COMMUNE,
    IOC,
    LEADER,
    NAME,
    PUBLIC_URL,
    address,
    alert,
    contact,
    flood,
    queued,
    recipients,
)
from tests.factories.auth import ADMIN_ACTOR
from tests.factories.notify import environment
from tests.factories.sensors import ACTOR, NOW, reading

MIN = timedelta(minutes=1)
PURPOSE = escalation.PURPOSE
DUTY_1, DUTY_2 = "chihuy@langson.gov.vn", "vanphong.ubnd@langson.gov.vn"


@pytest.fixture
def firing(session: Session, clock: Clock) -> Iterator[Session]:
    """KC-LS-01 firing since NOW (the flood rule, no for_s); a contact point on each of
    rungs 1 and 2; links on the public URL."""
    with environment(IOCVN_PUBLIC_URL=PUBLIC_URL):
        flood(session)
        contact(session, "email", DUTY_1, escalation_level=1)
        contact(session, "email", DUTY_2, escalation_level=2)
        contact(session, "email", "kylua@langson.gov.vn", escalation_level=1, org="06187")
        level(session, clock, NOW, 3.4)
        assert alert(session).state == "firing"
        yield session


def level(session: Session, clock: Clock, at: datetime, value: float) -> None:
    clock.now = at
    assert ingest(session, [reading("KC-LS-01", at, currentLevel=value)], now=at).accepted == 1
    session.commit()


def climb(session: Session, at: datetime) -> list[escalation.Climbed]:
    found = escalation.escalate_due(session, at)
    session.commit()
    return found


def escalations(session: Session) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == "alert.escalate").order_by(AuditEntry.seq)
    return list(session.execute(query).scalars())


def test_the_ladder_is_read_from_the_setting() -> None:
    assert escalation.ladder() == EscalationLadder(
        (
            EscalationLevel("commune", 900.0),
            EscalationLevel("province", 1800.0),
            EscalationLevel("leadership", 0.0),
        )
    )
    two = escalation.ladder("commune:600,leadership:0")
    assert [(lv.name, lv.ack_timeout_s) for lv in two.levels] == [
        ("commune", 600.0),
        ("leadership", 0.0),
    ]
    with pytest.raises(Invalid) as refused:  # a rung below the top needs time to acknowledge
        escalation.ladder("commune:0,province:60")
    assert refused.value.code == "alert_ladder_invalid"
    with pytest.raises(ValidationError):
        Settings(alert_escalation="xa:900,tinh:1800")  # only the rungs iocvn knows


def test_unacknowledged_it_climbs_to_the_province_ioc_then_the_leaders(
    firing: Session,
) -> None:
    session = firing
    assert climb(session, NOW + 15 * MIN - timedelta(seconds=1)) == []
    (first,) = climb(session, NOW + 15 * MIN)
    assert (first.before, [r.name for r in first.reached]) == (0, ["province"])
    assert alert(session).escalation_level == 1
    told = queued(session, PURPOSE)
    # the rung's contact point (not Kỳ Lừa's: out of its reach) and the province's operators
    assert recipients(told) == Counter({("email", DUTY_1): 1, ("email", IOC): 1})
    notice = told[0]
    found = alert(session)
    assert notice.subject == f"[IOC] Chưa xác nhận sau 15 phút, chuyển Trung tâm IOC tỉnh: {NAME}"
    assert notice.body.startswith(
        "Cảnh báo dưới đây chưa được xác nhận (tiếp nhận) sau 15 phút và được chuyển "
        "Trung tâm IOC tỉnh theo dõi.\n\n"
        f"- [Cảnh báo] {NAME}: đang vượt ngưỡng\n"
        "  Thiết bị: KC-LS-01 tại Phường Đông Kinh\n"
    )
    assert f"Đề nghị xác nhận cảnh báo và chỉ đạo xử lý: {PUBLIC_URL}/alerts/{found.id}" in (
        notice.body
    )
    assert notice.reference == found.id and notice.org_code == "20"
    (entry,) = escalations(session)
    assert (entry.actor, entry.target_id) == ("alert-escalation", found.id)
    assert entry.before == {"escalation_level": 0, "rung": "commune"}
    assert entry.after is not None and entry.after["rung"] == "province"
    # the province IOC has 30 more minutes
    assert climb(session, NOW + 45 * MIN - timedelta(seconds=1)) == []
    (second,) = climb(session, NOW + 45 * MIN)
    assert [r.name for r in second.reached] == ["leadership"]
    assert alert(session).escalation_level == 2
    leaders = queued(session, PURPOSE)[2:]
    assert recipients(leaders) == Counter({("email", DUTY_2): 1, ("email", LEADER): 1})
    assert leaders[0].subject.startswith("[IOC] Chưa xác nhận sau 45 phút, chuyển lãnh đạo tỉnh")
    assert climb(session, NOW + 10 * 60 * MIN) == []  # the top: nothing above
    assert len(escalations(session)) == 2


def test_running_twice_never_escalates_twice(firing: Session, db: Engine) -> None:
    session = firing
    sessions = session_factory(db)
    escalation.subscribe()
    try:
        evaluation.run_once(sessions, NOW + 16 * MIN)
        evaluation.run_once(sessions, NOW + 16 * MIN)
    finally:
        escalation.unsubscribe()
    assert alert(session).escalation_level == 1
    assert len(escalations(session)) == 1
    assert len(queued(session, PURPOSE)) == 2


def test_rounds_side_by_side_escalate_once(firing: Session, db: Engine) -> None:
    """Four server processes' loops at once: one escalates, the others skip the round
    (PostgreSQL advisory lock) or find the rung already reached."""
    session = firing
    sessions = session_factory(db)
    barrier = threading.Barrier(4)
    done: list[object] = []

    def run() -> None:
        barrier.wait()
        done.append(evaluation.run_once(sessions, NOW + 16 * MIN))

    escalation.subscribe()
    try:
        threads = [threading.Thread(target=run) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    finally:
        escalation.unsubscribe()
    assert len(done) == 4
    assert len(escalations(session)) == 1 and len(queued(session, PURPOSE)) == 2


@pytest.mark.postgres_only
def test_an_acknowledgement_committed_meanwhile_wins(firing: Session, db: Engine) -> None:
    """A round read the alert unacknowledged; an operator acknowledges and commits before its
    update: the conditional update finds the row changed, and nothing is told."""
    session = firing
    sessions = session_factory(db)
    with sessions() as stale:
        (loaded,) = notifications.load_alerts(stale)
        with sessions() as other:
            alert_id = loaded.row.id
            instances.acknowledge(other, ACTOR, alert_id, "Đã cử tổ ứng trực", NOW + 14 * MIN, None)
            other.commit()
        assert escalation._climb(stale, loaded.row, 1) is False
        stale.commit()
    assert alert(session).escalation_level == 0


def test_an_acknowledgement_stops_the_climb(firing: Session) -> None:
    session = firing
    alert_id = alert(session).id
    instances.acknowledge(session, ACTOR, alert_id, "Đã cử tổ ứng trực", NOW + 10 * MIN, None)
    session.commit()
    assert climb(session, NOW + 2 * 60 * MIN) == []
    assert alert(session).escalation_level == 0 and queued(session, PURPOSE) == []


def test_a_late_round_climbs_every_rung_due_and_tells_each(firing: Session) -> None:
    session = firing
    (climbed,) = climb(session, NOW + 50 * MIN)
    assert [r.name for r in climbed.reached] == ["province", "leadership"]
    assert alert(session).escalation_level == 2
    assert {address(r) for r in queued(session, PURPOSE)} == {DUTY_1, IOC, DUTY_2, LEADER}
    (entry,) = escalations(session)
    assert entry.after is not None and entry.after["escalation_level"] == 2


def test_a_silenced_alert_does_not_climb_until_the_silence_ends(firing: Session) -> None:
    session = firing
    silences.create_silence(session, ADMIN_ACTOR, ['alertname=~"Mực nước.*"'], NOW + 20 * MIN,
                         "Đã biết: xả lũ hồ Bản Lải", NOW)  # fmt: skip
    session.commit()
    assert climb(session, NOW + 16 * MIN) == []
    (climbed,) = climb(session, NOW + 20 * MIN)  # over: the rung due since 15 min is reached
    assert [r.name for r in climbed.reached] == ["province"]


def test_resolution_ends_the_episode_and_the_next_one_starts_at_the_bottom(
    firing: Session, clock: Clock
) -> None:
    session = firing
    climb(session, NOW + 16 * MIN)
    assert alert(session).escalation_level == 1
    level(session, clock, NOW + 20 * MIN, 2.0)
    assert alert(session).state == "resolved" and alert(session).escalation_level == 0
    assert climb(session, NOW + 60 * MIN) == []
    level(session, clock, NOW + 70 * MIN, 3.8)  # fires again
    assert climb(session, NOW + 84 * MIN) == []
    (again,) = climb(session, NOW + 85 * MIN)
    assert (again.before, [r.name for r in again.reached]) == (0, ["province"])


def test_a_commune_rung_tells_the_unit_and_commune_officers(session: Session, clock: Clock) -> None:
    flood(session)
    level(session, clock, NOW, 3.4)
    with environment(IOCVN_ALERT_ESCALATION="province:300,commune:300,leadership:0"):
        (climbed,) = climb(session, NOW + 5 * MIN)
    assert [r.name for r in climbed.reached] == ["commune"]
    # the gauge's unit (the province: its operators) and the commune it stands in
    assert {address(r) for r in queued(session, PURPOSE)} == {IOC, COMMUNE}
