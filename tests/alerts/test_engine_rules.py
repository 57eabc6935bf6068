"""Conditions and rules of the alerting engine, with hand-computed values."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iocvn.alerts.engine import (
    Absent,
    AllOf,
    AnyOf,
    Matcher,
    Observation,
    Rate,
    Rule,
    Sample,
    Threshold,
    as_labels,
    observed_values,
    outcome,
)
from iocvn.core.errors import Invalid
from iocvn.core.i18n import t

NOW = 1_780_000_000.0  # 28/05/2026
STALE = 180.0  # a rule with interval_s=60 and no_data_after=3


def at(*pairs: tuple[float, float]) -> list[Sample]:
    """Samples ``(seconds before NOW, value)``, given oldest first."""
    return [(NOW - ago, value) for ago, value in pairs]


# --- threshold ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("op", "value", "expected"),
    [
        (">", 3.2, False),
        (">", 3.1, True),
        (">=", 3.2, True),
        ("<", 3.2, False),
        ("<", 3.3, True),
        ("<=", 3.2, True),
        ("==", 3.2, True),
        ("!=", 3.2, False),
        ("!=", 3.0, True),
    ],
)
def test_threshold_compares_the_newest_value(op: str, value: float, expected: bool) -> None:
    samples = {"currentLevel": at((120, 9.0), (60, 3.2))}
    condition = Threshold("currentLevel", op, value)
    assert condition.evaluate(samples, NOW, STALE) is expected


def test_threshold_without_a_fresh_sample_is_no_data() -> None:
    condition = Threshold("currentLevel", ">", 3.2)
    assert condition.evaluate({"currentLevel": at((179, 4.0))}, NOW, STALE) is True
    assert condition.evaluate({"currentLevel": at((180, 4.0))}, NOW, STALE) is None  # edge
    assert condition.evaluate({"currentLevel": []}, NOW, STALE) is None
    assert condition.evaluate({"rain": at((10, 4.0))}, NOW, STALE) is None


def test_threshold_reducers_over_a_window() -> None:
    # In (NOW−45, NOW]: 4.0, 2.0, 3.0; the sample 50 s old is outside.
    samples = {"pm25": at((50, 1.0), (40, 4.0), (30, 2.0), (20, 3.0))}
    reduced = {
        reducer: Threshold("pm25", ">", 0, reducer, 45).reduced(samples["pm25"], NOW - 45)
        for reducer in ("last", "min", "max", "mean")
    }
    assert reduced == {"last": 3.0, "min": 2.0, "max": 4.0, "mean": 3.0}
    assert Threshold("pm25", ">=", 3.0, "mean", 45).evaluate(samples, NOW, STALE) is True
    assert Threshold("pm25", ">", 3.0, "mean", 45).evaluate(samples, NOW, STALE) is False
    assert Threshold("pm25", "<", 1.5, "min", 55).evaluate(samples, NOW, STALE) is True
    assert Threshold("pm25", ">", 0, "mean", 15).evaluate(samples, NOW, STALE) is None


# --- rate of change -------------------------------------------------------------------------


def test_rate_of_change_per_minute_between_the_first_and_last_sample_of_the_window() -> None:
    # River level 2.00 m, then 2.15 m five minutes later, then 2.60 m five minutes after that.
    samples = {"currentLevel": at((600, 2.00), (300, 2.15), (0, 2.60))}
    # 601 s window: all three, (2.60 − 2.00) m / 10 min = 0.06 m/min.
    assert Rate("currentLevel", ">", 0, 601).rate(samples["currentLevel"], NOW) == pytest.approx(
        0.06
    )
    # 600 s window: the first sample sits on the edge and is out: 0.45 m / 5 min = 0.09 m/min.
    assert Rate("currentLevel", ">", 0, 600).rate(samples["currentLevel"], NOW) == pytest.approx(
        0.09
    )
    assert Rate("currentLevel", ">", 0.08, 600).evaluate(samples, NOW, STALE) is True
    assert Rate("currentLevel", ">", 0.08, 601).evaluate(samples, NOW, STALE) is False
    assert Rate("currentLevel", ">=", 0.06, 601).evaluate(samples, NOW, STALE) is True


def test_a_falling_rate_is_negative() -> None:
    samples = {"currentLevel": at((120, 3.0), (0, 2.7))}  # −0.3 m in 2 min
    assert Rate("currentLevel", "<", -0.1, 300).rate(samples["currentLevel"], NOW) == pytest.approx(
        -0.15
    )
    assert Rate("currentLevel", "<", -0.1, 300).evaluate(samples, NOW, STALE) is True


def test_rate_needs_two_instants_in_the_window() -> None:
    rate = Rate("currentLevel", ">", 0, 300)
    assert rate.evaluate({"currentLevel": at((10, 2.0))}, NOW, STALE) is None
    assert rate.evaluate({"currentLevel": at((10, 2.0), (10, 2.5))}, NOW, STALE) is None
    assert rate.evaluate({"currentLevel": at((900, 2.0), (400, 2.5))}, NOW, STALE) is None
    assert rate.evaluate({}, NOW, STALE) is None


# --- absence --------------------------------------------------------------------------------


def test_absence_after_n_expected_intervals() -> None:
    silent = Absent("rain", interval_s=300, intervals=2)
    assert silent.evaluate({"rain": at((900, 1.0), (599, 1.0))}, NOW, STALE) is False
    assert silent.evaluate({"rain": at((600, 1.0))}, NOW, STALE) is True  # 2 × 300 s: edge
    assert silent.evaluate({"rain": []}, NOW, STALE) is True
    assert silent.evaluate({}, NOW, STALE) is True
    out: dict[str, float | None] = {}
    silent.observe({"rain": at((650, 1.0))}, NOW, STALE, out)
    assert out == {"age(rain)": 650.0}
    silent.observe({}, NOW, STALE, out)
    assert out == {"age(rain)": None}


# --- combinations ---------------------------------------------------------------------------

TRUE = Threshold("t", ">", 0)
FALSE = Threshold("f", ">", 0)
NO_DATA = Threshold("missing", ">", 0)
SAMPLES = {"t": at((0, 1.0)), "f": at((0, -1.0))}


@pytest.mark.parametrize(
    ("conditions", "all_of", "any_of"),
    [
        ((TRUE, TRUE), True, True),
        ((TRUE, FALSE), False, True),
        ((FALSE, FALSE), False, False),
        ((TRUE, NO_DATA), None, True),
        ((FALSE, NO_DATA), False, None),
        ((NO_DATA, NO_DATA), None, None),
        ((NO_DATA, FALSE, TRUE), False, True),
    ],
)
def test_combinations_are_three_valued(
    conditions: tuple[Threshold, ...], all_of: bool | None, any_of: bool | None
) -> None:
    assert AllOf(conditions).evaluate(SAMPLES, NOW, STALE) is all_of
    assert AnyOf(conditions).evaluate(SAMPLES, NOW, STALE) is any_of


def test_a_flood_rule_combines_level_rate_and_a_silent_gauge() -> None:
    # Level above alarm 2 (3.2 m) and rising faster than 3 cm/min, or the gauge silent 15 min.
    flood = AnyOf(
        (
            AllOf((Threshold("currentLevel", ">", 3.2), Rate("currentLevel", ">", 0.03, 600))),
            Absent("currentLevel", interval_s=300, intervals=3),
        )
    )
    rising = {"currentLevel": at((540, 3.00), (240, 3.15), (0, 3.30))}  # 0.30 m / 9 min
    steady = {"currentLevel": at((540, 3.28), (240, 3.29), (0, 3.30))}  # 0.02 m / 9 min
    assert flood.evaluate(rising, NOW, STALE) is True
    assert flood.evaluate(steady, NOW, STALE) is False
    assert flood.evaluate({"currentLevel": at((900, 3.30))}, NOW, STALE) is True  # silent
    rule = Rule("flood", flood, interval_s=300)
    assert observed_values(rule, Observation(rising), NOW) == {
        "last(currentLevel)": 3.30,
        "rate(currentLevel)": pytest.approx(0.30 / 9),
        "age(currentLevel)": 0.0,
    }
    assert rule.quantities == {"currentLevel"}
    assert rule.lookback_s == 900  # the absence's 3 × 300 s is the longest look back


# --- rules and outcomes ---------------------------------------------------------------------


def test_outcome_applies_the_no_data_and_error_policies() -> None:
    level = Threshold("currentLevel", ">", 3.2)
    fresh = Observation({"currentLevel": at((0, 3.5))})
    low = Observation({"currentLevel": at((0, 3.0))})
    empty = Observation({})
    failed = Observation(error="database timeout")
    expected = {
        ("NoData", "Error"): ("firing", "normal", "no_data", "error"),
        ("Alerting", "Alerting"): ("firing", "normal", "firing", "firing"),
        ("OK", "OK"): ("firing", "normal", "normal", "normal"),
    }
    for (no_data, error), states in expected.items():
        rule = Rule("r", level, no_data_state=no_data, error_state=error)
        found = tuple(outcome(rule, o, NOW) for o in (fresh, low, empty, failed))
        assert found == states
    assert observed_values(Rule("r", level), failed, NOW) == {}


def test_a_rule_selects_its_series_by_labels() -> None:
    gauge = {"device": "KC-01", "kind": "water_level", "commune": "Đông Kinh"}
    one = Rule("r", TRUE, selector=(Matcher("device", "=", "KC-01"),))
    area = Rule(
        "r",
        TRUE,
        selector=(Matcher("kind", "=", "water_level"), Matcher("commune", "=~", "Đông .*")),
    )
    assert one.selects(gauge)
    assert area.selects(as_labels(gauge))
    assert not one.selects({**gauge, "device": "KC-02"})
    assert not area.selects({**gauge, "kind": "rain"})
    assert Rule("every series", TRUE).selects({})


def test_instance_labels_merge_series_rule_and_identity() -> None:
    rule = Rule(
        "ngập lụt",
        Threshold("currentLevel", ">", 3.2),
        severity="critical",
        labels=as_labels({"team": "ioc", "commune": "rule-wins"}),
        scenario="flood",
    )
    labels = rule.instance_labels({"device": "KC-01", "commune": "Đông Kinh", "alertname": "x"})
    assert labels == (
        ("alertname", "ngập lụt"),
        ("commune", "rule-wins"),
        ("device", "KC-01"),
        ("scenario", "flood"),
        ("severity", "critical"),
        ("team", "ioc"),
    )


@pytest.mark.parametrize(
    "build",
    [
        lambda: Threshold("q", "=>", 1),
        lambda: Threshold("q", ">", float("nan")),
        lambda: Threshold("q", ">", 1, "median"),
        lambda: Threshold("q", ">", 1, "mean", -5),
        lambda: Rate("q", ">", 1, 0),
        lambda: Absent("q", interval_s=0),
        lambda: Absent("q", interval_s=60, intervals=0),
        lambda: AllOf(()),
        lambda: AnyOf(()),
        lambda: Rule("", TRUE),
        lambda: Rule("r", TRUE, for_s=-1),
        lambda: Rule("r", TRUE, for_s=float("inf")),
        lambda: Rule("r", TRUE, severity="page"),
        lambda: Rule("r", TRUE, interval_s=0),
        lambda: Rule("r", TRUE, no_data_after=0),
        lambda: Rule("r", TRUE, no_data_state="KeepLast"),
        lambda: Rule("r", TRUE, error_state="NoData"),
    ],
)
def test_invalid_rules_are_refused_with_a_reason(build: Callable[[], object]) -> None:
    with pytest.raises(Invalid) as caught:
        build()
    assert caught.value.code == "alert_rule_invalid"
    problem = caught.value.params["problem"]
    assert t(caught.value.message_key, "en", problem=problem) == f"Invalid alert rule: {problem}"


def test_newest_only_says_when_the_latest_values_suffice() -> None:
    last = Threshold("currentLevel", ">", 3.0)
    mean = Threshold("currentLevel", ">", 3.0, reduce="mean", window_s=600)
    rate = Rate("currentLevel", ">", 0.05, window_s=600)
    silent = Absent("currentLevel", 300)

    def rule(condition: Threshold | Rate | Absent | AllOf | AnyOf) -> Rule:
        return Rule(name="r", condition=condition)

    assert rule(last).newest_only and rule(silent).newest_only
    assert rule(AnyOf((last, silent))).newest_only
    assert not rule(mean).newest_only and not rule(rate).newest_only
    assert not rule(AllOf((last, rate))).newest_only
