"""The rules editor (``/alerts/rules``): the rules in the caller's scope with their conditions
in words, a form to create a threshold rule on a device (``alert.write``), and disabling.

The form is the API's stable threshold contract (device, quantity, op, value, for_s,
severity, scenario); richer conditions made through the API are listed with their condition
as stored. A refused form comes back with the error and what was typed.
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
from iocvn.core.errors import Invalid, IocError, NotFound
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
FLASHES: Final = ("created", "disabled")
FIELDS: Final = ("name", "device", "quantity", "op", "value", "for_min", "severity", "scenario")


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
    found = rules.list_rules(session)
    if scope.is_province:
        return found
    infos = directory.lookup(session, {r.device for r in found if r.device})
    out = []
    for r in found:
        info = infos.get(r.device) if r.device else None
        if (info is not None and info.visible_to(scope)) or (
            not r.device and r.org_code == scope.org_code
        ):
            out.append(r)
    return out


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


def spec_from_form(form: Mapping[str, str], lang: str) -> rules.RuleSpec:
    """The rule a submitted form describes (422 naming the field otherwise)."""
    for field in ("name", "device", "quantity", "value"):
        if not form.get(field, "").strip():
            raise _field_error("alert_form_required", field, lang)
    if form.get("op") not in OPS:
        raise _field_error("alert_form_choice", "op", lang)
    if form.get("severity") not in SEVERITIES:
        raise _field_error("alert_form_choice", "severity", lang)
    value = parse_number(form["value"])
    if value is None:
        raise _field_error("alert_form_number", "value", lang)
    minutes = parse_number(form.get("for_min", "") or "0")
    if minutes is None or not 0 <= minutes <= MAX_FOR_MIN:
        raise Invalid("alert_form_for", details={"field": "for_min"})
    return rules.RuleSpec(
        name=form["name"].strip()[:200], device=form["device"].strip()[:64],
        quantity=form["quantity"].strip()[:64], op=form["op"], value=value,
        for_s=round(minutes * 60, 3), severity=form["severity"],
        scenario=form.get("scenario", "").strip()[:40] or None,
    )  # fmt: skip


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
        "scenario_label": lambda s: scenario_label(s, lang),
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
    form = {"device": device, "op": ">", "severity": "warning", "for_min": "0"}
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
        row = rules.get_rule(db, rule_id)
        if row not in visible_rules(db, principal.scope):
            raise NotFound("alert_rule_not_found")
        rules.disable_rule(db, principal.actor(), row)
    except IocError as exc:
        db.rollback()
        form = {"op": ">", "severity": "warning", "for_min": "0"}
        return _page(request, principal, db, form=form, error=exc)
    return RedirectResponse(f"/alerts/rules?done=disabled#rule-{row.id}", status_code=303)
