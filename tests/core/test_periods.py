"""Reporting periods: codes, navigation, roll-up (weeks by their Thursday), labels."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from iocvn.core import i18n
from iocvn.core.errors import IocError
from iocvn.core.periods import (
    PERIOD_TYPES,
    InvalidPeriod,
    Period,
    children,
    elapsed_share,
    for_date,
    label,
    parse,
    parse_for,
    periods_between,
    rollup,
    year_to_date,
)

# Leave a year of margin so that navigation one year either way stays within 1900–2999.
days = st.dates(min_value=date(1901, 1, 1), max_value=date(2998, 12, 31))
types = st.sampled_from(PERIOD_TYPES)


@st.composite
def periods(draw: st.DrawFn, period_type: str | None = None) -> Period:
    return for_date(draw(days), period_type or draw(types))


@st.composite
def nested_types(draw: st.DrawFn) -> tuple[str, str]:
    """A (finer, coarser-or-same) pair of period types."""
    fine = draw(st.integers(0, len(PERIOD_TYPES) - 1))
    coarse = draw(st.integers(fine, len(PERIOD_TYPES) - 1))
    return PERIOD_TYPES[fine], PERIOD_TYPES[coarse]


# --- codes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "period_type", "start", "end"),
    [
        ("2026", "yearly", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026S1", "half_yearly", date(2026, 1, 1), date(2026, 6, 30)),
        ("2026S2", "half_yearly", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026Q1", "quarterly", date(2026, 1, 1), date(2026, 3, 31)),
        ("2026Q2", "quarterly", date(2026, 4, 1), date(2026, 6, 30)),
        ("2026Q3", "quarterly", date(2026, 7, 1), date(2026, 9, 30)),
        ("2026Q4", "quarterly", date(2026, 10, 1), date(2026, 12, 31)),
        ("202607", "monthly", date(2026, 7, 1), date(2026, 7, 31)),
        ("202402", "monthly", date(2024, 2, 1), date(2024, 2, 29)),
        ("202602", "monthly", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026W05", "weekly", date(2026, 1, 26), date(2026, 2, 1)),
        ("2026W01", "weekly", date(2025, 12, 29), date(2026, 1, 4)),
        ("2026W53", "weekly", date(2026, 12, 28), date(2027, 1, 3)),
        ("2020W53", "weekly", date(2020, 12, 28), date(2021, 1, 3)),
        ("20260715", "daily", date(2026, 7, 15), date(2026, 7, 15)),
        ("20240229", "daily", date(2024, 2, 29), date(2024, 2, 29)),
        ("1900", "yearly", date(1900, 1, 1), date(1900, 12, 31)),
        ("2999Q4", "quarterly", date(2999, 10, 1), date(2999, 12, 31)),
        (" 2026Q3\n", "quarterly", date(2026, 7, 1), date(2026, 9, 30)),
    ],
)
def test_parse_reads_every_code_type(code: str, period_type: str, start: date, end: date) -> None:
    p = parse(code)
    assert (p.type, p.start, p.end) == (period_type, start, end)
    assert p.code == str(p) == code.strip()


@pytest.mark.parametrize(
    "code",
    [
        "",
        "   ",
        "26",
        "20261",
        "2026W54",
        "2026W00",
        "2026W5",
        "2026W005",
        "2021W53",
        "2027W53",
        "202613",
        "202600",
        "20260230",
        "20250229",
        "20261301",
        "20260700",
        "2026Q5",
        "2026Q0",
        "2026Q01",
        "2026S3",
        "2026S0",
        "2026q3",
        "2026s1",
        "2026w05",
        "1899",
        "189912",
        "3000",
        "3000Q1",
        "30000101",
        "0000",
        "2026-07",
        "2026-07-15",
        "07/2026",
        "2026 Q3",
        "2026Q3x",
        "+2026",
        "２０２６",  # full-width digits are not ASCII digits
        "٢٠٢٦",
        "2026\n07",
    ],
)
def test_parse_refuses_anything_else(code: str) -> None:
    with pytest.raises(InvalidPeriod) as caught:
        parse(code)
    err = caught.value
    assert isinstance(err, IocError)
    assert (err.status, err.code) == (422, "invalid_period")
    assert err.message_key == "error.invalid_period"
    assert err.details == {
        "period": code,
        "expected": ["20260715", "2026W05", "202607", "2026Q3", "2026S1", "2026"],
    }


def test_week_53_exists_only_in_long_iso_years() -> None:
    for year in range(1900, 3000):
        long_year = date(year, 12, 28).isocalendar()[1] == 53
        if long_year:
            assert parse(f"{year}W53").start == date.fromisocalendar(year, 53, 1)
        else:
            with pytest.raises(InvalidPeriod):
                parse(f"{year}W53")
    assert parse("2020W53").end == date(2021, 1, 3)
    with pytest.raises(InvalidPeriod):
        parse("2021W53")
    with pytest.raises(ValueError, match="53"):
        date.fromisocalendar(2027, 53, 1)
    with pytest.raises(InvalidPeriod):
        parse("2027W53")


def test_parse_for_checks_the_type() -> None:
    assert parse_for("202607", "monthly") == parse("202607")
    with pytest.raises(InvalidPeriod) as caught:
        parse_for("2026Q3", "monthly")
    assert (caught.value.code, caught.value.status) == ("period_type_mismatch", 422)
    assert caught.value.details == {
        "period": "2026Q3",
        "expected": ["202607"],
        "period_type": "monthly",
    }
    with pytest.raises(InvalidPeriod) as caught:
        parse_for("202613", "monthly")
    assert caught.value.code == "invalid_period"
    assert caught.value.details == {"period": "202613", "expected": ["202607"]}
    with pytest.raises(ValueError, match="unknown period type"):
        parse_for("2026", "annual")


def test_messages_exist_in_both_languages() -> None:
    for key in ("error.invalid_period", "error.period_type_mismatch"):
        assert i18n.t(key, "vi") != key
        assert i18n.t(key, "en") != key
    assert "2026W05" in i18n.t("error.invalid_period", "vi")


def test_period_invariants_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown period type"):
        Period("fortnightly", date(2026, 1, 1), date(2026, 1, 14))
    with pytest.raises(ValueError, match="does not start"):
        Period("monthly", date(2026, 1, 2), date(2026, 2, 1))
    with pytest.raises(ValueError, match="does not end"):
        Period("monthly", date(2026, 1, 1), date(2026, 1, 30))
    with pytest.raises(InvalidPeriod):
        Period("yearly", date(3000, 1, 1), date(3000, 12, 31))
    assert Period("monthly", date(2026, 7, 1), date(2026, 7, 31)) == parse("202607")


def test_periods_sort_by_start_then_finer_type_first() -> None:
    codes = ["2026", "2026S1", "2026Q1", "202601", "20260101", "2025W52", "2026W01", "202602"]
    ordered = sorted(parse(c) for c in codes)
    assert [p.code for p in ordered] == [
        "2025W52",  # 22/12/2025
        "2026W01",  # 29/12/2025
        "20260101",
        "202601",
        "2026Q1",
        "2026S1",
        "2026",
        "202602",
    ]
    assert len({parse("2026"), parse(" 2026"), parse("2026Q1")}) == 2


def test_for_date_accepts_a_datetime() -> None:
    assert for_date(datetime(2026, 7, 15, 23, 59), "daily") == parse("20260715")
    assert for_date(date(2026, 7, 15), "half_yearly") == parse("2026S2")
    with pytest.raises(ValueError, match="unknown period type"):
        for_date(date(2026, 7, 15), "hourly")


# --- weeks across boundaries ---------------------------------------------------------------


def test_week_one_belongs_to_the_year_of_its_thursday() -> None:
    w1 = parse("2026W01")
    assert w1.start == date(2025, 12, 29)
    assert rollup(w1, "yearly") == parse("2026")
    assert rollup(w1, "monthly") == parse("202601")
    assert rollup(w1, "quarterly") == parse("2026Q1")
    assert rollup(w1, "half_yearly") == parse("2026S1")
    assert parse("2026").contains(w1)
    assert not parse("2025").contains(w1)
    assert not parse("202512").contains(w1)
    # …but its days keep their own calendar month and year.
    monday = for_date(date(2025, 12, 29), "daily")
    assert w1.contains(monday)
    assert rollup(monday, "weekly") == w1
    assert rollup(monday, "yearly") == parse("2025")


def test_weeks_of_a_month_are_those_whose_thursday_is_in_it() -> None:
    assert [w.code for w in children(parse("202601"), "weekly")] == [
        "2026W01",
        "2026W02",
        "2026W03",
        "2026W04",
        "2026W05",  # 26/01–01/02: Thursday 29/01
    ]
    assert [w.code for w in children(parse("202602"), "weekly")] == [
        "2026W06",
        "2026W07",
        "2026W08",
        "2026W09",
    ]
    # A year has as many weeks as its ISO year: 53 in 2026 and 2020, 52 in 2027.
    assert len(children(parse("2026"), "weekly")) == 53
    assert children(parse("2026"), "weekly")[-1].code == "2026W53"
    assert len(children(parse("2020"), "weekly")) == 53
    assert len(children(parse("2027"), "weekly")) == 52
    assert children(parse("2027"), "weekly")[0].code == "2027W01"
    assert rollup(parse("2020W53"), "monthly") == parse("202012")


def test_children_and_rollup_by_hand() -> None:
    assert [c.code for c in children(parse("2026"), "half_yearly")] == ["2026S1", "2026S2"]
    assert [c.code for c in children(parse("2026S2"), "quarterly")] == ["2026Q3", "2026Q4"]
    assert [c.code for c in children(parse("2026Q3"), "monthly")] == ["202607", "202608", "202609"]
    assert len(children(parse("202402"), "daily")) == 29
    assert [c.code for c in children(parse("2026W01"), "daily")][::6] == ["20251229", "20260104"]
    assert children(parse("202607"), "monthly") == [parse("202607")]
    assert rollup(parse("20260715"), "quarterly") == parse("2026Q3")
    with pytest.raises(ValueError, match="finer"):
        rollup(parse("2026Q3"), "monthly")
    with pytest.raises(ValueError, match="no yearly children"):
        children(parse("2026Q3"), "yearly")
    with pytest.raises(ValueError, match="no monthly children"):
        children(parse("2026W05"), "monthly")


def test_contains_follows_rollup() -> None:
    assert parse("2026").contains(parse("2026"))
    assert not parse("2026Q3").contains(parse("2026"))
    assert not parse("2026W05").contains(parse("202601"))
    assert parse("2026W05").contains(parse("20260201"))
    assert parse("202601").contains(parse("2026W05"))
    assert not parse("202602").contains(parse("2026W05"))
    assert not parse("2026Q1").contains(parse("2026Q2"))


# --- navigation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "before", "after", "last_year"),
    [
        ("2026", "2025", "2027", "2025"),
        ("2026S1", "2025S2", "2026S2", "2025S1"),
        ("2026Q1", "2025Q4", "2026Q2", "2025Q1"),
        ("202601", "202512", "202602", "202501"),
        ("2026W01", "2025W52", "2026W02", "2025W01"),
        ("2026W53", "2026W52", "2027W01", "2025W52"),
        ("2021W01", "2020W53", "2021W02", "2020W01"),
        ("2021W52", "2021W51", "2022W01", "2020W52"),
        ("20260301", "20260228", "20260302", "20250301"),
        ("20240229", "20240228", "20240301", "20230228"),
        ("20251231", "20251230", "20260101", "20241231"),
    ],
)
def test_navigation_by_hand(code: str, before: str, after: str, last_year: str) -> None:
    p = parse(code)
    assert p.previous().code == before
    assert p.next().code == after
    assert p.same_period_last_year().code == last_year


def test_shift_and_its_limits() -> None:
    assert parse("202611").shift(3).code == "202702"
    assert parse("2026Q1").shift(-5).code == "2024Q4"
    assert parse("2026W50").shift(4).code == "2027W01"  # across 2026W53
    assert parse("2026").shift(0) == parse("2026")
    with pytest.raises(InvalidPeriod) as caught:
        parse("2999").next()
    assert caught.value.details == {"period": "2999", "shift": 1, "expected": ["2026"]}
    with pytest.raises(InvalidPeriod):
        parse("19000101").previous()
    with pytest.raises(InvalidPeriod):
        parse("1900W01").same_period_last_year()
    with pytest.raises(InvalidPeriod):
        parse("202607").shift(10**9)
    with pytest.raises(InvalidPeriod):
        for_date(date(2999, 12, 31), "weekly")  # 3000W01


def test_periods_between_and_year_to_date_by_hand() -> None:
    assert [p.code for p in periods_between(parse("2025Q3"), parse("2026Q2"))] == [
        "2025Q3",
        "2025Q4",
        "2026Q1",
        "2026Q2",
    ]
    assert periods_between(parse("202607"), parse("202606")) == []
    with pytest.raises(InvalidPeriod) as caught:
        periods_between(parse("202601"), parse("2026Q2"))
    assert caught.value.code == "period_type_mismatch"
    assert [p.code for p in year_to_date(parse("2026Q3"))] == ["2026Q1", "2026Q2", "2026Q3"]
    assert year_to_date(parse("2026")) == [parse("2026")]
    assert year_to_date(parse("2026W03"))[0].code == "2026W01"
    assert len(year_to_date(parse("2026W53"))) == 53
    assert year_to_date(parse("2027W01")) == [parse("2027W01")]  # starts 04/01/2027
    assert len(year_to_date(parse("20261231"))) == 365
    assert year_to_date(parse("2026S1")) == [parse("2026S1")]


def test_elapsed_share_by_hand() -> None:
    year = parse("2026")
    assert elapsed_share(year, date(2025, 12, 31)) == 0.0
    assert elapsed_share(year, date(2026, 1, 1)) == pytest.approx(1 / 365)
    assert elapsed_share(year, date(2026, 7, 2)) == pytest.approx(183 / 365)
    assert elapsed_share(year, date(2026, 12, 31)) == 1.0
    assert elapsed_share(year, date(2030, 1, 1)) == 1.0
    assert elapsed_share(parse("20260715"), datetime(2026, 7, 15, 8, 0)) == 1.0


# --- labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "vi", "en"),
    [
        ("2026", "Năm 2026", "2026"),
        ("2026S1", "6 tháng đầu năm 2026", "H1 2026"),
        ("2026S2", "6 tháng cuối năm 2026", "H2 2026"),
        ("2026Q1", "Quý I/2026", "Q1 2026"),
        ("2026Q3", "Quý III/2026", "Q3 2026"),
        ("2026Q4", "Quý IV/2026", "Q4 2026"),
        ("202607", "Tháng 7/2026", "July 2026"),
        ("202612", "Tháng 12/2026", "December 2026"),
        ("2026W05", "Tuần 5/2026", "Week 5, 2026"),
        ("2026W01", "Tuần 1/2026", "Week 1, 2026"),
        ("20260715", "15/07/2026", "15/07/2026"),
    ],
)
def test_labels(code: str, vi: str, en: str) -> None:
    p = parse(code)
    assert label(p) == label(p, "vi") == vi
    assert label(p, "en") == en


# --- properties -----------------------------------------------------------------------------


@given(periods())
def test_codes_round_trip(p: Period) -> None:
    assert parse(p.code) == p
    assert parse_for(p.code, p.type) == p
    assert p.start <= p.end


@given(periods())
def test_next_and_previous_are_inverse(p: Period) -> None:
    assert p.next().previous() == p
    assert p.previous().next() == p
    assert p.next().start == p.end + timedelta(days=1)
    assert p.previous().end == p.start - timedelta(days=1)


@given(days, types)
def test_for_date_contains_the_day(d: date, period_type: str) -> None:
    p = for_date(d, period_type)
    assert p.type == period_type
    assert p.start <= d <= p.end


@given(days, nested_types())
def test_children_partition_their_parent(d: date, pair: tuple[str, str]) -> None:
    fine, coarse = pair
    parent = for_date(d, coarse)
    kids = children(parent, fine)
    assert kids
    assert all(parent.contains(k) and rollup(k, coarse) == parent for k in kids)
    assert kids == periods_between(kids[0], kids[-1])  # consecutive, in order, no gaps
    if fine != "weekly" or coarse == "weekly":
        assert (kids[0].start, kids[-1].end) == (parent.start, parent.end)
    else:  # the weeks' Thursdays cover exactly the parent's Thursdays
        thursdays = [k.start + timedelta(days=3) for k in kids]
        first = parent.start + timedelta(days=(3 - parent.start.weekday()) % 7)
        assert thursdays[0] == first
        assert thursdays[-1] + timedelta(days=7) > parent.end >= thursdays[-1]
    # Every finer period of the same type rolls up into exactly one such parent.
    assert parent.previous().contains(kids[0]) is False
    assert parent.next().contains(kids[-1]) is False


@given(days, nested_types())
def test_every_period_is_a_child_of_exactly_one_parent(d: date, pair: tuple[str, str]) -> None:
    fine, coarse = pair
    own = for_date(d, fine)
    parent = rollup(own, coarse)
    assert parent.contains(own)
    assert children(parent, fine).count(own) == 1
    for neighbour in (parent.previous(), parent.next()):
        assert own not in children(neighbour, fine)
    week = for_date(d, "weekly")
    if coarse != "daily":
        assert children(rollup(week, coarse), "weekly").count(week) == 1


@given(days, nested_types(), nested_types())
def test_rollup_is_transitive(d: date, a: tuple[str, str], b: tuple[str, str]) -> None:
    ranks = sorted({PERIOD_TYPES.index(t) for t in (*a, *b)})
    chain = [PERIOD_TYPES[r] for r in ranks]
    # The one deliberate exception: a day belongs to its own month, but its ISO week to the
    # month of the week's Thursday (so 01/01/2000 is in 200001, its week 1999W52 in 199912).
    assume(not (chain[0] == "daily" and "weekly" in chain[1:-1]))
    p = for_date(d, chain[0])
    step = p
    for t in chain[1:]:
        step = rollup(step, t)
        assert step == rollup(p, t)


@given(periods())
def test_same_period_last_year_is_one_year_back(p: Period) -> None:
    back = p.same_period_last_year()
    assert back.type == p.type
    if p.type == "daily":
        if (p.start.month, p.start.day) == (2, 29):
            assert back.start == date(p.start.year - 1, 2, 28)
        else:
            assert back.start == p.start.replace(year=p.start.year - 1)
    elif p.type == "weekly":
        year, week, _ = p.start.isocalendar()
        back_year, back_week, _ = back.start.isocalendar()
        assert back_year == year - 1
        exists = date(year - 1, 12, 28).isocalendar()[1] >= week
        assert back_week == (week if exists else 52)
    else:
        assert back.start == p.start.replace(year=p.start.year - 1)
        assert (int(back.code[:4]), back.code[4:]) == (p.start.year - 1, p.code[4:])


middle_days = st.dates(min_value=date(1970, 1, 1), max_value=date(2900, 12, 31))


@given(middle_days, types, st.integers(-60, 60))  # ±60 years from 1970–2900 stays in range
def test_periods_between_spans_the_shift(day: date, period_type: str, n: int) -> None:
    p = for_date(day, period_type)
    other = p.shift(n)
    assert other.shift(-n) == p
    span = periods_between(p, other) if n >= 0 else periods_between(other, p)
    assert len(span) == abs(n) + 1
    assert span == sorted(span)
    assert len(set(span)) == len(span)


@given(periods())
def test_year_to_date_runs_from_the_first_of_the_year(p: Period) -> None:
    ytd = year_to_date(p)
    year = rollup(p, "yearly")
    assert ytd[-1] == p
    assert ytd[0] == children(year, p.type)[0]
    assert all(year.contains(q) for q in ytd)


@given(periods(), days, days)
def test_elapsed_share_grows_from_zero_to_one(p: Period, a: date, b: date) -> None:
    early, late = min(a, b), max(a, b)
    assert 0.0 <= elapsed_share(p, early) <= elapsed_share(p, late) <= 1.0
    assert elapsed_share(p, p.start - timedelta(days=1)) == 0.0
    assert elapsed_share(p, p.end) == 1.0
    assert elapsed_share(p, p.end + timedelta(days=1)) == 1.0


@given(periods(), st.sampled_from(["vi", "en"]))
def test_labels_name_the_year(p: Period, lang: str) -> None:
    assert str(rollup(p, "yearly").start.year) in label(p, lang)
