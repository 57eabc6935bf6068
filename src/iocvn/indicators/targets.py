"""Targets (chỉ tiêu): per indicator × org unit × year, from the annual or the 2026-2030 plan,
optionally phased into periods of the year (a quarter's target ``2026Q1``).

A batch is all or nothing, checked row by row like data values, and audited as one entry.
Only holders of ``target.write`` set targets, within their scope (a commune's operator only
for its commune, an agency only for the indicators it owns).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.deps import Principal
from iocvn.auth.scope import OrgScope
from iocvn.core import periods
from iocvn.core.errors import Forbidden, Invalid
from iocvn.core.i18n import register
from iocvn.core.ids import new_id
from iocvn.core.timeutil import utcnow
from iocvn.indicators.models import Indicator, Target
from iocvn.indicators.schemas_values import RowError, TargetReport
from iocvn.indicators.values_checks import (
    Problem,
    Unit,
    check_value,
    chunks,
    indicator_of,
    load_indicators,
    load_units,
    may_report,
    text_field,
    to_number,
)

FIRST_YEAR, LAST_YEAR = 2000, 2100
MAX_DOCUMENT = 300
AUDIT_KEYS = 50
_RANK = {t: i for i, t in enumerate(periods.PERIOD_TYPES)}
Key = tuple[str, str, int, str]  # indicator, org unit, year, period ("" = the year)

register(
    {
        "error.invalid_targets": (
            "{count} dòng chỉ tiêu không hợp lệ; không dòng nào được lưu.",
            "{count} target rows are not valid; nothing was saved.",
        ),
    }
)


@dataclass
class _Row:
    indicator: str
    org: str
    year: int
    period: str
    value: float
    source_document: str | None

    @property
    def key(self) -> Key:
        return (self.indicator, self.org, self.year, self.period)


def _year(raw: object) -> int:
    if isinstance(raw, str) and raw.strip().isdigit():
        raw = int(raw.strip())
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not FIRST_YEAR <= raw <= LAST_YEAR:
        raise Problem("year", "invalid_year", value=str(raw)[:20])
    return raw


def _period(raw: object, ind: Indicator, year: int) -> str:
    """The period code of a phased target ("" for the whole year)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return ""
    code = str(raw).strip()
    longer = [t for t in periods.PERIOD_TYPES if _RANK[t] >= _RANK[ind.frequency]]
    expected = ", ".join(periods.EXAMPLES[t] for t in longer)
    try:
        period = periods.parse(code)
    except periods.InvalidPeriod:
        raise Problem("period", "invalid_period", period=code[:20], expected=expected) from None
    if period.type not in longer:
        raise Problem("period", "period_type_mismatch", period=code, expected=expected)
    if periods.rollup(period, "yearly").start.year != year:
        raise Problem("period", "period_not_in_year", period=code, year=year)
    return "" if period.type == "yearly" else period.code


def _check_row(
    principal: Principal,
    item: Mapping[str, Any],
    inds: Mapping[str, Indicator],
    units: Mapping[str, Unit],
) -> _Row:
    if not isinstance(item, Mapping):
        raise Problem("value", "required")
    ind = indicator_of(inds, text_field(item, "indicator"), values=False)
    org = text_field(item, "org_unit")
    unit = units.get(org)
    if unit is None:
        raise Problem("org_unit", "unknown_org_unit", code=org[:32])
    year = _year(item.get("year"))
    first, last = periods.parse(str(year)).start, periods.parse(str(year)).end
    if unit.valid_from > last or (unit.valid_to and unit.valid_to < first):
        raise Problem("org_unit", "org_unit_not_valid", code=org, period=year)
    if not may_report(principal.scope, ind, unit):
        raise Problem("org_unit", "out_of_scope", indicator=ind.code, org_unit=org)
    period = _period(item.get("period"), ind, year)
    value = to_number(item.get("value"))
    check_value(ind, value)
    document = item.get("source_document")
    if document is not None:
        if not isinstance(document, str) or "\x00" in document:
            raise Problem("source_document", "invalid_text")
        document = " ".join(document.split())
        if len(document) > MAX_DOCUMENT:
            raise Problem("source_document", "too_long", max=MAX_DOCUMENT)
    return _Row(ind.code, unit.code, year, period, value, document)


