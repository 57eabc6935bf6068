"""Alert notifications with controlled time: readings ingested (``evaluation.clock``) and
loop rounds (``now``) step the rules; transitions that notify are routed to contact points
and to the officers of the devices' units, grouped (group_wait 0, group_interval 60 s,
repeat 4 h) and queued in the outbox in the same transaction. Silences, pending and quiet
returns are never told; resolutions are. And the issue's test: a webhook that fails is
retried with back-off and ends on the dead-letter list while the e-mail of the same alert is
delivered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from iocvn.alerts import contacts, evaluation, notifications, rules, silences
from iocvn.alerts.models_notify import AlertGroupState
from iocvn.alerts.models_rules import AlertInstance, AlertTransition
from iocvn.db import session_factory
from iocvn.notify import delivery
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Reading
from tests.alerts.conftest import Clock
from tests.factories.alert_notify import (
    COMMUNE,
    DUTY,
    IOC,
    NAME,
    PUBLIC_URL,
    address,
    alert,
    contact,
    flood,
    queued,
    recipients,
)
from tests.factories.auth import bearer
from tests.factories.notify import SmtpSink, environment, smtp_env, smtp_server
from tests.factories.sensors import ACTOR, NOW, reading
from tests.factories.webhooks import Receiver, webhook_receiver

MIN = timedelta(minutes=1)
PURPOSE = notifications.PURPOSE


@pytest.fixture
def hook() -> Iterator[tuple[Receiver, str]]:
    """A webhook receiver, allowed by IOCVN_WEBHOOK_HOSTS; links built on the public URL."""
    with (
        webhook_receiver() as found,
        environment(IOCVN_WEBHOOK_HOSTS="127.0.0.1", IOCVN_PUBLIC_URL=PUBLIC_URL),
    ):
        yield found


@pytest.fixture
def routed(clock: Clock) -> Iterator[Clock]:
    """Notifications listening (evaluation on ingestion too, at ``clock.now``)."""
    notifications.subscribe()
    yield clock
    notifications.unsubscribe()


@pytest.fixture
def world(session: Session, hook: tuple[Receiver, str], routed: Clock) -> Session:
    """The flood rules (no ``for_s``), the IOC's duty mailbox and a webhook (rung 0)."""
    flood(session)
    contact(session, "email", DUTY)
    contact(session, "webhook", hook[1])
    return session


def level(session: Session, clock: Clock, at: datetime, **values: float) -> None:
    """Readings of the gauges (``KC_LS_01=3.4``) at ``at``, ingested and committed."""
    clock.now = at
    batch = [reading(code.replace("_", "-"), at, currentLevel=v) for code, v in values.items()]
    assert ingest(session, batch, now=at).accepted == len(batch)
    session.commit()


def count(session: Session, model: type[object]) -> int:
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_firing_queues_one_message_per_destination_in_vietnamese(
    world: Session, clock: Clock, hook: tuple[Receiver, str]
) -> None:
    session = world
    level(session, clock, NOW, KC_LS_01=3.4)
    rows = queued(session, PURPOSE)
    # the two contact points, and the officers of the gauge's unit (the province: its
    # operators) and of the commune it stands in; never the leader, Kỳ Lừa or the viewer
    assert recipients(rows) == Counter(
        {("email", DUTY): 1, ("webhook", hook[1]): 1, ("email", IOC): 1, ("email", COMMUNE): 1}
    )
    found = alert(session)
    message = rows[0]
    assert {r.subject for r in rows} == {f"[IOC] Cảnh báo: {NAME}"}
    assert {r.body for r in rows} == {message.body}
    assert message.body.splitlines()[:6] == [
        "Đang cảnh báo (1):",
        f"- [Cảnh báo] {NAME}: đang vượt ngưỡng",
        "  Thiết bị: KC-LS-01 tại Phường Đông Kinh",
        "  Giá trị: last(currentLevel) = 3,4",
        "  Từ: 30/11/2026 10:00",  # Vietnam's time
        f"  Xem: {PUBLIC_URL}/alerts/{found.id}",
    ]
    assert "Trung tâm giám sát, điều hành thông minh tỉnh" in message.body
    assert "ky-thuat" not in message.body and "@" not in message.body  # no personal data
    assert {r.status for r in rows} == {"pending"} and {r.next_attempt_at for r in rows} == {NOW}
    points = select(AlertGroupState).where(AlertGroupState.receiver.not_like("unit:%"))
    groups = list(session.execute(points).scalars())
    assert len(groups) == 2 and {g.labels["alertname"] for g in groups} == {NAME}
    # still firing, a new reading: nothing new to tell
    level(session, clock, NOW + 5 * MIN, KC_LS_01=3.6)
    assert len(queued(session, PURPOSE)) == 4


