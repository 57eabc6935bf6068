"""JSON routes of the notification domain: the operators' view of deliveries and retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query

from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.notify import service
from iocvn.notify.models import STATUSES
from iocvn.notify.schemas import NotificationOut, Status

router = APIRouter(tags=["notifications"])
Reader = Annotated[Principal, Depends(require("notification.read"))]
Retrier = Annotated[Principal, Depends(require("notification.retry"))]
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
NotificationId = Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)]


@router.get("/notifications", response_model=list[NotificationOut])
def list_notifications(
    principal: Reader,
    db: DbSession,
    status: Status | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[NotificationOut]:
    """Notifications in the caller's scope, newest first (all statuses unless ``status``)."""
    rows = service.list_notifications(
        db,
        scope=principal.scope,
        statuses=(status,) if status else STATUSES,
        limit=limit,
    )
    return [NotificationOut.model_validate(r) for r in rows]


@router.post("/notifications/{notification_id}/retry", response_model=NotificationOut)
def retry(notification_id: NotificationId, principal: Retrier, db: DbSession) -> NotificationOut:
    """Send a failed, dead or pending notification again now (audited)."""
    row = service.retry(db, principal.actor(), notification_id, scope=principal.scope)
    return NotificationOut.model_validate(row)
