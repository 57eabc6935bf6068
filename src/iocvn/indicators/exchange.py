"""Upward sharing (R5): export approved data values in a documented exchange format (JSON or
CSV) and import such a document back. The format is described in ``docs/exchange-format.md``.

Export rule. ``values`` holds the approved current values of the chosen indicators whose period
rolls up into the asked period (``Period.contains``), within the caller's area, ordered by
(indicator, org unit, period). ``deletions`` holds the keys (indicator, org unit, period) that
had an approved version once but whose current row is no longer approved (a newer version
waiting for approval, a rejection, a withdrawal) or that have no current row at all.

With ``since`` only what changed after it is sent: values approved after ``since``, and
deletions whose current (non-approved) row was created after ``since``. A key left without
any current row has no recorded time, so it is always listed. Applying a document twice
changes nothing the second time: re-exports are idempotent.

Import posts the values through ``values.post_values`` (all or nothing, ``source="exchange"``)
and withdraws each deleted key whose current value is approved: like a rejection, the approved
row becomes history and a new ``rejected`` version carrying a comment becomes current. A
deleted key that is absent or already not approved is left as it is.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.deps import Principal
from iocvn.auth.scope import OrgScope
from iocvn.core import events, periods
from iocvn.core.errors import Forbidden, Invalid
from iocvn.core.i18n import register
from iocvn.core.timeutil import as_utc, utcnow
from iocvn.indicators.models import DataValue
from iocvn.indicators.schemas_values import RowError
from iocvn.indicators.values import (
    AUDIT_KEYS,
    insert_rows,
    post_values,
    supersede,
)
from iocvn.indicators.values_checks import (
    Locks,
    Problem,
    chunks,
    indicator_of,
    load_indicators,
    load_units,
    may_approve,
    may_report,
    period_of,
    text_field,
)
from iocvn.org.models import OrgUnit

FORMAT = "iocvn.datavalues"
VERSION = 1
CSV_HEADER = ("indicator", "org_unit", "period", "value", "comment")
MAX_INDICATORS = 200
WITHDRAWN = "Rút lại theo dữ liệu trao đổi (withdrawn by an exchange document)"
ImportStatus = Literal["approved", "submitted"]
Key = tuple[str, str, str]

register(
    {
        "error.invalid_exchange": (
            "Tài liệu trao đổi số liệu không hợp lệ; không số liệu nào được lưu.",
            "The exchange document is not valid; nothing was saved.",
        ),
        "error.exchange_indicators": (
            "Hãy chọn từ 1 đến {max} chỉ số có trong bộ chỉ số.",
            "Choose from 1 to {max} indicators of the catalogue.",
        ),
        "error.exchange_status": (
            "Trạng thái khi nhập phải là approved hoặc submitted.",
            "The import status must be approved or submitted.",
        ),
        "row.exchange_format": (
            "Định dạng phải là {expected}.",
            "The format must be {expected}.",
        ),
        "row.exchange_version": (
            "Phiên bản định dạng phải là {expected}.",
            "The format version must be {expected}.",
        ),
        "row.exchange_list": (
            "Trường này phải là một danh sách.",
            "This field must be a list.",
        ),
        "row.exchange_deleted_twice": (
            "Khóa này vừa có trong values vừa có trong deletions, hoặc bị xóa hai lần.",
            "This key is both in values and deletions, or deleted twice.",
        ),
    }
)


class ExchangeReport(BaseModel):
    """What an import did: the values' post report and the withdrawn keys."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    deletions_unchanged: int = 0


# --- export -----------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return as_utc(value).isoformat().replace("+00:00", "Z") if value else None


def _rows_in(
    session: Session,
    codes: Sequence[str],
    period: periods.Period,
    area: ColumnElement[bool],
    org_code: str | None,
    extra: ColumnElement[bool],
) -> list[DataValue]:
    """Rows of ``codes`` whose period rolls up into ``period`` (a week by its Thursday)."""
    stmt = select(DataValue).where(
        DataValue.indicator_code.in_(codes),
        DataValue.period_start >= period.start - timedelta(days=6),
        DataValue.period_start <= period.end,
        area,
        extra,
    )
    if org_code:
        stmt = stmt.where(DataValue.org_code == org_code.strip())
    rows = session.execute(stmt).scalars().all()
    cache: dict[str, bool] = {}
    kept = []
    for row in rows:
        if row.period not in cache:
            cache[row.period] = period.contains(periods.parse(row.period))
        if cache[row.period]:
            kept.append(row)
    return kept


