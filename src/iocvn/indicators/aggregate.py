"""The aggregation engine (tổng hợp số liệu): how reported values add up across org units and
periods, and how an aggregated value stands against its target. Pure: no database, no clock.

Everything here works on plain inputs (:class:`Rule` for a definition, :class:`Unit` for an
org unit, ``values[indicator][org][period_code]`` for approved current values) so the rules can
be tested with hand-computed numbers and explained with a trace. ``analytics`` loads the inputs.

Rules, in the order they apply
==============================
1. **Time first, then space** (as DHIS2 does for "average-sum" indicators). For each org unit,
   the indicator's own-frequency periods inside the target period are aggregated with
   ``time_agg`` (sum, average, last reported, min, max); then the units' results are combined
   with ``space_agg``. Weeks belong to the month/quarter/year of their Thursday
   (``core.periods``), so ``2026W01`` (29/12/2025–04/01/2026) counts in January 2026.
2. **Missing values** (per unit, per period): ``skip`` leaves the period out; ``zero`` counts 0;
   ``carry_forward`` uses the unit's latest real value from at most ``carry_forward_max``
   periods before (never a carried value, never beyond N; N = 0 behaves like skip). A unit is
   expected — and so filled — when a reporting schedule names it or it reported the indicator
   in the loaded window, only in periods where it is valid (on the period's last day, as in
   completeness) and that have ended by the span's cut (a running period counts only if
   reported).
3. **A unit's own value comes first.** A unit that holds real values of its own in the span
   (e.g. a province-level figure from the statistics office), or a carried one, is taken as
   is; its children are aggregated only when it has none. With ``space_agg = none`` only the
   unit's own values ever count.
4. **Space rules** over the children (units whose parent is the target, recursively):
   ``sum``; ``average`` of the children's values; ``weighted_average`` by the weight
   indicator aggregated for the same child and span with its own rules (children without a
   weight are left out; zero total weight gives no value); ``min``; ``max``.
5. **Formula indicators** are a ratio of aggregates: every referenced indicator is aggregated
   for the same unit and span with its own rules, then the formula is evaluated (zero
   denominator → no value). The formula indicator's own ``space_agg``/``time_agg`` are not
   used and its stored values are ignored; communes' ratios are never averaged.
6. **Merged units** (history is never rewritten, values keep their unit). A value counts for
   the unit it was reported for unless the unit had ended (``valid_to``) before the period's
   last day — after a merger its successor reports. Values dated before a unit's
   ``valid_from`` count as a back series on the new boundaries (the seeded communes start on
   01/07/2025). For stock indicators a unit that existed for only part of the span weighs by
   that part: with ``time_agg = average`` a child contributes ``share × value`` (share = the
   fraction of the span's periods in which it existed) to sum/average/weighted average; with
   ``time_agg = last`` a child that ended before the span's last period is left out (its
   successor holds the stock). So a province's 2025 population is not counted twice across
   the 01/07/2025 merger.
7. **Spans.** A target period is aggregated in full once it has ended. A period in progress
   (``2026`` on 22/11/2026) or a year-to-date request is cut at ``through`` (computed by
   ``analytics``: the end of the latest completed period with data). Periods starting after
   the cut are left out; periods running at the cut count only when reported. The same
   period last year (cùng kỳ) is cut at the same positions, so ten months compare with ten.
8. **Targets.** ``expected = target × share`` where share = 1, or for cumulative indicators
   (``time_agg = sum``; a formula's own ``time_agg`` serves only this) the share of the
   target's period covered by the span (``periods.elapsed_share``). ``met``: reached or
   beaten; ``on_track``: short by at most ``TOLERANCE`` × |expected|; ``at_risk``: short by
   at most twice that; ``off_track`` otherwise; none without a target or a value.
   ``achieved_pct = 100 × value / target`` (for either direction).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from iocvn.core import periods
from iocvn.core.errors import Invalid
from iocvn.core.i18n import register
from iocvn.core.periods import Period
from iocvn.indicators import expr

TOLERANCE = 0.05
"""Default tolerance band of target statuses: 5 % of the expected value."""
MAX_DEPTH = 32
"""Deepest recursion (org levels plus nested formulas) before giving up."""

Status = Literal["met", "on_track", "at_risk", "off_track"]
Values = Mapping[str, Mapping[str, Mapping[str, float]]]  # indicator → org → period → value
Stamps = Mapping[str, Mapping[str, Mapping[str, Any]]]  # same keys → approval stamp
Trace = dict[str, Any]

register(
    {
        "error.aggregation_too_deep": (
            "Không tổng hợp được chỉ số {indicator}: cây đơn vị hoặc công thức lồng quá sâu.",
            "Indicator {indicator} cannot be aggregated: units or formulas nest too deep.",
        ),
    }
)


class AggregationError(Invalid):
    """Aggregation cannot finish: the org tree or the formulas nest deeper than MAX_DEPTH."""

    code = "aggregation_too_deep"


@dataclass(frozen=True, slots=True)
class Rule:
    """What the engine needs of an indicator definition."""

    code: str
    frequency: str
    space_agg: str = "sum"
    time_agg: str = "sum"
    missing: str = "skip"
    carry_forward_max: int = 0
    weight: str | None = None
    formula: str | None = None
    node: expr.Node | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.formula and self.node is None:
            object.__setattr__(self, "node", expr.parse(self.formula))

    @property
    def inputs(self) -> frozenset[str]:
        """Codes this indicator's value depends on (formula references and the weight)."""
        refs = expr.references(self.node) if self.node is not None else frozenset()
        return refs | {self.weight} if self.weight else refs

    @property
    def cumulative(self) -> bool:
        """Adds up over time (flows such as revenue): compared with the elapsed target."""
        return self.time_agg == "sum"

    @property
    def lookback(self) -> int:
        """How many periods before the span a missing value may be carried from."""
        return self.carry_forward_max if self.missing == "carry_forward" else 0


