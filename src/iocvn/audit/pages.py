"""The audit page for administrators: filter, read, page back."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from iocvn.audit import service
from iocvn.audit.api import to_instant
from iocvn.core.http import Caller, DbSession, requires
from iocvn.core.templating import render
from iocvn.core.timeutil import parse_day

router = APIRouter()
PAGE = 50


def _date(text: str | None) -> date | None:
    """A filter date as typed; an unreadable one is ignored rather than failing the page."""
    if not text:
        return None
    try:
        return parse_day(text)
    except ValueError:
        return None


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_page(
    request: Request,
    caller: Annotated[Caller, Depends(requires("audit.read"))],
    db: DbSession,
    actor: str | None = None,
    action: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before: int | None = None,
) -> Response:
    """The newest entries matching the filters, 50 a page."""
    since_d, until_d = _date(since), _date(until)
    rows = service.search(
        db,
        actor=actor or None,
        action=action or None,
        since=to_instant(since_d),
        until=to_instant(until_d),
        limit=PAGE,
        before_seq=before,
    )
    return render(
        request,
        "audit/audit.html",
        {
            "entries": rows,
            "filters": {
                "actor": actor or "",
                "action": action or "",
                "since": since_d.isoformat() if since_d else "",
                "until": until_d.isoformat() if until_d else "",
            },
            "next_before": rows[-1].seq if len(rows) == PAGE else None,
        },
    )
