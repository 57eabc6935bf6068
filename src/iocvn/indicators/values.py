"""Data values (số liệu): post a batch with checks row by row, versions and history (R3).

A batch is checked whole before anything is written: one query per kind of lookup (not per
row), then executemany inserts, so an import of a million values stays within a minute.
Rules: a value that changes makes a new version (the old row stays as history); the same
value posted again never moves it back in the workflow; a locked period refuses changes but
accepts identical re-posts. Services flush, never commit; one audit entry per batch.
The workflow steps (approve, reject, submit) and period locks are in ``values_workflow``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.deps import Principal
from iocvn.auth.scope import OrgScope
from iocvn.core import events, periods
from iocvn.core.errors import Conflict, Forbidden, Invalid
from iocvn.core.i18n import register, t
from iocvn.core.timeutil import utcnow
from iocvn.indicators import quality
from iocvn.indicators.models import DataValue, Indicator
from iocvn.indicators.schemas_values import Mode, PostReport, RowError
from iocvn.indicators.values_checks import (
    CHUNK,
    MAX_COMMENT,
    Locks,
    Problem,
    Unit,
    check_value,
    chunks,
    indicator_of,
    load_indicators,
    load_units,
    may_approve,
    may_report,
    period_of,
    text_field,
    to_number,
)

POSTABLE = ("draft", "submitted", "approved")
_RANK = {"draft": 0, "submitted": 1, "approved": 2}
INSERT_BATCH = 5000
AUDIT_KEYS = 50
_TABLE = cast(Table, DataValue.__table__)  # bulk inserts through Core skip the ORM's overhead
Key = tuple[str, str, str]  # indicator, org unit, period code

register(
    {
        "error.invalid_values": (
            "{count} dòng số liệu không hợp lệ; không dòng nào được lưu.",
            "{count} rows are not valid; nothing was saved.",
        ),
        "error.values_changed_concurrently": (
            "Số liệu vừa được người khác thay đổi; hãy gửi lại.",
            "The values were changed by someone else meanwhile; send them again.",
        ),
        "error.invalid_mode": (
            "Chế độ ghi phải là all_or_nothing hoặc partial.",
            "The mode must be all_or_nothing or partial.",
        ),
    }
)


OUTLIER_BATCH = 200  # rows; larger batches (file imports) skip the per-row history check


class Current(NamedTuple):
    """The current stored row of a key."""

    id: int
    value: float
    comment: str
    status: str
    version: int
    submitted_at: datetime | None


@dataclass
class Row:
    """One checked row, ready to write."""

    index: int
    indicator: str
    org: str
    period: periods.Period
    value: float
    comment: str | None
    status: str
    key: Key = field(init=False)  # indicator, org unit, period code (computed once)

    def __post_init__(self) -> None:
        self.key = (self.indicator, self.org, self.period.code)


@dataclass
class Plan:
    """What a batch would do: rows to create, to re-version, to move in the workflow."""

    errors: list[RowError] = field(default_factory=list)
    new: list[Row] = field(default_factory=list)
    versions: list[tuple[Row, Current]] = field(default_factory=list)
    moves: list[tuple[Row, Current]] = field(default_factory=list)
    unchanged: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _check_row(
    principal: Principal,
    index: int,
    item: Mapping[str, Any],
    found: tuple[Mapping[str, Indicator], Mapping[str, Unit]],
    cache: dict[tuple[str, str], periods.Period],
) -> Row:
    """One row through every check that needs no stored values; ``Problem`` on the first."""
    if not isinstance(item, Mapping):
        raise Problem("value", "required")
    ind = indicator_of(found[0], text_field(item, "indicator"), values=True)
    org = text_field(item, "org_unit")
    unit = found[1].get(org)
    if unit is None:
        raise Problem("org_unit", "unknown_org_unit", code=org[:32])
    code = text_field(item, "period")
    if (code, ind.frequency) not in cache:
        cache[code, ind.frequency] = period_of(code, ind.frequency)
    period = cache[code, ind.frequency]
    if unit.valid_from > period.end or (unit.valid_to and unit.valid_to < period.start):
        raise Problem("org_unit", "org_unit_not_valid", code=org, period=period.code)
    if not may_report(principal.scope, ind, unit):
        raise Problem("org_unit", "out_of_scope", indicator=ind.code, org_unit=org)
    status = item.get("status") or "submitted"
    if status not in POSTABLE:
        raise Problem("status", "invalid_status", value=str(status)[:20])
    if status == "approved" and not may_approve(principal, ind):
        raise Problem("status", "approve_not_allowed", indicator=ind.code)
    value = to_number(item.get("value"))
    check_value(ind, value)
    comment = item.get("comment")
    if comment is not None:
        if not isinstance(comment, str) or "\x00" in comment:
            raise Problem("comment", "invalid_text")
        if len(comment.strip()) > MAX_COMMENT:
            raise Problem("comment", "too_long", max=MAX_COMMENT)
        comment = comment.strip()
    return Row(index, ind.code, unit.code, period, value, comment, status)


def _currents(session: Session, rows: list[Row]) -> dict[Key, Current]:
    """The current stored rows of the batch's keys, in a few queries whatever its size."""
    wanted = {r.key for r in rows}
    orgs = sorted({r.org for r in rows})
    cols: list[Any] = [DataValue.indicator_code, DataValue.org_code, DataValue.period]
    cols += [DataValue.id, DataValue.value, DataValue.comment, DataValue.status]
    cols += [DataValue.version, DataValue.submitted_at]
    found: dict[Key, Current] = {}
    for inds in chunks(sorted({r.indicator for r in rows})):
        for pers in chunks(sorted({r.key[2] for r in rows})):
            stmt = select(*cols).where(
                DataValue.is_current, DataValue.indicator_code.in_(inds), DataValue.period.in_(pers)
            )
            if len(orgs) <= CHUNK:
                stmt = stmt.where(DataValue.org_code.in_(orgs))
            for rec in session.execute(stmt):
                if (key := (rec[0], rec[1], rec[2])) in wanted:
                    found[key] = Current(rec[3], rec[4], rec[5], rec[6], rec[7], rec[8])
    return found


