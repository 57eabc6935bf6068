"""The alert state machine with controlled time: every transition, property tests (never fires
early, deterministic, silences never change states), and a flood wave through the whole engine
(state machine, grouping, acknowledgement, escalation)."""

from __future__ import annotations

import pickle
import re
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iocvn.alerts import engine
from iocvn.alerts.engine import (
    DEFAULT_LADDER,
    AlertGroup,
    AlertState,
    AllOf,
    GroupPolicy,
    Matcher,
    Notification,
    Observation,
    Rate,
    Rule,
    Silence,
    Threshold,
    Transition,
    acknowledge,
    due_notifications,
    escalate,
    escalation_due,
    is_silenced,
    mark_sent,
    new_alert,
    regroup,
    replay,
    step,
)
from iocvn.core.i18n import catalogue

T0 = 1_780_000_000.0  # 28/05/2026 20:26:40 UTC
LEVEL = Threshold("currentLevel", ">", 3.2)  # báo động 2 on the river Kỳ Cùng, say
GAUGE = {"device": "KC-01", "commune": "Đông Kinh"}


def level_rule(for_s: float = 300.0, **kw: object) -> Rule:
    return Rule("mực nước cao", LEVEL, for_s=for_s, interval_s=60.0, **kw)


def reading(value: float, ts: float) -> Observation:
    return Observation({"currentLevel": [(ts, value)]})


def run(alert: AlertState, events: Iterable[tuple[float, float | str | None]]) -> list[str]:
    """Step through (seconds after T0, a fresh reading's value | "error" | None for no data);
    the state after each step."""
    states = []
    for offset, value in events:
        now = T0 + offset
        if value is None:
            observation = Observation({})
        elif isinstance(value, str):
            observation = Observation(error=value)
        else:
            observation = reading(value, now)
        alert, _ = step(alert, observation, now)
        states.append(alert.state)
    return states


def one(transitions: tuple[Transition, ...]) -> Transition:
    assert len(transitions) == 1
    return transitions[0]


# --- transitions ----------------------------------------------------------------------------


def test_pending_then_firing_once_the_condition_held_for_for_s() -> None:
    alert = new_alert(level_rule(), GAUGE)
    assert alert.state == "normal"
    alert, found = step(alert, reading(3.5, T0), T0)
    first = one(found)
    assert (first.from_state, first.to_state, first.at) == ("normal", "pending", T0)
    assert first.values == {"last(currentLevel)": 3.5}
    assert not first.notifies
    assert (alert.state, alert.since, alert.pending_to) == ("pending", T0, "firing")

    for offset in (60, 120, 299):
        same, found = step(alert, reading(3.6, T0 + offset), T0 + offset)
        assert same is alert
        assert found == ()
    alert, found = step(alert, reading(3.7, T0 + 300), T0 + 300)
    fired = one(found)
    assert (fired.from_state, fired.to_state, fired.at) == ("pending", "firing", T0 + 300)
    assert fired.values == {"last(currentLevel)": 3.7}
    assert fired.notifies
    assert fired.fingerprint == alert.fingerprint
    assert dict(fired.labels) == {
        **GAUGE,
        "alertname": "mực nước cao",
        "severity": "warning",
    }
    assert (alert.state, alert.since, alert.active_since) == ("firing", T0 + 300, T0 + 300)
    same, found = step(alert, reading(3.9, T0 + 360), T0 + 360)
    assert (same, found) == (alert, ())
    assert same is alert


def test_for_zero_fires_at_the_first_evaluation() -> None:
    alert, found = step(new_alert(level_rule(0), GAUGE), reading(3.5, T0), T0)
    assert (one(found).from_state, alert.state, alert.active_since) == ("normal", "firing", T0)


def test_resolved_for_one_evaluation_then_normal() -> None:
    alert, _ = step(new_alert(level_rule(0), GAUGE), reading(3.5, T0), T0)
    alert = acknowledge(alert, "dieuhanh", T0 + 30, "đã cử đội trực")
    alert, found = step(alert, reading(3.1, T0 + 60), T0 + 60)
    resolved = one(found)
    assert (resolved.from_state, resolved.to_state, resolved.notifies) == (
        "firing",
        "resolved",
        True,
    )
    assert resolved.values == {"last(currentLevel)": 3.1}
    assert (alert.state, alert.active_since, alert.ack, alert.escalation_level) == (
        "resolved",
        None,
        None,
        0,
    )
    alert, found = step(alert, reading(3.0, T0 + 120), T0 + 120)
    assert (one(found).to_state, one(found).notifies, alert.state) == ("normal", False, "normal")