def check_targets(
    session: Session, principal: Principal, items: Sequence[Mapping[str, Any]], lang: str = "vi"
) -> tuple[list[_Row], list[RowError]]:
    """Check a batch of targets (nothing is written)."""
    if not principal.can("target.write"):
        raise Forbidden(details={"permission": "target.write"})
    maps = [i for i in items if isinstance(i, Mapping)]
    inds = load_indicators(session, {str(i.get("indicator", "")).strip() for i in maps})
    units = load_units(session, {str(i.get("org_unit", "")).strip() for i in maps})
    rows: list[_Row] = []
    errors: list[RowError] = []
    seen: dict[Key, int] = {}
    for index, item in enumerate(items):
        try:
            row = _check_row(principal, item, inds, units)
            if row.key in seen:
                raise Problem("period", "duplicate_row", other=seen[row.key])
        except Problem as problem:
            errors.append(problem.row_error(index, lang))
            continue
        seen[row.key] = index
        rows.append(row)
    return rows, errors


def _existing(session: Session, rows: list[_Row]) -> dict[Key, Target]:
    wanted = {r.key for r in rows}
    found: dict[Key, Target] = {}
    years = sorted({r.year for r in rows})
    for inds in chunks(sorted({r.indicator for r in rows})):
        stmt = select(Target).where(Target.indicator_code.in_(inds), Target.year.in_(years))
        for t in session.execute(stmt).scalars():
            if (key := (t.indicator_code, t.org_code, t.year, t.period)) in wanted:
                found[key] = t
    return found


def set_targets(
    session: Session, principal: Principal, items: Sequence[Mapping[str, Any]], lang: str = "vi"
) -> TargetReport:
    """Create or update targets, all or nothing; an absent source document keeps the stored one."""
    rows, errors = check_targets(session, principal, items, lang)
    if errors:
        raise Invalid(
            "invalid_targets",
            details={"errors": [e.model_dump() for e in errors]},
            count=len(errors),
        )
    who, now = principal.actor().name, utcnow()
    existing = _existing(session, rows)
    report, changed, new = TargetReport(), [], []
    for row in rows:
        old = existing.get(row.key)
        document = row.source_document
        if old is None:
            report.created += 1
            new.append(
                {"id": new_id(), "indicator_code": row.indicator, "org_code": row.org}
                | {"year": row.year, "period": row.period, "value": row.value}
                | {"source_document": document or "", "updated_by": who, "updated_at": now}
            )
        elif old.value == row.value and document in (None, old.source_document):
            report.unchanged += 1
            continue
        else:
            report.updated += 1
            old.value, old.updated_by = row.value, who
            old.source_document = old.source_document if document is None else document
        changed.append(row)
    for part in chunks(new, 5000):
        session.execute(insert(Target), list(part))
    session.flush()
    if changed:
        after = report.model_dump() | {
            "rows": [f"{r.indicator}/{r.org}/{r.year}/{r.period}" for r in changed[:AUDIT_KEYS]]
        }
        audit.record(session, principal.actor(), "targets.set", target_type="target", after=after)
    return report


def targets_for(session: Session, indicator: str, org: str, year: int) -> dict[str, float]:
    """The targets of one indicator, unit and year: period code ("" = the year) → value."""
    stmt = select(Target.period, Target.value).where(
        Target.indicator_code == indicator, Target.org_code == org, Target.year == year
    )
    return {row.period: row.value for row in session.execute(stmt)}


def list_targets(
    session: Session,
    scope: OrgScope,
    *,
    indicator: str | None = None,
    org_unit: str | None = None,
    year: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Target]:
    """Targets in the caller's area, filtered, by indicator, unit, year and period."""
    stmt = select(Target).where(scope.area_clause(Target.org_code))
    if indicator:
        stmt = stmt.where(Target.indicator_code == indicator.strip())
    if org_unit:
        stmt = stmt.where(Target.org_code == org_unit.strip())
    if year is not None:
        stmt = stmt.where(Target.year == year)
    order = (Target.indicator_code, Target.org_code, Target.year, Target.period)
    return list(session.execute(stmt.order_by(*order).limit(limit).offset(offset)).scalars())
