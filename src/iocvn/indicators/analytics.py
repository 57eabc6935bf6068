"""Analytics (phân tích chỉ số): any indicator for any org unit and period, with its target,
status, the same period last year (cùng kỳ) and, on request, one row per child unit and a
"how it was computed" trace.

Values are read straight from ``data_values`` (approved current rows, through the partial
index ``ix_data_values_analytics``) and aggregated in Python by :mod:`.aggregate`, whose
docstring states the rules. So a value counts as soon as it is approved: there is no rollup
table to rebuild. One call runs a fixed number of queries whatever the number of indicators
(definitions, units, values, targets, schedules). This module only reads.

Periods in progress. ``2026`` asked on 22/11/2026, or ``period=202604&ytd`` (Jan–Apr), is
cut at ``through``: the end of the latest *completed* period with approved data of the
indicator (or its inputs) in the unit's subtree — reports lag the calendar, and ten months
of data must compare with ten months last year and with ten twelfths of a cumulative target.

Targets. The period's own target when one is set, else the year's (for ``ytd``, always the
year's). A cumulative indicator (``time_agg = sum``) is judged against the part of the
target its span covers; ``target`` stays the full figure so ``achieved_pct`` reads as
"đạt 35 % kế hoạch năm".

Last updated. The latest approval time among the values the figure was computed from
(the same period last year is only compared with, so its corrections do not count).

Groups of units. ``org_unit`` may name several units separated by commas
(``05977,05980,06001``: the border communes, say): the group is aggregated like a parent
whose children are those units, by the indicator's own ``space_agg``; it has no target of its
own, and ``breakdown=children`` gives one row per member. Members must be distinct units of
one province, none inside another (that would count its values twice).

Scope. A unit outside the caller's scope answers 404 as org units do; a commune sees the
province's figures but only its own row of a breakdown. The indicators themselves are not
filtered by sector: the catalogue is readable by every role holding ``indicator.read``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import Executable, Select, null, select, text, union_all
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.core import periods
from iocvn.core.errors import Invalid, NotFound
from iocvn.core.i18n import register, t
from iocvn.core.periods import Period
from iocvn.core.timeutil import as_utc, to_local, utcnow
from iocvn.indicators.aggregate import (
    MAX_DEPTH,
    Aggregator,
    Rule,
    Span,
    Stamps,
    Unit,
    Values,
    change_pct,
    coverage,
    judge,
)
from iocvn.indicators.models import DataValue, Indicator, ReportingSchedule, Target
from iocvn.org.models import OrgUnit

Breakdown = Literal["children"]

MAX_CARDS = 200
"""Most cards one dashboard call computes."""
MAX_GROUP = 200
"""Most units one group (``org_unit=A,B,C``) may hold."""
GROUP_LEVEL = "group"

register(
    {
        "error.period_finer_than_frequency": (
            "Kỳ {period} ngắn hơn kỳ báo cáo của chỉ số {indicator} (kỳ hợp lệ có dạng {example}).",
            "Period {period} is shorter than the reporting period of indicator {indicator} "
            "(a valid period looks like {example}).",
        ),
        "error.invalid_group": (
            "Nhóm đơn vị {group} không hợp lệ: {reason}",
            "The group of units {group} is not valid: {reason}",
        ),
        "group.name": ("Nhóm {count} đơn vị: {names}", "Group of {count} units: {names}"),
        "error.too_many_indicators": (
            "Mỗi lần chỉ xem được tối đa {limit} chỉ số.",
            "At most {limit} indicators can be shown at once.",
        ),
    }
)


@dataclass
class Analysis:
    """One indicator for one unit and period, as a dashboard card or a table row shows it."""

    indicator: str
    org_unit: str
    org_name: str
    period: str
    through: date | None
    value: float | None
    target: float | None
    expected: float | None
    status: str | None
    achieved_pct: float | None
    previous_year_value: float | None
    change_pct: float | None
    last_updated: datetime | None
    unit: str
    decimals: int
    note: str | None = None
    trace: dict[str, Any] | None = None
    rows: list[Analysis] | None = field(default=None)


@dataclass(frozen=True)
class _Node:
    """An org unit of the subtree being analysed."""

    unit: Unit
    name: str
    level: str
    sort_key: str


def analyse(
    session: Session,
    indicator_code: str,
    org_code: str,
    period_code: str,
    *,
    breakdown: Breakdown | None = None,
    trace: bool = False,
    scope: OrgScope | None = None,
    ytd: bool = False,
    today: date | None = None,
) -> Analysis:
    """An indicator for a unit and period (404 unknown or out of scope, 422 bad period)."""
    batch = _Batch(session, org_code, period_code, [indicator_code], scope, ytd, today)
    ind = batch.indicators[indicator_code]
    if batch.too_fine(ind):
        raise Invalid(
            "period_finer_than_frequency",
            details={"indicator": ind.code, "frequency": ind.frequency, "period": period_code},
            indicator=ind.code,
            example=periods.EXAMPLES[ind.frequency],
            period=period_code,
        )
    result = batch.analysis(ind, batch.root, trace=trace)
    if breakdown == "children":
        result.rows = [batch.analysis(ind, child) for child in batch.children_rows(ind)]
    return result


def dashboard(
    session: Session,
    org_code: str,
    period_code: str,
    indicator_codes: Sequence[str],
    *,
    scope: OrgScope | None = None,
    ytd: bool = False,
    today: date | None = None,
) -> list[Analysis]:
    """Cards for many indicators of one unit and period, in a fixed number of queries.

    An indicator reported less often than the period asks (a yearly one for a month) gets a
    card without a value and ``note = "period_finer_than_frequency"`` instead of an error.
    """
    codes = list(dict.fromkeys(indicator_codes))
    if len(codes) > MAX_CARDS:
        raise Invalid("too_many_indicators", details={"limit": MAX_CARDS}, limit=MAX_CARDS)
    batch = _Batch(session, org_code, period_code, codes, scope, ytd, today)
    cards = []
    for code in codes:
        ind = batch.indicators[code]
        if batch.too_fine(ind):
            cards.append(batch.empty(ind, batch.root, "period_finer_than_frequency"))
        else:
            cards.append(batch.analysis(ind, batch.root))
    return cards


class _Batch:
    """Everything one request needs, loaded in a fixed number of queries."""

    def __init__(
        self,
        session: Session,
        org_code: str,
        period_code: str,
        codes: Sequence[str],
        scope: OrgScope | None,
        ytd: bool,
        today: date | None,
    ) -> None:
        self.session = session
        self.scope = scope
        self.today = today or to_local(utcnow()).date()
        members = [m.strip() for m in org_code.split(",")]
        roots = [_unit_in_scope(session, code, scope) for code in members]
        period = periods.parse(period_code)
        self.ytd = ytd and period.type != "yearly"
        self.asked = period
        self.outer = periods.rollup(period, "yearly") if self.ytd else period
        self.limit = period.end
        self.indicators, self.rules = _definitions(session, codes)
        if len(roots) == 1:
            self.nodes = _subtree(session, roots[0])
            self.root = roots[0].code
        else:
            self.root = ",".join(members)
            self.nodes = _group(session, self.root, roots)
        self.values, self.stamps = self._values()
        self.aggregator = Aggregator(
            self.rules,
            (n.unit for n in self.nodes.values()),
            self.values,
            stamps=self.stamps,
            expected=self._expected(),
        )
        self.targets = self._targets(codes)
        self._spans: dict[str, Span] = {}

    # --- loading -----------------------------------------------------------------------

    def _leaves(self, codes: Iterable[str]) -> set[str]:
        """The collected indicators (no formula) behind ``codes``."""
        out: set[str] = set()
        stack = list(codes)
        while stack:
            rule = self.rules[stack.pop()]
            if rule.node is None:
                out.add(rule.code)
                if rule.weight:
                    stack.append(rule.weight)
            else:
                stack.extend(rule.inputs)
        return out

    def _window(self, period: Period, last: date, stamped: bool) -> Window:
        """The ``period_start`` range holding ``period``'s values and carry-forward sources."""
        firsts = []
        rank = periods.PERIOD_TYPES.index
        for code in self._leaves(self.rules):
            rule = self.rules[code]
            if rank(rule.frequency) <= rank(period.type):
                first = periods.children(period, rule.frequency)[0]
                firsts.append(first.shift(-rule.lookback).start if rule.lookback else first.start)
        return min(firsts, default=period.start), last, stamped

    def _values(self) -> tuple[Values, Stamps]:
        """Approved current values (and their approval stamps) of this batch, in one query."""
        before = self.outer.same_period_last_year()
        stmt = values_query(
            sorted(self._leaves(self.rules)),
            sorted(self.nodes),
            [self._window(self.outer, self.limit, True), self._window(before, before.end, False)],
        )
        values: dict[str, dict[str, dict[str, float]]] = {}
        stamps: dict[str, dict[str, dict[str, Any]]] = {}
        conn = self.session.connection()
        if conn.dialect.name == "postgresql":
            # PostgreSQL's JIT would spend ~30 ms compiling a scan that runs in ~100 ms; the
            # setting ends with this transaction.
            conn.exec_driver_sql("SET LOCAL jit = off")
        result = conn.execute(stmt)
        try:  # straight from the driver: ~100k Row objects would cost more than the query
            rows = result.cursor.fetchall() if result.cursor is not None else []
        finally:
            result.close()
        # The hot loop of a dashboard (~200k rows at 10M values): the nested stores succeed
        # but for the first value of each unit.
        for code, org, period, value, approved_at in rows:
            try:
                values[code][org][period] = value
            except KeyError:
                values.setdefault(code, {}).setdefault(org, {})[period] = value
            if approved_at is not None:
                try:
                    stamps[code][org][period] = approved_at
                except KeyError:
                    stamps.setdefault(code, {}).setdefault(org, {})[period] = approved_at
        return values, stamps

    def _expected(self) -> dict[str, set[str]]:
        """Units a reporting schedule names, per indicator (they are zero-/carry-filled)."""
        leaves = sorted(self._leaves(self.rules))
        stmt = select(
            ReportingSchedule.indicator_code, ReportingSchedule.org_code, ReportingSchedule.level
        ).where(ReportingSchedule.indicator_code.in_(leaves), ReportingSchedule.active.is_(True))
        out: dict[str, set[str]] = {}
        for code, org, level in self.session.execute(stmt):
            if org is not None and org in self.nodes:
                out.setdefault(code, set()).add(org)
            elif level is not None:
                out.setdefault(code, set()).update(
                    c for c, n in self.nodes.items() if n.level == level
                )
        return out

    def _targets(self, codes: Sequence[str]) -> dict[tuple[str, str, str], float]:
        """(indicator, org, "" for the year or a period code) → target value."""
        year = self.outer.start.year if self.outer.type != "weekly" else self._year().start.year
        wanted = [""] if self.ytd else ["", self.outer.code]
        stmt = select(Target.indicator_code, Target.org_code, Target.period, Target.value).where(
            Target.indicator_code.in_(list(codes)),
            Target.year == year,
            Target.period.in_(wanted),
            Target.org_code.in_(sorted(self.nodes)),
        )
        return {(c, o, p): v for c, o, p, v in self.session.execute(stmt)}

    # --- computing ---------------------------------------------------------------------

    def _year(self) -> Period:
        return periods.rollup(self.outer, "yearly")

    def too_fine(self, ind: Indicator) -> bool:
        """True when the asked period is shorter than the indicator's frequency."""
        rank = periods.PERIOD_TYPES.index
        return rank(ind.frequency) > rank(self.outer.type)

    def span(self, code: str) -> Span:
        """The indicator's span: the whole period, or cut at its data's ``through``."""
        if code in self._spans:
            return self._spans[code]
        if self.today >= self.limit:
            through = None if self.limit == self.outer.end else self.limit
        else:
            through = self._data_through(code)
        self._spans[code] = Span(self.outer, through)
        return self._spans[code]

    def _data_through(self, code: str) -> date:
        """End of the latest completed period with data of ``code`` (or its inputs)."""
        latest: date | None = None
        rank = periods.PERIOD_TYPES.index
        for leaf in self._leaves([code]):
            rule, by_org = self.rules[leaf], self.values.get(leaf, {})
            if rank(rule.frequency) > rank(self.outer.type) or not by_org:
                continue
            for p in periods.children(self.outer, rule.frequency):
                if p.end > self.today or (latest is not None and p.end <= latest):
                    continue
                if any(p.code in got for got in by_org.values()):
                    latest = p.end
        return latest or self.today

    def analysis(self, ind: Indicator, org: str, *, trace: bool = False) -> Analysis:
        """The analysis of ``ind`` for unit ``org`` (the root or one of its children)."""
        span = self.span(ind.code)
        now = self.aggregator.value(ind.code, org, span, trace=trace)
        before = self.aggregator.value(ind.code, org, span.last_year()).value
        target, target_period = self._target_of(ind.code, org)
        share = coverage(target_period, span) if self.rules[ind.code].cumulative else 1.0
        verdict = judge(now.value, target, ind.direction, share=share)
        node = self.nodes[org]
        return Analysis(
            indicator=ind.code,
            org_unit=org,
            org_name=node.name,
            period=self.asked.code,
            through=span.through,
            value=now.value,
            target=verdict.target,
            expected=verdict.expected,
            status=verdict.status,
            achieved_pct=verdict.achieved_pct,
            previous_year_value=before,
            change_pct=change_pct(now.value, before),
            last_updated=_stamp(now.updated),
            unit=ind.unit,
            decimals=ind.decimals,
            trace=now.trace,
        )

    def empty(self, ind: Indicator, org: str, note: str) -> Analysis:
        """A card with no value and why."""
        node = self.nodes[org]
        return Analysis(
            ind.code, org, node.name, self.asked.code, None, None, None, None, None, None,
            None, None, None, ind.unit, ind.decimals, note=note,
        )  # fmt: skip

    def _target_of(self, code: str, org: str) -> tuple[float | None, Period]:
        own = None if self.ytd else self.targets.get((code, org, self.outer.code))
        if own is not None:
            return own, self.outer
        return self.targets.get((code, org, "")), self._year()

    def children_rows(self, ind: Indicator) -> list[str]:
        """Child units shown in a breakdown, in the caller's area, by name.

        Administrative units that existed during the period always get a row (no data shows
        as no value, for the map); agencies only when they report the indicator.
        """
        start = self.outer.start
        rows = []
        for code, node in self.nodes.items():
            unit = node.unit
            if unit.parent != self.root or unit.ended_by(start):
                continue
            if self.scope is not None and not _in_area(self.scope, code):
                continue
            if node.level == "agency" and not self._reports(ind.code, code):
                continue
            rows.append(code)
        return sorted(rows, key=lambda c: (self.nodes[c].sort_key, c))

    def _reports(self, code: str, org: str) -> bool:
        return any(org in self.values.get(leaf, {}) for leaf in self._leaves([code]))


