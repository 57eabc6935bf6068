"""Staff pages of public warnings: the list (``/alerts/warnings``), the drafting form (with a
map for the area), and a warning with what the caller may do to it — publish (four eyes),
edit or discard a draft, start an Update or a Cancel of a published warning.

Actions post ordinary forms (CSRF-checked by the session) and come back to the warning's page;
a refused action shows its error there and changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from shapely.geometry import shape
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from iocvn.alerts import (
    forms,
    messages_warnings,  # noqa: F401  (registers the pages' texts)
    prefill,
    sender,
    warnings,
)
from iocvn.alerts.models import STATES, WarningMessage
from iocvn.alerts.warning import (
    CATEGORIES,
    CERTAINTIES,
    RESPONSE_TYPES,
    SEVERITIES,
    URGENCIES,
)
from iocvn.auth.deps import Principal, require
from iocvn.config import get_settings
from iocvn.core.errors import Forbidden, IocError
from iocvn.core.http import DbSession
from iocvn.core.i18n import t
from iocvn.core.templating import render
from iocvn.core.timeutil import utcnow
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit

router = APIRouter()
Reader = Annotated[Principal, Depends(require("warning.read"))]
Drafter = Annotated[Principal, Depends(require("warning.draft"))]
Approver = Annotated[Principal, Depends(require("warning.publish"))]
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
WarningId = Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)]
PAGE = 50
FORM_STATUSES = ("Actual", "Exercise")
FLASHES = ("saved", "published", "discarded")
CHOICES = {
    "category": CATEGORIES,
    "urgency": URGENCIES,
    "severity": SEVERITIES,
    "certainty": CERTAINTIES,
}
DEFAULTS = {"category": "Met", "urgency": "Expected", "severity": "Severe",
            "certainty": "Likely", "status": "Actual"}  # fmt: skip


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


@router.get("/alerts/warnings", response_class=HTMLResponse)
def list_page(
    request: Request,
    principal: Reader,
    db: DbSession,
    state: Annotated[str | None, Query(max_length=12)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Warnings in the caller's scope, newest first, by state."""
    chosen = state if state in STATES else ""
    rows, total = warnings.list_warnings(
        db, principal.scope, state=chosen or None, limit=PAGE, offset=(page - 1) * PAGE
    )
    return render(request, "alerts/warnings.html", {
        "rows": rows, "total": total, "state": chosen, "states": STATES, "page": page,
        "more": page * PAGE < total, "can_draft": principal.can("warning.draft"),
    })  # fmt: skip


@router.get("/alerts/warnings/new", response_class=HTMLResponse)
def new_page(
    request: Request,
    principal: Drafter,
    db: DbSession,
    alert: Annotated[str | None, Query(min_length=26, max_length=26, pattern=ULID)] = None,
) -> Response:
    """The drafting form (``?alert=<id>``: filled from that sensor alert, ``prefill``)."""
    form: dict[str, Any] = DEFAULTS
    if alert is not None:
        if not principal.can("alert.read"):
            raise Forbidden(details={"permission": "alert.read"})
        form = DEFAULTS | prefill.warning_form(db, alert, principal.scope, utcnow())
    return _form_page(request, db, form, action="/alerts/warnings/new", title="warn.new")


@router.post("/alerts/warnings/new", response_class=HTMLResponse)
def create(request: Request, principal: Drafter, db: DbSession, form: Form) -> Response:
    """Save a new draft and show it; the form comes back with the error otherwise."""
    try:
        row = warnings.draft(db, principal.actor(), forms.body_from_form(form), utcnow())
    except IocError as exc:
        db.rollback()
        return _form_page(request, db, _refill(form), action="/alerts/warnings/new",
                          title="warn.new", error=exc)  # fmt: skip
    return RedirectResponse(f"/alerts/warnings/{row.id}?done=saved", status_code=303)