@dataclass(frozen=True, slots=True)
class Unit:
    """An org unit: its parent and validity (``valid_to`` is its last valid day)."""

    code: str
    parent: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None

    def ended_by(self, day: date) -> bool:
        """True when the unit no longer existed on ``day`` (merged or dissolved)."""
        return self.valid_to is not None and self.valid_to < day

    def valid_on(self, day: date) -> bool:
        """True when the unit existed on ``day``."""
        return (self.valid_from is None or self.valid_from <= day) and not self.ended_by(day)


@dataclass(frozen=True)
class Span:
    """The stretch of time a value covers: a period, cut at ``through`` while in progress.

    ``mirror`` is set on the span one year back: it takes the same number of periods of
    each frequency as the span it mirrors (so ten months compare with ten months).
    """

    period: Period
    through: date | None = None
    mirror: Span | None = None

    def __hash__(self) -> int:
        # Spans key every memo lookup: hash once, not the nested periods each time.
        cached: int | None = self.__dict__.get("_hash")
        if cached is None:
            cached = hash((self.period, self.through, self.mirror))
            object.__setattr__(self, "_hash", cached)
        return cached

    def periods_of(self, frequency: str) -> tuple[list[Period], int] | None:
        """The ``frequency`` periods counted and how many of them (from the first) have
        ended; None when the span is shorter than the frequency."""
        rank = periods.PERIOD_TYPES.index
        if rank(frequency) > rank(self.period.type):
            return None
        subs = periods.children(self.period, frequency)
        if self.mirror is not None:
            mirrored = self.mirror.periods_of(frequency)
            count, complete = (len(mirrored[0]), mirrored[1]) if mirrored else (0, 0)
            return subs[:count], min(complete, count, len(subs))
        if self.through is None:
            return subs, len(subs)
        cut = self.through
        counted = [p for p in subs if p.start <= cut]
        return counted, sum(1 for p in counted if p.end <= cut)

    def last_year(self) -> Span:
        """The same period one year back (cùng kỳ năm trước), cut at the same positions."""
        before = self.period.same_period_last_year()
        return Span(before, mirror=self if self.through is not None else None)

    @property
    def code(self) -> str:
        """The period code, with ``..YYYYMMDD`` when the span is cut."""
        if self.through is not None:
            return f"{self.period.code}..{self.through:%Y%m%d}"
        return self.period.code


