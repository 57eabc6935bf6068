"""Staff pages of sensor alerts: the list (``/alerts``, by state, updating itself from the
server-sent events of ``/alerts/stream``, :mod:`.live`), an alert with its history
(``/alerts/{id}``), acknowledging (``alert.ack``, a comment required) and silencing
(``alert.write``, a duration and a reason) by ordinary forms, and the link that drafts a public
warning from an alert (``/alerts/warnings/new?alert=<id>``, filled by :mod:`.prefill`).

Actions post forms (CSRF-checked by the session) and go back where they came from; a refused
action shows the alert's page with the error and what was typed, and changes nothing.

The sensors pages show each device's alerts and rules through
:mod:`iocvn.sensors.device_alerts`: :func:`subscribe` (called by ``app``) registers
:func:`device_notes` there.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import StreamingResponse

from iocvn.alerts import instances, live, rules, silences, stored
from iocvn.alerts import messages_pages as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine import ACTIVE, silencing
from iocvn.alerts.models_rules import AlertInstance, AlertRule
from iocvn.alerts.pages_rules import OPS, condition_text, duration_text
from iocvn.alerts.silences import active_silences
from iocvn.alerts.stored import series_labels
from iocvn.auth.deps import Principal, require
from iocvn.auth.scope import OrgScope
from iocvn.core.errors import Invalid, IocError
from iocvn.core.http import DbSession
from iocvn.core.i18n import t
from iocvn.core.templating import render
from iocvn.core.timeutil import format_datetime, utcnow
from iocvn.sensors import device_alerts, directory
from iocvn.sensors.device_alerts import AlertNote, DeviceAlerts, RuleNote
from iocvn.sensors.models import Device
from iocvn.sensors.pages import unit_text, value_text

router = APIRouter()
Reader = Annotated[Principal, Depends(require("alert.read"))]
Acker = Annotated[Principal, Depends(require("alert.ack"))]
Writer = Annotated[Principal, Depends(require("alert.write"))]
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
AlertId = Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)]
DURATIONS: Final = (30, 60, 120, 240, 480, 1440, 4320, 10080)  # minutes a silence may last
FLASHES: Final = ("acknowledged", "silenced")
DEVICE_ALERTS: Final = 20  # alerts listed on a device's page


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


def _text(form: FormData, name: str, limit: int = 2000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def _next(form: FormData, fallback: str) -> str:
    """Where a form goes back to: one of the alert pages, never another site."""
    target = _text(form, "next", 300)
    if target.startswith("/alerts") and "//" not in target and "\\" not in target:
        return target
    return fallback


def _devices(db: Session, codes: set[str]) -> dict[str, Device]:
    if not codes:
        return {}
    found = db.execute(select(Device).where(Device.code.in_(sorted(codes)))).scalars()
    return {d.code: d for d in found}


def _rules(db: Session, ids: set[str]) -> dict[str, AlertRule]:
    if not ids:
        return {}
    found = db.execute(select(AlertRule).where(AlertRule.id.in_(sorted(ids)))).scalars()
    return {r.id: r for r in found}


def _value(row: AlertInstance, rule: AlertRule | None, device: Device | None) -> str:
    """The alert's compared value with the quantity's unit (``253,1 m``)."""
    if row.value is None:
        return ""
    quantity = rule.quantity if rule is not None else None
    unit = unit_text((device.quantities or {}).get(quantity or "", "")) if device else ""
    return value_text(row.value) + (f" {unit}" if unit else "")


def _items(db: Session, rows: list[AlertInstance], now: datetime) -> list[dict[str, Any]]:
    """What the list shows of each alert."""
    devices = _devices(db, {r.device for r in rows if r.device})
    found = _rules(db, {r.rule_id for r in rows})
    silences = active_silences(db, now)
    items = []
    for row in rows:
        labels = dict(row.labels)
        device = devices.get(row.device or "")
        items.append({
            "row": row, "name": labels.get("alertname", ""),
            "severity": labels.get("severity", ""), "device": device,
            "value": _value(row, found.get(row.rule_id), device),
            "silenced": bool(silencing(labels, silences, now.timestamp())),
            "active": row.state in ACTIVE,
        })  # fmt: skip
    return items


@router.get("/alerts", response_class=HTMLResponse)
def list_page(
    request: Request,
    principal: Reader,
    db: DbSession,
    view: Annotated[str, Query(max_length=12)] = "active",
) -> Response:
    """Alerts in the caller's scope by state, most recently changed first; the page follows
    ``/alerts/stream`` to update itself."""
    chosen = live.view_of(view)
    rows = live.select_alerts(db, principal.scope, chosen)
    here = f"/alerts?view={chosen}"
    return render(request, "alerts/alerts.html", {
        "items": _items(db, rows, utcnow()), "view": chosen, "views": live.VIEWS,
        "here": here, "stream": f"/alerts/stream?view={chosen}", "durations": DURATIONS,
        "duration_text": lambda m: duration_text(m * 60, _lang(request)),
        "can_ack": principal.can("alert.ack"), "can_silence": principal.can("alert.write"),
        "can_draft": principal.can("warning.draft"),
    })  # fmt: skip


def _poll(sessions: sessionmaker[Session], scope: OrgScope, view: str) -> list[live.Alert]:
    """The view's alerts now, in a session of its own closed at once."""
    with sessions() as session:
        try:
            return live.snapshot(session, scope, view, utcnow())
        finally:
            session.rollback()


