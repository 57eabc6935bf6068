"""The operators' page of outgoing notifications: what failed, why, and a retry button."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from iocvn.auth.deps import Principal, require
from iocvn.config import get_settings
from iocvn.core.http import DbSession
from iocvn.core.templating import render
from iocvn.notify import plugins, service
from iocvn.notify.api import ULID
from iocvn.notify.models import STATUSES

router = APIRouter()
Reader = Annotated[Principal, Depends(require("notification.read"))]
Retrier = Annotated[Principal, Depends(require("notification.retry"))]
# Colours of the statuses, borrowed from the dashboard's pills.
PILLS = {
    "pending": "on_track",
    "sending": "on_track",
    "sent": "met",
    "failed": "at_risk",
    "dead": "off_track",
}


@router.get("/admin/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    principal: Reader,
    db: DbSession,
    status: str | None = None,
    flash: str = "",
) -> Response:
    """Pending, failed and dead notifications (or one status) with their last error."""
    chosen = status if status in STATUSES else ""
    rows = service.list_notifications(
        db, scope=principal.scope, statuses=(chosen,) if chosen else service.ATTENTION
    )
    return render(
        request,
        "notify/notifications.html",
        {
            "rows": rows,
            "counts": service.counts(db, scope=principal.scope),
            "status": chosen,
            "statuses": STATUSES,
            "pills": PILLS,
            "channels": sorted(plugins.notifiers(get_settings())),
            "can_retry": principal.can("notification.retry"),
            "flash": flash == "retried",
        },
    )


@router.post("/admin/notifications/{notification_id}/retry")
def retry_page(
    notification_id: Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)],
    principal: Retrier,
    db: DbSession,
) -> Response:
    """Queue the notification again and go back to the list."""
    service.retry(db, principal.actor(), notification_id, scope=principal.scope)
    return RedirectResponse("/admin/notifications?flash=retried", status_code=303)
