"""JSON routes of data supply (R3): data values and their workflow, targets and period locks.

Field names follow issue #3 (Interfaces); the app mounts ``router`` under ``/api/v1``. Row
errors come back as 422 ``invalid_values`` / ``invalid_targets`` with ``details.errors``;
readings are limited to the caller's area. Files are imported by the command line and the
pages (``importer``): the API takes JSON bodies only.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.indicators import targets, values, values_workflow
from iocvn.indicators.models import DataValue, Target
from iocvn.indicators.schemas_values import (
    ApproveIn,
    DataValueOut,
    LockIn,
    LockOut,
    Mode,
    PostReport,
    RejectIn,
    TargetOut,
    TargetReport,
    TargetsIn,
    ValuesIn,
    WorkflowReport,
)

router = APIRouter(tags=["indicators"])
Reader = Annotated[Principal, Depends(require("indicator.read"))]
Enterer = Annotated[Principal, Depends(require("data.enter"))]
Approver = Annotated[Principal, Depends(require("data.approve"))]
Locker = Annotated[Principal, Depends(require("data.lock"))]
TargetWriter = Annotated[Principal, Depends(require("target.write"))]
Code = Annotated[str | None, Query(max_length=64)]
Limit = Annotated[int, Query(ge=1, le=5000)]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Status = Literal["draft", "submitted", "approved", "rejected"]


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


def _value_out(v: DataValue) -> DataValueOut:
    return DataValueOut(
        id=v.id,
        indicator=v.indicator_code,
        org_unit=v.org_code,
        period=v.period,
        period_start=v.period_start,
        period_end=v.period_end,
        value=v.value,
        comment=v.comment,
        status=v.status,
        version=v.version,
        is_current=v.is_current,
        source=v.source,
        created_by=v.created_by,
        created_at=v.created_at,
        submitted_at=v.submitted_at,
        approved_by=v.approved_by,
        approved_at=v.approved_at,
    )


def _target_out(t: Target) -> TargetOut:
    return TargetOut(
        indicator=t.indicator_code,
        org_unit=t.org_code,
        year=t.year,
        period=t.period,
        value=t.value,
        source_document=t.source_document,
        updated_by=t.updated_by,
        updated_at=t.updated_at,
    )


@router.post("/data-values", response_model=PostReport)
def post_values(
    body: ValuesIn,
    principal: Enterer,
    db: DbSession,
    request: Request,
    mode: Mode = "all_or_nothing",
) -> PostReport:
    """Post values (idempotent); any refused row refuses all unless ``mode=partial``."""
    items = [v.model_dump() for v in body.values]
    return values.post_values(db, principal, items, source="api", mode=mode, lang=_lang(request))


@router.get("/data-values", response_model=list[DataValueOut])
def list_values(
    principal: Reader,
    db: DbSession,
    indicator: Code = None,
    org_unit: Code = None,
    period: Annotated[str | None, Query(max_length=10)] = None,
    status: Status | None = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[DataValueOut]:
    """Current values in the caller's area, filtered."""
    rows = values.list_values(
        db,
        principal.scope,
        indicator=indicator,
        org_unit=org_unit,
        period=period,
        status=status,
        limit=limit,
        offset=offset,
    )
    return [_value_out(v) for v in rows]


@router.get("/data-values/history", response_model=list[DataValueOut])
def value_history(
    principal: Reader,
    db: DbSession,
    indicator: Annotated[str, Query(max_length=64)],
    org_unit: Annotated[str, Query(max_length=64)],
    period: Annotated[str, Query(max_length=10)],
) -> list[DataValueOut]:
    """Every version of one value, oldest first."""
    rows = values.history(db, indicator, org_unit, period, scope=principal.scope)
    return [_value_out(v) for v in rows]


@router.post("/data-values/submit", response_model=WorkflowReport)
def submit_values(
    body: ApproveIn, principal: Enterer, db: DbSession, request: Request
) -> WorkflowReport:
    """Submit draft or rejected values (by ids or a selection)."""
    return values_workflow.submit(
        db, principal, body.ids, selection=body.selection, lang=_lang(request)
    )


@router.post("/data-values/approve", response_model=WorkflowReport)
def approve_values(
    body: ApproveIn, principal: Approver, db: DbSession, request: Request
) -> WorkflowReport:
    """Approve submitted values (by ids, or every value of a selection the caller may)."""
    return values_workflow.approve(
        db, principal, body.ids, selection=body.selection, lang=_lang(request)
    )


@router.post("/data-values/reject", response_model=WorkflowReport)
def reject_values(
    body: RejectIn, principal: Approver, db: DbSession, request: Request
) -> WorkflowReport:
    """Send submitted values back with a comment."""
    return values_workflow.reject(db, principal, body.ids, body.comment, lang=_lang(request))


@router.post("/targets", response_model=TargetReport)
def set_targets(
    body: TargetsIn, principal: TargetWriter, db: DbSession, request: Request
) -> TargetReport:
    """Create or update targets, all or nothing."""
    items = [t.model_dump() for t in body.targets]
    return targets.set_targets(db, principal, items, lang=_lang(request))


@router.get("/targets", response_model=list[TargetOut])
def list_targets(
    principal: Reader,
    db: DbSession,
    indicator: Code = None,
    org_unit: Code = None,
    year: Annotated[int | None, Query(ge=1900, le=2999)] = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> list[TargetOut]:
    """Targets in the caller's area, filtered."""
    rows = targets.list_targets(
        db,
        principal.scope,
        indicator=indicator,
        org_unit=org_unit,
        year=year,
        limit=limit,
        offset=offset,
    )
    return [_target_out(t) for t in rows]


@router.get("/period-locks", response_model=list[LockOut])
def list_locks(principal: Reader, db: DbSession) -> list[LockOut]:
    """Every locked period."""
    return [LockOut.model_validate(lock) for lock in values_workflow.list_locks(db)]


@router.post("/period-locks", response_model=LockOut, status_code=201)
def lock_period(body: LockIn, principal: Locker, db: DbSession) -> LockOut:
    """Lock a period (and its sub-periods) for one indicator or all of them."""
    lock = values_workflow.lock_period(db, principal, body.period, body.indicator)
    return LockOut.model_validate(lock)


@router.delete("/period-locks/{period}", status_code=204)
def unlock_period(period: str, principal: Locker, db: DbSession, indicator: Code = None) -> None:
    """Reopen a locked period."""
    values_workflow.unlock_period(db, principal, period, indicator)