# The predicate of the partial index ``ix_data_values_analytics``, written as the index
# writes it: SQLite uses a partial index only when the query repeats its terms literally (a
# bound ``status = ?`` or ``is_current = 1`` would not do).
_ANALYTICS_ROWS = text("data_values.is_current AND data_values.status = 'approved'")


Window = tuple[date, date, bool]  # period_start from, to, and whether approvals are read


def values_query(
    codes: Sequence[str], org_codes: Sequence[str], windows: Sequence[Window]
) -> Executable:
    """The one query of values: approved current rows of ``codes`` for ``org_codes`` whose
    period starts in one of ``windows`` (one index range scan each, UNION ALL). Approval
    times are read only where asked (last year's figures need none: they cost a third of
    the transfer)."""
    selects: list[Select[str, str, str, float, datetime | None]] = [
        select(
            DataValue.indicator_code,
            DataValue.org_code,
            DataValue.period,
            DataValue.value,
            # Read raw from the driver (text on SQLite) and converted once, for the maximum.
            DataValue.approved_at if stamped else null().label("approved_at"),
        ).where(
            DataValue.indicator_code.in_(codes),
            DataValue.period_start.between(lo, hi),
            DataValue.org_code.in_(org_codes),
            _ANALYTICS_ROWS,
        )
        for lo, hi, stamped in _disjoint(windows)
    ]
    return selects[0] if len(selects) == 1 else union_all(*selects)