def test_pending_is_not_told_firing_then_resolution_are(
    session: Session, hook: tuple[Receiver, str], routed: Clock
) -> None:
    clock = routed
    flood(session, for_s=600)
    contact(session, "email", DUTY)
    level(session, clock, NOW, KC_LS_01=3.4)
    assert alert(session).state == "pending" and queued(session) == []
    level(session, clock, NOW + 5 * MIN, KC_LS_01=3.5)
    assert queued(session) == []
    evaluation.evaluate_all(session, NOW + 10 * MIN)  # for_s passed: the loop fires it
    session.commit()
    fired = [r for r in queued(session, PURPOSE) if address(r) == DUTY]
    assert len(fired) == 1 and "Từ: 30/11/2026 10:10" in fired[0].body
    level(session, clock, NOW + 20 * MIN, KC_LS_01=2.1)  # resolved (group_interval passed)
    told = [r for r in queued(session, PURPOSE) if address(r) == DUTY]
    assert len(told) == 2
    assert told[1].subject == f"[IOC] Đã hết cảnh báo: {NAME}"
    assert told[1].body.splitlines()[:2] == [
        "Đã hết cảnh báo (1):",
        f"- [Cảnh báo] {NAME}: đã trở lại bình thường",
    ]
    assert "  Hết lúc: 30/11/2026 10:20" in told[1].body
    level(session, clock, NOW + 25 * MIN, KC_LS_01=2.0)  # back to normal: quiet
    assert len(queued(session, PURPOSE)) == len(told) * 3  # duty, operator, commune officer
    notifications.route(session, NOW + 26 * MIN)  # the loop's round
    session.commit()
    assert count(session, AlertGroupState) == 0  # groups without members are dropped
    assert len(queued(session, PURPOSE)) == len(told) * 3


def test_alerts_firing_together_fold_into_one_message_later_changes_wait_group_interval(
    world: Session, clock: Clock, hook: tuple[Receiver, str], db: Engine
) -> None:
    session = world
    level(session, clock, NOW, KC_LS_01=3.4, KC_LS_02=3.1)
    first = [r for r in queued(session, PURPOSE) if address(r) == DUTY]
    assert len(first) == 1
    assert first[0].subject == f"[IOC] Cảnh báo: {NAME} và 1 cảnh báo khác"
    assert "Đang cảnh báo (2):" in first[0].body
    assert "KC-LS-01" in first[0].body and "KC-LS-02" in first[0].body
    # KC-LS-02 resolves 30 s later: within group_interval, told at the next due round
    level(session, clock, NOW + timedelta(seconds=30), KC_LS_02=2.0)
    assert len(queued(session, PURPOSE)) == 4
    assert evaluation.run_once(session_factory(db), NOW + MIN) is not None  # the loop's round
    update = [r for r in queued(session, PURPOSE) if address(r) == DUTY]
    assert len(update) == 2
    assert update[1].body.startswith("Đang cảnh báo (1):\n")
    assert "Đã hết cảnh báo (1):" in update[1].body
    assert len(queued(session, PURPOSE)) == 8  # one update per destination
    # nothing changes for four hours: one reminder
    notifications.route(session, NOW + 2 * MIN)
    assert len(queued(session, PURPOSE)) == 8
    level(session, clock, NOW + 4 * 60 * MIN, KC_LS_01=3.9)
    notifications.route(session, NOW + 4 * 60 * MIN + MIN)
    session.commit()
    reminder = [r for r in queued(session, PURPOSE) if address(r) == DUTY][-1]
    assert reminder.body.startswith("Nhắc lại: các cảnh báo dưới đây vẫn đang hoạt động.")


def test_a_silenced_alert_is_not_told_until_the_silence_ends(world: Session, clock: Clock) -> None:
    session = world
    silences.create_silence(session, ACTOR, ['device="KC-LS-01"'], NOW + 60 * MIN,
                         "Bảo trì trạm đo", NOW - MIN)  # fmt: skip
    session.commit()
    level(session, clock, NOW, KC_LS_01=3.4)
    assert alert(session).state == "firing"  # silences never change states
    assert queued(session) == []
    level(session, clock, NOW + 30 * MIN, KC_LS_01=3.5)
    assert queued(session) == []
    notifications.route(session, NOW + 60 * MIN)  # the silence is over: told now
    session.commit()
    assert len(queued(session, PURPOSE)) == 4


def test_no_data_is_told(world: Session, clock: Clock) -> None:
    session = world
    level(session, clock, NOW, KC_LS_01=2.0)
    evaluation.evaluate_all(session, NOW + 15 * MIN)  # three intervals without a reading
    session.commit()
    assert alert(session).state == "no_data"
    duty = [r for r in queued(session, PURPOSE) if address(r) == DUTY]
    assert len(duty) == 1
    assert f"- [Cảnh báo] {NAME}: mất dữ liệu" in duty[0].body
    assert "Giá trị: last(currentLevel): không có số liệu" in duty[0].body


