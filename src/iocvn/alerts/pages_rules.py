"""The rules editor (``/alerts/rules``): the rules in the caller's scope with their conditions
in words, a form to create a threshold rule on a device (``alert.write``), the same form to
edit one (``/alerts/rules/{id}/edit``), and disabling.

The form is the API's stable threshold contract (device, quantity, op, value, for_s,
severity, scenario); richer conditions made through the API are listed with their condition
as stored, and their edit form changes only name, severity, time held and scenario. A refused
form comes back with the error and what was typed; an edit carries the rule's version, so an
edit made meanwhile by someone else is refused rather than overwritten.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from iocvn.alerts import messages_pages as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts import rules
from iocvn.alerts.models_rules import AlertRule
from iocvn.auth.deps import Principal, require
from iocvn.auth.scope import OrgScope
from iocvn.core.errors import Invalid, IocError
from iocvn.core.http import DbSession
from iocvn.core.i18n import t
from iocvn.core.templating import render
from iocvn.sensors import directory, registry
from iocvn.sensors.models import Device
from iocvn.sensors.pages import quantity_label, unit_text, value_text

router = APIRouter()
Reader = Annotated[Principal, Depends(require("alert.read"))]
Writer = Annotated[Principal, Depends(require("alert.write"))]
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
RuleId = Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)]
OPS: Final = (">", ">=", "<", "<=", "==", "!=")
SEVERITIES: Final = ("critical", "warning", "info")
SCENARIOS: Final = ("flood", "landslide", "forest_fire", "air_pollution")
MAX_FOR_MIN: Final = 7 * 24 * 60
MAX_DEVICES: Final = 2000
FLASHES: Final = ("created", "disabled", "updated")
NEW_RULE: Final = {"op": ">", "severity": "warning", "for_min": "0"}  # the empty form's choices
FIELDS: Final = (
    "name", "device", "quantity", "op", "value", "for_min", "severity", "scenario", "version",
)  # fmt: skip


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


def duration_text(seconds: float, lang: str) -> str:
    """``90 giây``, ``10 phút``, ``2 giờ``, ``3 ngày`` (the largest whole unit)."""
    for key, size in (("al.days", 86400), ("al.hours", 3600), ("al.minutes", 60)):
        if seconds >= size and seconds % size == 0:
            return t(key, lang, n=value_text(seconds / size))
    if seconds >= 60:
        return t("al.minutes", lang, n=value_text(seconds / 60))
    return t("al.seconds", lang, n=value_text(seconds))


def condition_text(rule: AlertRule, lang: str, units: Mapping[str, str] | None = None) -> str:
    """A rule's condition in words: ``Mực nước lớn hơn 252 m trong 10 phút``; a condition
    other than a plain threshold as stored (JSON)."""
    quantity, op, value = rule.quantity, rule.op, rule.value
    if quantity is not None and op in OPS and value is not None:
        unit = unit_text((units or {}).get(quantity, ""))
        text = f"{quantity_label(quantity, lang)} {t('al.op.' + op, lang)} {value_text(value)}"
        text += f" {unit}" if unit else ""
    else:
        stored: Any = getattr(rule, "condition", None)
        text = json.dumps(stored, ensure_ascii=False, sort_keys=True) if stored else "?"
    if rule.for_s:
        text += " " + t("al.for", lang, duration=duration_text(rule.for_s, lang))
    if not rule.device and rule.selector:
        text = f"[{', '.join(rule.selector)}] {text}"
    return text


def scenario_label(scenario: str, lang: str) -> str:
    """A known scenario in the page's language (another as typed)."""
    return t(f"al.scenario.{scenario}", lang) if scenario in SCENARIOS else scenario


def visible_rules(session: Session, scope: OrgScope) -> list[AlertRule]:
    """Rules in the caller's scope: a device rule when the device is, a group rule of the
    caller's unit (the province sees every rule)."""
    return rules.list_rules(session, scope=scope)


def _devices(session: Session, scope: OrgScope) -> list[Device]:
    rows, _ = registry.list_devices(session, scope, registry.DeviceFilter(), limit=MAX_DEVICES,
                                    offset=0)  # fmt: skip
    return [d for d in rows if d.status != "retired"]


