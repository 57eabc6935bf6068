"""The aggregation rules with hand-computed numbers (no database), target statuses, and
property tests of the space rules."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iocvn.core import periods
from iocvn.indicators.aggregate import (
    TOLERANCE,
    AggregationError,
    Aggregator,
    Rule,
    Span,
    Unit,
    change_pct,
    coverage,
    judge,
    status_of,
)

OLD = date(2000, 1, 1)
# A province P with communes X, Y, Z that have always existed.
UNITS = [Unit("P"), Unit("X", "P", OLD), Unit("Y", "P", OLD), Unit("Z", "P", OLD)]


def months(year: int, *values: float | None, first: int = 1) -> dict[str, float]:
    """``{"YYYYMM": value}`` from month ``first`` on; None leaves the month unreported."""
    return {f"{year}{first + i:02d}": v for i, v in enumerate(values) if v is not None}


def agg(
    rules: list[Rule],
    values: Mapping[str, Mapping[str, Mapping[str, float]]],
    period: str,
    *,
    org: str = "P",
    units: list[Unit] = UNITS,
    through: date | None = None,
    expected: Mapping[str, set[str]] | None = None,
) -> float | None:
    """The value of the first rule's indicator for ``org`` over ``period``."""
    engine = Aggregator({r.code: r for r in rules}, units, values, expected=expected)
    return engine.value(rules[0].code, org, Span(periods.parse(period), through)).value


# --- sums and averages ---------------------------------------------------------------------


def test_stock_is_summed_over_communes_and_averaged_over_time() -> None:
    population = Rule("DS.POP", "monthly", space_agg="sum", time_agg="average")
    values = {"DS.POP": {"X": months(2026, 100, 110, 120), "Y": months(2026, 200, 200, 230)}}
    # X: (100 + 110 + 120) / 3 = 110; Y: (200 + 200 + 230) / 3 = 210; province 110 + 210.
    assert agg([population], values, "2026Q1") == pytest.approx(320)
    assert agg([population], values, "2026Q1", org="X") == pytest.approx(110)
    # The same numbers as a flow add up in both directions: 330 + 630.
    flow = Rule("DS.POP", "monthly", space_agg="sum", time_agg="sum")
    assert agg([flow], values, "2026Q1") == pytest.approx(960)
    assert agg([flow], values, "202602") == pytest.approx(310)


def test_last_value_in_period() -> None:
    stock = Rule("DN.ACTIVE", "monthly", space_agg="sum", time_agg="last")
    values = {"DN.ACTIVE": {"X": months(2026, 100, 110, 120), "Y": months(2026, 200, 210)}}
    # X's March (120) and Y's last report in the quarter, February (210).
    assert agg([stock], values, "2026Q1") == pytest.approx(330)
    assert agg([stock], values, "202601") == pytest.approx(300)


def test_average_min_max_over_communes() -> None:
    values = {"I": {"X": months(2026, 5, 1), "Y": months(2026, 9, 3), "Z": months(2026, 1, 1)}}
    # Quarter sums per commune: X 6, Y 12, Z 2.
    assert agg([Rule("I", "monthly", "average", "sum")], values, "2026Q1") == pytest.approx(20 / 3)
    assert agg([Rule("I", "monthly", "min", "sum")], values, "2026Q1") == 2
    assert agg([Rule("I", "monthly", "max", "sum")], values, "2026Q1") == 12
    # Time min/max per commune, then a space sum: min X 1 + Y 3 + Z 1; max 5 + 9 + 1.
    assert agg([Rule("I", "monthly", "sum", "min")], values, "2026Q1") == 5
    assert agg([Rule("I", "monthly", "sum", "max")], values, "2026Q1") == 15


def test_weighted_average_by_another_indicator() -> None:
    rate = Rule("XH.POOR_RATE", "yearly", "weighted_average", "last", weight="XH.HOUSEHOLDS")
    households = Rule("XH.HOUSEHOLDS", "yearly", "sum", "last")
    values = {
        "XH.POOR_RATE": {"X": {"2025": 10.0}, "Y": {"2025": 2.0}, "Z": {"2025": 50.0}},
        "XH.HOUSEHOLDS": {"X": {"2025": 1000.0}, "Y": {"2025": 3000.0}},
    }
    # (10 × 1000 + 2 × 3000) / 4000 = 4.0; Z has no weight and is left out; the plain
    # average of X and Y would be 6.
    assert agg([rate, households], values, "2025") == pytest.approx(4.0)
    values["XH.HOUSEHOLDS"] = {"X": {"2025": 0.0}, "Y": {"2025": 0.0}}
    assert agg([rate, households], values, "2025") is None  # zero total weight


