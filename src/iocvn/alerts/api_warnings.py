"""JSON routes of public warnings for staff (``/api/v1/warnings``): draft, edit, publish with
four eyes, update, cancel, discard, read.

``POST /warnings`` and ``POST /warnings/{id}/publish`` are the contract of issue #5 (the body
is described in docs/cap.md). The published messages themselves are public, in
:mod:`.cap_routes`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query

from iocvn.alerts import sender, warnings
from iocvn.alerts.models import WarningMessage
from iocvn.alerts.schemas import WarningOut, WarningPage
from iocvn.auth.deps import Principal, require
from iocvn.config import get_settings
from iocvn.core.http import DbSession
from iocvn.core.timeutil import utcnow

router = APIRouter(tags=["warnings"])
Reader = Annotated[Principal, Depends(require("warning.read"))]
Drafter = Annotated[Principal, Depends(require("warning.draft"))]
Approver = Annotated[Principal, Depends(require("warning.publish"))]
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
WarningId = Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)]
WarningBody = Annotated[
    dict[str, Any],
    Body(
        description="The warning: event, headline, description, instruction, category, "
        "urgency, severity, certainty, area {description, polygon (GeoJSON) and/or circle "
        "{lon, lat, radius_km}}, onset, expires, status, language, response_types, english, "
        "source_alert (docs/cap.md)."
    ),
]
Partial = Annotated[dict[str, Any] | None, Body(description="Fields to change (docs/cap.md).")]


def _out(row: WarningMessage) -> WarningOut:
    return WarningOut.of(row, get_settings().public_url)


@router.post("/warnings", response_model=WarningOut, status_code=201)
def draft_warning(body: WarningBody, principal: Drafter, db: DbSession) -> WarningOut:
    """Draft a public warning (state ``draft``, message type ``Alert``) for the caller's
    unit; nothing is public until another person publishes it."""
    row = warnings.draft(db, principal.actor(), body, utcnow())
    return _out(row)


@router.get("/warnings", response_model=WarningPage)
def list_warnings(
    principal: Reader,
    db: DbSession,
    state: Annotated[str | None, Query(max_length=12)] = None,
    status: Annotated[str | None, Query(max_length=10)] = None,
    limit: Annotated[int, Query(ge=1, le=warnings.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> WarningPage:
    """Messages in the caller's scope, newest first, by ``state`` (draft, published,
    superseded, cancelled, discarded) and CAP ``status`` (Actual, Exercise, …)."""
    rows, total = warnings.list_warnings(
        db, principal.scope, state=state, status=status, limit=limit, offset=offset
    )
    return WarningPage(total=total, items=[_out(r) for r in rows])


@router.get("/warnings/{warning_id}", response_model=WarningOut)
def get_warning(warning_id: WarningId, principal: Reader, db: DbSession) -> WarningOut:
    """One message of a warning."""
    return _out(warnings.get_warning(db, warning_id, principal.scope))


@router.patch("/warnings/{warning_id}", response_model=WarningOut)
def edit_warning(
    warning_id: WarningId, body: WarningBody, principal: Drafter, db: DbSession
) -> WarningOut:
    """Change a draft (409 once published); the editor may then no longer publish it."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    warnings.edit(db, principal.actor(), row, body, utcnow())
    return _out(row)


@router.post("/warnings/{warning_id}/publish", response_model=WarningOut)
def publish_warning(warning_id: WarningId, principal: Approver, db: DbSession) -> WarningOut:
    """Publish a draft as CAP 1.2 (``identifier`` and ``url`` in the answer): by a leader, or
    an operator who neither drafted nor edited it (403 ``warning_four_eyes``); 409 when it is
    not a draft."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    who = sender.publisher(db, get_settings())
    warnings.publish(db, principal.actor(), row, who, utcnow())
    return _out(row)


@router.post("/warnings/{warning_id}/update", response_model=WarningOut, status_code=201)
def update_warning(
    warning_id: WarningId, principal: Drafter, db: DbSession, body: Partial = None
) -> WarningOut:
    """Draft an ``Update`` of a published warning: its fields, with ``body``'s replacing them;
    published like any draft, it supersedes the warning."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    return _out(warnings.start_update(db, principal.actor(), row, body or {}, utcnow()))


@router.post("/warnings/{warning_id}/cancel", response_model=WarningOut, status_code=201)
def cancel_warning(
    warning_id: WarningId, principal: Drafter, db: DbSession, body: Partial = None
) -> WarningOut:
    """Draft a ``Cancel`` of a published warning (``body`` may give headline, description,
    instruction, english); published like any draft, it withdraws the warning."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    return _out(warnings.start_cancel(db, principal.actor(), row, body or {}, utcnow()))


@router.post("/warnings/{warning_id}/discard", response_model=WarningOut)
def discard_warning(warning_id: WarningId, principal: Drafter, db: DbSession) -> WarningOut:
    """Give up a draft (409 once published)."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    warnings.discard(db, principal.actor(), row, utcnow())
    return _out(row)