def test_flapping_within_for_s_never_fires() -> None:
    events = [(offset, 3.5 if (offset // 60) % 4 else 3.0) for offset in range(0, 7200, 60)]
    states = run(new_alert(level_rule(300), GAUGE), events)
    assert set(states) == {"normal", "pending"}  # true for 3 minutes at a time, never 5


def test_the_pending_clock_restarts_after_a_false_evaluation() -> None:
    events = [(0, 3.5), (240, 3.5), (270, 3.0), (300, 3.5), (540, 3.5), (600, 3.5)]
    assert run(new_alert(level_rule(300), GAUGE), events) == [
        "pending",
        "pending",
        "normal",
        "pending",
        "pending",
        "firing",  # 300 s after the streak began at 300
    ]


def test_no_data_after_n_expected_intervals() -> None:
    # One reading at T0, then silence: the rule expects one a minute, no data after 3 minutes.
    alert = new_alert(level_rule(0), GAUGE)
    last = reading(3.0, T0)
    states = []
    for offset in (0, 60, 179, 180, 240):
        alert, found = step(alert, last, T0 + offset)
        states.append(alert.state)
        if alert.state == "no_data" and found:
            assert (one(found).from_state, one(found).notifies) == ("normal", True)
            assert one(found).values == {"last(currentLevel)": None}
    assert states == ["normal", "normal", "normal", "no_data", "no_data"]
    alert, found = step(alert, reading(3.0, T0 + 300), T0 + 300)
    assert (one(found).to_state, alert.state) == ("resolved", "resolved")


def test_no_data_honours_the_pending_period() -> None:
    states = run(new_alert(level_rule(300), GAUGE), [(0, None), (200, None), (300, None)])
    assert states == ["pending", "pending", "no_data"]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("NoData", "no_data"), ("Alerting", "firing"), ("OK", "normal")],
)
def test_no_data_policies(policy: str, expected: str) -> None:
    states = run(new_alert(level_rule(0, no_data_state=policy), GAUGE), [(0, None)])
    assert states == [expected]


@pytest.mark.parametrize(
    ("policy", "expected"),
    [("Error", "error"), ("Alerting", "firing"), ("OK", "normal")],
)
def test_error_policies(policy: str, expected: str) -> None:
    alert = new_alert(level_rule(0, error_state=policy), GAUGE)
    alert, found = step(alert, Observation(error="database timeout"), T0)
    assert alert.state == expected
    if expected != "normal":
        assert (one(found).error, one(found).values) == ("database timeout", {})


def test_an_error_honours_the_pending_period_and_an_ok_error_resolves() -> None:
    assert run(new_alert(level_rule(120), GAUGE), [(0, "boom"), (60, "boom"), (120, "boom")]) == [
        "pending",
        "pending",
        "error",
    ]
    # error_state=OK: a firing alert whose evaluation fails is resolved (Grafana's semantics).
    ok = new_alert(level_rule(0, error_state="OK"), GAUGE)
    assert run(ok, [(0, 3.5), (60, "boom")]) == ["firing", "resolved"]


def test_active_states_switch_at_once_and_keep_the_episode() -> None:
    alert = new_alert(level_rule(300), GAUGE)
    for offset in (0, 300):
        alert, _ = step(alert, reading(3.5, T0 + offset), T0 + offset)
    alert = escalate(alert, escalation_due(alert, DEFAULT_LADDER, T0 + 1500))
    alert = acknowledge(alert, "dieuhanh", T0 + 1510)
    assert (alert.state, alert.escalation_level) == ("firing", 1)
    for offset, expected in ((1600, "error"), (1660, "no_data"), (1700, "firing")):
        observation = (
            Observation(error="x")
            if expected == "error"
            else Observation({})
            if expected == "no_data"
            else reading(3.6, T0 + offset)
        )
        alert, found = step(alert, observation, T0 + offset)
        assert (one(found).to_state, one(found).notifies) == (expected, True)
        assert (alert.state, alert.since, alert.active_since) == (expected, T0 + offset, T0 + 300)
        assert alert.ack is not None
        assert alert.escalation_level == 1


def test_a_pending_alert_heading_elsewhere_restarts_its_clock_silently() -> None:
    alert, _ = step(new_alert(level_rule(300), GAUGE), reading(3.5, T0), T0)
    moved, found = step(alert, Observation({}), T0 + 200)
    assert found == ()
    assert moved is not alert  # the caller stores it: its clock changed
    assert (moved.state, moved.since, moved.pending_to) == ("pending", T0 + 200, "no_data")
    assert run(moved, [(400, None), (500, None)]) == ["pending", "no_data"]


def test_resolved_then_true_again_goes_through_pending() -> None:
    states = run(new_alert(level_rule(120), GAUGE), [(0, 3.5), (120, 3.5), (180, 3.0), (240, 3.5)])
    assert states == ["pending", "firing", "resolved", "pending"]
    assert run(new_alert(level_rule(0), GAUGE), [(0, 3.5), (60, 3.0), (120, 3.5)]) == [
        "firing",
        "resolved",
        "firing",
    ]


def test_replay_gives_the_last_state_and_every_transition() -> None:
    events = [(T0 + o, reading(v, T0 + o)) for o, v in ((0, 3.5), (300, 3.5), (360, 3.0))]
    alert, transitions = replay(new_alert(level_rule(), GAUGE), events)
    assert alert.state == "resolved"
    assert [(t.from_state, t.to_state) for t in transitions] == [
        ("normal", "pending"),
        ("pending", "firing"),
        ("firing", "resolved"),
    ]


# --- properties -----------------------------------------------------------------------------

gaps = st.integers(min_value=1, max_value=400)
truths = st.lists(st.tuples(gaps, st.booleans()), max_size=60)


@given(st.sampled_from([0.0, 60.0, 300.0, 450.5]), truths)
def test_fires_exactly_when_the_condition_held_for_for_s(
    for_s: float, events: list[tuple[int, bool]]
) -> None:
    """Firing ⇔ true now and at every evaluation since one at least ``for_s`` ago."""
    alert = new_alert(level_rule(for_s), GAUGE)
    now, streak_start = T0, None
    for gap, truth in events:
        now += gap
        streak_start = (streak_start if streak_start is not None else now) if truth else None
        previous = alert.state
        alert, _ = step(alert, reading(3.5 if truth else 3.0, now), now)
        held = streak_start is not None and now - streak_start >= for_s
        assert (alert.state == "firing") == held
        if truth and not held:
            assert alert.state == "pending"
        if not truth:
            expected = "resolved" if previous == "firing" else "normal"
            assert alert.state == expected


def observations() -> st.SearchStrategy[list[tuple[int, str, float]]]:
    """(gap, kind, value): a reading, a reading too old to count, no data, or an error."""
    kinds = st.sampled_from(["reading", "reading", "reading", "stale", "none", "error"])
    return st.lists(st.tuples(gaps, kinds, st.sampled_from([2.9, 3.2, 3.3, 4.0])), max_size=40)


def as_observations(events: list[tuple[int, str, float]]) -> list[tuple[float, Observation]]:
    found, now = [], T0
    for gap, kind, value in events:
        now += gap
        if kind == "reading":  # two readings a minute apart: the rate is 0.1 m/min
            samples = [(now - 90, value - 0.1), (now - 30, value)]
            found.append((now, Observation({"currentLevel": samples})))
        elif kind == "stale":
            found.append((now, reading(value, now - 600)))
        elif kind == "none":
            found.append((now, Observation({})))
        else:
            found.append((now, Observation(error="timeout")))
    return found


RULES = [
    level_rule(0),
    level_rule(120, no_data_state="Alerting"),
    level_rule(300, error_state="OK", no_data_state="OK"),
    Rule(
        "lũ lên nhanh",
        AllOf((LEVEL, Rate("currentLevel", ">", 0.01, 900))),
        for_s=60,
        severity="critical",
        error_state="Alerting",
    ),
]


@given(st.sampled_from(RULES), observations(), st.integers(min_value=0, max_value=40))
def test_stepping_is_deterministic_and_survives_storage(
    rule: Rule, events: list[tuple[int, str, float]], split: int
) -> None:
    """The same observations give the same states and transitions; a state stored and loaded
    midway continues exactly as one that never left memory."""
    seen = as_observations(events)
    start = new_alert(rule, GAUGE)
    once = replay(start, seen)
    assert replay(start, seen) == once
    middle, before = replay(start, seen[:split])
    stored = pickle.loads(pickle.dumps(middle))  # noqa: S301  (our own bytes)
    assert stored == middle
    end, after = replay(stored, seen[split:])
    assert (end, before + after) == once


SERIES = [
    {"device": "KC-01", "commune": "Đông Kinh"},
    {"device": "KC-02", "commune": "Đông Kinh"},
    {"device": "BG-01", "commune": "Kỳ Lừa"},
]
SILENCES = [
    Silence((Matcher("device", "=", "KC-01"),), T0 + 100, T0 + 2000, "a", "bảo trì"),
    Silence((Matcher("commune", "=~", "Kỳ.*"),), T0, T0 + 900, "b", "diễn tập"),
    Silence(
        (Matcher("device", "!~", "KC-0[12]"), Matcher("alertname", "!=", "")),
        T0 + 1500,
        T0 + 1600,
        "c",
        "thử",
    ),
]
POLICY = GroupPolicy(("commune",), group_wait_s=30, group_interval_s=120, repeat_interval_s=600)


def loop(
    rule: Rule,
    rounds: list[list[tuple[str, float]]],
    silences: list[Silence],
) -> tuple[list[list[tuple[object, ...]]], list[Notification], set[tuple[int, int, float]]]:
    """The evaluation loop a caller writes: step every series, escalate, regroup, send what
    is due; every minute. The states seen, the notifications, the rungs climbed (series, rung,
    episode)."""
    alerts = [new_alert(rule, labels) for labels in SERIES]
    groups: tuple[AlertGroup, ...] = ()
    history, sent, climbed = [], [], set()
    now = T0
    for kinds in rounds:
        now += 60
        for i, (kind, value) in enumerate(kinds):
            observation = reading(value, now) if kind == "reading" else Observation({})
            alerts[i], _ = step(alerts[i], observation, now)
            due = escalation_due(alerts[i], DEFAULT_LADDER, now, silences)
            climbed |= {(i, e.level, alerts[i].active_since or 0.0) for e in due}
            alerts[i] = escalate(alerts[i], due)
        # The state proper; escalation_level only records which notices went out.
        history.append([(a.state, a.since, a.active_since, a.pending_to) for a in alerts])
        groups = regroup(groups, alerts, POLICY, now, silences)
        kept = []
        for group in groups:
            for notification in due_notifications([group], now):
                sent.append(notification)
                group = mark_sent(group, notification)
            kept.append(group)
        groups = tuple(kept)
    return history, sent, climbed


round_strategy = st.lists(
    st.tuples(st.sampled_from(["reading", "reading", "none"]), st.sampled_from([3.0, 3.5])),
    min_size=3,
    max_size=3,
)


@given(st.lists(round_strategy, max_size=50), st.sampled_from(RULES[:3]))
def test_silences_change_notifications_never_states(
    rounds: list[list[tuple[str, float]]], rule: Rule
) -> None:
    states, sent, climbed = loop(rule, rounds, SILENCES)
    states_unsilenced, _, climbed_unsilenced = loop(rule, rounds, [])
    assert states == states_unsilenced
    for notification in sent:
        for alert in notification.firing:
            assert not is_silenced(alert.labels, SILENCES, notification.at)
    assert climbed <= climbed_unsilenced  # held back while silenced, never invented


# --- a flood wave through the whole engine --------------------------------------------------


def test_a_flood_wave_fires_notifies_escalates_is_acknowledged_and_resolves() -> None:
    rule = Rule(
        "lũ lên nhanh",
        AllOf((LEVEL, Rate("currentLevel", ">", 0.01, 600))),  # above 3.2 m and rising
        for_s=120,
        severity="critical",
        scenario="flood",
        interval_s=60,
    )
    policy = GroupPolicy(("alertname", "commune"), 30, 300, 3600)
    alert = new_alert(rule, GAUGE)
    groups: tuple[AlertGroup, ...] = ()
    # A reading a minute: the river rises 2 cm/min from 3.00 m to 3.60 m at minute 30, then
    # falls 2 cm/min.
    levels = [(300 + 2 * m if m <= 30 else 360 - 2 * (m - 30)) / 100 for m in range(60)]
    samples: list[tuple[float, float]] = []
    log: list[tuple[int, str]] = []
    sent: list[Notification] = []
    for minute, level in enumerate(levels):
        now = T0 + 60 * minute
        samples.append((now, level))
        alert, transitions = step(alert, Observation({"currentLevel": samples}), now)
        log += [(minute, t.to_state) for t in transitions]
        due = escalation_due(alert, DEFAULT_LADDER, now)
        alert = escalate(alert, due)
        log += [(minute, f"escalated to {e.name}") for e in due]
        if minute == 30:
            alert = acknowledge(alert, "dieuhanh", now, "đã báo xã sơ tán")
        groups = regroup(groups, [alert], policy, now)
        for notification in due_notifications(groups, now):
            log.append((minute, f"notified {notification.reason}"))
            sent.append(notification)
            groups = tuple(mark_sent(g, notification) for g in groups)
    assert log == [
        (11, "pending"),  # 3.22 m, rising 0.18 m in 9 min = 0.02 m/min
        (13, "firing"),  # for 120 s
        (14, "notified first"),  # group_wait 30 s: at the next evaluation
        (28, "escalated to province_ioc"),  # the commune did not acknowledge in 15 min
        # acknowledged at minute 30: no leadership rung (due at minute 58)
        (33, "resolved"),  # 3.54 m but only +0.06 m in 9 min: 0.0067 m/min
        (33, "notified update"),  # more than group_interval since the first
        (34, "normal"),
    ]
    first, update = sent
    assert [a.state for a in first.firing] == ["firing"]
    assert dict(first.key) == {"alertname": "lũ lên nhanh", "commune": "Đông Kinh"}
    assert (update.firing, [a.state for a in update.resolved]) == ((), ["resolved"])
    assert groups == ()  # nothing left to tell


def test_every_error_of_the_engine_has_vietnamese_and_english_text() -> None:
    sources = Path(engine.__file__).parent.glob("engine*.py")
    raised = r"\"(alert_[a-z_]+)\""
    codes = {code for path in sources for code in re.findall(raised, path.read_text("utf-8"))}
    assert codes == {
        "alert_labels_invalid",
        "alert_matcher_invalid",
        "alert_rule_invalid",
        "alert_silence_invalid",
        "alert_grouping_invalid",
        "alert_ladder_invalid",
        "alert_not_active",
        "alert_already_acknowledged",
    }
    messages = catalogue()
    for code in codes:
        vi, en = messages[f"error.{code}"]
        assert vi != en


def test_standing_down_resolves_an_active_alert_and_quietly_resets_the_others() -> None:
    rule = level_rule(for_s=0.0)
    fresh = new_alert(rule, GAUGE)
    assert engine.stand_down(fresh, T0) == (fresh, ())  # normal stays, nothing told
    firing, _ = step(fresh, reading(3.5, T0), T0)
    firing = acknowledge(firing, "dieuhanh", T0 + 5, "Đã báo xã")
    ended, (told,) = engine.stand_down(firing, T0 + 60)
    assert (ended.state, ended.since, ended.ack, ended.active_since) == ("resolved", T0 + 60,
                                                                         None, None)  # fmt: skip
    assert (told.from_state, told.to_state, told.notifies, told.values) == (
        "firing", "resolved", True, {})  # fmt: skip
    pending, _ = step(new_alert(level_rule(), GAUGE), reading(3.5, T0), T0)
    reset, (quiet,) = engine.stand_down(pending, T0 + 60)
    assert reset.state == "normal" and reset.pending_to is None and not quiet.notifies
    back, (last,) = engine.stand_down(ended, T0 + 120)
    assert back.state == "normal" and (last.from_state, last.notifies) == ("resolved", False)