def test_none_uses_only_the_units_own_value() -> None:
    growth = Rule("KTXH.GRDP_GROWTH", "quarterly", space_agg="none", time_agg="last")
    values = {"KTXH.GRDP_GROWTH": {"X": {"2026Q1": 9.0}, "Y": {"2026Q1": 5.0}}}
    assert agg([growth], values, "2026Q1") is None  # communes never add up to a growth rate
    values["KTXH.GRDP_GROWTH"]["P"] = {"2026Q1": 7.45, "2026Q2": 7.8}
    assert agg([growth], values, "2026Q1") == 7.45
    assert agg([growth], values, "2026S1") == 7.8


def test_a_units_own_value_comes_before_its_childrens() -> None:
    revenue = Rule("TM.RETAIL", "monthly", "sum", "sum")
    values = {"TM.RETAIL": {"P": months(2026, 1000), "X": months(2026, 300, 320)}}
    assert agg([revenue], values, "202601") == 1000  # the statistics office's own figure
    assert agg([revenue], values, "2026Q1") == 1000  # it reported in the quarter: taken as is
    assert agg([revenue], values, "202602") == 320  # no own figure in February: the communes


# --- formulas ------------------------------------------------------------------------------

ONTIME = Rule("DVC.ONTIME_RATE", "monthly", "none", "last", formula="100 * DVC.ONTIME / DVC.TOTAL")
PARTS = [Rule("DVC.ONTIME", "monthly", "sum", "sum"), Rule("DVC.TOTAL", "monthly", "sum", "sum")]


def test_ratio_is_computed_from_aggregated_numerator_and_denominator() -> None:
    values = {
        "DVC.ONTIME": {"X": months(2026, 90), "Y": months(2026, 10)},
        "DVC.TOTAL": {"X": months(2026, 100), "Y": months(2026, 50)},
    }
    # Communes: X 90 %, Y 20 %. Province: 100 × (90 + 10) / (100 + 50) = 66.67 %, not the
    # average of the communes' ratios (55 %).
    assert agg([ONTIME, *PARTS], values, "202601", org="X") == pytest.approx(90)
    assert agg([ONTIME, *PARTS], values, "202601", org="Y") == pytest.approx(20)
    province = agg([ONTIME, *PARTS], values, "202601")
    assert province == pytest.approx(200 / 3)
    assert province != pytest.approx(55)


def test_ratio_over_a_quarter_divides_the_quarters_sums() -> None:
    values = {
        "DVC.ONTIME": {"X": months(2026, 9, 10, 50)},
        "DVC.TOTAL": {"X": months(2026, 10, 100, 50)},
    }
    # Monthly ratios 90 %, 10 %, 100 % (average 66.7 %); the quarter: 100 × 69 / 160.
    assert agg([ONTIME, *PARTS], values, "2026Q1") == pytest.approx(43.125)


def test_zero_denominator_gives_no_value() -> None:
    values = {"DVC.ONTIME": {"X": months(2026, 0)}, "DVC.TOTAL": {"X": months(2026, 0)}}
    assert agg([ONTIME, *PARTS], values, "202601") is None


def test_ratio_of_inputs_of_different_frequencies_in_a_year_in_progress() -> None:
    pct = Rule("NS.PCT", "monthly", "none", "last", formula="100 * NS.REV / NS.EST")
    rev = Rule("NS.REV", "monthly", "sum", "sum")
    est = Rule("NS.EST", "yearly", "sum", "last")
    values = {"NS.REV": {"P": months(2026, 100, 120, 80)}, "NS.EST": {"P": {"2026": 1200.0}}}
    # Three months reported (through 31/03): the year's estimate is already known.
    assert agg([pct, rev, est], values, "2026", through=date(2026, 3, 31)) == pytest.approx(25)


def test_nesting_deeper_than_the_guard_fails_cleanly() -> None:
    rule = Rule("I", "monthly")
    looped = [Unit("A", "B"), Unit("B", "A")]  # a loop in parent codes
    with pytest.raises(AggregationError):
        agg([rule], {"I": {"A": {}}}, "202601", org="A", units=looped)