def _deletions(
    session: Session,
    codes: Sequence[str],
    period: periods.Period,
    area: ColumnElement[bool],
    org_code: str | None,
    since: datetime | None,
) -> list[dict[str, Any]]:
    once_approved = {
        (r.indicator_code, r.org_code, r.period)
        for r in _rows_in(
            session, codes, period, area, org_code, DataValue.approved_at.is_not(None)
        )
    }
    if not once_approved:
        return []
    current: dict[Key, DataValue] = {
        (r.indicator_code, r.org_code, r.period): r
        for r in _rows_in(session, codes, period, area, org_code, DataValue.is_current == true())
    }
    found = []
    for key in once_approved:
        row = current.get(key)
        if row is not None and row.status == "approved":
            continue
        removed_at = as_utc(row.created_at) if row is not None else None
        if since is not None and removed_at is not None and removed_at <= since:
            continue
        found.append((key, removed_at))
    return [
        {"indicator": k[0], "org_unit": k[1], "period": k[2], "removed_at": _iso(at)}
        for k, at in sorted(found, key=lambda f: _order(f[0]))
    ]


def _province(session: Session, scope: OrgScope | None) -> str:
    """The sending province's code: the caller's, else the province unit's."""
    if scope is not None:
        return scope.province_code
    stmt = select(OrgUnit.province_code).where(OrgUnit.level == "province").limit(1)
    return session.execute(stmt).scalar_one_or_none() or ""


def _order(key: Key) -> tuple[str, str, date, str]:
    p = periods.parse(key[2])
    return (key[0], key[1], p.start, p.code)


def export_values(
    session: Session,
    indicator_codes: Iterable[str],
    period_code: str,
    *,
    org_code: str | None = None,
    scope: OrgScope | None = None,
    since: datetime | None = None,
) -> dict[str, Any]:
    """The exchange document of ``indicator_codes`` for the period ``period_code``.

    ``scope`` limits the units to the caller's area (``None``: the whole province),
    ``org_code`` to one unit; ``since`` sends only what changed after it (see module).
    """
    codes = sorted({c.strip() for c in indicator_codes if c and c.strip()})
    known = load_indicators(session, set(codes))
    if not codes or len(codes) > MAX_INDICATORS or set(codes) - set(known):
        raise Invalid(
            "exchange_indicators",
            details={"unknown": sorted(set(codes) - set(known))},
            max=MAX_INDICATORS,
        )
    period = periods.parse(period_code)
    since = as_utc(since) if since is not None else None
    area: ColumnElement[bool] = scope.area_clause(DataValue.org_code) if scope else true()
    approved = and_(DataValue.is_current, DataValue.status == "approved")
    if since is not None:
        approved = and_(approved, DataValue.approved_at > since)
    rows = _rows_in(session, codes, period, area, org_code, approved)
    rows.sort(key=lambda r: (r.indicator_code, r.org_code, r.period_start, r.period))
    return {
        "format": FORMAT,
        "version": VERSION,
        "province": _province(session, scope),
        "generated_at": _iso(utcnow()),
        "period": period.code,
        "since": _iso(since),
        "indicators": codes,
        "values": [
            {
                "indicator": r.indicator_code,
                "org_unit": r.org_code,
                "period": r.period,
                "value": r.value,
                "comment": r.comment,
                "approved_at": _iso(r.approved_at),
                "version": r.version,
            }
            for r in rows
        ],
        "deletions": _deletions(session, codes, period, area, org_code, since),
    }


