"""Row rules shared by data values, targets and the importer: lookups of a batch's definitions
and org units in a few queries, number parsing, value-type and range checks, who may write or
approve what, and period locks. Nothing here writes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth.deps import Principal
from iocvn.auth.scope import OrgScope
from iocvn.core import periods
from iocvn.indicators.models import Indicator, PeriodLock
from iocvn.indicators.schemas_values import RowError
from iocvn.org.models import OrgUnit

T = TypeVar("T")
CHUNK = 500  # codes per IN (...) list
MAX_COMMENT = 1000
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


class Problem(Exception):
    """A row refused by a check: the field, the error code and the parameters of its text."""

    def __init__(self, field: str, error: str, **params: Any) -> None:
        super().__init__(error)
        self.field, self.error, self.params = field, error, params

    def row_error(self, index: int, lang: str) -> RowError:
        """The report entry for row ``index``."""
        return RowError.of(index, self.field, self.error, lang, **self.params)


class Unit(NamedTuple):
    """What the checks need of an org unit (never its geometry)."""

    code: str
    level: str
    province_code: str
    valid_from: date
    valid_to: date | None


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _codes(values: set[str]) -> list[str]:
    # Only plausible codes reach the database (PostgreSQL refuses NUL characters).
    return sorted(v for v in values if 0 < len(v) <= 64 and "\x00" not in v)


def load_indicators(session: Session, codes: set[str]) -> dict[str, Indicator]:
    """The definitions of ``codes`` that exist."""
    found: dict[str, Indicator] = {}
    for part in chunks(_codes(codes)):
        for ind in session.execute(select(Indicator).where(Indicator.code.in_(part))).scalars():
            found[ind.code] = ind
    return found


def load_units(session: Session, codes: set[str]) -> dict[str, Unit]:
    """The org units of ``codes`` that exist."""
    cols = (OrgUnit.code, OrgUnit.level, OrgUnit.province_code, OrgUnit.valid_from)
    found: dict[str, Unit] = {}
    for part in chunks(_codes(codes)):
        for rec in session.execute(select(*cols, OrgUnit.valid_to).where(OrgUnit.code.in_(part))):
            found[rec[0]] = Unit(*rec)
    return found


def to_number(raw: object, field: str = "value") -> float:
    """A finite float from a JSON number or a machine-format string such as ``-12.5e3``."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise Problem(field, "required")
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise Problem(field, "not_a_number", value=str(raw)[:40])
    if isinstance(raw, str):
        if not _NUMBER.fullmatch(raw.strip()):
            raise Problem(field, "not_a_number", value=raw[:40])
        raw = raw.strip()
    try:
        number = float(raw)
    except OverflowError:  # an integer beyond the float range
        raise Problem(field, "not_finite") from None
    if not math.isfinite(number):
        raise Problem(field, "not_finite")
    return number


def _shown(x: float | None, default: str) -> str:
    if x is None:
        return default
    return str(int(x)) if x == int(x) else repr(x)


def check_value(ind: Indicator, x: float, field: str = "value") -> None:
    """The value type and range rules of the indicator (count, percent, min/max)."""
    if ind.value_type == "count" and (x < 0 or x != int(x)):
        raise Problem(field, "not_a_count", value=_shown(x, ""))
    low, high = ind.min_value, ind.max_value
    if ind.value_type == "percent":  # 0..100 unless the definition says otherwise
        low = 0.0 if low is None else low
        high = 100.0 if high is None else high
    if (low is not None and x < low) or (high is not None and x > high):
        raise Problem(
            field, "out_of_range", value=_shown(x, ""), min=_shown(low, "-∞"), max=_shown(high, "∞")
        )


def may_report(scope: OrgScope, ind: Indicator, unit: Unit) -> bool:
    """Whether a caller of ``scope`` may write ``ind`` for ``unit`` (values and targets).

    A commune writes only for itself; an agency for any unit of the province but only the
    indicators it owns; the province writes everything of the province.
    """
    if unit.province_code != scope.province_code:
        return False
    if scope.level == "commune":
        return unit.code == scope.org_code
    if scope.level == "agency":
        return ind.owner == scope.org_code
    return True


def may_approve(principal: Principal, ind: Indicator) -> bool:
    """Operators and data stewards approve; an agency officer only its agency's indicators."""
    if not principal.can("data.approve"):
        return False
    return principal.role != "agency_officer" or ind.owner == principal.user.org_code


def indicator_of(found: Mapping[str, Indicator], code: str, *, values: bool) -> Indicator:
    """The definition for a row; ``values`` also refuses computed (formula) indicators."""
    ind = found.get(code)
    if ind is None:
        raise Problem("indicator", "unknown_indicator", code=code[:64])
    if not ind.active:
        raise Problem("indicator", "inactive_indicator", code=code)
    if values and ind.formula:
        raise Problem("indicator", "computed_indicator", code=code)
    return ind


def period_of(code: str, period_type: str) -> periods.Period:
    """The period of a row, of the indicator's frequency."""
    try:
        return periods.parse_for(code, period_type)
    except periods.InvalidPeriod as exc:
        expected = ", ".join((exc.details or {}).get("expected", []))
        raise Problem("period", exc.code, period=code[:20], expected=expected) from None


def text_field(item: Mapping[str, Any], name: str) -> str:
    """A required string field of a row, stripped."""
    raw = item.get(name)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise Problem(name, "required")
    if not isinstance(raw, str):
        raise Problem(name, "not_a_number" if name == "value" else "invalid_text")
    return raw.strip()


class Locks:
    """The period locks, asked per indicator and period (a lock covers its sub-periods)."""

    def __init__(self, session: Session) -> None:
        self._locks: list[tuple[str | None, periods.Period]] = []
        for code, ind in session.execute(select(PeriodLock.period, PeriodLock.indicator_code)):
            self._locks.append((ind, periods.parse(code)))
        self._cache: dict[tuple[str, str], bool] = {}

    def locked(self, indicator: str, period: periods.Period) -> bool:
        """True when a lock of this indicator (or of all) covers ``period``."""
        key = (indicator, period.code)
        if key not in self._cache:
            self._cache[key] = any(
                (ind is None or ind == indicator) and lock.contains(period)
                for ind, lock in self._locks
            )
        return self._cache[key]