class _Slots:
    """The periods of one frequency a span counts, with their codes and last days."""

    __slots__ = ("codes", "complete", "ends", "periods")

    def __init__(self, counted: list[Period], complete: int) -> None:
        self.periods = counted
        self.codes = [p.code for p in counted]
        self.ends = [p.end for p in counted]
        self.complete = complete


@dataclass(slots=True)
class Result:
    """An aggregated value with its provenance.

    ``share`` is the fraction of the span's periods in which the unit existed and ``at_end``
    whether it existed in the last one (both used by the parent's space rule).
    """

    value: float | None
    updated: Any = None  # the latest stamp of the values used (comparable: datetime or text)
    share: float = 1.0
    at_end: bool = True
    trace: Trace | None = None


_NOTHING = Result(None, share=0.0, at_end=False)  # a unit without values (shared, never changed)


def _latest(stamps: Iterable[Any]) -> Any:
    found = [s for s in stamps if s is not None]
    return max(found) if found else None


def _time(how: str, values: list[float]) -> float:
    if how == "sum":
        return sum(values)
    if how == "average":
        return sum(values) / len(values)
    if how == "last":
        return values[-1]
    if how == "min":
        return min(values)
    return max(values)


class Aggregator:
    """Aggregates indicators over one loaded set of definitions, units and values.

    Results are memoised per (indicator, unit, span), so a breakdown, its total and the
    weights of a weighted average share their work.
    """

    def __init__(
        self,
        rules: Mapping[str, Rule],
        units: Iterable[Unit],
        values: Values,
        *,
        stamps: Stamps | None = None,
        expected: Mapping[str, Iterable[str]] | None = None,
    ) -> None:
        self.rules = rules
        self.units = {u.code: u for u in units}
        self.children: dict[str, list[Unit]] = {}
        for unit in self.units.values():
            if unit.parent is not None:
                self.children.setdefault(unit.parent, []).append(unit)
        self.values = values
        self.stamps: Stamps = stamps or {}
        self.expected = {code: frozenset(orgs) for code, orgs in (expected or {}).items()}
        self._memo: dict[tuple[str, str, Span, bool], Result] = {}
        self._periods: dict[tuple[Span, str], _Slots | None] = {}
        self._by_code: dict[
            str,
            tuple[
                Mapping[str, Mapping[str, float]], Mapping[str, Mapping[str, Any]], frozenset[str]
            ],
        ] = {}

    def value(self, code: str, org: str, span: Span, *, trace: bool = False) -> Result:
        """The aggregated value of indicator ``code`` for unit ``org`` over ``span``."""
        return self._agg(code, org, span, trace, 0)

    # --- recursion -------------------------------------------------------------------

    def _agg(self, code: str, org: str, span: Span, trace: bool, depth: int) -> Result:
        key = (code, org, span, trace)
        found = self._memo.get(key)
        if found is not None:
            return found
        if depth > MAX_DEPTH:
            raise AggregationError(details={"indicator": code, "org_unit": org}, indicator=code)
        rule = self.rules[code]
        if rule.node is not None:
            result = self._formula(rule, org, span, trace, depth)
        else:
            result = self._collected(rule, org, span, trace, depth)
        self._memo[key] = result
        return result

    def _formula(self, rule: Rule, org: str, span: Span, trace: bool, depth: int) -> Result:
        assert rule.node is not None
        inputs = {
            ref: self._agg(ref, org, span, trace, depth + 1)
            for ref in sorted(expr.references(rule.node))
        }
        value = expr.evaluate(rule.node, {ref: r.value for ref, r in inputs.items()})
        result = Result(
            value,
            updated=_latest(r.updated for r in inputs.values()),
            share=max((r.share for r in inputs.values()), default=0.0),
            at_end=any(r.at_end for r in inputs.values()),
        )
        if trace:
            result.trace = self._head(rule, org, span, value, "formula") | {
                "formula": rule.formula,
                "inputs": {ref: r.trace for ref, r in inputs.items()},
            }
        return result

    def _collected(self, rule: Rule, org: str, span: Span, trace: bool, depth: int) -> Result:
        slots = self._slots(span, rule.frequency)
        if slots is None:
            result = Result(None, share=0.0, at_end=False)
            if trace:
                result.trace = self._head(rule, org, span, None, "none") | {
                    "note": f"period shorter than the indicator's frequency ({rule.frequency})"
                }
            return result
        own, real = self._own(rule, self.units.get(org) or Unit(org), slots, trace)
        kids = self.children.get(org, [])
        if real or rule.space_agg == "none" or not kids:
            if own is None:
                own = Result(None, share=0.0, at_end=False)
                if trace:
                    own.trace = self._head(rule, org, span, None, "own") | {"values": []}
            elif trace and own.trace is not None:
                own.trace = self._head(rule, org, span, own.value, "own") | own.trace
            return own
        return self._space(rule, org, span, kids, trace, depth)

    # --- one unit over time ----------------------------------------------------------

    def _own(
        self, rule: Rule, unit: Unit, slots: _Slots, trace: bool
    ) -> tuple[Result | None, bool]:
        """The unit's own values over the span (time rule and missing policy), and whether
        any of them is real (reported, or carried from a reported one)."""
        by_org, stamps_by_org, expected = self._inputs(rule.code)
        series = by_org.get(unit.code)
        if series is None and unit.code not in expected:
            return None, False
        get = (series or {}).get
        stamp_of = stamps_by_org.get(unit.code, {}).get
        codes, n, complete = slots.codes, len(slots.codes), slots.complete
        # Periods [0, stop) end before the unit ended; periods [born, n) end after it began.
        stop = n if unit.valid_to is None else bisect_right(slots.ends, unit.valid_to)
        born = 0 if unit.valid_from is None else bisect_left(slots.ends, unit.valid_from)
        fills = rule.missing == "zero" or rule.lookback > 0
        if not fills and not trace:
            return self._reported(rule, codes[:stop], born, n, get, stamp_of)
        points: list[float] = []
        used: list[Trace] = []
        updated: Any = None
        existed = 0
        at_end = False
        real = False
        for i in range(stop):
            code = codes[i]
            value = get(code)
            how, stamp = "", None
            if value is not None:
                real = True
                stamp = stamp_of(code)
            elif i < born:
                continue  # not yet created and no back series
            elif not fills or i >= complete:
                existed += 1  # existed but did not report (skip), or still running
                at_end = at_end or i == n - 1
                continue
            elif rule.missing == "zero":
                value, how = 0.0, "zero"
            else:
                value, how, stamp = self._carried(rule, get, stamp_of, slots.periods[i])
                real = real or value is not None
            existed += 1
            at_end = at_end or i == n - 1
            if value is None:
                continue
            points.append(value)
            if stamp is not None and (updated is None or stamp > updated):
                updated = stamp
            if trace:
                used.append({"period": code, "value": value} | ({"filled": how} if how else {}))
        share = existed / n if n else 0.0
        value = _time(rule.time_agg, points) if points else None
        result = Result(value, updated=updated, share=share, at_end=at_end)
        if trace:
            result.trace = {"time_agg": rule.time_agg, "missing": rule.missing, "values": used}
        return result, real

    @staticmethod
    def _reported(
        rule: Rule,
        codes: list[str],
        born: int,
        n: int,
        get: Callable[[str], float | None],
        stamp_of: Callable[[str], Any],
    ) -> tuple[Result | None, bool]:
        """``_own`` for the common case (skip missing values, no trace), without the loop."""
        found = list(map(get, codes))  # None where not reported
        reported = [v for v in found if v is not None]
        stop = len(codes)
        # Existed: every period from ``born`` on, plus back-series values before it.
        existed = max(stop - born, 0)
        if born:
            existed += sum(1 for v in found[:born] if v is not None)
        at_end = stop == n > 0 and (born <= n - 1 or found[-1] is not None)
        if not reported:
            return Result(None, share=existed / n if n else 0.0, at_end=at_end), False
        stamps = [s for s in map(stamp_of, codes) if s is not None]
        return (
            Result(
                _time(rule.time_agg, reported),
                updated=max(stamps) if stamps else None,
                share=existed / n,
                at_end=at_end,
            ),
            True,
        )

    def _carried(
        self,
        rule: Rule,
        get: Callable[[str], float | None],
        stamp_of: Callable[[str], Any],
        p: Period,
    ) -> tuple[float | None, str, Any]:
        for back in range(1, rule.lookback + 1):
            source = p.shift(-back).code
            value = get(source)
            if value is not None:
                return value, f"carried from {source}", stamp_of(source)
        return None, "", None

    # --- across units ------------------------------------------------------------------

    def _space(
        self, rule: Rule, org: str, span: Span, kids: list[Unit], trace: bool, depth: int
    ) -> Result:
        parts: list[tuple[Unit, Result]] = []
        notes: list[Trace] = []
        slots = self._slots(span, rule.frequency)
        for kid in kids:
            if kid.code in self.children or trace or slots is None:
                r = self._agg(rule.code, kid.code, span, trace, depth + 1)
            else:  # a leaf, the bulk of a province: its own values, memoised for breakdowns
                key = (rule.code, kid.code, span, False)
                found = self._memo.get(key)
                if found is None:
                    found = self._own(rule, kid, slots, False)[0] or _NOTHING
                    self._memo[key] = found
                r = found
            if r.value is None:
                continue
            if rule.time_agg == "last" and not r.at_end:
                if trace:
                    notes.append(_part(kid, r, excluded="ended before the end of the period"))
                continue
            parts.append((kid, r))
        scaled = rule.time_agg == "average"  # a stock averaged over time: weigh by existence
        how = rule.space_agg
        if how == "weighted_average" and not rule.weight:
            how = "average"  # the catalogue refuses this; never fail a dashboard over it
        value: float | None = None
        weights: dict[str, float] = {}
        if how == "weighted_average" and rule.weight is not None:
            kept = []
            for kid, r in parts:
                w = self._agg(rule.weight, kid.code, span, trace, depth + 1).value
                if w is None:
                    if trace:
                        notes.append(_part(kid, r, excluded=f"no weight ({rule.weight})"))
                    continue
                weights[kid.code] = w
                kept.append((kid, r))
            parts = kept
        if parts:
            xs = [r.value for _, r in parts if r.value is not None]
            ss = [r.share if scaled else 1.0 for _, r in parts]
            if how == "sum":
                value = sum(s * x for s, x in zip(ss, xs, strict=True))
            elif how == "average":
                total = sum(ss)
                value = sum(s * x for s, x in zip(ss, xs, strict=True)) / total if total else None
            elif how == "weighted_average":
                ws = [s * weights[kid.code] for s, (kid, _) in zip(ss, parts, strict=True)]
                total = sum(ws)
                value = sum(w * x for w, x in zip(ws, xs, strict=True)) / total if total else None
            elif how == "min":
                value = min(xs)
            elif how == "max":
                value = max(xs)
        result = Result(
            value,
            updated=_latest(r.updated for _, r in parts),
            share=max((r.share for _, r in parts), default=0.0),
            at_end=any(r.at_end for _, r in parts),
        )
        if trace:
            rows = [
                _part(kid, r, share=r.share if scaled else None, weight=weights.get(kid.code))
                for kid, r in parts
            ]
            result.trace = self._head(rule, org, span, value, "children") | {
                "space_agg": how,
                "time_agg": rule.time_agg,
                "parts": rows + notes,
            }
        return result

    # --- helpers -----------------------------------------------------------------------

    def _inputs(
        self, code: str
    ) -> tuple[Mapping[str, Mapping[str, float]], Mapping[str, Mapping[str, Any]], frozenset[str]]:
        """Values, stamps and expected units of one indicator (looked up once)."""
        found = self._by_code.get(code)
        if found is None:
            found = self._by_code[code] = (
                self.values.get(code, {}),
                self.stamps.get(code, {}),
                self.expected.get(code, frozenset()),
            )
        return found

    def _slots(self, span: Span, frequency: str) -> _Slots | None:
        key = (span, frequency)
        if key not in self._periods:
            counted = span.periods_of(frequency)
            self._periods[key] = _Slots(*counted) if counted is not None else None
        return self._periods[key]

    def _head(self, rule: Rule, org: str, span: Span, value: float | None, source: str) -> Trace:
        return {
            "indicator": rule.code,
            "org_unit": org,
            "period": span.code,
            "source": source,
            "rule": (
                f"formula {rule.formula}"
                if rule.formula
                else f"time {rule.time_agg}, then space {rule.space_agg}; missing {rule.missing}"
                + (f" (max {rule.carry_forward_max})" if rule.missing == "carry_forward" else "")
            ),
            "value": value,
        }


