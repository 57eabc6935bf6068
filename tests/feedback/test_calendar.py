"""The SLA clock: working calendar (holidays, làm bù, office hours), pauses, reopening, policy.

Expected deadlines are computed by hand in Vietnam's time (07:30–11:30, 13:30–17:00).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from iocvn.core.timeutil import LOCAL_TZ
from iocvn.feedback.calendar import (
    Duration,
    Pause,
    WorkCalendar,
    WorkingDays,
    add_working_time,
    deadline,
    default_calendar,
    default_holidays,
    elapsed_working_time,
    is_paused,
    is_working,
    next_opening,
    working_budget,
    working_time_between,
)
from iocvn.feedback.sla import SlaPolicy, sla_state

CAL = default_calendar(range(2025, 2029))
H = timedelta(hours=1)
M = timedelta(minutes=1)


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """An instant given in Vietnam's time."""
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ)


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(n) for n in range((end - start).days + 1)]


# --- holidays ------------------------------------------------------------------------------


def test_default_holidays_2026_follow_the_labour_code_and_the_announced_swaps() -> None:
    schedule = default_holidays(2026)
    off = schedule.days_off
    assert off[date(2026, 2, 17)] == "Tết Nguyên Đán"
    assert {date(2026, 2, 16), date(2026, 2, 20)} <= off.keys()
    assert off[date(2026, 4, 26)] == "Ngày Giỗ Tổ Hùng Vương"  # a Sunday …
    assert off[date(2026, 4, 27)] == "Ngày Giỗ Tổ Hùng Vương (nghỉ bù)"  # … taken on Monday
    assert {date(2026, 1, 1), date(2026, 4, 30), date(2026, 5, 1)} <= off.keys()
    assert {date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)} <= off.keys()
    assert date(2026, 11, 24) in off  # Ngày Văn hóa Việt Nam
    assert schedule.compensatory_days == {date(2026, 8, 22): "Làm bù cho ngày 31/08/2026"}


def test_tet_2026_matches_the_official_break_of_14_to_22_february() -> None:
    break_days = days(date(2026, 2, 14), date(2026, 2, 22))
    assert not any(CAL.is_working_day(d) for d in break_days)
    assert CAL.is_working_day(date(2026, 2, 13))
    assert CAL.is_working_day(date(2026, 2, 23))


def test_tet_2027_and_weekend_holidays_move_to_working_days() -> None:
    # Mùng 1 Tết Đinh Mùi is Saturday 6/2/2027: Thursday 4/2 to Wednesday 10/2 off.
    assert not any(CAL.is_working_day(d) for d in days(date(2027, 2, 4), date(2027, 2, 10)))
    assert CAL.is_working_day(date(2027, 2, 3))
    assert CAL.is_working_day(date(2027, 2, 11))
    assert not CAL.is_working_day(date(2027, 5, 3))  # 1/5/2027 is a Saturday
    assert not CAL.is_working_day(date(2027, 9, 3))  # the day next to Thursday 2/9/2027


def test_the_province_edits_a_year() -> None:
    edited = default_holidays(2026).edited(
        add_days_off={date(2026, 12, 31): "Nghỉ theo quyết định của tỉnh"},
        remove_days_off=[date(2026, 11, 24)],
        add_compensatory={date(2026, 12, 26): "Làm bù cho ngày 31/12/2026"},
        remove_compensatory=[date(2026, 8, 22)],
    )
    calendar = WorkCalendar.from_schedules([edited])
    assert not calendar.is_working_day(date(2026, 12, 31))
    assert calendar.is_working_day(date(2026, 11, 24))
    assert calendar.is_working_day(date(2026, 12, 26))
    assert not calendar.is_working_day(date(2026, 8, 22))
    assert not calendar.is_working_day(date(2026, 8, 31))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekdays": frozenset()}, "weekdays"),
        ({"weekdays": frozenset({7})}, "weekdays"),
        ({"hours": ()}, "needs working hours"),
        ({"hours": ((time(11, 30), time(7, 30)),)}, "ordered"),
        ({"hours": ((time(13, 30), time(17)), (time(7, 30), time(11, 30)))}, "ordered"),
        ({"hours": ((time(7, 30), time(12)), (time(11, 30), time(17)))}, "disjoint"),
    ],
)
def test_a_calendar_needs_working_days_and_ordered_hours(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        WorkCalendar(**kwargs)  # type: ignore[arg-type]


def test_weekdays_and_hours_are_configurable() -> None:
    six_days = WorkCalendar(
        weekdays=frozenset(range(6)), hours=((time(8), time(12)), (time(13), time(17)))
    )
    assert add_working_time(six_days, vn(2026, 3, 6, 16), 2 * H) == vn(2026, 3, 7, 9)
    assert add_working_time(six_days, vn(2026, 3, 6, 16), WorkingDays(1)) == vn(2026, 3, 7, 17)


# --- working time --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "duration", "expected"),
    [
        # weekend
        (vn(2026, 3, 6, 16), 8 * H, vn(2026, 3, 9, 16, 30)),
        (vn(2026, 3, 6, 16), WorkingDays(1), vn(2026, 3, 9, 17)),
        (vn(2026, 3, 6, 17), WorkingDays(1), vn(2026, 3, 9, 17)),  # at the close: still Friday
        (vn(2026, 3, 6, 17, 30), WorkingDays(1), vn(2026, 3, 10, 17)),  # after: Monday
        (vn(2026, 3, 7, 10), WorkingDays(1), vn(2026, 3, 10, 17)),  # Saturday: Monday
        (vn(2026, 3, 9, 6), WorkingDays(1), vn(2026, 3, 10, 17)),  # before opening
        (vn(2026, 3, 6, 16), WorkingDays(0), vn(2026, 3, 6, 16)),
        # start outside working hours
        (vn(2026, 3, 7, 10), H, vn(2026, 3, 9, 8, 30)),
        (vn(2026, 3, 9, 5), 30 * M, vn(2026, 3, 9, 8)),
        # lunch break
        (vn(2026, 3, 9, 10, 30), 2 * H, vn(2026, 3, 9, 14, 30)),
        (vn(2026, 3, 9, 12), H, vn(2026, 3, 9, 14, 30)),
        (vn(2026, 3, 9, 11), 30 * M, vn(2026, 3, 9, 11, 30)),  # ends at the close
        (vn(2026, 3, 9, 7, 30), 7 * H + 30 * M, vn(2026, 3, 9, 17)),
        # Tết 2026: 14/02–22/02 off
        (vn(2026, 2, 13, 10), 8 * H, vn(2026, 2, 23, 10, 30)),
        (vn(2026, 2, 12, 15), WorkingDays(10), vn(2026, 3, 5, 17)),
        (vn(2026, 2, 12, 15), WorkingDays(15), vn(2026, 3, 12, 17)),
        # Tết 2027: 04/02–10/02 off
        (vn(2027, 2, 3, 9), WorkingDays(10), vn(2027, 2, 24, 17)),
        (vn(2027, 2, 3, 16), 4 * H, vn(2027, 2, 11, 10, 30)),
        # Giỗ Tổ (Monday 27/4/2026, nghỉ bù), 30/4 and 1/5 (Thursday, Friday)
        (vn(2026, 4, 24, 9), WorkingDays(2), vn(2026, 4, 29, 17)),
        (vn(2026, 4, 29, 14), WorkingDays(1), vn(2026, 5, 4, 17)),
        (vn(2026, 4, 29, 14), 8 * H, vn(2026, 5, 4, 14, 30)),
        # 2/9 with the adjacent day: 2026 31/8 (swap), 1/9, 2/9; 2027 2/9, 3/9
        (vn(2026, 8, 28, 9), 8 * H, vn(2026, 9, 3, 9, 30)),
        (vn(2027, 9, 1, 10), 8 * H, vn(2027, 9, 6, 10, 30)),
        # compensatory Saturday 22/8/2026
        (vn(2026, 8, 21, 16), 2 * H, vn(2026, 8, 22, 8, 30)),
        (vn(2026, 8, 21, 16), WorkingDays(1), vn(2026, 8, 22, 17)),
        (vn(2026, 8, 22, 12), WorkingDays(1), vn(2026, 8, 24, 17)),
    ],
)
def test_add_working_time(start: datetime, duration: Duration, expected: datetime) -> None:
    result = add_working_time(CAL, start, duration)
    assert result == expected
    assert result.tzinfo is UTC


def test_working_time_between() -> None:
    assert working_time_between(CAL, vn(2026, 3, 6, 16), vn(2026, 3, 9, 16, 30)) == 8 * H
    assert working_time_between(CAL, vn(2026, 3, 9, 16, 30), vn(2026, 3, 6, 16)) == -8 * H
    assert working_time_between(CAL, vn(2026, 2, 13, 7, 30), vn(2026, 2, 23, 7, 30)) == 7.5 * H
    assert working_time_between(CAL, vn(2026, 3, 9, 11), vn(2026, 3, 9, 14)) == H


@pytest.mark.parametrize(
    ("t", "working", "opening"),
    [
        (vn(2026, 3, 9, 7, 30), True, vn(2026, 3, 9, 7, 30)),
        (vn(2026, 3, 9, 11, 30), False, vn(2026, 3, 9, 13, 30)),
        (vn(2026, 3, 9, 12), False, vn(2026, 3, 9, 13, 30)),
        (vn(2026, 3, 9, 16, 59), True, vn(2026, 3, 9, 16, 59)),
        (vn(2026, 3, 6, 17), False, vn(2026, 3, 9, 7, 30)),
        (vn(2026, 3, 7, 10), False, vn(2026, 3, 9, 7, 30)),
        (vn(2026, 2, 13, 17), False, vn(2026, 2, 23, 7, 30)),
        (vn(2026, 2, 17, 10), False, vn(2026, 2, 23, 7, 30)),
        (vn(2026, 8, 22, 10), True, vn(2026, 8, 22, 10)),
    ],
)
def test_is_working_and_next_opening(t: datetime, working: bool, opening: datetime) -> None:
    assert is_working(CAL, t) is working
    assert next_opening(CAL, t) == opening


def test_naive_datetimes_and_negative_durations_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        add_working_time(CAL, datetime(2026, 3, 9, 8), H)
    with pytest.raises(ValueError, match="negative"):
        add_working_time(CAL, vn(2026, 3, 9, 8), -H)
    with pytest.raises(ValueError, match="negative"):
        WorkingDays(-1)


# --- the clock: pauses and reopening -------------------------------------------------------

START = vn(2026, 3, 9, 9)  # Monday; 10 working days → Monday 23/3 17:00


@pytest.mark.parametrize(
    ("pauses", "expected"),
    [
        ([], vn(2026, 3, 23, 17)),
        # an approved extension of two whole working days (gia hạn)
        ([Pause(vn(2026, 3, 11, 7, 30), vn(2026, 3, 13, 7, 30))], vn(2026, 3, 25, 17)),
        # 1 h on Wednesday and 1 h 30 on Thursday
        ([Pause(vn(2026, 3, 11, 16), vn(2026, 3, 12, 9))], vn(2026, 3, 24, 10)),
        # a weekend, and a pause from before the start, change nothing
        ([Pause(vn(2026, 3, 14, 8), vn(2026, 3, 15, 20))], vn(2026, 3, 23, 17)),
        ([Pause(vn(2026, 3, 2, 8), vn(2026, 3, 9, 9))], vn(2026, 3, 23, 17)),
        # overlapping pauses count once
        (
            [
                Pause(vn(2026, 3, 11, 7, 30), vn(2026, 3, 12, 12)),
                Pause(vn(2026, 3, 12, 8), vn(2026, 3, 13, 7, 30)),
            ],
            vn(2026, 3, 25, 17),
        ),
        # a pause after the deadline does not move it
        ([Pause(vn(2026, 3, 24, 8), vn(2026, 3, 26, 8))], vn(2026, 3, 23, 17)),
    ],
)
def test_pauses_push_the_deadline(pauses: list[Pause], expected: datetime) -> None:
    assert deadline(CAL, START, WorkingDays(10), pauses) == expected


def test_a_pause_in_working_hours() -> None:
    # 8 h from Monday 9:00, paused 10:00–14:00 (2 working hours) → Tuesday 11:30
    pauses = [Pause(vn(2026, 3, 9, 10), vn(2026, 3, 9, 14))]
    assert deadline(CAL, START, 8 * H, pauses) == vn(2026, 3, 10, 11, 30)


def test_elapsed_working_time_leaves_pauses_out() -> None:
    pauses = [Pause(vn(2026, 3, 11, 7, 30), vn(2026, 3, 13, 7, 30))]
    # Monday 6 h, Tuesday 7 h 30, then nothing until Friday 7:30.
    assert elapsed_working_time(CAL, START, vn(2026, 3, 11, 7, 30), pauses) == 13.5 * H
    assert elapsed_working_time(CAL, START, vn(2026, 3, 12, 10), pauses) == 13.5 * H
    assert elapsed_working_time(CAL, START, vn(2026, 3, 13, 9), pauses) == 15 * H
    assert elapsed_working_time(CAL, START, vn(2026, 3, 1), pauses) == timedelta(0)


def test_a_running_pause_ends_now() -> None:
    waiting = [Pause(vn(2026, 3, 10, 7, 30), None)]  # waiting for the citizen since Tuesday
    now = vn(2026, 3, 12, 7, 30)
    assert deadline(CAL, START, WorkingDays(10), waiting, now) == vn(2026, 3, 25, 17)
    assert is_paused(waiting, now)
    assert not is_paused([Pause(vn(2026, 3, 10, 7, 30), now)], now)
    with pytest.raises(ValueError, match="running"):
        deadline(CAL, START, WorkingDays(10), waiting)
    with pytest.raises(ValueError, match="before it starts"):
        deadline(CAL, START, H, [Pause(now, START)])


def test_reopening_starts_a_new_clock() -> None:
    pauses = [
        Pause(vn(2026, 3, 11, 7, 30), vn(2026, 3, 13, 7, 30)),  # before: no longer counts
        Pause(vn(2026, 4, 3, 8), vn(2026, 4, 8, 7, 30)),  # straddles the reopening
    ]
    reopened = vn(2026, 4, 6, 10)  # Monday
    assert deadline(CAL, reopened, WorkingDays(10)) == vn(2026, 4, 20, 17)
    # Paused Monday 10:00 → Wednesday 7:30 (12 h 30): Wednesday 22/4 14:30.
    assert deadline(CAL, reopened, WorkingDays(10), pauses) == vn(2026, 4, 22, 14, 30)


# --- SLA policy ----------------------------------------------------------------------------


def test_default_policy() -> None:
    policy = SlaPolicy()
    assert {policy.duration("accept", p) for p in ("urgent", "normal", "complex")} == {8 * H}
    assert policy.duration("resolve", "urgent") == 4 * H
    assert policy.duration("resolve", "normal") == WorkingDays(10)
    assert policy.duration("resolve", "complex") == WorkingDays(15)


def test_category_overrides_apply_to_children() -> None:
    policy = SlaPolicy(overrides={"giao_thong": {("resolve", "normal"): WorkingDays(5)}})
    assert policy.duration("resolve", "normal", "giao_thong.o_ga") == WorkingDays(5)
    assert policy.duration("resolve", "normal", "giao_thong") == WorkingDays(5)
    assert policy.duration("resolve", "complex", "giao_thong.o_ga") == WorkingDays(15)
    assert policy.duration("resolve", "normal", "moi_truong") == WorkingDays(10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"durations": {("accept", "normal"): H}}, "no time limit"),
        ({"due_soon_share": 1.5}, "due_soon_share"),
        ({"escalation": (("ioc", 0.5), ("leadership", 0.0))}, "rising"),
    ],
)
def test_a_policy_is_checked(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SlaPolicy(**kwargs)  # type: ignore[arg-type]


# Accept within 8 working hours from Friday 6/3/2026 16:00: deadline Monday 16:30; due soon
# after 6 h 24 (Monday 14:54); leadership after 12 h (Tuesday 11:00).
@pytest.mark.parametrize(
    ("now", "status", "level", "remaining"),
    [
        (vn(2026, 3, 7, 10), "on_time", "unit", 7 * H),
        (vn(2026, 3, 9, 14), "on_time", "unit", 2.5 * H),
        (vn(2026, 3, 9, 14, 54), "due_soon", "unit", 96 * M),
        (vn(2026, 3, 9, 16, 30), "due_soon", "unit", timedelta(0)),
        (vn(2026, 3, 9, 16, 31), "overdue", "ioc", -M),
        (vn(2026, 3, 9, 20), "overdue", "ioc", -30 * M),
        (vn(2026, 3, 10, 11), "overdue", "ioc", -4 * H),
        (vn(2026, 3, 10, 13, 45), "overdue", "leadership", -4.75 * H),
    ],
)
def test_sla_state_over_time(now: datetime, status: str, level: str, remaining: timedelta) -> None:
    state = sla_state(
        SlaPolicy(),
        CAL,
        stage="accept",
        stage_start=vn(2026, 3, 6, 16),
        now=now,
        priority="normal",
    )
    assert state.deadline == vn(2026, 3, 9, 16, 30)
    assert state.due_soon_at == vn(2026, 3, 9, 14, 54)
    assert state.escalations == (
        ("ioc", vn(2026, 3, 9, 16, 30)),
        ("leadership", vn(2026, 3, 10, 11)),
    )
    assert (state.status, state.escalation, state.remaining) == (status, level, remaining)
    assert not state.paused


def test_sla_state_across_tet_with_a_category() -> None:
    policy = SlaPolicy(overrides={"moi_truong": {("resolve", "complex"): WorkingDays(20)}})
    state = sla_state(
        policy,
        CAL,
        stage="resolve",
        stage_start=vn(2026, 2, 12, 15),
        now=vn(2026, 3, 16, 9),
        priority="complex",
        category="moi_truong.rac_thai",
    )
    assert state.duration == WorkingDays(20)
    assert state.budget == 2 * H + 20 * 7.5 * H  # Thursday 15:00–17:00, then 20 days
    assert state.deadline == vn(2026, 3, 19, 17)  # 15 working days would end on 12/3
    # Due soon once 20 % (30 h 24) is left: Friday 13/3 16:36.
    assert state.due_soon_at == vn(2026, 3, 13, 16, 36)
    assert state.remaining == 28.5 * H
    assert (state.status, state.escalation) == ("due_soon", "unit")


def test_sla_state_while_paused_and_after_reopening() -> None:
    policy = SlaPolicy()
    start = vn(2026, 3, 9, 9)
    extension = [Pause(vn(2026, 3, 11, 7, 30), vn(2026, 3, 13, 7, 30))]
    during = sla_state(
        policy,
        CAL,
        stage="resolve",
        stage_start=start,
        now=vn(2026, 3, 12, 10),
        priority="normal",
        pauses=extension,
    )
    assert during.paused
    assert during.deadline == vn(2026, 3, 25, 17)
    assert during.remaining == 81 * H - 13.5 * H  # 6 h + 75 h, less Monday and Tuesday
    assert during.status == "on_time"

    # Resolved late, then reopened by the citizen on Monday 6/4 10:00: a fresh clock.
    late = sla_state(
        policy,
        CAL,
        stage="resolve",
        stage_start=start,
        now=vn(2026, 4, 6, 10),
        priority="normal",
        pauses=extension,
    )
    assert (late.status, late.escalation) == ("overdue", "leadership")
    assert late.escalations[1] == ("leadership", vn(2026, 4, 2, 10, 30))  # + 40 h 30
    reopened = sla_state(
        policy,
        CAL,
        stage="resolve",
        stage_start=vn(2026, 4, 6, 10),
        now=vn(2026, 4, 6, 10),
        priority="normal",
        pauses=extension,
    )
    assert reopened.deadline == vn(2026, 4, 20, 17)
    assert (reopened.status, reopened.escalation, reopened.paused) == ("on_time", "unit", False)


# --- properties ----------------------------------------------------------------------------

starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda t: t.replace(tzinfo=UTC)
)
hours = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300))
working_days = st.builds(WorkingDays, st.integers(0, 40))


def _within_hours(t: datetime) -> bool:
    """``t`` is inside or at the close of a working interval of a working day."""
    return any(opens < t <= closes for opens, closes in CAL.hours_on(CAL.local_date(t)))


@given(starts, hours, hours)
def test_hours_are_monotone_and_additive(start: datetime, a: timedelta, b: timedelta) -> None:
    first = add_working_time(CAL, start, a)
    both = add_working_time(CAL, start, a + b)
    assert add_working_time(CAL, first, b) == both
    assert first <= both


@given(starts, st.integers(0, 40), st.integers(0, 40))
def test_working_days_are_monotone_and_additive(start: datetime, a: int, b: int) -> None:
    first = add_working_time(CAL, start, WorkingDays(a))
    both = add_working_time(CAL, start, WorkingDays(a + b))
    assert add_working_time(CAL, first, WorkingDays(b)) == both
    assert first <= both


@given(starts, hours)
def test_working_time_between_inverts_add_working_time(start: datetime, d: timedelta) -> None:
    assert working_time_between(CAL, start, add_working_time(CAL, start, d)) == d


@given(starts, st.one_of(hours, working_days))
def test_deadlines_fall_within_working_hours(start: datetime, d: Duration) -> None:
    assume(d not in (timedelta(0), WorkingDays(0)))
    end = add_working_time(CAL, start, d)
    assert end > start
    assert _within_hours(end)
    if isinstance(d, WorkingDays):  # at the close of a working day
        assert end == CAL.hours_on(CAL.local_date(end))[-1][1]


@given(starts)
def test_next_opening_is_the_first_working_instant(t: datetime) -> None:
    opening = next_opening(CAL, t)
    assert opening >= t
    assert is_working(CAL, opening)
    assert working_time_between(CAL, t, opening) == timedelta(0)


pauses = st.lists(
    st.tuples(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
    ),
    max_size=3,
)


@given(starts, st.one_of(hours, working_days), pauses)
def test_pauses_only_push_deadlines_out_by_the_paused_time(
    start: datetime, d: Duration, offsets: list[tuple[timedelta, timedelta]]
) -> None:
    stops = [Pause(start + lo, start + lo + length) for lo, length in offsets]
    plain = add_working_time(CAL, start, d)
    paused = deadline(CAL, start, d, stops)
    assert paused >= plain
    assert elapsed_working_time(CAL, start, paused, stops) == working_budget(CAL, start, d)
