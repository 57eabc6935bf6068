"""Quality checks across values (R1 "đúng, đủ, sạch"): a part never exceeds its whole, and a
value far from the unit's own history is flagged to the submitter.

Parts and wholes are read from the catalogue itself: in every percentage formula
``100 * X / Y`` the numerator X is a part of the denominator Y (on-time dossiers of all
dossiers, poor households of all households), so no separate rule table can drift from the
definitions. Outliers use a robust z-score — ``(x − median) / (1,4826 × MAD)`` — over the
same period of earlier years when there are three or more (seasonal), else over the last 12
periods; |z| > 3,5 is flagged (Iglewicz and Hoaglin's cut-off). Flags warn; they never refuse.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from iocvn.core.i18n import register
from iocvn.indicators import expr
from iocvn.indicators.models import DataValue, Indicator

Z_CUTOFF = 3.5
MIN_HISTORY = 5

register(
    {
        "row.part_exceeds_whole": (
            "{part} ({value}) lớn hơn tổng {whole} ({whole_value}) của cùng đơn vị, cùng kỳ.",
            "{part} ({value}) exceeds its whole {whole} ({whole_value}) "
            "for the same unit and period.",
        ),
        "warn.outlier": (
            "Khác thường so với số liệu các kỳ trước của đơn vị (z = {z}).",
            "Unusual against the unit's earlier figures (z = {z}).",
        ),
    }
)


def part_of(session: Session) -> dict[str, str]:
    """Part → whole pairs read from the ``100 * X / Y`` formulas of the catalogue."""
    pairs: dict[str, str] = {}
    for (text,) in session.execute(select(Indicator.formula).where(Indicator.formula.is_not(None))):
        node = expr.parse(text or "")
        if not (
            isinstance(node, expr.BinOp) and node.op == "/" and isinstance(node.right, expr.Ref)
        ):
            continue
        left = node.left
        if (
            isinstance(left, expr.BinOp)
            and left.op == "*"
            and isinstance(left.left, expr.Num)
            and left.left.value == 100
            and isinstance(left.right, expr.Ref)
            and left.right.code != node.right.code
        ):
            pairs[left.right.code] = node.right.code
    return pairs


@dataclass(frozen=True)
class Entry:
    """A value being checked: its position in the batch and its key."""

    index: int
    indicator: str
    org: str
    period: str
    value: float


@dataclass(frozen=True)
class Breach:
    """A part larger than its whole; ``index`` is the batch row to blame."""

    index: int
    part: str
    whole: str
    value: float
    whole_value: float


def _stored(
    session: Session, keys: Iterable[tuple[str, str, str]]
) -> dict[tuple[str, str, str], float]:
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.execute(
        select(DataValue.indicator_code, DataValue.org_code, DataValue.period, DataValue.value)
        .where(DataValue.is_current.is_(True))
        .where(tuple_(DataValue.indicator_code, DataValue.org_code, DataValue.period).in_(wanted))
    ).all()
    return {(r[0], r[1], r[2]): float(r[3]) for r in rows}


def part_whole_breaches(
    session: Session, entries: Sequence[Entry], pairs: dict[str, str] | None = None
) -> list[Breach]:
    """Batch values whose part exceeds the whole (the batch's own values win over stored ones)."""
    pairs = part_of(session) if pairs is None else pairs
    wholes = {w: p for p, w in pairs.items()}
    batch = {(e.indicator, e.org, e.period): e for e in entries}
    needed = [(pairs[e.indicator], e.org, e.period) for e in entries if e.indicator in pairs]
    needed += [(wholes[e.indicator], e.org, e.period) for e in entries if e.indicator in wholes]
    stored = _stored(session, [k for k in needed if k not in batch])

    def value_of(key: tuple[str, str, str]) -> float | None:
        return batch[key].value if key in batch else stored.get(key)

    breaches: list[Breach] = []
    for e in entries:
        if e.indicator in pairs:
            whole = value_of((pairs[e.indicator], e.org, e.period))
            if whole is not None and e.value > whole:
                breaches.append(Breach(e.index, e.indicator, pairs[e.indicator], e.value, whole))
        if e.indicator in wholes and (wholes[e.indicator], e.org, e.period) not in batch:
            part = stored.get((wholes[e.indicator], e.org, e.period))
            if part is not None and part > e.value:
                breaches.append(Breach(e.index, wholes[e.indicator], e.indicator, part, e.value))
    return breaches


def robust_z(value: float, history: Sequence[float]) -> float | None:
    """Robust z-score of ``value`` against ``history``; None with too little history or none
    of it varying."""
    if len(history) < MIN_HISTORY:
        return None
    median = statistics.median(history)
    mad = statistics.median(abs(h - median) for h in history)
    if mad == 0:
        return None
    return (value - median) / (1.4826 * mad)


@dataclass(frozen=True)
class Flag:
    """A value far from the unit's history."""

    index: int
    indicator: str
    org: str
    period: str
    z: float


def outliers(session: Session, entries: Sequence[Entry]) -> list[Flag]:
    """Values whose robust z-score against the unit's approved history exceeds the cut-off.

    History: the same period of earlier years when there are at least 3 (seasonal), otherwise
    the unit's latest 12 approved values before the period. One query for the whole batch.
    """
    pairs = sorted({(e.indicator, e.org) for e in entries})
    if not pairs:
        return []
    found: dict[tuple[str, str], list[tuple[str, float]]] = {}
    rows = session.execute(
        select(DataValue.indicator_code, DataValue.org_code, DataValue.period, DataValue.value)
        .where(
            tuple_(DataValue.indicator_code, DataValue.org_code).in_(pairs),
            DataValue.is_current.is_(True),
            DataValue.status == "approved",
        )
        .order_by(DataValue.period_start.desc())
    )
    for code, org, period, value in rows:
        found.setdefault((code, org), []).append((period, float(value)))
    flags: list[Flag] = []
    for e in entries:
        earlier = [(p, v) for p, v in found.get((e.indicator, e.org), []) if p < e.period]
        same = [v for p, v in earlier if len(p) == len(e.period) and p[4:] == e.period[4:]]
        seasonal = len(same) >= 3 and len(e.period) > 4
        history = same if seasonal else [v for _, v in earlier[:12]]
        z = robust_z(e.value, history)
        if z is not None and abs(z) > Z_CUTOFF:
            flags.append(Flag(e.index, e.indicator, e.org, e.period, round(z, 1)))
    return flags