@router.get("/alerts/stream")
async def stream(
    request: Request,
    principal: Reader,
    db: DbSession,
    view: Annotated[str, Query(max_length=12)] = "active",
) -> Response:
    """Server-sent events of the list (``Accept: text/event-stream``; :mod:`.live`); any
    other client gets the view's alerts once, as JSON."""
    chosen, scope = live.view_of(view), principal.scope
    if "text/event-stream" not in request.headers.get("accept", ""):
        alerts = await run_in_threadpool(live.snapshot, db, scope, chosen, utcnow())
        return JSONResponse({"alerts": alerts}, headers={"Cache-Control": "no-store"})
    sessions: sessionmaker[Session] = request.app.state.sessions
    slots: Any = request.app.state.db_slots

    async def poll() -> list[live.Alert]:
        async with AsyncExitStack() as held:  # a session slot, as every request takes one
            for slot in slots.for_request(False):
                await held.enter_async_context(slot)
            return await run_in_threadpool(_poll, sessions, scope, chosen)

    return StreamingResponse(
        live.stream(poll, request.is_disconnected, poll_s=live.POLL_S, lifetime_s=live.LIFETIME_S),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- an alert -----------------------------------------------------------------------------


def _history(db: Session, row: AlertInstance, lang: str) -> list[dict[str, Any]]:  # newest first
    out = []
    for change in reversed(instances.history(db, row)):
        values = ", ".join(
            f"{name} = {value_text(v) if v is not None else '—'}"
            for name, v in sorted(change.values.items())
        )
        item = {"at": change.at, "from": change.from_state, "to": change.to_state,
                "values": values, "error": change.error, "notifies": change.notifies}  # fmt: skip
        out.append(item)
    return out


def _view(
    request: Request,
    principal: Principal,
    db: Session,
    row: AlertInstance,
    *,
    flash: str = "",
    error: IocError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    lang = _lang(request)
    now = utcnow()
    rule = rules.get_rule(db, row.rule_id)
    device = _devices(db, {row.device} if row.device else set()).get(row.device or "")
    labels = dict(row.labels)
    muted = silencing(labels, active_silences(db, now), now.timestamp())
    units = (device.quantities or {}) if device is not None else {}
    message = t(error.message_key, lang, **error.params) if error is not None else ""
    return render(request, "alerts/alert.html", {
        "a": row, "rule": rule, "device": device, "labels": sorted(labels.items()),
        "name": labels.get("alertname", rule.name), "severity": labels.get("severity", ""),
        "condition": condition_text(rule, lang, units), "value": _value(row, rule, device),
        "history": _history(db, row, lang), "silences": muted, "active": row.state in ACTIVE,
        "flash": flash, "error": message, "error_form": (error.details or {}).get("form", "")
        if error is not None and isinstance(error.details, dict) else "",
        "typed": typed or {}, "durations": DURATIONS,
        "duration_text": lambda m: duration_text(m * 60, lang), "silence_end": _silence_end,
        "can_ack": principal.can("alert.ack") and row.state in ACTIVE and not row.acknowledged_by,
        "can_silence": principal.can("alert.write"), "can_draft": principal.can("warning.draft"),
    }, error.status if error is not None else 200)  # fmt: skip


def _silence_end(ends_at: float) -> str:
    return format_datetime(datetime.fromtimestamp(ends_at, UTC))


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(
    alert_id: AlertId,
    request: Request,
    principal: Reader,
    db: DbSession,
    done: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """One alert: its rule and condition, device, state, acknowledgement, silences in force,
    history, and the actions the caller may take."""
    row = instances.get_alert(db, alert_id, principal.scope)
    flash = t(f"al.done.{done}", _lang(request)) if done in FLASHES else ""
    return _view(request, principal, db, row, flash=flash)


def _refused(
    request: Request, principal: Principal, db: Session, alert_id: str, exc: IocError,
    typed: dict[str, str], form: str,
) -> Response:  # fmt: skip
    db.rollback()
    if isinstance(exc.details, dict):
        exc.details = {**exc.details, "form": form}
    else:
        exc.details = {"form": form}
    row = instances.get_alert(db, alert_id, principal.scope)
    return _view(request, principal, db, row, error=exc, typed=typed)


@router.post("/alerts/{alert_id}/ack", response_class=HTMLResponse)
def acknowledge(
    alert_id: AlertId, request: Request, principal: Acker, db: DbSession, form: Form
) -> Response:
    """Acknowledge an active alert with a comment (what is being done)."""
    comment = _text(form, "comment").strip()
    try:
        if not comment:
            raise Invalid("alert_ack_comment", details={"field": "comment"})
        instances.acknowledge(db, principal.actor(), alert_id, comment, utcnow(), principal.scope)
    except IocError as exc:
        typed = {"ack_comment": _text(form, "comment")}
        return _refused(request, principal, db, alert_id, exc, typed, "ack")
    return RedirectResponse(_next(form, f"/alerts/{alert_id}?done=acknowledged"), status_code=303)


def silence_matchers(row: AlertInstance) -> list[str]:
    """Matchers silencing one alert: its rule's name and its device (every label of it when
    it has no device)."""
    labels = dict(row.labels)
    names = ("alertname", "device") if labels.get("device") else tuple(sorted(labels))
    return [_matcher(name, labels[name]) for name in names if name in labels]


def _matcher(name: str, value: str) -> str:
    """``name="value"`` in Alertmanager's syntax (quotes and backslashes escaped)."""
    quoted = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'{name}="{quoted}"'


@router.post("/alerts/{alert_id}/silence", response_class=HTMLResponse)
def silence(
    alert_id: AlertId, request: Request, principal: Writer, db: DbSession, form: Form
) -> Response:
    """Silence this alert's notifications for a chosen time, with a reason."""
    reason = _text(form, "comment").strip()
    minutes = _text(form, "duration", 8)
    try:
        row = instances.get_alert(db, alert_id, principal.scope)
        if not minutes.isdigit() or int(minutes) not in DURATIONS:
            raise Invalid("alert_silence_duration", details={"field": "duration"})
        if not reason:
            raise Invalid("alert_silence_reason", details={"field": "comment"})
        now = utcnow()
        ends = now + timedelta(minutes=int(minutes))
        silences.create_silence(db, principal.actor(), silence_matchers(row), ends, reason, now)
    except IocError as exc:
        typed = {"silence_comment": _text(form, "comment"), "duration": minutes}
        return _refused(request, principal, db, alert_id, exc, typed, "silence")
    return RedirectResponse(_next(form, f"/alerts/{alert_id}?done=silenced"), status_code=303)


# --- what a device's page shows (sensors.device_alerts) -----------------------------------


def _note(row: AlertInstance, lang: str) -> AlertNote:
    labels = dict(row.labels)
    severity = labels.get("severity", "")
    return AlertNote(
        id=row.id, name=labels.get("alertname", ""), state=row.state,
        state_label=t(f"al.state.{row.state}", lang), severity=severity,
        severity_label=t(f"al.severity.{severity}", lang) if severity else "",
        since=row.since, active=row.state in ACTIVE, acknowledged_by=row.acknowledged_by,
        url=f"/alerts/{row.id}",
    )  # fmt: skip


def _rule_note(rule: AlertRule, lang: str, units: dict[str, str]) -> RuleNote:
    simple = rule.quantity is not None and rule.op in OPS[:4] and rule.value is not None
    return RuleNote(
        id=rule.id, name=rule.name, condition=condition_text(rule, lang, units),
        severity=rule.severity, enabled=rule.enabled,
        quantity=rule.quantity if simple else None, threshold=rule.value if simple else None,
    )  # fmt: skip


def device_notes(query: device_alerts.Query) -> dict[str, DeviceAlerts]:
    """The alerts of devices in the caller's scope (only active ones for the map), and with
    ``detail`` the rules watching them."""
    db, codes = query.session, sorted(set(query.codes))
    stmt = select(AlertInstance).where(
        AlertInstance.device.in_(codes),
        query.scope.handling_clause(AlertInstance.org_code, AlertInstance.area_code),
    )
    if not query.detail:
        stmt = stmt.where(AlertInstance.state.in_(sorted(ACTIVE)))
    else:
        stmt = stmt.limit(DEVICE_ALERTS * len(codes))
    found: dict[str, DeviceAlerts] = {}
    for row in db.execute(stmt.order_by(AlertInstance.since.desc(), AlertInstance.id)).scalars():
        found.setdefault(row.device or "", DeviceAlerts()).alerts.append(_note(row, query.lang))
    if query.detail:
        infos = directory.lookup(db, codes)
        units = {d.code: d.quantities or {} for d in _devices(db, set(infos)).values()}
        for rule in rules.list_rules(db):
            try:
                watching = stored.engine_rule(rule)
            except (IocError, ValueError):  # a rule the engine refuses is not evaluated either
                continue
            for code, info in infos.items():
                if watching.selects(series_labels(info)):
                    note = _rule_note(rule, query.lang, units.get(code, {}))
                    found.setdefault(code, DeviceAlerts()).rules.append(note)
    return found


def subscribe() -> None:
    """Let the sensors pages show devices' alerts and rules (idempotent; called by ``app``)."""
    device_alerts.register(device_notes)


def unsubscribe() -> None:
    """Stop it (tests)."""
    device_alerts.unregister(device_notes)
