"""The violation log (nhật ký vi phạm) of industrial-zone emission rules:
``GET /api/v1/alerts/violations`` (JSON) and ``GET /api/v1/alerts/violations.csv`` (for Excel:
UTF-8 with BOM, Vietnamese headers, times dd/mm/yyyy HH:MM in Vietnam's time).

Read-only: :mod:`.violations` writes the log. Mounted before :mod:`.api_rules`, whose
``/alerts/{alert_id}`` would catch ``/alerts/violations``.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import violations
from iocvn.alerts.models_violations import AlertViolation
from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.core.i18n import t
from iocvn.core.timeutil import LOCAL_TZ, format_datetime, to_local, utcnow
from iocvn.org.models import OrgUnit

router = APIRouter(tags=["alerts"])
Reader = Annotated[Principal, Depends(require("alert.read"))]
COLUMNS = (
    "started_at", "fired_at", "ended_at", "minutes", "device", "org_unit", "area", "rule",
    "severity", "quantity", "value", "limit", "unit", "peak", "exceeded",
)  # fmt: skip


class ViolationOut(BaseModel):
    """One violation: the first limit exceeded (and every one in ``exceeded``), the episode's
    start, when it fired, when it ended (null: still going on), its peak."""

    id: str
    rule_id: str
    alert_id: str
    rule_name: str
    device: str | None
    org_unit: str | None
    area: str | None
    severity: str
    quantity: str | None
    op: str | None
    limit: float | None
    unit: str
    value: float | None
    peak_value: float | None
    exceeded: list[dict[str, Any]]
    started_at: datetime
    fired_at: datetime
    ended_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, row: AlertViolation) -> ViolationOut:
        """The violation as the API shows it."""
        return cls(
            id=row.id, rule_id=row.rule_id, alert_id=row.instance_id, rule_name=row.rule_name,
            device=row.device, org_unit=row.org_code, area=row.area_code, severity=row.severity,
            quantity=row.quantity, op=row.op, limit=row.limit_value, unit=row.unit,
            value=row.value, peak_value=row.peak_value, exceeded=list(row.exceeded),
            started_at=row.started_at, fired_at=row.fired_at, ended_at=row.ended_at,
            created_at=row.created_at,
        )  # fmt: skip


def _when(value: datetime | None) -> datetime | None:
    """A time of the query: without a zone it is Vietnam's (``since=2026-11-01``)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=LOCAL_TZ)


def _filter(
    since: datetime | None, until: datetime | None, device: str | None, org_unit: str | None
) -> violations.ViolationFilter:
    return violations.ViolationFilter(_when(since), _when(until), device, org_unit)


Since = Annotated[
    datetime | None, Query(description="still under way at or after (Vietnam time without zone)")
]
Until = Annotated[datetime | None, Query(description="begun before (Vietnam time without zone)")]
DeviceCode = Annotated[str | None, Query(max_length=64)]
OrgCode = Annotated[str | None, Query(max_length=32)]


@router.get("/alerts/violations", response_model=list[ViolationOut])
def list_violations(
    principal: Reader,
    db: DbSession,
    since: Since = None,
    until: Until = None,
    device: DeviceCode = None,
    org_unit: OrgCode = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[ViolationOut]:
    """Violations in the caller's scope under way at some time in ``[since, until)``, latest
    first (422 ``alert_violation_range_invalid`` when ``since`` is not before ``until``)."""
    where = _filter(since, until, device, org_unit)
    found = violations.list_violations(db, principal.scope, where, limit=limit)
    return [ViolationOut.of(r) for r in found]


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _names(session: Session, rows: list[AlertViolation]) -> dict[str, str]:
    codes = {c for r in rows for c in (r.org_code, r.area_code) if c}
    if not codes:
        return {}
    found = session.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes)))
    return dict(found.all())


def to_csv(rows: list[AlertViolation], names: dict[str, str], lang: str = "vi") -> bytes:
    """The log as CSV for Excel: UTF-8 with BOM, one header row, one row per violation."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t(f"violations.col.{c}", lang) for c in COLUMNS])
    for r in rows:
        minutes = "" if r.ended_at is None else _number(
            round((r.ended_at - r.started_at).total_seconds() / 60, 1)
        )  # fmt: skip
        exceeded = "; ".join(
            f"{e['quantity']} {_number(e['value'])} {e['op']} {_number(e['limit'])} {e['unit']}"
            .strip()
            for e in r.exceeded
        )  # fmt: skip
        limit = "" if r.limit_value is None else f"{r.op} {_number(r.limit_value)}"
        writer.writerow([
            format_datetime(r.started_at), format_datetime(r.fired_at),
            format_datetime(r.ended_at), minutes, r.device or "",
            names.get(r.org_code or "", r.org_code or ""),
            names.get(r.area_code or "", r.area_code or ""), r.rule_name, r.severity,
            r.quantity or "", _number(r.value), limit, r.unit, _number(r.peak_value), exceeded,
        ])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@router.get("/alerts/violations.csv")
def download_violations(
    request: Request,
    principal: Reader,
    db: DbSession,
    since: Since = None,
    until: Until = None,
    device: DeviceCode = None,
    org_unit: OrgCode = None,
) -> Response:
    """The violation log as a CSV file for Excel (the same filters, at most 50 000 rows)."""
    where = _filter(since, until, device, org_unit)
    rows = violations.list_violations(db, principal.scope, where, limit=50_000)
    lang = str(getattr(request.state, "lang", "vi"))
    name = f"nhat-ky-vi-pham-{to_local(utcnow()):%Y%m%d-%H%M}.csv"
    return Response(
        to_csv(rows, _names(db, rows), lang),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