def _cross_checks(session: Session, rows: list[Row], plan: Plan, lang: str) -> list[Row]:
    """Refuse parts above their whole; flag outliers of small batches (typed, not imported
    by the million: one history query per row)."""
    entries = [quality.Entry(r.index, r.indicator, r.org, r.period.code, r.value) for r in rows]
    blamed: set[int] = set()
    for b in quality.part_whole_breaches(session, entries):
        blamed.add(b.index)
        plan.errors.append(
            RowError.of(
                b.index,
                "value",
                "part_exceeds_whole",
                lang,
                part=b.part,
                value=b.value,
                whole=b.whole,
                whole_value=b.whole_value,
            )
        )
    if len(entries) <= OUTLIER_BATCH:
        for f in quality.outliers(session, [e for e in entries if e.index not in blamed]):
            plan.warnings.append(
                {
                    "index": f.index,
                    "indicator": f.indicator,
                    "org_unit": f.org,
                    "period": f.period,
                    "warning": "outlier",
                    "z": f.z,
                    "message": t("warn.outlier", lang, z=f.z),
                }
            )
    return [r for r in rows if r.index not in blamed]


def check_values(
    session: Session, principal: Principal, items: Sequence[Mapping[str, Any]], lang: str = "vi"
) -> Plan:
    """Check a batch and plan its writes (nothing is written)."""
    if not principal.can("data.enter"):
        raise Forbidden(details={"permission": "data.enter"})
    plan = Plan()
    maps = [i for i in items if isinstance(i, Mapping)]
    found = (
        load_indicators(session, {str(i.get("indicator", "")).strip() for i in maps}),
        load_units(session, {str(i.get("org_unit", "")).strip() for i in maps}),
    )
    cache: dict[tuple[str, str], periods.Period] = {}
    seen: dict[Key, int] = {}
    rows: list[Row] = []
    for index, item in enumerate(items):
        try:
            row = _check_row(principal, index, item, found, cache)
            if row.key in seen:
                raise Problem("period", "duplicate_row", other=seen[row.key])
        except Problem as problem:
            plan.errors.append(problem.row_error(index, lang))
            continue
        seen[row.key] = index
        rows.append(row)
    rows = _cross_checks(session, rows, plan, lang)
    currents, locks = _currents(session, rows), Locks(session)
    for row in rows:
        cur = currents.get(row.key)
        if cur is not None and row.comment is None:
            row.comment = cur.comment  # an absent comment keeps the stored one
        if cur is not None and (row.value, row.comment) == (cur.value, cur.comment):
            forward = cur.status == "rejected" or _RANK[row.status] > _RANK[cur.status]
            if not forward:  # the same value never moves back in the workflow
                plan.unchanged += 1
                continue
        if locks.locked(row.indicator, row.period):
            locked = Problem(
                "period", "period_locked", period=row.period.code, indicator=row.indicator
            )
            plan.errors.append(locked.row_error(row.index, lang))
            continue
        if cur is None:
            plan.new.append(row)
        elif (row.value, row.comment) == (cur.value, cur.comment):
            plan.moves.append((row, cur))
        else:
            plan.versions.append((row, cur))
    plan.errors.sort(key=lambda e: e.index)
    return plan


def _record(row: Row, version: int, who: str, now: datetime, source: str) -> dict[str, Any]:
    approved = row.status == "approved"
    return {
        "indicator_code": row.indicator,
        "org_code": row.org,
        "period": row.key[2],
        "period_start": row.period.start,
        "period_end": row.period.end,
        "value": row.value,
        "comment": row.comment or "",
        "status": row.status,
        "version": version,
        "is_current": True,
        "source": source,
        "created_by": who,
        "created_at": now,
        "submitted_at": None if row.status == "draft" else now,
        "approved_by": who if approved else None,
        "approved_at": now if approved else None,
    }


