"""Editing an alert rule (``rules.update_rule``, decision 0011): checked as at creation, within
the caller's scope, audited with what changed, refused when someone else edited first; the
rule's alerts keep their identity and are evaluated with the new rule at the next evaluation
(a firing alert whose new condition does not hold resolves; pending timers restart)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import evaluation, instances, rules
from iocvn.alerts.models_rules import AlertInstance, AlertRule, AlertTransition
from iocvn.audit.models import AuditEntry
from iocvn.auth.scope import OrgScope
from iocvn.core.errors import IocError
from iocvn.sensors.ingest import ingest
from tests.alerts.conftest import Clock
from tests.factories.alerts import rule
from tests.factories.sensors import ACTOR, NOW, device, reading, units

MIN = timedelta(minutes=1)
PROVINCE = OrgScope("province", "20", "20")
COMMUNE = OrgScope("commune", "05977", "20")


def _level(
    session: Session, clock: Clock, at: datetime, value: float, code: str = "KC-LS-01"
) -> None:
    clock.now = at
    assert ingest(session, [reading(code, at, currentLevel=value)], now=at).accepted == 1
    session.commit()


def _alerts(session: Session) -> list[AlertInstance]:
    session.expire_all()
    return list(session.execute(select(AlertInstance).order_by(AlertInstance.device)).scalars())


def _path(session: Session) -> list[tuple[str, str, bool]]:
    session.expire_all()
    rows = session.execute(select(AlertTransition).order_by(AlertTransition.id)).scalars()
    return [(t.from_state, t.to_state, t.notifies) for t in rows]


def _edit(session: Session, row: AlertRule, at: datetime, **changes: Any) -> AlertRule:
    edited = rules.update_rule(session, ACTOR, row.id, changes, PROVINCE, now=at)
    session.commit()
    return edited


@pytest.fixture
def gauge(session: Session) -> AlertRule:
    """The province, the Kỳ Cùng gauge and the rule ``> 3 m for 10 min`` on it."""
    units(session)
    device(session)
    return rule(session)


def _firing(session: Session, clock: Clock) -> AlertInstance:
    _level(session, clock, NOW, 3.5)
    evaluation.evaluate_all(session, NOW + 10 * MIN)
    session.commit()
    (alert,) = _alerts(session)
    assert alert.state == "firing"
    return alert


def test_a_firing_alert_resolves_at_the_next_evaluation_when_the_threshold_rises_above_it(
    session: Session, gauge: AlertRule, clock: Clock
) -> None:
    alert = _firing(session, clock)
    edited = _edit(session, gauge, NOW + 11 * MIN, value=4.0)
    assert (edited.value, edited.condition) == (4.0, {"threshold": {
        "quantity": "currentLevel", "op": ">", "value": 4.0, "reduce": "last",
        "window_s": 0.0}})  # fmt: skip
    # the edit itself changes no state: the next evaluation does, with the new rule
    assert _alerts(session)[0].state == "firing"
    report = evaluation.evaluate_all(session, NOW + 12 * MIN)
    session.commit()
    assert [(t.from_state, t.to_state) for t in report.transitions] == [("firing", "resolved")]
    (after,) = _alerts(session)
    assert after.id == alert.id and after.state == "resolved"
    assert _path(session)[-1] == ("firing", "resolved", True)  # receivers are told


def test_a_firing_alert_whose_new_condition_holds_stays_in_its_episode(
    session: Session, gauge: AlertRule, clock: Clock
) -> None:
    alert = _firing(session, clock)
    first = alert.fingerprint
    instances.acknowledge(session, ACTOR, alert.id, "Đã báo xã", NOW + 10 * MIN, None)
    session.commit()
    _edit(session, gauge, NOW + 11 * MIN, value=3.2, name="Kỳ Cùng trên 3,2 m",
          severity="critical", labels={"river": "Kỳ Cùng"})  # fmt: skip
    (renamed,) = _alerts(session)
    # the same alert under its new labels: state, episode and acknowledgement kept
    assert renamed.id == alert.id and renamed.state == "firing"
    assert renamed.labels["alertname"] == "Kỳ Cùng trên 3,2 m"
    assert renamed.labels["severity"] == "critical" and renamed.labels["river"] == "Kỳ Cùng"
    assert renamed.fingerprint != first
    assert renamed.acknowledged_by == ACTOR.name
    assert evaluation.evaluate_all(session, NOW + 12 * MIN).transitions == []
    assert [a.id for a in _alerts(session)] == [alert.id]  # no second alert


def test_pending_timers_restart_when_for_s_changes(
    session: Session, gauge: AlertRule, clock: Clock
) -> None:
    _level(session, clock, NOW, 3.5)
    assert _alerts(session)[0].state == "pending"
    # 8 of the 10 minutes have passed; held for 5 minutes now, timed from the next evaluation
    _edit(session, gauge, NOW + 8 * MIN, for_s=300)
    (alert,) = _alerts(session)
    assert alert.state == "normal" and alert.pending_to is None
    assert _path(session)[-1] == ("pending", "normal", False)  # quiet, in the history
    evaluation.evaluate_all(session, NOW + 9 * MIN)
    session.commit()
    assert _alerts(session)[0].state == "pending"
    assert evaluation.evaluate_all(session, NOW + 13 * MIN).transitions == []
    report = evaluation.evaluate_all(session, NOW + 14 * MIN)
    session.commit()
    assert [t.to_state for t in report.transitions] == ["firing"]


def test_a_rename_does_not_restart_a_pending_timer(
    session: Session, gauge: AlertRule, clock: Clock
) -> None:
    _level(session, clock, NOW, 3.5)
    _edit(session, gauge, NOW + 8 * MIN, name="Kỳ Cùng vượt báo động I")
    (alert,) = _alerts(session)
    assert alert.state == "pending" and alert.since == NOW
    report = evaluation.evaluate_all(session, NOW + 10 * MIN)
    assert [t.to_state for t in report.transitions] == ["firing"]


def test_an_alert_of_a_device_the_rule_no_longer_watches_resolves_at_the_edit(
    session: Session, gauge: AlertRule, clock: Clock
) -> None:
    device(session, "KC-LS-02")
    alert = _firing(session, clock)
    _edit(session, gauge, NOW + 11 * MIN, device="KC-LS-02")
    (gone,) = _alerts(session)
    assert gone.id == alert.id and gone.state == "resolved"
    assert _path(session)[-1] == ("firing", "resolved", True)
    _level(session, clock, NOW + 12 * MIN, 3.6, "KC-LS-02")
    evaluation.evaluate_all(session, NOW + 23 * MIN)
    states = {a.device: a.state for a in _alerts(session)}
    assert states == {"KC-LS-01": "resolved", "KC-LS-02": "firing"}


def test_an_edit_is_audited_with_the_changed_fields_only(
    session: Session, gauge: AlertRule
) -> None:
    _edit(session, gauge, NOW, value=3.5, scenario="flood")
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "alert.rule.update")
    ).scalar_one()
    assert entry.target_id == gauge.id and entry.actor == ACTOR.name
    assert entry.before is not None and entry.after is not None
    assert set(entry.before) == set(entry.after) == {"value", "condition", "scenario"}
    assert (entry.before["value"], entry.after["value"]) == (3.0, 3.5)
    assert (entry.before["scenario"], entry.after["scenario"]) == (None, "flood")
    # the same values again: nothing changed, nothing written
    _edit(session, gauge, NOW, value=3.5)
    count = len(session.execute(
        select(AuditEntry).where(AuditEntry.action == "alert.rule.update")).all())  # fmt: skip
    assert count == 1


def test_changes_merge_into_the_stored_rule(session: Session, gauge: AlertRule) -> None:
    edited = _edit(session, gauge, NOW, labels={"river": "Kỳ Cùng", "team": "A"})
    assert edited.labels == {"river": "Kỳ Cùng", "team": "A"}
    edited = _edit(session, gauge, NOW, labels={"team": None})  # null drops a label
    assert edited.labels == {"river": "Kỳ Cùng"}
    rising = {"rate": {"quantity": "currentLevel", "op": ">", "value": 0.05, "window_s": 900}}
    edited = _edit(session, gauge, NOW, condition=rising)  # a condition replaces the threshold
    assert (edited.quantity, edited.op, edited.value) == (None, None, None)
    assert edited.condition == {"rate": rising["rate"] | {"window_s": 900.0}}
    assert (edited.name, edited.for_s, edited.device) == (gauge.name, 600.0, "KC-LS-01")
    edited = _edit(session, gauge, NOW, condition=None, quantity="currentLevel", op="<",
                   value=1.0)  # fmt: skip
    assert (edited.quantity, edited.op, edited.value) == ("currentLevel", "<", 1.0)


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"quantity": "pm25"}, "alert_rule_quantity_unknown"),
        ({"device": "KHONG-CO"}, "alert_rule_device_unknown"),
        ({"condition": {"threshold": {"quantity": "currentLevel", "op": "~", "value": 1}}},
         "alert_condition_invalid"),
        ({"condition": {"absent": {"quantity": "currentLevel"}}, "value": 2.0},
         "alert_rule_shape_invalid"),
        ({"selector": ['kind="water_level"']}, "alert_rule_target_invalid"),  # and a device
        ({"name": None}, "alert_rule_shape_invalid"),
        ({"color": "red"}, "alert_rule_shape_invalid"),
        ({"labels": {"": "x"}}, "alert_labels_invalid"),
    ],
)  # fmt: skip
def test_bad_changes_are_refused_as_at_creation(
    session: Session, gauge: AlertRule, changes: dict[str, Any], code: str
) -> None:
    with pytest.raises(IocError) as refused:
        rules.update_rule(session, ACTOR, gauge.id, changes, PROVINCE)
    assert refused.value.code == code and refused.value.status == 422
    session.rollback()
    assert session.get(AlertRule, gauge.id).value == 3.0  # type: ignore[union-attr]


def test_a_commune_edits_only_rules_within_its_scope(session: Session, gauge: AlertRule) -> None:
    # the gauge is the province's and stands outside the commune
    with pytest.raises(IocError) as refused:
        rules.update_rule(session, ACTOR, gauge.id, {"value": 5.0}, COMMUNE)
    assert (refused.value.code, refused.value.status) == ("alert_rule_forbidden", 403)
    session.rollback()
    own_spec = rules.RuleSpec(name="Mực nước trong phường", selector=['kind="water_level"'],
                              quantity="currentLevel", op=">", value=3.0)  # fmt: skip
    own = rules.create_rule(session, ACTOR, own_spec, COMMUNE)
    session.commit()
    edited = rules.update_rule(session, ACTOR, own.id, {"value": 3.3}, COMMUNE)
    assert edited.selector == ['kind="water_level"', 'area="05977"'] and edited.value == 3.3
    with pytest.raises(IocError) as outside:  # it may not point it at another commune
        rules.update_rule(session, ACTOR, own.id, {"selector": ['area="06187"']}, COMMUNE)
    assert outside.value.code == "alert_rule_out_of_scope"
    with pytest.raises(IocError) as missing:
        rules.update_rule(session, ACTOR, "01J00000000000000000000000", {}, COMMUNE)
    assert missing.value.status == 404


def test_an_edit_of_a_stale_version_is_refused(session: Session, gauge: AlertRule) -> None:
    seen = rules.version(gauge)
    _edit(session, gauge, NOW, value=3.4)  # someone else, first
    assert rules.version(gauge) != seen
    with pytest.raises(IocError) as refused:
        rules.update_rule(session, ACTOR, gauge.id, {"value": 3.6}, PROVINCE, expected=seen)
    assert (refused.value.code, refused.value.status) == ("alert_rule_changed", 412)
    session.rollback()
    edited = rules.update_rule(session, ACTOR, gauge.id, {"value": 3.6}, PROVINCE,
                               expected=rules.version(gauge))  # fmt: skip
    assert edited.value == 3.6