def parse_number(text: str) -> float | None:
    """A number as typed in Vietnamese (``1.234,5``, ``252,5``) or English (``252.5``)."""
    raw = text.strip().replace(" ", "")
    if "," in raw:
        raw = raw.replace(".", "").replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _field_error(code: str, field: str, lang: str) -> Invalid:
    name = t(f"al.rule_{field}", lang)
    return Invalid(code, details={"field": field}, field=name)


def number_input(value: float) -> str:
    """A number as a form field shows it, to be typed back unchanged: every digit kept, a
    decimal comma (``252,5``; ``3`` for 3.0)."""
    text = repr(float(value))
    return text.removesuffix(".0").replace(".", ",")


def form_fields(form: Mapping[str, str], lang: str, *, threshold: bool = True) -> dict[str, Any]:
    """The rule's fields a submitted form gives (422 naming the field otherwise): all of them
    for a threshold on a device, else name, time held, severity and scenario."""
    required = ("name", "device", "quantity", "value") if threshold else ("name",)
    for field in required:
        if not form.get(field, "").strip():
            raise _field_error("alert_form_required", field, lang)
    if threshold and form.get("op") not in OPS:
        raise _field_error("alert_form_choice", "op", lang)
    if form.get("severity") not in SEVERITIES:
        raise _field_error("alert_form_choice", "severity", lang)
    value = parse_number(form.get("value", "")) if threshold else None
    if threshold and value is None:
        raise _field_error("alert_form_number", "value", lang)
    minutes = parse_number(form.get("for_min", "") or "0")
    if minutes is None or not 0 <= minutes <= MAX_FOR_MIN:
        raise Invalid("alert_form_for", details={"field": "for_min"})
    found: dict[str, Any] = {
        "name": form["name"].strip()[:200], "for_s": round(minutes * 60, 3),
        "severity": form["severity"], "scenario": form.get("scenario", "").strip()[:40] or None,
    }  # fmt: skip
    if threshold:
        found |= {"device": form["device"].strip()[:64], "quantity": form["quantity"].strip()[:64],
                  "op": form["op"], "value": value}  # fmt: skip
    return found


def spec_from_form(form: Mapping[str, str], lang: str) -> rules.RuleSpec:
    """The rule a submitted form describes (422 naming the field otherwise)."""
    return rules.RuleSpec(**form_fields(form, lang))


def is_threshold(row: AlertRule) -> bool:
    """Whether the form can show the whole rule: a plain threshold on one device."""
    return bool(row.device) and None not in (row.quantity, row.op, row.value)


def form_of(row: AlertRule) -> dict[str, str]:
    """The edit form filled from a rule (with its version)."""
    form = {"name": row.name, "severity": row.severity, "for_min": number_input(row.for_s / 60),
            "scenario": row.scenario or "", "version": rules.version(row)}  # fmt: skip
    if is_threshold(row) and row.value is not None:
        form |= {"device": row.device or "", "quantity": row.quantity or "",
                 "op": row.op or ">", "value": number_input(row.value)}  # fmt: skip
    return form


def _typed(form: FormData) -> dict[str, str]:
    return {k: v[:400] for k in FIELDS if isinstance(v := form.get(k), str)}


def _page(
    request: Request,
    principal: Principal,
    db: Session,
    *,
    form: dict[str, str],
    flash: str = "",
    error: IocError | None = None,
    editing: AlertRule | None = None,
) -> Response:
    lang = _lang(request)
    shown = visible_rules(db, principal.scope)
    devices = _devices(db, principal.scope) if principal.can("alert.write") else []
    units = {d.code: d.quantities or {} for d in devices}
    codes = {r.device for r in shown if r.device and r.device not in units}
    if codes:
        infos = directory.lookup(db, codes)
        units |= {c: dict.fromkeys(i.quantities, "") for c, i in infos.items()}
    quantities: dict[str, list[str]] = {}
    for d in devices:
        for q in d.quantities or {}:
            quantities.setdefault(q, []).append(d.code)
    field = ""
    if error is not None and isinstance(error.details, dict):
        field = str(error.details.get("field", ""))
        if error.code in ("alert_rule_device_unknown",):
            field = "device"
        elif error.code in ("alert_rule_quantity_unknown",):
            field = "quantity"
    message = t(error.message_key, lang, **error.params) if error is not None else ""
    return render(request, "alerts/rules.html", {
        "rules": [(r, condition_text(r, lang, units.get(r.device or ""))) for r in shown],
        "devices": devices, "quantities": sorted(quantities.items()),
        "quantity_label": quantity_label, "form": form, "flash": flash, "error": message,
        "error_field": field, "ops": OPS, "severities": SEVERITIES, "scenarios": SCENARIOS,
        "can_write": principal.can("alert.write"),
        "scenario_label": lambda s: scenario_label(s, lang), "editing": editing,
        "editing_threshold": editing is None or is_threshold(editing),
        "editing_condition": (
            condition_text(editing, lang, units.get(editing.device or "")) if editing else ""
        ),
    }, error.status if error is not None else 200)  # fmt: skip


