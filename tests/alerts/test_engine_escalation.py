"""Acknowledgement and the escalation ladder (commune → province IOC → leadership) with
controlled time."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iocvn.alerts.engine import (
    DEFAULT_LADDER,
    AlertState,
    Escalation,
    EscalationLadder,
    EscalationLevel,
    Matcher,
    Observation,
    Rule,
    Silence,
    Threshold,
    acknowledge,
    escalate,
    escalation_due,
    new_alert,
    step,
)
from iocvn.core.errors import Conflict, Invalid

T = 1_780_000_000.0  # the alert fires here
MIN = 60.0
RULE = Rule("cháy rừng", Threshold("smoke", ">", 0.5), severity="critical")


def firing() -> AlertState:
    alert, _ = step(
        new_alert(RULE, {"device": "FF-07", "commune": "Hữu Lũng"}),
        Observation({"smoke": [(T, 0.9)]}),
        T,
    )
    assert (alert.state, alert.active_since) == ("firing", T)
    return alert


def names(due: tuple[Escalation, ...]) -> list[str]:
    return [e.name for e in due]


def test_the_default_ladder_climbs_rung_by_rung() -> None:
    alert = firing()
    assert escalation_due(alert, DEFAULT_LADDER, T) == ()  # the commune is told on firing
    assert escalation_due(alert, DEFAULT_LADDER, T + 15 * MIN - 1) == ()
    due = escalation_due(alert, DEFAULT_LADDER, T + 15 * MIN)
    assert due == (Escalation(1, "province_ioc", T + 15 * MIN),)
    alert = escalate(alert, due)
    assert alert.escalation_level == 1
    assert escalation_due(alert, DEFAULT_LADDER, T + 20 * MIN) == ()  # told once
    assert escalation_due(alert, DEFAULT_LADDER, T + 45 * MIN - 1) == ()
    due = escalation_due(alert, DEFAULT_LADDER, T + 45 * MIN)  # 15 + 30 minutes
    assert due == (Escalation(2, "leadership", T + 45 * MIN),)
    alert = escalate(alert, due)
    assert escalation_due(alert, DEFAULT_LADDER, T + 10_000 * MIN) == ()  # the top


def test_a_late_loop_gets_every_rung_due_and_later_rungs_are_not_pushed_back() -> None:
    alert = firing()
    due = escalation_due(alert, DEFAULT_LADDER, T + 50 * MIN)
    assert names(due) == ["province_ioc", "leadership"]
    assert [e.due_at for e in due] == [T + 15 * MIN, T + 45 * MIN]
    assert escalate(alert, due).escalation_level == 2
    # Recorded late at minute 20: the leadership rung is still due at minute 45, not 50.
    late = escalate(alert, escalation_due(alert, DEFAULT_LADDER, T + 20 * MIN))
    assert names(escalation_due(late, DEFAULT_LADDER, T + 45 * MIN)) == ["leadership"]


def test_acknowledgement_stops_escalation() -> None:
    alert = acknowledge(firing(), "chutich.xa", T + 10 * MIN, "đã cử lực lượng")
    assert alert.ack is not None
    assert (alert.ack.by, alert.ack.at, alert.ack.comment) == (
        "chutich.xa",
        T + 10 * MIN,
        "đã cử lực lượng",
    )
    assert escalation_due(alert, DEFAULT_LADDER, T + 1000 * MIN) == ()
    climbed = escalate(firing(), escalation_due(firing(), DEFAULT_LADDER, T + 16 * MIN))
    acked = acknowledge(climbed, "dieuhanh", T + 20 * MIN)
    assert escalation_due(acked, DEFAULT_LADDER, T + 1000 * MIN) == ()
    assert acked.escalation_level == 1


def test_resolution_resets_acknowledgement_and_rung() -> None:
    alert = escalate(firing(), escalation_due(firing(), DEFAULT_LADDER, T + 16 * MIN))
    alert = acknowledge(alert, "dieuhanh", T + 17 * MIN)
    alert, _ = step(alert, Observation({"smoke": [(T + 18 * MIN, 0.1)]}), T + 18 * MIN)
    assert (alert.state, alert.ack, alert.escalation_level, alert.active_since) == (
        "resolved",
        None,
        0,
        None,
    )
    assert escalation_due(alert, DEFAULT_LADDER, T + 1000 * MIN) == ()
    # A new episode climbs from the bottom again, timed from its own start.
    again = T + 20 * MIN
    alert, _ = step(alert, Observation({"smoke": [(again, 0.8)]}), again)
    assert escalation_due(alert, DEFAULT_LADDER, again + 15 * MIN - 1) == ()
    assert names(escalation_due(alert, DEFAULT_LADDER, again + 15 * MIN)) == ["province_ioc"]


def test_only_active_alerts_escalate_and_can_be_acknowledged() -> None:
    normal = new_alert(RULE, {"device": "FF-07"})
    pending, _ = step(
        new_alert(Rule("x", RULE.condition, for_s=300), {"device": "FF-07"}),
        Observation({"smoke": [(T, 0.9)]}),
        T,
    )
    for alert in (normal, pending):
        assert escalation_due(alert, DEFAULT_LADDER, T + 1000 * MIN) == ()
        with pytest.raises(Conflict) as caught:
            acknowledge(alert, "dieuhanh", T)
        assert caught.value.code == "alert_not_active"
        assert caught.value.params == {"state": alert.state}
    no_data, _ = step(firing(), Observation({}), T + 10 * MIN)
    assert no_data.state == "no_data"
    assert names(escalation_due(no_data, DEFAULT_LADDER, T + 15 * MIN)) == ["province_ioc"]
    assert acknowledge(no_data, "dieuhanh", T + 15 * MIN).ack is not None


def test_a_second_acknowledgement_is_refused_naming_the_first() -> None:
    alert = acknowledge(firing(), "hoa.nt", T + MIN)
    with pytest.raises(Conflict) as caught:
        acknowledge(alert, "minh.lv", T + 2 * MIN)
    assert (caught.value.code, caught.value.params) == (
        "alert_already_acknowledged",
        {"by": "hoa.nt"},
    )


def test_a_silenced_alert_does_not_escalate_until_the_silence_ends() -> None:
    drill = Silence(
        (Matcher("commune", "=", "Hữu Lũng"),), T, T + 30 * MIN, "dieuhanh", "diễn tập PCCR"
    )
    alert = firing()
    assert escalation_due(alert, DEFAULT_LADDER, T + 20 * MIN, [drill]) == ()
    assert names(escalation_due(alert, DEFAULT_LADDER, T + 30 * MIN, [drill])) == ["province_ioc"]


def test_a_custom_ladder() -> None:
    ladder = EscalationLadder((EscalationLevel("ioc", 5 * MIN), EscalationLevel("leader", 0)))
    assert ladder.due_at(T, 0) == T
    assert ladder.due_at(T, 1) == T + 5 * MIN
    assert names(escalation_due(firing(), ladder, T + 5 * MIN)) == ["leader"]
    assert escalation_due(firing(), EscalationLadder((EscalationLevel("only", 0),)), T + 1e9) == ()


def test_escalate_keeps_the_highest_rung() -> None:
    alert = firing()
    assert escalate(alert, ()) is alert
    two = escalate(alert, (Escalation(2, "leadership", T),))
    assert escalate(two, (Escalation(1, "province_ioc", T),)) is two


@pytest.mark.parametrize(
    "levels",
    [
        (),
        (EscalationLevel("a", 60), EscalationLevel("a", 60)),
        (EscalationLevel("", 60),),
        (EscalationLevel("a", 0), EscalationLevel("b", 60)),
        (EscalationLevel("a", float("inf")), EscalationLevel("b", 60)),
    ],
)
def test_invalid_ladders_are_refused(levels: tuple[EscalationLevel, ...]) -> None:
    with pytest.raises(Invalid) as caught:
        EscalationLadder(levels)
    assert caught.value.code == "alert_ladder_invalid"


@given(st.lists(st.integers(min_value=0, max_value=100 * 60), min_size=1, max_size=20))
def test_rungs_only_climb_and_each_is_due_once(offsets: list[int]) -> None:
    alert, reached = firing(), []
    for offset in sorted(offsets):
        due = escalation_due(alert, DEFAULT_LADDER, T + offset)
        assert all(e.due_at <= T + offset for e in due)
        reached += [e.level for e in due]
        alert = escalate(alert, due)
    assert reached == sorted(set(reached))
    expected = [lv for lv, at in ((1, 15 * MIN), (2, 45 * MIN)) if max(offsets) >= at]
    assert reached == expected
