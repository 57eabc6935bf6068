"""Reporting periods (kỳ báo cáo) with DHIS2-style codes: the time axis of indicator values.

Codes: ``2026`` yearly, ``2026S1``/``2026S2`` half-yearly, ``2026Q1``..``2026Q4`` quarterly,
``202607`` monthly, ``2026W05`` ISO-8601 weekly (two-digit week, only weeks that exist in that
ISO year), ``20260715`` daily. Years run from 1900 to 2999 (the ISO year for weeks).

Roll-up rule. Values are aggregated from shorter to longer periods, so each finer period belongs
to exactly one coarser period of every type. Days, months, quarters, half-years and years nest
by the calendar. An ISO week may straddle a month or year boundary: it belongs to the month,
quarter, half-year and year that contain its **Thursday** (the ISO-8601 rule, which also fixes
its ISO year). So ``2026W01`` (29/12/2025–04/01/2026) belongs to 202601 and to 2026, and the
weekly children of a month are the weeks whose Thursday falls in it: weeks partition months and
years without overlap. A day belongs to its ISO week and to its own calendar month, so for the
days at a month's edge day → month and day → week → month can differ. ``Period.contains``
follows the same rule: it means "rolls up into", not "lies within the dates".

Periods sort by (start, type), finer types first at the same start. This module is pure: the
standard library and ``iocvn.core`` only; no database, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from iocvn.core.errors import Invalid
from iocvn.core.i18n import register

PERIOD_TYPES: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly")
MIN_YEAR, MAX_YEAR = 1900, 2999
EXAMPLES: dict[str, str] = {
    "daily": "20260715",
    "weekly": "2026W05",
    "monthly": "202607",
    "quarterly": "2026Q3",
    "half_yearly": "2026S1",
    "yearly": "2026",
}

_RANK = {t: i for i, t in enumerate(PERIOD_TYPES)}
_MONTHS = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}  # months per period
_THURSDAY = timedelta(days=3)  # from a week's Monday
_CODES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("yearly", re.compile(r"([0-9]{4})")),
    ("half_yearly", re.compile(r"([0-9]{4})S([12])")),
    ("quarterly", re.compile(r"([0-9]{4})Q([1-4])")),
    ("monthly", re.compile(r"([0-9]{4})(0[1-9]|1[0-2])")),
    ("weekly", re.compile(r"([0-9]{4})W(0[1-9]|[1-4][0-9]|5[0-3])")),
    ("daily", re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")),
)
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_ROMAN = ("I", "II", "III", "IV")


class InvalidPeriod(Invalid):
    """A period code that is malformed, out of range, or not of the type asked for."""

    code = "invalid_period"


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: its type and its first and last day (both inclusive)."""

    type: str = field(compare=False)
    start: date = field(compare=False)
    end: date = field(compare=False)
    # The start and the type rank identify a period; comparing only them orders periods
    # chronologically (finer first) instead of alphabetically by type name.
    _key: tuple[date, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.type not in _RANK:
            raise ValueError(f"unknown period type {self.type!r}")
        if _floor(self.start, self.type) != self.start:
            raise ValueError(f"{self.start} does not start a {self.type} period")
        if not MIN_YEAR <= _year(self) <= MAX_YEAR:
            raise _invalid(self.code, [self.type])
        if self.end != _end(self.start, self.type):
            raise ValueError(f"{self.end} does not end the {self.type} period from {self.start}")
        object.__setattr__(self, "_key", (self.start, _RANK[self.type]))

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        """The DHIS2-style code: ``2026``, ``2026S1``, ``2026Q3``, ``202607``, ``2026W05``…"""
        y, m, t = self.start.year, self.start.month, self.type
        if t == "yearly":
            return f"{y:04d}"
        if t == "half_yearly":
            return f"{y:04d}S{(m - 1) // 6 + 1}"
        if t == "quarterly":
            return f"{y:04d}Q{(m - 1) // 3 + 1}"
        if t == "monthly":
            return f"{y:04d}{m:02d}"
        if t == "weekly":
            iso_year, week, _ = self.start.isocalendar()
            return f"{iso_year:04d}W{week:02d}"
        return f"{y:04d}{m:02d}{self.start.day:02d}"

    def next(self) -> Period:
        """The period of the same type right after this one."""
        return self.shift(1)

    def previous(self) -> Period:
        """The period of the same type right before this one."""
        return self.shift(-1)

    def shift(self, n: int) -> Period:
        """The period ``n`` periods of the same type later (earlier when ``n`` is negative)."""
        try:
            return _from_ordinal(self.type, _ordinal(self) + n)
        except (ValueError, OverflowError, InvalidPeriod):  # beyond MIN_YEAR..MAX_YEAR
            raise InvalidPeriod(
                details={"period": self.code, "shift": n, "expected": [EXAMPLES[self.type]]}
            ) from None

    def same_period_last_year(self) -> Period:
        """The same period one year back (29/02 → 28/02; W53 → W52 when W53 did not exist)."""
        if self.type == "daily":
            try:
                return _make("daily", self.start.replace(year=self.start.year - 1))
            except ValueError:  # 29/02 in a leap year
                return _make("daily", date(self.start.year - 1, 2, 28))
        if self.type == "weekly":
            iso_year, week, _ = self.start.isocalendar()
            try:
                return _make("weekly", date.fromisocalendar(iso_year - 1, week, 1))
            except ValueError:  # no W53 in the previous ISO year
                return _make("weekly", date.fromisocalendar(iso_year - 1, 52, 1))
        return self.shift(-12 // _MONTHS[self.type])

    def contains(self, other: Period) -> bool:
        """Whether ``other`` rolls up into this period (a week by its Thursday; see module)."""
        if _RANK[other.type] > _RANK[self.type]:
            return False
        anchor = other.start
        if other.type == "weekly" and self.type != "weekly":
            anchor += _THURSDAY
        return self.start <= anchor <= self.end


def parse(code: str) -> Period:
    """The period for a code such as ``2026Q3``; ``InvalidPeriod`` for anything else."""
    text = code.strip()
    for period_type, pattern in _CODES:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year, *rest = (int(g) for g in match.groups())
        if not MIN_YEAR <= year <= MAX_YEAR:
            break
        try:
            return _make(period_type, _start_of(period_type, year, rest))
        except ValueError:  # 20260230, 2027W53
            break
    raise _invalid(code, list(PERIOD_TYPES))


def parse_for(code: str, period_type: str) -> Period:
    """The period for ``code``, which must be of ``period_type`` (an indicator's frequency)."""
    _check_type(period_type)
    try:
        period = parse(code)
    except InvalidPeriod:
        raise _invalid(code, [period_type]) from None
    if period.type != period_type:
        raise InvalidPeriod(
            "period_type_mismatch",
            details={
                "period": code,
                "expected": [EXAMPLES[period_type]],
                "period_type": period_type,
            },
        )
    return period


def for_date(d: date, period_type: str) -> Period:
    """The period of ``period_type`` that contains day ``d``."""
    _check_type(period_type)
    return _make(period_type, _floor(_day(d), period_type))


def rollup(p: Period, period_type: str) -> Period:
    """The period of the (coarser or same) ``period_type`` that ``p`` belongs to."""
    _check_type(period_type)
    if _RANK[period_type] < _RANK[p.type]:
        raise ValueError(f"cannot roll {p.type} up to the finer {period_type}")
    if period_type == p.type:
        return p
    anchor = p.start + _THURSDAY if p.type == "weekly" else p.start
    return for_date(anchor, period_type)


def children(p: Period, period_type: str) -> list[Period]:
    """The periods of the (finer or same) ``period_type`` that belong to ``p``, in order."""
    _check_type(period_type)
    if _RANK[period_type] > _RANK[p.type]:
        raise ValueError(f"a {p.type} period has no {period_type} children")
    if period_type == p.type:
        return [p]
    if period_type == "weekly":
        first_thursday = p.start + timedelta(days=(3 - p.start.weekday()) % 7)
        last_thursday = p.end - timedelta(days=(p.end.weekday() - 3) % 7)
        count = (last_thursday - first_thursday).days // 7 + 1
        monday = first_thursday - _THURSDAY
        return [_make("weekly", monday + timedelta(weeks=i)) for i in range(count)]
    return periods_between(for_date(p.start, period_type), for_date(p.end, period_type))


def periods_between(first: Period, last: Period) -> list[Period]:
    """Every period from ``first`` to ``last`` inclusive (same type; empty if last < first)."""
    if first.type != last.type:
        raise InvalidPeriod(
            "period_type_mismatch",
            details={"period": last.code, "expected": [EXAMPLES[first.type]]},
        )
    origin = _ordinal(first)
    return [_from_ordinal(first.type, i) for i in range(origin, _ordinal(last) + 1)]


def year_to_date(p: Period) -> list[Period]:
    """The periods of ``p``'s type from the first of its year (ISO year for weeks) to ``p``."""
    if p.type == "weekly":
        first = _make("weekly", date.fromisocalendar(_year(p), 1, 1))
    else:
        first = for_date(date(p.start.year, 1, 1), p.type)
    return periods_between(first, p)


def elapsed_share(p: Period, on: date) -> float:
    """Share (0..1) of ``p``'s days elapsed by the end of day ``on`` (on the last day: 1)."""
    total = (p.end - p.start).days + 1
    done = (_day(on) - p.start).days + 1
    return min(max(done, 0), total) / total


def label(p: Period, lang: str = "vi") -> str:
    """How people name the period: ``Quý III/2026`` (vi), ``Q3 2026`` (en)."""
    en = lang == "en"
    y, m = p.start.year, p.start.month
    if p.type == "yearly":
        return f"{y}" if en else f"Năm {y}"
    if p.type == "half_yearly":
        if en:
            return f"H{(m - 1) // 6 + 1} {y}"
        return f"6 tháng {'đầu' if m == 1 else 'cuối'} năm {y}"
    if p.type == "quarterly":
        quarter = (m - 1) // 3 + 1
        return f"Q{quarter} {y}" if en else f"Quý {_ROMAN[quarter - 1]}/{y}"
    if p.type == "monthly":
        return f"{_MONTH_NAMES[m - 1]} {y}" if en else f"Tháng {m}/{y}"
    if p.type == "weekly":
        iso_year, week, _ = p.start.isocalendar()
        return f"Week {week}, {iso_year}" if en else f"Tuần {week}/{iso_year}"
    return p.start.strftime("%d/%m/%Y")


def _invalid(code: str, types: list[str]) -> InvalidPeriod:
    return InvalidPeriod(details={"period": code, "expected": [EXAMPLES[t] for t in types]})


def _check_type(period_type: str) -> None:
    if period_type not in _RANK:
        raise ValueError(f"unknown period type {period_type!r}; expected one of {PERIOD_TYPES}")


def _day(d: date) -> date:
    """A plain date (a datetime would not compare with dates)."""
    return date(d.year, d.month, d.day)


def _year(p: Period) -> int:
    """The year the period belongs to: the ISO year (its Thursday's year) for weeks."""
    return (p.start + _THURSDAY).year if p.type == "weekly" else p.start.year


def _make(period_type: str, start: date) -> Period:
    return Period(period_type, start, _end(start, period_type))


def _start_of(period_type: str, year: int, rest: list[int]) -> date:
    """The first day of a parsed code; ValueError for days and weeks that do not exist."""
    if period_type == "weekly":
        return date.fromisocalendar(year, rest[0], 1)
    if period_type == "daily":
        return date(year, rest[0], rest[1])
    if period_type == "monthly":
        return date(year, rest[0], 1)
    months = _MONTHS[period_type]
    return date(year, (rest[0] - 1) * months + 1 if rest else 1, 1)


def _floor(d: date, period_type: str) -> date:
    """The first day of the period of ``period_type`` that contains ``d``."""
    if period_type == "daily":
        return d
    if period_type == "weekly":
        return d - timedelta(days=d.weekday())
    months = _MONTHS[period_type]
    return date(d.year, (d.month - 1) // months * months + 1, 1)


def _end(start: date, period_type: str) -> date:
    if period_type == "daily":
        return start
    if period_type == "weekly":
        return start + timedelta(days=6)
    index = start.year * 12 + start.month - 1 + _MONTHS[period_type]
    return date(index // 12, index % 12 + 1, 1) - timedelta(days=1)


def _ordinal(p: Period) -> int:
    """Consecutive periods of one type have consecutive ordinals."""
    if p.type == "daily":
        return p.start.toordinal()
    if p.type == "weekly":
        return p.start.toordinal() // 7  # Mondays are 7k + 1 (01/01/0001 was a Monday)
    return (p.start.year * 12 + p.start.month - 1) // _MONTHS[p.type]


def _from_ordinal(period_type: str, ordinal: int) -> Period:
    if period_type == "daily":
        return _make("daily", date.fromordinal(ordinal))
    if period_type == "weekly":
        return _make("weekly", date.fromordinal(ordinal * 7 + 1))
    index = ordinal * _MONTHS[period_type]
    return _make(period_type, date(index // 12, index % 12 + 1, 1))


register(
    {
        "error.invalid_period": (
            "Mã kỳ báo cáo không hợp lệ; dùng dạng 2026, 2026S1, 2026Q3, 202607, 2026W05 "
            "hoặc 20260715 (năm từ 1900 đến 2999).",
            "Not a valid period code; use 2026, 2026S1, 2026Q3, 202607, 2026W05 or 20260715 "
            "(years 1900 to 2999).",
        ),
        "error.period_type_mismatch": (
            "Kỳ báo cáo không đúng loại kỳ yêu cầu (như tần suất của chỉ tiêu).",
            "The period is not of the required type (such as the indicator's frequency).",
        ),
    }
)