@router.get("/alerts/rules", response_class=HTMLResponse)
def rules_page(
    request: Request,
    principal: Reader,
    db: DbSession,
    device: Annotated[str, Query(max_length=64)] = "",
    done: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """The rules and, for those who manage them, the form of a new threshold rule (the
    device chosen when coming from a device's page)."""
    flash = t(f"al.rule_done.{done}", _lang(request)) if done in FLASHES else ""
    form = {**NEW_RULE, "device": device}
    return _page(request, principal, db, form=form, flash=flash)


async def _form(request: Request) -> FormData:
    return await request.form()


Form = Annotated[FormData, Depends(_form)]


@router.post("/alerts/rules", response_class=HTMLResponse)
def create(request: Request, principal: Writer, db: DbSession, form: Form) -> Response:
    """Save a new threshold rule; the form comes back with the error otherwise."""
    typed = _typed(form)
    try:
        spec = spec_from_form(typed, _lang(request))
        row = rules.create_rule(db, principal.actor(), spec, principal.scope)
    except IocError as exc:
        db.rollback()
        return _page(request, principal, db, form=typed, error=exc)
    return RedirectResponse(f"/alerts/rules?done=created#rule-{row.id}", status_code=303)


@router.post("/alerts/rules/{rule_id}/disable", response_class=HTMLResponse)
def disable(rule_id: RuleId, request: Request, principal: Writer, db: DbSession) -> Response:
    """Stop evaluating a rule."""
    try:
        row = rules.rule_in_scope(db, rule_id, principal.scope)
        rules.disable_rule(db, principal.actor(), row)
    except IocError as exc:
        db.rollback()
        return _page(request, principal, db, form=dict(NEW_RULE), error=exc)
    return RedirectResponse(f"/alerts/rules?done=disabled#rule-{row.id}", status_code=303)


@router.get("/alerts/rules/{rule_id}/edit", response_class=HTMLResponse)
def edit_page(rule_id: RuleId, request: Request, principal: Writer, db: DbSession) -> Response:
    """The rules with the form filled from one of them, to edit it."""
    row = rules.rule_in_scope(db, rule_id, principal.scope)
    return _page(request, principal, db, form=form_of(row), editing=row)


@router.post("/alerts/rules/{rule_id}", response_class=HTMLResponse)
def update(
    rule_id: RuleId, request: Request, principal: Writer, db: DbSession, form: Form
) -> Response:
    """Save an edited rule; the form comes back with the error and what was typed otherwise
    (412 ``alert_rule_changed`` when someone else edited it meanwhile)."""
    typed = _typed(form)
    try:
        row = rules.rule_in_scope(db, rule_id, principal.scope)
        changes = form_fields(typed, _lang(request), threshold=is_threshold(row))
        rules.update_rule(db, principal.actor(), rule_id, changes, principal.scope,
                          expected=typed.get("version") or None)  # fmt: skip
    except IocError as exc:
        db.rollback()
        editing = db.get(AlertRule, rule_id) if exc.status not in (403, 404) else None
        if editing is None:
            typed = dict(NEW_RULE)
        return _page(request, principal, db, form=typed, error=exc, editing=editing)
    return RedirectResponse(f"/alerts/rules?done=updated#rule-{rule_id}", status_code=303)