# --- missing values ------------------------------------------------------------------------


def _policy(missing: str, n: int = 0, time_agg: str = "average") -> Rule:
    return Rule("I", "monthly", "sum", time_agg, missing=missing, carry_forward_max=n)


def test_missing_value_skipped() -> None:
    values = {"I": {"X": months(2026, 10, None, 30)}}
    assert agg([_policy("skip")], values, "2026Q1") == pytest.approx(20)  # (10 + 30) / 2


def test_missing_value_as_zero() -> None:
    values = {"I": {"X": months(2026, 10, None, 30)}}
    assert agg([_policy("zero")], values, "2026Q1") == pytest.approx(40 / 3)  # (10+0+30)/3


def test_missing_value_carried_forward_within_the_limit() -> None:
    values = {"I": {"X": months(2026, 10, None, 30)}}
    # February takes January's 10: (10 + 10 + 30) / 3.
    assert agg([_policy("carry_forward", 1)], values, "2026Q1") == pytest.approx(50 / 3)


def test_carry_forward_stops_when_the_limit_is_reached() -> None:
    values = {"I": {"X": months(2026, 10)}}
    # N = 1: February 10, March stays missing; N = 2: both carried; N = 0 is skip.
    assert agg([_policy("carry_forward", 1, "sum")], values, "2026Q1") == 20
    assert agg([_policy("carry_forward", 2, "sum")], values, "2026Q1") == 30
    assert agg([_policy("carry_forward", 0, "sum")], values, "2026Q1") == 10


def test_carry_forward_reaches_back_into_last_year() -> None:
    values = {"I": {"X": {"202512": 7.0, "202602": 9.0}}}
    assert agg([_policy("carry_forward", 1, "sum")], values, "202601") == 7
    assert agg([_policy("carry_forward", 1, "sum")], values, "2026Q1") == 7 + 9 + 9


def test_expected_unit_without_any_value_counts_as_zero() -> None:
    rule = Rule("I", "monthly", "average", "sum", missing="zero")
    values = {"I": {"X": months(2026, 10), "Y": months(2026, 20)}}
    assert agg([rule], values, "202601") == 15  # Z is not expected: left out
    # A schedule names Z: (10 + 20 + 0) / 3.
    assert agg([rule], values, "202601", expected={"I": {"Z"}}) == 10
    skip = Rule("I", "monthly", "average", "sum", missing="skip")
    assert agg([skip], values, "202601", expected={"I": {"Z"}}) == 15


def test_missing_values_are_filled_only_in_periods_that_ended() -> None:
    values = {"I": {"X": months(2026, 10, None, 30)}}
    # 2026 cut at 31/03: only three months exist so far, the zero fills February only.
    assert agg([_policy("zero")], values, "2026", through=date(2026, 3, 31)) == pytest.approx(
        40 / 3
    )
    # The whole year, ended: nine more zero months.
    assert agg([_policy("zero")], values, "2026") == pytest.approx(40 / 12)


# --- periods ------------------------------------------------------------------------------


def test_months_roll_up_into_quarters_half_years_and_years() -> None:
    rule = Rule("I", "monthly", "sum", "sum")
    values = {"I": {"X": months(2026, *range(1, 13))}}  # 1 .. 12
    assert agg([rule], values, "2026Q1") == 6
    assert agg([rule], values, "2026Q4") == 33
    assert agg([rule], values, "2026S1") == 21
    assert agg([rule], values, "2026S2") == 57
    assert agg([rule], values, "2026") == 78


def test_weeks_belong_to_the_month_and_year_of_their_thursday() -> None:
    rule = Rule("I", "weekly", "sum", "sum")
    values = {
        "I": {
            "X": {
                "2025W52": 1.0,  # 22–28/12/2025
                "2026W01": 10.0,  # 29/12/2025–04/01/2026: Thursday 01/01/2026
                "2026W02": 100.0,
                "2026W05": 1000.0,  # 26/01–01/02: Thursday 29/01
                "2026W06": 10000.0,  # 02–08/02
                "2026W53": 7.0,  # 28/12/2026–03/01/2027: Thursday 31/12/2026
            }
        }
    }
    assert agg([rule], values, "202512") == 1
    assert agg([rule], values, "2025") == 1
    assert agg([rule], values, "202601") == 1110
    assert agg([rule], values, "202602") == 10000
    assert agg([rule], values, "2026Q1") == 11110
    assert agg([rule], values, "202612") == 7
    assert agg([rule], values, "2026") == 11117
    assert agg([rule], values, "2027") is None