def _disjoint(windows: Sequence[Window]) -> list[Window]:
    """Merge overlapping windows, so UNION ALL never returns a row twice."""
    merged: list[Window] = []
    for lo, hi, stamped in sorted(windows):
        if merged and lo <= merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(hi, last[1]), stamped or last[2])
        else:
            merged.append((lo, hi, stamped))
    return merged


def _stamp(raw: Any) -> datetime | None:
    """An approval time as read raw (SQLite gives text) → an aware UTC datetime."""
    if raw is None:
        return None
    return as_utc(datetime.fromisoformat(raw) if isinstance(raw, str) else raw)


def _in_area(scope: OrgScope, org_code: str) -> bool:
    """The Python twin of ``OrgScope.area_clause``: a commune sees its own rows only."""
    return scope.level != "commune" or org_code == scope.org_code


def _definitions(
    session: Session, codes: Sequence[str]
) -> tuple[dict[str, Indicator], dict[str, Rule]]:
    """The asked indicators and every indicator they depend on (formulas, weights)."""
    indicators: dict[str, Indicator] = {}
    wanted = set(codes)
    for _ in range(MAX_DEPTH):
        missing = wanted - indicators.keys()
        if not missing:
            break
        found = session.execute(select(Indicator).where(Indicator.code.in_(sorted(missing))))
        for ind in found.scalars():
            indicators[ind.code] = ind
        for code in sorted(missing - indicators.keys()):
            raise NotFound("indicator_not_found", details={"code": code}, indicator=code)
        for code in missing:
            ind = indicators[code]
            wanted |= _rule(ind).inputs
    rules = {code: _rule(ind) for code, ind in indicators.items()}
    return indicators, rules