def test_contact_points_take_their_severity_matchers_and_reach(
    session: Session, hook: tuple[Receiver, str], routed: Clock
) -> None:
    flood(session)
    contact(session, "email", "critical@langson.gov.vn", min_severity="critical")
    contact(session, "email", "kc02@langson.gov.vn", matchers=['device="KC-LS-02"'])
    contact(session, "email", "dongkinh@langson.gov.vn", org="05977")
    contact(session, "email", "kylua@langson.gov.vn", org="06187")
    contact(session, "sms", "0912 345 678")
    gone = contact(session, "email", "old@langson.gov.vn")
    contacts.disable_contact_point(session, ACTOR, gone)
    session.commit()
    level(session, routed, NOW, KC_LS_01=3.4)
    told = {address(r) for r in queued(session, PURPOSE)}
    assert told == {"dongkinh@langson.gov.vn", "0912 345 678", IOC, COMMUNE}
    sms = next(r for r in queued(session, PURPOSE) if r.channel == "sms")
    assert sms.destination_masked == "09******78"


def test_a_failing_routing_never_loses_readings_nor_transitions(
    world: Session, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = world

    def broken(*args: object) -> list[object]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(notifications, "receivers", broken)
    level(session, clock, NOW, KC_LS_01=3.4)
    assert count(session, Reading) == 1 and alert(session).state == "firing"
    assert count(session, AlertTransition) == 1 and queued(session) == []
    assert count(session, AlertGroupState) == 0
    monkeypatch.undo()
    notifications.route(session, NOW + timedelta(seconds=15))  # the loop's next round
    session.commit()
    assert len(queued(session, PURPOSE)) == 4  # told late, not lost


def test_a_failing_receiver_does_not_stop_the_others(
    world: Session, clock: Clock, monkeypatch: pytest.MonkeyPatch, hook: tuple[Receiver, str]
) -> None:
    session = world

    def undecryptable(*args: object) -> str:
        raise RuntimeError("data key gone")

    monkeypatch.setattr(contacts, "destination_of", undecryptable)
    level(session, clock, NOW, KC_LS_01=3.4)
    assert {address(r) for r in queued(session, PURPOSE)} == {IOC, COMMUNE}
    monkeypatch.undo()
    notifications.route(session, NOW + timedelta(seconds=15))
    session.commit()
    assert recipients(queued(session, PURPOSE)) == Counter(
        {("email", DUTY): 1, ("webhook", hook[1]): 1, ("email", IOC): 1, ("email", COMMUNE): 1}
    )


def test_a_failing_webhook_is_retried_then_dead_while_the_email_is_delivered(
    world: Session, clock: Clock, hook: tuple[Receiver, str], client: TestClient
) -> None:
    """The issue's test: a notifier that fails is retried and reaches the dead-letter list
    without blocking another."""
    session = world
    receiver = hook[0]
    receiver.status = 500
    headers = bearer(session, "dieuhanh.api", "operator", "20")
    session.commit()
    with smtp_server() as (sink, port), environment(**smtp_env(port)):
        level(session, clock, NOW, KC_LS_01=3.4)
        webhook = next(r for r in queued(session, PURPOSE) if r.channel == "webhook")
        at = NOW
        for attempt in range(1, 6):
            report = delivery.deliver_due(session, at)
            session.commit()
            if attempt == 1:  # the three e-mails went at once, the webhook did not stop them
                assert (report.sent, report.failed) == (3, 1)
                assert sorted(m.rcpt_tos[0] for m in sink.received) == sorted([DUTY, IOC, COMMUNE])
            session.refresh(webhook)
            assert webhook.attempts == attempt
            if webhook.status == "failed":
                assert webhook.next_attempt_at is not None
                assert webhook.next_attempt_at - at == delivery.backoff(attempt)
                at = webhook.next_attempt_at
        assert webhook.status == "dead" and "HTTP 500" in (webhook.last_error or "")
        assert len(receiver.received) == 5 and len(sink.received) == 3
    assert _received_subjects(sink) == {f"[IOC] Cảnh báo: {NAME}"}
    dead = client.get("/api/v1/notifications?status=dead", headers=headers)
    assert dead.status_code == 200, dead.text
    (listed,) = dead.json()
    assert listed["id"] == webhook.id and listed["channel"] == "webhook"
    assert listed["purpose"] == PURPOSE and listed["attempts"] == 5
    assert "HTTP 500" in listed["last_error"] and "s3cret-Tok" not in str(listed)
    sent = client.get("/api/v1/notifications?status=sent", headers=headers).json()
    assert len(sent) == 3


def _received_subjects(sink: SmtpSink) -> set[str]:
    return {str(m.message["Subject"]) for m in sink.received}


def test_alerts_of_a_disabled_rule_are_not_told(world: Session, clock: Clock) -> None:
    session = world
    first = next(r for r in rules.list_rules(session) if r.device == "KC-LS-01")
    rules.disable_rule(session, ACTOR, first)
    session.commit()
    instance_count = count(session, AlertInstance)
    level(session, clock, NOW, KC_LS_01=3.4)
    assert count(session, AlertInstance) == instance_count
    assert queued(session) == []
