"""Working time (thời gian làm việc) of the province's offices: the calendar of the SLA clock.

What it must not do: touch the database, read the clock or the environment. Callers pass a
``WorkCalendar`` (built from ``default_holidays`` or from the province's edited days) and
timezone-aware datetimes; results are aware datetimes in UTC.

**Working time.** A working day is a weekday of ``WorkCalendar.weekdays`` (Monday–Friday) or a
compensatory working day (ngày làm bù: a weekend day worked in exchange for a day off), and is
not a holiday; a holiday wins over both. Its working hours are ``WorkCalendar.hours`` in
Asia/Ho_Chi_Minh, 07:30–11:30 and 13:30–17:00 by default (7 h 30 a day). Each interval is
half-open: 11:30 and 17:00 are already outside working hours.

**Durations** are either working hours (a ``timedelta`` of working time) or ``WorkingDays``.

- ``timedelta``: the deadline is the first instant at which that much working time has passed
  since the start (Civil Code 2015 art. 147(1): a period in hours runs from the moment set). A
  start outside working hours begins at the next opening; a duration that ends exactly at a
  close ends *at* the close (11:30, 17:00), not at the next opening. So adding ``a`` then ``b``
  equals adding ``a + b``, and ``working_time_between(s, add_working_time(s, d)) == d``.
- ``WorkingDays(n)``: the close of the n-th working day after the day of receipt. The day of
  receipt is the start's own date when that is a working day and the start is no later than its
  close (before opening counts as received at opening); otherwise — after closing, on a weekend
  or a holiday — the next working day, as one-stop-shop practice deems papers filed outside
  office hours received on the next working day. The day of receipt itself is not counted
  (Civil Code 2015 art. 147(2): a period in days starts on the day after). The period ends at
  the close of its last day rather than at 24:00 (art. 148): the two are the same working
  time, and the close is when the office can still act. Received Friday 16:00, 1 working day →
  Monday 17:00; received Friday 17:30 or Saturday → Tuesday 17:00; received Monday 06:00 →
  Tuesday 17:00. There is no afternoon cut-off (some procedures count papers filed after 15:00
  as received the next day); ``n = 0`` leaves the start as it is.

**Clock** (đồng hồ xử lý). A stage's clock starts at ``start`` and stands still during its
pauses ``(paused_from, paused_to)``: an approved extension (gia hạn), waiting for the citizen.
``deadline`` is the instant at which the working time outside pauses reaches the duration's
working time counted from the start (for ``WorkingDays``, the working time from the start to the
close of the n-th working day): the paused working time pushes the deadline out, to the minute,
and a pause outside working hours changes nothing. Pauses may overlap; the parts before the
start are ignored, so **reopening** a case (mở lại) is a new clock started at the reopening
time, and earlier pauses no longer count. A pause still running has ``paused_to=None`` and is
taken to end at ``now`` (the deadline "if the clock started again now").

**Holidays.** The Labour Code 2019 art. 112 gives 1/1; Tết Âm lịch, 5 days; Giỗ Tổ Hùng Vương
(10/3 lunar); 30/4; 1/5; 2/9 and one day before or after it; a holiday falling on a weekly rest
day is taken on the next working day (nghỉ bù). The government sets the exact Tết days and any
swaps each year. ``default_holidays(year)`` reads them from the ``holidays`` package
(``country_holidays("VN", language="vi")``, checked with 0.109), which gives:

- 1/1, Giỗ Tổ, 30/4, 1/5, each moved to the next working day from a weekend (2026: Giỗ Tổ on
  Sunday 26/4 → Monday 27/4; 2027: 1/5 on Saturday → Monday 3/5; 2028: 1/1 → Monday 3/1);
- Tết: Giao thừa (29 or 30 Tết) and mùng 1–4, a Saturday among them taken on the working day
  before the break and a Sunday on the one after (2027: Thursday 4/2 – Wednesday 10/2). For 2025
  and 2026 this gives the same working days off as the government's decisions: 2026's official
  break was Saturday 14/02 – Sunday 22/02/2026, the package lists Monday 16/02 – Friday 20/02,
  the weekdays of that break. 2027 is the package's rule, not yet an official decision;
- 2/9 and the package's choice of the adjacent day (1/9 when 2/9 is a Tuesday, Wednesday,
  Friday or Saturday; 3/9 when a Monday, Thursday or Sunday), a 2/9 on a weekend also taken on
  the next working day — 2026: 1/9–2/9; 2027: 2/9–3/9; 2028: Friday 1/9 and Monday 4/9;
- the swaps the government decided (nghỉ bù / làm bù), as days off and compensatory days:
  2024: 29/4 off, Saturday 4/5 worked; 2025: 2/5 off, Saturday 26/4 worked; 2026: Monday 31/8
  off, Saturday 22/8 worked;
- from 2026, 24/11 Ngày Văn hóa Việt Nam (Politburo Resolution 80-NQ/TW; the Labour Code
  amendment that makes it a paid holiday was still pending in early 2026).

Weekend holidays are listed too (harmless: weekends are not working days). The defaults do
not know swaps the government has not decided yet (usually announced in the autumn before) nor
provincial arrangements, so the province reviews each year's schedule when the government
announces it and edits it (``HolidaySchedule.edited``; stored as ``CalendarDay`` rows). A
calendar knows only the years it was built with: build it for the start's year and the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import NamedTuple

import holidays

from iocvn.core.timeutil import LOCAL_TZ

Hours = tuple[tuple[time, time], ...]
Span = tuple[datetime, datetime]
PauseLike = tuple[datetime, datetime | None]

DEFAULT_HOURS: Hours = ((time(7, 30), time(11, 30)), (time(13, 30), time(17, 0)))
MONDAY_TO_FRIDAY: frozenset[int] = frozenset(range(5))  # date.weekday(): Monday is 0
COMPENSATORY_NAME = "Ngày làm việc bù"
_ONE_DAY = timedelta(days=1)
_ZERO = timedelta(0)


# --- holidays --------------------------------------------------------------------------------


@dataclass(frozen=True)
class HolidaySchedule:
    """One year's days off (ngày nghỉ lễ, Tết) and compensatory working days (ngày làm bù)."""

    year: int
    days_off: Mapping[date, str]
    compensatory_days: Mapping[date, str] = field(default_factory=dict)

    def edited(
        self,
        *,
        add_days_off: Mapping[date, str] | None = None,
        remove_days_off: Iterable[date] = (),
        add_compensatory: Mapping[date, str] | None = None,
        remove_compensatory: Iterable[date] = (),
    ) -> HolidaySchedule:
        """A copy with the province's changes for the year (the government's announcement)."""
        removed, unworked = set(remove_days_off), set(remove_compensatory)
        days_off = {d: n for d, n in self.days_off.items() if d not in removed}
        days_off.update(add_days_off or {})
        compensatory = {d: n for d, n in self.compensatory_days.items() if d not in unworked}
        compensatory.update(add_compensatory or {})
        return HolidaySchedule(
            self.year, dict(sorted(days_off.items())), dict(sorted(compensatory.items()))
        )