def set_status(session: Session, ids: Sequence[int], status: str, who: str) -> None:
    """Move current rows to ``status`` in place (the first submission time is kept)."""
    now = utcnow()
    for part in chunks(ids):
        changes: dict[str, Any] = {"status": status}
        if status != "draft":
            changes["submitted_at"] = func.coalesce(DataValue.submitted_at, now)
        if status == "approved":
            changes |= {"approved_by": who, "approved_at": now}
        stmt = update(DataValue).where(DataValue.id.in_(part)).values(**changes)
        session.execute(stmt.execution_options(synchronize_session="fetch"))


def supersede(session: Session, ids: Sequence[int]) -> None:
    """Make rows history (before their new versions are inserted)."""
    for part in chunks(ids):
        session.execute(update(DataValue).where(DataValue.id.in_(part)).values(is_current=False))


def insert_rows(session: Session, records: list[dict[str, Any]]) -> None:
    """Bulk insert of data value rows."""
    for part in chunks(records, INSERT_BATCH):
        session.execute(insert(_TABLE), list(part))


def apply(session: Session, principal: Principal, plan: Plan, source: str) -> PostReport:
    """Write a checked plan (its errors are not written) and audit it as one batch."""
    who, now = principal.actor().name, utcnow()
    for status in POSTABLE:
        ids = [cur.id for row, cur in plan.moves if row.status == status]
        set_status(session, ids, status, who)
    supersede(session, [cur.id for _, cur in plan.versions])
    records = [_record(r, 1, who, now, source) for r in plan.new]
    records += [_record(r, c.version + 1, who, now, source) for r, c in plan.versions]
    try:
        insert_rows(session, records)
    except IntegrityError:  # another writer made a key current since the check: retry
        raise Conflict("values_changed_concurrently") from None
    session.flush()
    report = PostReport(
        created=len(plan.new),
        updated=len(plan.moves) + len(plan.versions),
        unchanged=plan.unchanged,
        errors=plan.errors,
        warnings=plan.warnings,
    )
    changed = plan.new + [r for r, _ in plan.moves + plan.versions]
    if changed:
        after = report.model_dump(exclude={"errors", "warnings"}) | {"source": source}
        after["rows"] = ["/".join(r.key) for r in changed[:AUDIT_KEYS]]
        audit.record(
            session, principal.actor(), "data_values.post", target_type="data_value", after=after
        )
        events.publish(
            "data_values.changed",
            indicators=sorted({r.indicator for r in changed}),
            periods=sorted({r.key[2] for r in changed}),
        )
    return report


def post_values(
    session: Session,
    principal: Principal,
    items: Sequence[Mapping[str, Any]],
    *,
    source: str = "api",
    mode: Mode = "all_or_nothing",
    lang: str = "vi",
) -> PostReport:
    """Check and write values; any error refuses the whole batch unless ``mode`` is partial."""
    if mode not in ("all_or_nothing", "partial"):
        raise Invalid("invalid_mode", details={"mode": mode})
    plan = check_values(session, principal, items, lang)
    if plan.errors and mode == "all_or_nothing":
        raise Invalid(
            "invalid_values",
            details={"errors": [e.model_dump() for e in plan.errors]},
            count=len(plan.errors),
        )
    return apply(session, principal, plan, source)


# --- reading ----------------------------------------------------------------------------


def list_values(
    session: Session,
    scope: OrgScope,
    *,
    indicator: str | None = None,
    org_unit: str | None = None,
    period: str | None = None,
    status: str | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[DataValue]:
    """Current values in the caller's area, filtered, by indicator, unit and period."""
    stmt = select(DataValue).where(DataValue.is_current, scope.area_clause(DataValue.org_code))
    for column, wanted in (
        (DataValue.indicator_code, indicator),
        (DataValue.org_code, org_unit),
        (DataValue.period, period),
        (DataValue.status, status),
    ):
        if wanted:
            stmt = stmt.where(column == wanted.strip())
    order = (DataValue.indicator_code, DataValue.org_code, DataValue.period_start)
    return list(session.execute(stmt.order_by(*order).limit(limit).offset(offset)).scalars())


def history(
    session: Session, indicator: str, org: str, period: str, *, scope: OrgScope | None = None
) -> list[DataValue]:
    """Every version of one value, oldest first (empty outside ``scope``)."""
    stmt = select(DataValue).where(
        DataValue.indicator_code == indicator.strip(),
        DataValue.org_code == org.strip(),
        DataValue.period == period.strip(),
    )
    if scope is not None:
        stmt = stmt.where(scope.area_clause(DataValue.org_code))
    return list(session.execute(stmt.order_by(DataValue.version)).scalars())
