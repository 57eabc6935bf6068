"""JSON routes of the audit log (administrators). The app mounts this router behind the
auth resolver; routes guard themselves with :func:`iocvn.core.http.requires`."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from iocvn.audit import service
from iocvn.audit.schemas import AuditEntryOut, VerificationOut
from iocvn.core.http import Caller, DbSession, requires
from iocvn.core.timeutil import as_utc, local_midnight

router = APIRouter(tags=["audit"])
Auditor = Annotated[Caller, Depends(requires("audit.read"))]


def to_instant(value: datetime | date | None) -> datetime | None:
    """A date means its first moment in Vietnam's time; a naive datetime is taken as UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else local_midnight(value)
    try:
        return as_utc(moment)
    except OverflowError:  # hours from year 1 or 9999: beyond every entry, not a server error
        return (datetime.min if moment.year == 1 else datetime.max).replace(tzinfo=UTC)


@router.get("/audit", response_model=list[AuditEntryOut])
def list_entries(
    caller: Auditor,
    db: DbSession,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    action: Annotated[
        str | None, Query(max_length=64, description="prefix: user. finds all")
    ] = None,
    # A date alone comes first: pydantic would otherwise read 2026-12-01 as a naive midnight
    # (taken as UTC) instead of the day in Vietnam.
    since: Annotated[date | datetime | None, Query(union_mode="left_to_right")] = None,
    until: Annotated[date | datetime | None, Query(union_mode="left_to_right")] = None,
    target: Annotated[str | None, Query(max_length=64)] = None,
    before: Annotated[
        int | None, Query(ge=1, le=2**63 - 1, description="seq: page back from here")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryOut]:
    """Entries newest first, filtered by actor, action prefix, time and target."""
    rows = service.search(
        db,
        actor=actor,
        action=action,
        since=to_instant(since),
        until=to_instant(until),
        target_id=target,
        limit=limit,
        before_seq=before,
    )
    return [AuditEntryOut.model_validate(r) for r in rows]


@router.get("/audit/verify", response_model=VerificationOut)
def verify(caller: Auditor, db: DbSession) -> VerificationOut:
    """Recompute the hash chain now."""
    result = service.verify(db)
    return VerificationOut(
        ok=result.ok,
        checked=result.checked,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason,
    )