def export_csv(doc: Mapping[str, Any]) -> str:
    """The values of a document as CSV (``indicator,org_unit,period,value,comment``).

    CSV carries no deletions: pull the JSON document to replicate them.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for v in doc.get("values", []):
        writer.writerow(
            [v["indicator"], v["org_unit"], v["period"], repr(v["value"]), v["comment"]]
        )
    return out.getvalue()


# --- import -----------------------------------------------------------------------------


def _error(index: int, field: str, error: str, lang: str, **params: Any) -> RowError:
    return RowError.of(index, field, error, lang, **params)


def _check_document(doc: Any, lang: str) -> tuple[list[Any], list[Any]]:
    """The values and deletions of a well-formed document; ``invalid_exchange`` otherwise."""
    errors: list[RowError] = []
    if not isinstance(doc, Mapping):
        errors.append(_error(0, "format", "exchange_format", lang, expected=FORMAT))
        raise Invalid("invalid_exchange", details={"errors": [e.model_dump() for e in errors]})
    if doc.get("format") != FORMAT:
        errors.append(_error(0, "format", "exchange_format", lang, expected=FORMAT))
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        errors.append(_error(0, "version", "exchange_version", lang, expected=VERSION))
    found: list[list[Any]] = []
    for name in ("values", "deletions"):
        part = doc.get(name, [])
        if not isinstance(part, list):
            errors.append(_error(0, name, "exchange_list", lang))
            part = []
        found.append(part)
    if errors:
        raise Invalid("invalid_exchange", details={"errors": [e.model_dump() for e in errors]})
    return found[0], found[1]


def _check_deletions(
    session: Session, principal: Principal, items: list[Any], taken: set[Key], lang: str
) -> tuple[list[Key], list[RowError]]:
    maps = [i for i in items if isinstance(i, Mapping)]
    inds = load_indicators(session, {str(i.get("indicator", "")).strip() for i in maps})
    units = load_units(session, {str(i.get("org_unit", "")).strip() for i in maps})
    locks = Locks(session)
    keys: list[Key] = []
    errors: list[RowError] = []
    for index, item in enumerate(items):
        try:
            if not isinstance(item, Mapping):
                raise Problem("indicator", "required")
            ind = indicator_of(inds, text_field(item, "indicator"), values=True)
            org = text_field(item, "org_unit")
            unit = units.get(org)
            if unit is None:
                raise Problem("org_unit", "unknown_org_unit", code=org[:32])
            period = period_of(text_field(item, "period"), ind.frequency)
            if not may_report(principal.scope, ind, unit):
                raise Problem("org_unit", "out_of_scope", indicator=ind.code, org_unit=org)
            if not may_approve(principal, ind):
                raise Problem("status", "approve_not_allowed", indicator=ind.code)
            key = (ind.code, unit.code, period.code)
            if key in taken:
                raise Problem("period", "exchange_deleted_twice")
            if locks.locked(ind.code, period):
                raise Problem("period", "period_locked", period=period.code, indicator=ind.code)
        except Problem as problem:
            error = problem.row_error(index, lang)
            errors.append(error.model_copy(update={"field": f"deletions.{error.field}"}))
            continue
        taken.add(key)
        keys.append(key)
    return keys, errors


def _withdraw(session: Session, principal: Principal, keys: list[Key]) -> tuple[int, int]:
    """Withdraw the approved current values of ``keys``: (withdrawn, left as they were)."""
    rows: list[DataValue] = []
    wanted = set(keys)
    for part in chunks(sorted(wanted)):
        clause = or_(
            *(
                and_(
                    DataValue.indicator_code == k[0],
                    DataValue.org_code == k[1],
                    DataValue.period == k[2],
                )
                for k in part
            )
        )
        stmt = select(DataValue).where(DataValue.is_current, DataValue.status == "approved", clause)
        rows += session.execute(stmt).scalars().all()
    if not rows:
        return 0, len(keys)
    who, now = principal.actor().name, utcnow()
    keep = "indicator_code org_code period period_start period_end value source submitted_at"
    records = [
        {k: getattr(v, k) for k in keep.split()}
        | {"comment": WITHDRAWN, "status": "rejected", "version": v.version + 1}
        | {"is_current": True, "created_by": who, "created_at": now}
        | {"approved_by": None, "approved_at": None}
        for v in rows
    ]
    supersede(session, [v.id for v in rows])
    session.flush()
    insert_rows(session, records)
    session.flush()
    withdrawn = [f"{v.indicator_code}/{v.org_code}/{v.period}" for v in rows]
    audit.record(
        session,
        principal.actor(),
        "data_values.withdraw",
        target_type="data_value",
        after={"count": len(rows), "rows": withdrawn[:AUDIT_KEYS], "source": "exchange"},
    )
    events.publish(
        "data_values.changed",
        indicators=sorted({v.indicator_code for v in rows}),
        periods=sorted({v.period for v in rows}),
    )
    return len(rows), len(keys) - len(rows)


def import_document(
    session: Session,
    principal: Principal,
    doc: Any,
    *,
    status: ImportStatus = "approved",
    lang: str = "vi",
) -> ExchangeReport:
    """Apply an exchange document: post its values (with ``status``) and its deletions.

    All or nothing: a malformed document or a refused deletion raises ``invalid_exchange``,
    a refused value ``invalid_values`` (both 422 with ``details.errors``), and nothing is
    written. Flushes, never commits.
    """
    if status not in ("approved", "submitted"):
        raise Invalid("exchange_status", details={"status": str(status)[:20]})
    if not principal.can("data.enter"):
        raise Forbidden(details={"permission": "data.enter"})
    items, deletions = _check_document(doc, lang)
    taken: set[Key] = set()
    for item in items:
        if isinstance(item, Mapping):
            ind, org, per = (
                str(item.get(f, "")).strip() for f in ("indicator", "org_unit", "period")
            )
            taken.add((ind, org, per))
    keys, errors = _check_deletions(session, principal, deletions, taken, lang)
    if errors:
        raise Invalid("invalid_exchange", details={"errors": [e.model_dump() for e in errors]})
    rows = [
        {f: item.get(f) for f in ("indicator", "org_unit", "period", "value", "comment")}
        | {"status": status}
        if isinstance(item, Mapping)
        else item
        for item in items
    ]
    posted = post_values(
        session, principal, rows, source="exchange", mode="all_or_nothing", lang=lang
    )
    deleted, kept = _withdraw(session, principal, keys) if keys else (0, 0)
    return ExchangeReport(
        created=posted.created,
        updated=posted.updated,
        unchanged=posted.unchanged,
        deleted=deleted,
        deletions_unchanged=kept,
    )