def test_days_roll_up_into_weeks_and_months() -> None:
    rule = Rule("AQI", "daily", "average", "max")
    values = {"AQI": {"X": {"20260105": 80.0, "20260111": 120.0, "20260201": 60.0}}}
    assert agg([rule], values, "2026W02") == 120  # Monday 05/01 to Sunday 11/01
    assert agg([rule], values, "202601") == 120
    assert agg([rule], values, "2026Q1") == 120


def test_period_shorter_than_the_frequency_has_no_value() -> None:
    rule = Rule("I", "yearly", "sum", "sum")
    assert agg([rule], {"I": {"X": {"2026": 5.0}}}, "202601") is None


def test_year_in_progress_and_the_same_span_last_year() -> None:
    rule = Rule("I", "monthly", "sum", "sum")
    values = {"I": {"X": months(2025, *range(1, 13)) | months(2026, 10, 20, 30)}}
    span = Span(periods.parse("2026"), date(2026, 3, 31))
    engine = Aggregator({"I": rule}, UNITS, values)
    assert engine.value("I", "P", span).value == 60
    before = span.last_year()
    assert before.period.code == "2025"
    assert engine.value("I", "P", before).value == 6  # January–March 2025 only
    assert engine.value("I", "P", Span(periods.parse("2025"))).value == 78


# --- merged units -------------------------------------------------------------------------

MERGED = [
    Unit("P"),
    Unit("A", "P", OLD, date(2025, 6, 30)),  # merged into C on 01/07/2025
    Unit("B", "P", OLD, date(2025, 6, 30)),
    Unit("C", "P", date(2025, 7, 1)),
]


def _merged(code: str) -> dict[str, dict[str, dict[str, float]]]:
    return {
        code: {
            "A": months(2025, *[1000] * 6) | {"202508": 999.0},  # August: after the merger
            "B": months(2025, *[500] * 6),
            "C": months(2025, *[1500] * 6, first=7),
        }
    }


def test_a_merged_communes_history_counts_until_the_merger() -> None:
    flow = Rule("I", "monthly", "sum", "sum")
    values = _merged("I")
    # 6 × 1000 + 6 × 500 + 6 × 1500; A's August value (after it ended) does not count.
    assert agg([flow], values, "2025", units=MERGED) == 18000
    assert agg([flow], values, "2025S1", units=MERGED) == 9000
    assert agg([flow], values, "202508", units=MERGED) == 1500
    assert agg([flow], values, "2025", org="A", units=MERGED) == 6000
    assert agg([flow], values, "2025", org="C", units=MERGED) == 9000


def test_a_stock_is_not_counted_twice_across_a_merger() -> None:
    average = Rule("I", "monthly", "sum", "average")
    last = Rule("I", "monthly", "sum", "last")
    values = _merged("I")
    # Half a year each: 0.5 × 1000 + 0.5 × 500 + 0.5 × 1500 (not 1000 + 500 + 1500).
    assert agg([average], values, "2025", units=MERGED) == pytest.approx(1500)
    # The last value is C's December; A and B ended before it.
    assert agg([last], values, "2025", units=MERGED) == 1500
    assert agg([last], values, "2025S1", units=MERGED) == 1500  # June: A + B


def test_merged_units_are_filled_only_while_they_existed() -> None:
    zero = Rule("I", "monthly", "sum", "average", missing="zero")
    values = _merged("I")
    del values["I"]["A"]["202506"]
    # A: (5 × 1000 + 0) / 6, never zero-filled after June; C never before July:
    # 0.5 × 833.33 + 0.5 × 500 + 0.5 × 1500.
    assert agg([zero], values, "2025", units=MERGED) == pytest.approx(2500 / 6 + 250 + 750)
    flow = Rule("I", "monthly", "sum", "sum", missing="carry_forward", carry_forward_max=3)
    # A's June is not carried into July: July is C's 1500 only.
    assert agg([flow], _merged("I"), "202507", units=MERGED) == 1500


def test_back_series_before_a_units_creation_counts() -> None:
    flow = Rule("I", "monthly", "sum", "sum")
    values = {"I": {"C": months(2024, 40, 60)}}  # re-based history of a unit created in 2025
    assert agg([flow], values, "2024Q1", units=MERGED) == 100