def default_holidays(year: int) -> HolidaySchedule:
    """Vietnam's public holidays of ``year`` per the ``holidays`` package (module docstring)."""
    known = holidays.country_holidays("VN", years=year, language="vi")
    days_off = dict(sorted(known.items()))
    compensatory = {
        day: _compensatory_name(day, days_off)
        for day in sorted(known.weekend_workdays)
        if day.year == year
    }
    return HolidaySchedule(year, days_off, compensatory)


def _compensatory_name(day: date, days_off: Mapping[date, str]) -> str:
    # The package names the day off "Ngày nghỉ (thay cho ngày 22/08/2026)": find it by the date.
    worked = day.strftime("%d/%m/%Y")
    for off, name in days_off.items():
        if worked in name:
            return f"Làm bù cho ngày {off.strftime('%d/%m/%Y')}"
    return COMPENSATORY_NAME


# --- the calendar ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkCalendar:
    """Working days and hours (lịch làm việc): weekdays, holidays, làm bù days, office hours."""

    holidays: frozenset[date] = frozenset()
    compensatory_days: frozenset[date] = frozenset()
    weekdays: frozenset[int] = MONDAY_TO_FRIDAY
    hours: Hours = DEFAULT_HOURS
    tz: tzinfo = LOCAL_TZ
    _hours_on: dict[date, tuple[Span, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        for name in ("holidays", "compensatory_days", "weekdays"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
        object.__setattr__(self, "hours", tuple(self.hours))
        if not self.weekdays or not self.weekdays <= set(range(7)):
            raise ValueError(f"weekdays must be a non-empty set of 0..6, not {self.weekdays}")
        if not self.hours:
            raise ValueError("a working day needs working hours")
        previous = time.min
        for i, (opens, closes) in enumerate(self.hours):
            if not opens < closes or (i and opens < previous):
                raise ValueError(f"working hours must be ordered, disjoint intervals: {self.hours}")
            previous = closes

    @classmethod
    def from_schedules(
        cls,
        schedules: Iterable[HolidaySchedule],
        *,
        weekdays: Iterable[int] = MONDAY_TO_FRIDAY,
        hours: Hours = DEFAULT_HOURS,
        tz: tzinfo = LOCAL_TZ,
    ) -> WorkCalendar:
        """The calendar of the given years' schedules."""
        off: set[date] = set()
        worked: set[date] = set()
        for schedule in schedules:
            off.update(schedule.days_off)
            worked.update(schedule.compensatory_days)
        return cls(frozenset(off), frozenset(worked), frozenset(weekdays), hours, tz)

    @property
    def day_length(self) -> timedelta:
        """The working time of one working day (7 h 30 with the default hours)."""
        return sum(
            (datetime.combine(date.min, closes) - datetime.combine(date.min, opens)
             for opens, closes in self.hours),
            timedelta(),
        )  # fmt: skip

    def local_date(self, t: datetime) -> date:
        """The date of ``t`` in the calendar's time zone."""
        return aware_utc(t).astimezone(self.tz).date()

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` has working hours."""
        if day in self.holidays:
            return False
        return day.weekday() in self.weekdays or day in self.compensatory_days

    def next_working_day(self, day: date) -> date:
        """The first working day after ``day``."""
        day += _ONE_DAY
        while not self.is_working_day(day):
            day += _ONE_DAY
        return day

    def hours_on(self, day: date) -> tuple[Span, ...]:
        """The working intervals of ``day`` as (opens, closes) in UTC; none on a day off."""
        spans = self._hours_on.get(day)
        if spans is None:  # remembered: every deadline walks the same days again
            spans = self._hours_on[day] = (
                tuple(
                    (
                        datetime.combine(day, opens, tzinfo=self.tz).astimezone(UTC),
                        datetime.combine(day, closes, tzinfo=self.tz).astimezone(UTC),
                    )
                    for opens, closes in self.hours
                )
                if self.is_working_day(day)
                else ()
            )
        return spans


def default_calendar(years: Iterable[int]) -> WorkCalendar:
    """The working calendar of ``years`` with the default holidays, weekdays and hours."""
    return WorkCalendar.from_schedules(default_holidays(year) for year in years)


@dataclass(frozen=True)
class WorkingDays:
    """A duration in working days (ngày làm việc): ends at the close of the n-th one."""

    days: int

    def __post_init__(self) -> None:
        if self.days < 0:
            raise ValueError(f"a negative number of working days: {self.days}")


Duration = timedelta | WorkingDays


# --- working time ----------------------------------------------------------------------------


def aware_utc(t: datetime) -> datetime:
    """``t`` in UTC; a naive datetime is refused rather than guessed."""
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"a naive datetime ({t!r}): pass a timezone-aware one")
    return t.astimezone(UTC)


def is_working(calendar: WorkCalendar, t: datetime) -> bool:
    """Whether ``t`` falls within working hours."""
    t = aware_utc(t)
    return any(opens <= t < closes for opens, closes in calendar.hours_on(calendar.local_date(t)))


def next_opening(calendar: WorkCalendar, t: datetime) -> datetime:
    """The first instant of working time at or after ``t`` (``t`` itself during work)."""
    t = aware_utc(t)
    day = calendar.local_date(t)
    while True:
        for opens, closes in calendar.hours_on(day):
            if t < closes:
                return max(opens, t)
        day += _ONE_DAY


def add_working_time(calendar: WorkCalendar, start: datetime, duration: Duration) -> datetime:
    """The deadline ``duration`` of working time after ``start`` (rules in the module doc)."""
    t = aware_utc(start)
    if isinstance(duration, WorkingDays):
        return _add_working_days(calendar, t, duration.days)
    if duration < _ZERO:
        raise ValueError(f"a negative duration: {duration}")
    if not duration:
        return t
    remaining = duration
    day = calendar.local_date(t)
    while True:
        for opens, closes in calendar.hours_on(day):
            if closes <= t:
                continue
            begin = max(opens, t)
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        day += _ONE_DAY


def _add_working_days(calendar: WorkCalendar, t: datetime, n: int) -> datetime:
    if not n:
        return t
    day = calendar.local_date(t)
    today = calendar.hours_on(day)
    if not today or t > today[-1][1]:
        day = calendar.next_working_day(day)  # the day of receipt
    for _ in range(n):
        day = calendar.next_working_day(day)
    return calendar.hours_on(day)[-1][1]


def working_time_between(calendar: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time from ``a`` to ``b``; negative when ``b`` comes first."""
    a, b = aware_utc(a), aware_utc(b)
    if b < a:
        return -working_time_between(calendar, b, a)
    total = _ZERO
    day, last = calendar.local_date(a), calendar.local_date(b)
    while day <= last:
        for opens, closes in calendar.hours_on(day):
            lo, hi = max(opens, a), min(closes, b)
            if lo < hi:
                total += hi - lo
        day += _ONE_DAY
    return total


# --- the clock -------------------------------------------------------------------------------


class Pause(NamedTuple):
    """A stretch when the clock stands still (tạm dừng); ``paused_to=None`` while it lasts."""

    paused_from: datetime
    paused_to: datetime | None = None


def working_budget(calendar: WorkCalendar, start: datetime, duration: Duration) -> timedelta:
    """The working time ``duration`` stands for on a clock started at ``start``."""
    if isinstance(duration, WorkingDays):
        return working_time_between(calendar, start, add_working_time(calendar, start, duration))
    return duration


def elapsed_working_time(
    calendar: WorkCalendar,
    start: datetime,
    now: datetime,
    pauses: Iterable[PauseLike] = (),
) -> timedelta:
    """Working time the clock started at ``start`` has run by ``now``, pauses left out."""
    start, now = aware_utc(start), aware_utc(now)
    if now <= start:
        return _ZERO
    paused = sum(
        (
            working_time_between(calendar, lo, min(hi, now))
            for lo, hi in _stops(pauses, start, now)
            if lo < now
        ),
        _ZERO,
    )
    return working_time_between(calendar, start, now) - paused


def deadline(
    calendar: WorkCalendar,
    start: datetime,
    duration: Duration,
    pauses: Iterable[PauseLike] = (),
    now: datetime | None = None,
) -> datetime:
    """When the clock started at ``start`` and stopped during ``pauses`` reaches ``duration``.

    ``now`` is needed only to end a pause still running (``paused_to=None``).
    """
    start = aware_utc(start)
    remaining = working_budget(calendar, start, duration)
    t = start
    for lo, hi in _stops(pauses, start, now):
        if hi <= t:
            continue
        if lo > t:
            reached = add_working_time(calendar, t, remaining)
            if reached <= lo:
                return reached
            remaining -= working_time_between(calendar, t, lo)
        t = hi
    return add_working_time(calendar, t, remaining)


def is_paused(pauses: Iterable[PauseLike], now: datetime) -> bool:
    """Whether one of ``pauses`` holds the clock at ``now``."""
    now = aware_utc(now)
    return any(aware_utc(lo) <= now and (hi is None or now < aware_utc(hi)) for lo, hi in pauses)


def _stops(pauses: Iterable[PauseLike], start: datetime, now: datetime | None) -> list[Span]:
    """The pauses from ``start`` on, a running one ended at ``now``, sorted and merged."""
    spans: list[Span] = []
    for paused_from, paused_to in pauses:
        lo = aware_utc(paused_from)
        if paused_to is None:
            if now is None:
                raise ValueError("a pause still running needs now")
            hi = aware_utc(now)
        else:
            hi = aware_utc(paused_to)
            if hi < lo:
                raise ValueError(f"a pause ending before it starts: {paused_from} → {paused_to}")
        lo = max(lo, start)
        if lo < hi:
            spans.append((lo, hi))
    merged: list[Span] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged
