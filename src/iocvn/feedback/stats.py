"""Statistics of citizen feedback (thống kê phản ánh, kiến nghị) per handling unit, category
or commune, and the daily counts that feed the indicators ``PAKN.*``.

Honest by construction: "closed" is never "fixed". Every rate is a numerator over a
denominator that contains it (so it stays within 0–100 %), and is ``None`` when the
denominator is 0. The definitions (the page prints them, ``docs/feedback.md`` explains them):

- *received*: cases whose ``received_at`` falls in [from, to) (local days, Asia/Ho_Chi_Minh);
  every other count is taken among them.
- *resolved*: ``resolved_at`` set or outcome ``fixed``/``fixed_confirmed`` (the unit reported
  a result; a case the reporter reopened is not resolved until resolved again).
- *on-time %* = resolved on time (``resolved_on_time`` true) / resolved.
- *late* = resolved late (``resolved_on_time`` false) + *overdue now* (open, deadline passed).
- *reopen rate* = cases reopened at least once / cases resolved at least once (resolved now,
  or reopened — a case can only be reopened after it was resolved).
- *verified-fix rate* = outcome ``fixed_confirmed`` / outcome ``fixed`` or ``fixed_confirmed``:
  of the cases the unit said were fixed, the share whose reporter confirmed it.
- *satisfaction*: the mean of the 1–5 ratings given, and how many were given.

Pure reads: one ``GROUP BY`` query over the cases (never a Python loop over them), scoped
with :meth:`OrgScope.handling_clause`. Nothing here writes; :func:`publish_daily` only
announces counts on :mod:`iocvn.core.events` (the indicators domain subscribes).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.core import events
from iocvn.core.errors import Invalid
from iocvn.core.i18n import register, t
from iocvn.core.timeutil import local_midnight, utcnow
from iocvn.feedback.models import OPEN_STATUSES, Feedback, FeedbackCategory
from iocvn.org.geo import installed_province
from iocvn.org.models import OrgUnit

GROUPS = ("unit", "category", "commune")
DAILY_EVENT = "feedback.daily_counts"
DAILY_FIELDS = ("received", "resolved", "on_time")
MAX_DAYS = 3660  # ten years: wider ranges are a typo, not a question

register(
    {
        "error.invalid_stats_group": (
            "Không thể thống kê theo {group}; chọn unit, category hoặc commune.",
            "Cannot group by {group}; choose unit, category or commune.",
        ),
        "error.invalid_stats_range": (
            "Khoảng thời gian không hợp lệ: ngày bắt đầu phải trước ngày kết thúc "
            "(tối đa {days} ngày).",
            "Invalid range: the start must come before the end (at most {days} days).",
        ),
        "error.stats_not_delivered": (
            "Số liệu phản ánh ngày {day} chưa được ghi vào chỉ số (xem nhật ký hệ thống).",
            "The feedback counts of {day} were not written to the indicators (see the log).",
        ),
        "fbstats.none.unit": ("Chưa giao đơn vị xử lý", "No handling unit yet"),
        "fbstats.none.category": ("Chưa phân loại lĩnh vực", "No category yet"),
        "fbstats.none.commune": ("Chưa xác định xã, phường", "Commune unknown"),
        "fbstats.total": ("Tổng cộng", "Total"),
    }
)


@dataclass
class Counts:
    """The counts of one group; rates are derived from them (never stored)."""

    received: int = 0
    resolved: int = 0
    on_time: int = 0
    resolved_late: int = 0
    open: int = 0
    overdue: int = 0
    reopened: int = 0
    ever_resolved: int = 0
    fixed_reported: int = 0
    fixed_confirmed: int = 0
    rejected: int = 0
    not_our_remit: int = 0
    transferred: int = 0
    duplicates: int = 0
    ratings: int = 0
    satisfaction_sum: int = 0

    @property
    def late(self) -> int:
        """Resolved late plus open past their deadline now."""
        return self.resolved_late + self.overdue

    @property
    def on_time_pct(self) -> float | None:
        """100 × resolved on time / resolved."""
        return _pct(self.on_time, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        """100 × reopened at least once / resolved at least once."""
        return _pct(self.reopened, self.ever_resolved)

    @property
    def verified_fix_rate(self) -> float | None:
        """100 × confirmed fixed by the reporter / reported fixed by the unit."""
        return _pct(self.fixed_confirmed, self.fixed_reported)

    @property
    def satisfaction(self) -> float | None:
        """Mean rating (1–5) of the ratings given."""
        return self.satisfaction_sum / self.ratings if self.ratings else None

    def add(self, other: Counts) -> None:
        """Add another group's counts to these."""
        for name in COUNT_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNT_FIELDS = tuple(f.name for f in fields(Counts))
RATES = ("on_time_pct", "reopen_rate", "verified_fix_rate")


@dataclass
class Row(Counts):
    """One group (``key`` ``None``: cases without a unit, category or commune) or the total."""

    key: str | None = None
    name: str = ""


@dataclass
class Stats:
    """The statistics of a range: one row per group, and the total of the caller's scope."""

    group: str
    start: date
    end: date  # exclusive
    now: datetime
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=Row)


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def window(start: date, end: date) -> tuple[datetime, datetime]:
    """The instants of local days [start, end): from start's midnight to end's midnight."""
    if not start < end or (end - start).days > MAX_DAYS:
        raise Invalid("invalid_stats_range", details={"from": str(start), "to": str(end)},
                      days=MAX_DAYS)  # fmt: skip
    return local_midnight(start), local_midnight(end)


def top_level(session: Session, column: Any) -> ColumnElement[Any]:
    """SQL for the part of a category code before its first dot (``giao_thong.o_ga`` →
    ``giao_thong``). Constants are inlined so GROUP BY matches the selected expression."""
    dot: ColumnElement[str] = literal_column("'.'")
    one: ColumnElement[int] = literal_column("1")
    if session.get_bind().dialect.name == "postgresql":
        return func.split_part(column, dot, one)
    at = func.instr(column, dot)
    return case((at > 0, func.substr(column, one, at - one)), else_=column)


def _key(session: Session, group: str) -> Any:
    if group == "unit":
        return Feedback.org_code
    if group == "commune":
        return Feedback.area_code
    if group == "category":
        return top_level(session, Feedback.category_code)
    raise Invalid("invalid_stats_group", details={"group": group[:20]}, group=group[:20])


def _measures(now: datetime) -> list[Any]:
    """The aggregates of :class:`Counts`, in its field order."""
    resolved = or_(
        Feedback.resolved_at.is_not(None), Feedback.outcome.in_(("fixed", "fixed_confirmed"))
    )
    reopened = Feedback.reopen_count > 0
    is_open = Feedback.status.in_(OPEN_STATUSES)
    outcome = Feedback.outcome
    return [
        func.count(),
        func.count().filter(resolved),
        func.count().filter(and_(resolved, Feedback.resolved_on_time.is_(True))),
        func.count().filter(and_(resolved, Feedback.resolved_on_time.is_(False))),
        func.count().filter(is_open),
        func.count().filter(and_(is_open, Feedback.deadline_at < now)),
        func.count().filter(reopened),
        func.count().filter(or_(resolved, reopened)),
        func.count().filter(outcome.in_(("fixed", "fixed_confirmed"))),
        func.count().filter(outcome == "fixed_confirmed"),
        func.count().filter(outcome == "rejected"),
        func.count().filter(outcome == "not_our_remit"),
        func.count().filter(outcome == "transferred"),
        func.count().filter(outcome == "duplicate"),
        func.count(Feedback.satisfaction),
        func.coalesce(func.sum(Feedback.satisfaction), 0),
    ]


def _names(session: Session, group: str, keys: list[str], lang: str) -> dict[str, str]:
    if not keys:
        return {}
    if group == "category":
        name = FeedbackCategory.name_en if lang == "en" else FeedbackCategory.name_vi
        stmt = select(FeedbackCategory.code, name).where(FeedbackCategory.code.in_(keys))
    else:
        stmt = select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(keys))
    return {code: text or code for code, text in session.execute(stmt)}


def statistics(
    session: Session,
    group: str,
    start: date,
    end: date,
    scope: OrgScope | None,
    *,
    now: datetime | None = None,
    lang: str = "vi",
) -> Stats:
    """Cases received in local days [start, end) within ``scope`` (``None``: all), grouped
    by ``unit``, ``category`` or ``commune``, with the total (422 on an unknown group)."""
    key = _key(session, group).label("grp")
    since, until = window(start, end)
    now = now or utcnow()
    stmt = select(key, *_measures(now)).where(
        Feedback.received_at >= since, Feedback.received_at < until
    )
    if scope is not None:
        stmt = stmt.where(scope.handling_clause(Feedback.org_code, Feedback.area_code))
    found = session.execute(stmt.group_by(key)).all()
    names = _names(session, group, [r[0] for r in found if r[0] is not None], lang)
    out = Stats(group, start, end, now, total=Row(name=t("fbstats.total", lang)))
    for grp, *numbers in found:
        name = names.get(grp, grp) if grp is not None else t(f"fbstats.none.{group}", lang)
        row = Row(key=grp, name=name)
        for field_name, number in zip(COUNT_FIELDS, numbers, strict=True):
            setattr(row, field_name, int(number))
        out.rows.append(row)
        out.total.add(row)
    out.rows.sort(key=lambda r: (-r.received, r.key is None, r.key or ""))
    return out


# --- daily counts for the indicators ---------------------------------------------------


def daily_counts(session: Session, day: date) -> list[dict[str, Any]]:
    """The local ``day``'s received, resolved and resolved-on-time cases per commune, and the
    province's total (which also holds the cases without a commune).

    Received counts by ``received_at``, resolved and on time by ``resolved_at`` (a flow of the
    day, not the cohort of the statistics page). The province row is the whole province: the
    indicators take a unit's own values before its children's, so a province row holding only
    the cases without a commune would hide every commune's."""
    province = installed_province(session)
    since, until = window(day, day + timedelta(days=1))
    received = and_(Feedback.received_at >= since, Feedback.received_at < until)
    resolved = and_(Feedback.resolved_at >= since, Feedback.resolved_at < until)
    on_time = and_(resolved, Feedback.resolved_on_time.is_(True))
    stmt = (
        select(
            Feedback.area_code,
            func.count().filter(received),
            func.count().filter(resolved),
            func.count().filter(on_time),
        )
        .where(or_(received, resolved))
        .group_by(Feedback.area_code)
    )
    rows: list[dict[str, Any]] = []
    total = dict.fromkeys(DAILY_FIELDS, 0)
    for area, *numbers in session.execute(stmt):
        counts = dict(zip(DAILY_FIELDS, map(int, numbers), strict=True))
        for name, value in counts.items():
            total[name] += value
        if area is not None and area != province:
            rows.append({"org_unit": area} | counts)
    rows.sort(key=lambda r: str(r["org_unit"]))
    return [*rows, {"org_unit": province} | total]


@dataclass(frozen=True)
class Published:
    """What :func:`publish_daily` announced, and how many listeners took it."""

    day: date
    province: str
    rows: int
    delivered: int


def publish_daily(session: Session, day: date) -> Published:
    """Announce ``feedback.daily_counts`` for ``day``.

    Payload: ``day`` (ISO date), ``province`` (code), ``rows`` (``org_unit``, ``received``,
    ``resolved``, ``on_time``; the province's row last) and ``session``: the publisher's
    session, so listeners write in this job's transaction (see
    docs/decisions/0006-feedback-feeds-indicators.md). Returns how many listeners took it.
    """
    rows = daily_counts(session, day)
    province = str(rows[-1]["org_unit"])
    delivered = events.publish(
        DAILY_EVENT, day=day.isoformat(), province=province, rows=rows, session=session
    )
    return Published(day, province, len(rows), delivered)