def _rule(ind: Indicator) -> Rule:
    return Rule(
        code=ind.code,
        frequency=ind.frequency,
        space_agg=ind.space_agg,
        time_agg=ind.time_agg,
        missing=ind.missing,
        carry_forward_max=ind.carry_forward_max or 0,
        weight=ind.weight,
        formula=ind.formula,
    )


def _unit_in_scope(session: Session, code: str, scope: OrgScope | None) -> OrgUnit:
    """The unit called ``code`` when the caller may see it, else 404."""
    unit = session.get(OrgUnit, code) if 0 < len(code) <= 32 else None
    if unit is None or (scope is not None and not scope.covers_unit(unit)):
        raise NotFound("org_unit_not_found", details={"code": code[:32]}, unit=code[:32])
    return unit


def _group(session: Session, code: str, members: Sequence[OrgUnit]) -> dict[str, _Node]:
    """A synthetic parent ``code`` over ``members``' subtrees (each member keeps its own)."""

    def invalid(reason: str) -> Invalid:
        return Invalid("invalid_group", details={"group": code[:200]}, group=code[:200],
                       reason=reason)  # fmt: skip

    if len(members) > MAX_GROUP:
        raise invalid(f"> {MAX_GROUP}")
    if len({m.code for m in members}) < len(members):
        raise invalid("trùng đơn vị / duplicate unit")
    if len({m.province_code for m in members}) > 1:
        raise invalid("khác tỉnh / units of different provinces")
    nodes: dict[str, _Node] = {}
    for member in members:
        below = _subtree(session, member)
        if nodes.keys() & below.keys():
            raise invalid("đơn vị lồng nhau / one unit inside another")
        nodes.update(below)
        top = below[member.code]
        unit = Unit(member.code, code, top.unit.valid_from, top.unit.valid_to)
        nodes[member.code] = _Node(unit, top.name, top.level, top.sort_key)
    names = ", ".join(m.name for m in members[:5]) + ("…" if len(members) > 5 else "")
    nodes[code] = _Node(
        Unit(code), t("group.name", count=len(members), names=names), GROUP_LEVEL, code
    )
    return nodes