# --- trace --------------------------------------------------------------------------------


def test_trace_says_which_values_and_rules() -> None:
    rule = Rule("I", "monthly", "sum", "sum", missing="carry_forward", carry_forward_max=1)
    values = {"I": {"X": months(2026, 4, None, 6), "Y": months(2026, 1, 1, 1)}}
    engine = Aggregator({"I": rule}, UNITS, values)
    trace = engine.value("I", "P", Span(periods.parse("2026Q1")), trace=True).trace
    assert trace is not None
    assert trace["source"] == "children"
    assert trace["space_agg"] == "sum"
    assert trace["value"] == 17
    assert "carry_forward (max 1)" in trace["rule"]
    x = next(p for p in trace["parts"] if p["org_unit"] == "X")
    assert x["value"] == 14
    assert x["trace"]["values"] == [
        {"period": "202601", "value": 4},
        {"period": "202602", "value": 4, "filled": "carried from 202601"},
        {"period": "202603", "value": 6},
    ]
    assert {p["org_unit"]: p["value"] for p in trace["parts"]} == {"X": 14, "Y": 3}


def test_trace_of_a_formula_shows_its_inputs() -> None:
    values = {"DVC.ONTIME": {"X": months(2026, 9)}, "DVC.TOTAL": {"X": months(2026, 10)}}
    engine = Aggregator({r.code: r for r in [ONTIME, *PARTS]}, UNITS, values)
    trace = engine.value(ONTIME.code, "P", Span(periods.parse("202601")), trace=True).trace
    assert trace is not None
    assert trace["source"] == "formula"
    assert trace["formula"] == "100 * DVC.ONTIME / DVC.TOTAL"
    assert trace["inputs"]["DVC.TOTAL"]["value"] == 10
    assert trace["inputs"]["DVC.ONTIME"]["parts"][0]["org_unit"] == "X"


# --- targets ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "status"),
    [(120, "met"), (100, "met"), (96, "on_track"), (95, "on_track"), (91, "at_risk"),
     (90, "at_risk"), (89, "off_track")],
)  # fmt: skip
def test_status_when_higher_is_better(value: float, status: str) -> None:
    assert TOLERANCE == 0.05
    assert status_of(value, 100, "higher_better") == status


@pytest.mark.parametrize(
    ("value", "status"),
    [(8, "met"), (10, "met"), (10.5, "on_track"), (10.9, "at_risk"), (11, "at_risk"),
     (11.5, "off_track")],
)  # fmt: skip
def test_status_when_lower_is_better(value: float, status: str) -> None:
    assert status_of(value, 10, "lower_better") == status


def test_no_status_without_target_or_value() -> None:
    assert judge(None, 100, "higher_better").status is None
    assert judge(None, 100, "higher_better").target == 100
    assert judge(50, None, "higher_better") == judge(None, None, "higher_better")
    assert judge(50, None, "higher_better").status is None


def test_cumulative_indicator_is_judged_against_the_elapsed_share_of_the_year() -> None:
    year = periods.parse("2026")
    q1 = Span(year, date(2026, 3, 31))
    share = coverage(year, q1)
    assert share == pytest.approx(90 / 365)
    # Target 365 for the year: 90 expected by 31/03; band 5 % of 90 = 4.5.
    assert judge(86, 365, "higher_better", share=share).status == "on_track"
    assert judge(82, 365, "higher_better", share=share).status == "at_risk"
    assert judge(80, 365, "higher_better", share=share).status == "off_track"
    verdict = judge(91, 365, "higher_better", share=share)
    assert verdict.status == "met"
    assert verdict.expected == pytest.approx(90)
    assert verdict.achieved_pct == pytest.approx(100 * 91 / 365)  # "đạt 24,9 % kế hoạch năm"
    # Without the share the same value is far off the yearly target.
    assert judge(91, 365, "higher_better").status == "off_track"


def test_coverage_of_a_quarter_and_of_the_periods_own_target() -> None:
    assert coverage(periods.parse("2026"), Span(periods.parse("2026Q2"))) == pytest.approx(91 / 365)
    assert coverage(periods.parse("2026Q2"), Span(periods.parse("2026Q2"))) == 1
    week = periods.parse("2026W01")  # starts 29/12/2025: only its 2026 days count
    assert coverage(periods.parse("2026"), Span(week)) == pytest.approx(4 / 365)