@router.get("/alerts/warnings/{warning_id}", response_class=HTMLResponse)
def warning_page(
    warning_id: WarningId,
    request: Request,
    principal: Reader,
    db: DbSession,
    done: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """One warning: its texts, area, life, the CAP message once published, and actions."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    flash = t(f"warn.{done}", _lang(request)) if done in FLASHES else ""
    return _view(request, principal, db, row, flash=flash)


@router.get("/alerts/warnings/{warning_id}/edit", response_class=HTMLResponse)
def edit_page(
    warning_id: WarningId, request: Request, principal: Drafter, db: DbSession
) -> Response:
    """The form of a draft."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    if row.state != "draft":
        return RedirectResponse(f"/alerts/warnings/{row.id}", status_code=303)
    return _row_form(request, db, row, forms.form_from_body(row.body), update=False)


@router.post("/alerts/warnings/{warning_id}/edit", response_class=HTMLResponse)
def edit(
    warning_id: WarningId, request: Request, principal: Drafter, db: DbSession, form: Form
) -> Response:
    """Save the changed draft."""
    return _save(request, principal, db, warning_id, form, update=False)


@router.get("/alerts/warnings/{warning_id}/update", response_class=HTMLResponse)
def update_page(
    warning_id: WarningId, request: Request, principal: Drafter, db: DbSession
) -> Response:
    """The form of an Update, filled with the warning in force."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    return _row_form(request, db, row, forms.form_from_body(row.body), update=True)


@router.post("/alerts/warnings/{warning_id}/update", response_class=HTMLResponse)
def update(
    warning_id: WarningId, request: Request, principal: Drafter, db: DbSession, form: Form
) -> Response:
    """Save the Update as a draft waiting for approval."""
    return _save(request, principal, db, warning_id, form, update=True)


def _save(
    request: Request, principal: Principal, db: Session, warning_id: str, form: FormData, *,
    update: bool,
) -> Response:  # fmt: skip
    """Save the edited draft, or the Update of a published warning as a new draft; the form
    comes back with the error otherwise."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    saved = row
    try:
        body = forms.body_from_form(form, cancel=not update and row.msg_type == "Cancel")
        if update:
            body["status"] = row.status  # an Update keeps the warning's status
            saved = warnings.start_update(db, principal.actor(), row, body, utcnow())
        else:
            warnings.edit(db, principal.actor(), row, body, utcnow())
    except IocError as exc:
        db.rollback()
        row = warnings.get_warning(db, warning_id, principal.scope)
        return _row_form(request, db, row, _refill(form), update=update, error=exc)
    return RedirectResponse(f"/alerts/warnings/{saved.id}?done=saved", status_code=303)


@router.post("/alerts/warnings/{warning_id}/publish", response_class=HTMLResponse)
def publish(
    warning_id: WarningId, request: Request, principal: Approver, db: DbSession
) -> Response:
    """Approve and publish the draft (never by one of its authors)."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    try:
        who = sender.publisher(db, get_settings())
        warnings.publish(db, principal.actor(), row, who, utcnow())
    except IocError as exc:
        return _refused(request, principal, db, warning_id, exc)
    return RedirectResponse(f"/alerts/warnings/{row.id}?done=published", status_code=303)


@router.post("/alerts/warnings/{warning_id}/cancel", response_class=HTMLResponse)
def cancel(
    warning_id: WarningId, request: Request, principal: Drafter, db: DbSession, form: Form
) -> Response:
    """Draft a Cancel of the published warning, with the reason given."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    try:
        reason = forms.body_from_form(form, cancel=True)["description"].strip()
        patch = {"description": reason} if reason else {}
        new = warnings.start_cancel(db, principal.actor(), row, patch, utcnow())
    except IocError as exc:
        return _refused(request, principal, db, warning_id, exc)
    return RedirectResponse(f"/alerts/warnings/{new.id}?done=saved", status_code=303)


@router.post("/alerts/warnings/{warning_id}/discard", response_class=HTMLResponse)
def discard(warning_id: WarningId, request: Request, principal: Drafter, db: DbSession) -> Response:
    """Give up the draft."""
    row = warnings.get_warning(db, warning_id, principal.scope)
    try:
        warnings.discard(db, principal.actor(), row, utcnow())
    except IocError as exc:
        return _refused(request, principal, db, warning_id, exc)
    return RedirectResponse(f"/alerts/warnings/{row.id}?done=discarded", status_code=303)


# --- rendering ---------------------------------------------------------------------------


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


def _refused(
    request: Request, principal: Principal, db: Session, warning_id: str, exc: IocError
) -> Response:
    db.rollback()
    row = warnings.get_warning(db, warning_id, principal.scope)
    return _view(request, principal, db, row, error=exc)


def _message(request: Request, exc: IocError | None) -> str:
    return t(exc.message_key, _lang(request), **exc.params) if exc is not None else ""


def _view(
    request: Request,
    principal: Principal,
    db: Session,
    row: WarningMessage,
    *,
    flash: str = "",
    error: IocError | None = None,
) -> Response:
    username = principal.user.username
    live = row.state == "published" and row.msg_type != "Cancel"
    return render(request, "alerts/warning.html", {
        "w": row, "body": row.body, "chain": warnings.chain(db, row),
        "flash": flash, "error": _message(request, error),
        "can_publish": principal.can("warning.publish") and warnings.may_publish(row, username),
        "is_author": row.state == "draft" and username in row.authors,
        "can_draft": principal.can("warning.draft"),
        "live": live, "area": _area_geojson(row.body),
        "xml_url": f"/cap/alerts/{row.identifier}.xml" if row.identifier else "",
    }, error.status if error is not None else 200)  # fmt: skip


def _row_form(
    request: Request, db: Session, row: WarningMessage, form: dict[str, Any], *, update: bool,
    error: IocError | None = None,
) -> Response:  # fmt: skip
    kind, title = ("update", "warn.update_title") if update else ("edit", "warn.edit")
    return _form_page(request, db, form, row=row, update=update, error=error, title=title,
                      action=f"/alerts/warnings/{row.id}/{kind}")  # fmt: skip


def _form_page(
    request: Request,
    db: Session,
    form: dict[str, Any],
    *,
    action: str,
    title: str,
    row: WarningMessage | None = None,
    update: bool = False,
    error: IocError | None = None,
) -> Response:
    field = ""
    if error is not None and isinstance(error.details, dict):
        field = str(error.details.get("field", ""))
    return render(request, "alerts/warning_form.html", {
        "form": form, "action": action, "title": title, "w": row, "update": update,
        "cancel_only": row is not None and row.msg_type == "Cancel" and not update,
        "choices": CHOICES, "statuses": FORM_STATUSES, "responses": RESPONSE_TYPES,
        "error": _message(request, error), "error_field": field,
        "tile_url": get_settings().tile_url, "bounds": _province_bounds(db),
    }, error.status if error is not None else 200)  # fmt: skip


def _province_bounds(db: Session) -> str:
    """``south,west,north,east`` of the province: the map's first view ("" unknown)."""
    code = home_province(db)
    unit = db.get(OrgUnit, code) if code else None
    if unit is None or not unit.geometry:
        return ""
    west, south, east, north = shape(unit.geometry).bounds
    return f"{south:.5f},{west:.5f},{north:.5f},{east:.5f}"


def _refill(form: FormData) -> dict[str, Any]:
    values: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
    values["response_types"] = [v for v in form.getlist("response_types") if isinstance(v, str)]
    return values


def _area_geojson(body: dict[str, Any]) -> dict[str, Any]:
    """The area for the page's map: its polygon, and its circle as a point with a radius."""
    area = body.get("area") or {}
    features: list[dict[str, Any]] = []
    if area.get("polygon"):
        features.append({"type": "Feature", "geometry": area["polygon"], "properties": {}})
    circle = area.get("circle")
    if circle:
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [circle["lon"], circle["lat"]]},
            "properties": {"radius_km": circle["radius_km"]},
        })  # fmt: skip
    return {"type": "FeatureCollection", "features": features}