def _subtree(session: Session, root: OrgUnit) -> dict[str, _Node]:
    """The root and every unit below it (agencies included), from one query."""
    stmt = select(
        OrgUnit.code,
        OrgUnit.parent_code,
        OrgUnit.valid_from,
        OrgUnit.valid_to,
        OrgUnit.name,
        OrgUnit.level,
        OrgUnit.search_key,
    ).where(OrgUnit.province_code == root.province_code)
    below: dict[str | None, list[Any]] = {}
    rows = {}
    for row in session.execute(stmt):
        rows[row.code] = row
        below.setdefault(row.parent_code, []).append(row)
    nodes: dict[str, _Node] = {}
    stack = [rows[root.code]]  # the root is one of its province's units
    while stack:
        row = stack.pop()
        if row.code in nodes:
            continue  # a loop in parent codes would otherwise never end
        unit = Unit(row.code, row.parent_code if row.code != root.code else None,
                    row.valid_from, row.valid_to)  # fmt: skip
        nodes[row.code] = _Node(unit, row.name, row.level, row.search_key or row.name)
        stack.extend(below.get(row.code, []))
    return nodes


def monthly_trend(
    session: Session,
    org_code: str,
    period_code: str,
    indicator_codes: Sequence[str],
    *,
    scope: OrgScope | None = None,
    today: date | None = None,
) -> dict[str, list[float | None]]:
    """Month-by-month values of the year holding ``period_code`` (ended months only), for
    trend lines: one load for every indicator and month. Indicators reported less often than
    monthly get an empty list."""
    year = periods.rollup(periods.parse(period_code), "yearly")
    codes = list(dict.fromkeys(indicator_codes))
    batch = _Batch(session, org_code, year.code, codes, scope, False, today)
    rank = periods.PERIOD_TYPES.index
    months = [m for m in periods.children(year, "monthly") if m.end < batch.today]
    out: dict[str, list[float | None]] = {}
    for code in codes:
        if rank(batch.indicators[code].frequency) > rank("monthly"):
            out[code] = []
            continue
        out[code] = [batch.aggregator.value(code, batch.root, Span(m)).value for m in months]
    return out