def test_change_from_last_year() -> None:
    assert change_pct(110, 100) == pytest.approx(10)
    assert change_pct(-5, -10) == pytest.approx(50)
    assert change_pct(1, 0) is None
    assert change_pct(None, 1) is None


# --- properties ---------------------------------------------------------------------------

amounts = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
commune_values = st.lists(amounts, min_size=1, max_size=30)
Series = dict[str, dict[str, dict[str, float]]]


def _flat(values: list[float]) -> tuple[list[Unit], Series]:
    """Province P with one commune per value, each reporting January 2026."""
    units = [Unit("P")] + [Unit(f"C{i}", "P", OLD) for i in range(len(values))]
    return units, {"I": {f"C{i}": {"202601": v} for i, v in enumerate(values)}}


def _close(a: float | None, b: float | None) -> bool:
    assert a is not None and b is not None
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


@given(commune_values, st.data())
def test_sum_is_additive_over_a_partition_of_communes(
    values: list[float], data: st.DataObject
) -> None:
    rule = Rule("I", "monthly", "sum", "sum")
    split = data.draw(st.integers(0, len(values)))
    units, series = _flat(values)
    whole = agg([rule], series, "202601", units=units)
    groups = [Unit("P"), Unit("G1", "P", OLD), Unit("G2", "P", OLD)] + [
        Unit(f"C{i}", "G1" if i < split else "G2", OLD) for i in range(len(values))
    ]
    parts = [agg([rule], series, "202601", org=g, units=groups) for g in ("G1", "G2")]
    assert _close(whole, sum(p for p in parts if p is not None))
    assert _close(whole, agg([rule], series, "202601", units=groups))


@given(commune_values)
def test_average_lies_between_min_and_max(values: list[float]) -> None:
    units, series = _flat(values)
    got = agg([Rule("I", "monthly", "average", "sum")], series, "202601", units=units)
    low = agg([Rule("I", "monthly", "min", "sum")], series, "202601", units=units)
    high = agg([Rule("I", "monthly", "max", "sum")], series, "202601", units=units)
    assert got is not None and low is not None and high is not None
    assert low - 1e-6 <= got <= high + 1e-6
    assert (low, high) == (min(values), max(values))


@given(commune_values, st.sampled_from(["sum", "average", "min", "max"]), st.randoms())
def test_order_of_units_does_not_change_the_result(
    values: list[float], space: str, rnd: random.Random
) -> None:
    units, series = _flat(values)
    rule = Rule("I", "monthly", space, "sum")
    shuffled = units[:]
    rnd.shuffle(shuffled)
    assert _close(
        agg([rule], series, "202601", units=units), agg([rule], series, "202601", units=shuffled)
    )


days = st.dates(min_value=date(2024, 6, 1), max_value=date(2026, 6, 1))


@given(
    st.lists(st.tuples(days, st.none() | days, st.dictionaries(st.integers(1, 24), amounts)),
             min_size=1, max_size=6),
    st.sampled_from(["sum", "average", "last", "min", "max"]),
    st.sampled_from(["sum", "average", "min", "max"]),
    st.sampled_from(["2025", "2025S2", "2025Q3", "202507"]),
)  # fmt: skip
def test_the_fast_path_agrees_with_the_traced_one(
    units: list[tuple[date, date | None, dict[int, float]]], time_agg: str, space: str, period: str
) -> None:
    """Without a trace the common case skips the general loop: both give the same result."""
    tree = [Unit("P")] + [
        Unit(f"C{i}", "P", start, end if end is None or end >= start else start)
        for i, (start, end, _) in enumerate(units)
    ]
    series = {
        f"C{i}": {f"{2024 + (m - 1) // 12}{(m - 1) % 12 + 1:02d}": v for m, v in got.items()}
        for i, (_, _, got) in enumerate(units)
    }
    engine = Aggregator({"I": Rule("I", "monthly", space, time_agg)}, tree, {"I": series})
    span = Span(periods.parse(period))
    plain, traced = engine.value("I", "P", span), engine.value("I", "P", span, trace=True)
    assert (plain.share, plain.at_end) == (traced.share, traced.at_end)
    assert (plain.value is None) == (traced.value is None)
    if plain.value is not None and traced.value is not None:
        assert math.isclose(plain.value, traced.value, rel_tol=1e-9, abs_tol=1e-6)