def _part(
    kid: Unit,
    r: Result,
    *,
    share: float | None = None,
    weight: float | None = None,
    excluded: str | None = None,
) -> Trace:
    row: Trace = {"org_unit": kid.code, "value": r.value}
    if share is not None and share != 1.0:
        row["share"] = round(share, 6)
    if weight is not None:
        row["weight"] = weight
    if excluded is not None:
        row["excluded"] = excluded
    row["trace"] = r.trace
    return row


# --- targets -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Judgement:
    """A value against its target: what was expected by now, the status and % achieved."""

    target: float | None
    expected: float | None
    status: Status | None
    achieved_pct: float | None


def coverage(target_period: Period, span: Span) -> float:
    """Share (0..1) of ``target_period``'s days that ``span`` covers (its cut included)."""
    end = span.through or span.period.end
    before = span.period.start - timedelta(days=1)
    return max(
        periods.elapsed_share(target_period, end) - periods.elapsed_share(target_period, before),
        0.0,
    )


def status_of(
    value: float, expected: float, direction: str, tolerance: float = TOLERANCE
) -> Status:
    """met / on_track / at_risk / off_track of ``value`` against ``expected``."""
    band = tolerance * abs(expected)
    short = expected - value if direction != "lower_better" else value - expected
    if short <= 0:
        return "met"
    if short <= band:
        return "on_track"
    if short <= 2 * band:
        return "at_risk"
    return "off_track"


def judge(
    value: float | None,
    target: float | None,
    direction: str,
    *,
    share: float = 1.0,
    tolerance: float = TOLERANCE,
) -> Judgement:
    """Compare a value with ``target × share`` (share < 1 for cumulative indicators whose
    span covers part of the target's period)."""
    if target is None:
        return Judgement(None, None, None, None)
    expected = target * share
    achieved = 100.0 * value / target if value is not None and target != 0 else None
    if value is None:
        return Judgement(target, expected, None, None)
    return Judgement(target, expected, status_of(value, expected, direction, tolerance), achieved)


def change_pct(value: float | None, before: float | None) -> float | None:
    """Change in % from ``before`` to ``value``; None without both or when ``before`` is 0."""
    if value is None or before is None or before == 0:
        return None
    return 100.0 * (value - before) / abs(before)
