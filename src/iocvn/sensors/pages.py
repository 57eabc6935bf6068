"""Staff pages of sensors (issue #5): the map of devices coloured by state, with a table of the
same devices below it (``/sensors``, data for the map at ``/sensors/map.json``), and a
device's page (``/sensors/{code}``) with its latest values, a live chart, recent readings,
its alerts and the rules watching it.

Every page shows its data without JavaScript (tables); the scripts add the map
(``sensors-map.js``) and the live chart (``device-chart.js``, which reads the JSON API).
Devices are those of the caller's scope (``registry``). Alerts come from the alerts domain
through :mod:`.device_alerts` (sensors never import alerts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth.deps import Principal, require
from iocvn.config import get_settings
from iocvn.core.http import DbSession
from iocvn.core.i18n import t
from iocvn.core.numbers import format_number
from iocvn.core.templating import render
from iocvn.core.timeutil import format_date, format_datetime, to_local, utcnow
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit
from iocvn.sensors import device_alerts, registry
from iocvn.sensors.device_alerts import DeviceAlerts
from iocvn.sensors.kinds import KINDS
from iocvn.sensors.kinds import STEPS as ROLLUP_STEPS
from iocvn.sensors.messages_pages import QUANTITIES
from iocvn.sensors.models import OUT_OF_RANGE, Device, Latest, Reading, Rollup

router = APIRouter()
Reader = Annotated[Principal, Depends(require("sensor.read"))]
Code = Annotated[str, Path(max_length=64)]
MAX_DEVICES = 2000  # on the map and in its table (filter by kind for more)
RECENT = 50  # rows of the recent readings table
STEPS = ("raw", *ROLLUP_STEPS)
STATES = ("normal", "out_of_range", "firing", "silent", "inactive")
REFRESH_MS = 5000  # the chart asks for new readings this often
# How far back the chart reaches: raw readings about 300 intervals (an hour to a day), a day
# of minutes, a month of hours, a year of days (the API's default windows).
CHART_SPAN = {"1m": timedelta(days=1), "1h": timedelta(days=31), "1d": timedelta(days=366)}
FUTURE = timedelta(minutes=5)  # ingestion accepts readings this far ahead


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


def quantity_label(quantity: str, lang: str) -> str:
    """What people call a quantity (its own name when iocvn has none)."""
    pair = QUANTITIES.get(quantity)
    return quantity if pair is None else pair[1 if lang == "en" else 0]


def unit_text(unit: str) -> str:
    """A unit as shown after a value ("1", dimensionless, shows nothing)."""
    return "" if unit in ("", "1") else unit


def value_text(value: float | None) -> str:
    """A measured value in Vietnamese format with at most two decimals (``250,43``)."""
    if value is None:
        return ""
    text = format_number(value, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def kind_label(kind: str, lang: str) -> str:
    """A kind of device in the page's language."""
    found = KINDS.get(kind)
    if found is None:
        return kind
    return found.name_en if lang == "en" else found.name_vi


def silent(device: Device, now: datetime) -> bool:
    """No reading within two expected intervals and a minute (as the API's ``online``)."""
    seen = device.last_seen_at
    return seen is None or (now - seen).total_seconds() > 2 * device.interval_s + 60


def device_state(device: Device, latest: Sequence[Latest], firing: bool, now: datetime) -> str:
    """A device's state on the map: inactive (in maintenance or retired) first, then an
    active alert (firing), silent past its expected interval, a latest value out of its
    range, else normal."""
    if device.status != "active":
        return "inactive"
    if firing:
        return "firing"
    if silent(device, now):
        return "silent"
    if any(v.flags & OUT_OF_RANGE for v in latest):
        return "out_of_range"
    return "normal"


@dataclass
class DeviceRow:
    """A device as the map and the tables show it."""

    device: Device
    state: str
    values: list[dict[str, Any]]
    alerts: DeviceAlerts = field(default_factory=DeviceAlerts)


def _values(device: Device, latest: Sequence[Latest], lang: str) -> list[dict[str, Any]]:
    units = device.quantities or {}
    return [
        {"quantity": v.quantity, "label": quantity_label(v.quantity, lang),
         "value": value_text(v.value), "raw": v.value, "unit": unit_text(units.get(v.quantity, "")),
         "ts": v.ts, "at": format_datetime(v.ts), "out_of_range": bool(v.flags & OUT_OF_RANGE)}
        for v in latest
    ]  # fmt: skip


def _rows(
    db: Session, principal: Principal, kind: str | None, lang: str
) -> tuple[list[DeviceRow], int]:
    filters = registry.DeviceFilter(kind=kind or None)
    devices, total = registry.list_devices(db, principal.scope, filters, limit=MAX_DEVICES,
                                           offset=0)  # fmt: skip
    latest = registry.latest_values(db, [d.id for d in devices])
    codes = [d.code for d in devices]
    notes = device_alerts.lookup(device_alerts.Query(db, principal.scope, codes, False, lang))
    now = utcnow()
    rows = []
    for d in devices:
        found = notes.get(d.code, DeviceAlerts())
        state = device_state(d, latest[d.id], found.firing, now)
        rows.append(DeviceRow(d, state, _values(d, latest[d.id], lang), found))
    return rows, total


def _province_bounds(db: Session) -> str:
    """``south,west,north,east`` of the province: the map's first view ("" unknown)."""
    code = home_province(db)
    unit = db.get(OrgUnit, code) if code else None
    if unit is None or not unit.geometry:
        return ""
    west, south, east, north = shape(unit.geometry).bounds
    return f"{south:.5f},{west:.5f},{north:.5f},{east:.5f}"


def _kind(kind: str | None) -> str:
    return kind if kind in KINDS else ""


# --- the map ------------------------------------------------------------------------------


@router.get("/sensors", response_class=HTMLResponse)
def map_page(
    request: Request,
    principal: Reader,
    db: DbSession,
    kind: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The map of devices by state and the table of the same devices."""
    lang, chosen = _lang(request), _kind(kind)
    rows, total = _rows(db, principal, chosen, lang)
    counts = {s: sum(1 for r in rows if r.state == s) for s in STATES}
    return render(request, "sensors/map.html", {
        "rows": rows, "total": total, "max": MAX_DEVICES, "kind": chosen, "counts": counts,
        "kinds": [(k, kind_label(k, lang)) for k in KINDS], "kind_label": kind_label,
        "states": STATES, "tile_url": get_settings().tile_url, "bounds": _province_bounds(db),
        "data_url": "/sensors/map.json" + (f"?kind={chosen}" if chosen else ""),
    })  # fmt: skip


@router.get("/sensors/map.json")
def map_data(
    request: Request,
    principal: Reader,
    db: DbSession,
    kind: Annotated[str | None, Query(max_length=20)] = None,
) -> JSONResponse:
    """The devices of the map as GeoJSON (RFC 7946): a point each, its state and latest
    values as the page shows them."""
    lang = _lang(request)
    rows, total = _rows(db, principal, _kind(kind), lang)
    collection = {"type": "FeatureCollection", "features": [_feature(r, lang) for r in rows],
                  "total": total, "truncated": total > len(rows)}  # fmt: skip
    return JSONResponse(collection, headers={"Cache-Control": "no-store"})


def _feature(row: DeviceRow, lang: str) -> dict[str, Any]:
    d = row.device
    properties = {
        "code": d.code, "name": d.name, "kind": d.kind, "kind_label": kind_label(d.kind, lang),
        "state": row.state, "state_label": t(f"sn.state.{row.state}", lang),
        "url": f"/sensors/{d.code}", "demo": d.demo,
        "last_seen": format_datetime(d.last_seen_at) or t("sn.never", lang),
        "values": [{k: v[k] for k in ("quantity", "label", "value", "unit", "out_of_range")}
                   for v in row.values],
        "alerts": [a.name for a in row.alerts.alerts if a.active],
    }  # fmt: skip
    return {"type": "Feature", "properties": properties,
            "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]}}  # fmt: skip


# --- a device -----------------------------------------------------------------------------


def _time_text(at: datetime, step: str) -> str:
    if step == "1d":
        return format_date(to_local(at).date())
    if step == "raw":
        return to_local(at).strftime("%d/%m/%Y %H:%M:%S")
    return format_datetime(at)


def recent(db: Session, device: Device, step: str, now: datetime) -> list[dict[str, Any]]:
    """The newest :data:`RECENT` instants of the device's readings (``raw``) or rollups of a
    step, newest first: ``{"at", "cells": {quantity: text}}``."""
    per = RECENT * max(1, len(device.quantities or {}))
    rows: dict[datetime, dict[str, str]] = {}
    if step == "raw":
        readings = db.execute(
            select(Reading)
            .where(Reading.device_id == device.id, Reading.ts <= now + FUTURE)
            .order_by(Reading.ts.desc(), Reading.quantity)
            .limit(per)
        ).scalars()
        for r in readings:
            mark = " ⚠" if r.flags & OUT_OF_RANGE else ""
            rows.setdefault(r.ts, {})[r.quantity] = value_text(r.value) + mark
    else:
        rollups = db.execute(
            select(Rollup)
            .where(Rollup.device_id == device.id, Rollup.step == ROLLUP_STEPS[step])
            .order_by(Rollup.bucket.desc(), Rollup.quantity)
            .limit(per)
        ).scalars()
        for b in rollups:
            text = f"{value_text(b.sum / b.count)} ({value_text(b.min)} – {value_text(b.max)})"
            rows.setdefault(b.bucket, {})[b.quantity] = text
    newest = sorted(rows, reverse=True)[:RECENT]
    return [{"at": _time_text(at, step), "cells": rows[at]} for at in newest]


def chart_span(device: Device, step: str) -> timedelta:
    """How far back the chart of a step reaches."""
    if step in CHART_SPAN:
        return CHART_SPAN[step]
    about = timedelta(seconds=device.interval_s * 300)
    return min(timedelta(days=1), max(timedelta(hours=1), about))


def _chart(device: Device, notes: DeviceAlerts, step: str, lang: str) -> dict[str, Any]:
    """What device-chart.js needs: quantities with their labels, units and rules' thresholds,
    the API's URLs, the step and span."""
    quantities = {
        q: {"label": quantity_label(q, lang), "unit": unit_text(u),
            "thresholds": [{"value": r.threshold, "name": r.name} for r in notes.rules
                           if r.enabled and r.quantity == q and r.threshold is not None]}
        for q, u in (device.quantities or {}).items()
    }  # fmt: skip
    return {
        "quantities": quantities,
        "readings": f"/api/v1/sensors/{device.code}/readings",
        "device": f"/api/v1/sensors/devices/{device.code}",
        "step": step,
        "span_s": int(chart_span(device, step).total_seconds()),
        "refresh_ms": REFRESH_MS,
    }


@router.get("/sensors/{code}", response_class=HTMLResponse)
def device_page(
    code: Code,
    request: Request,
    principal: Reader,
    db: DbSession,
    step: Annotated[str, Query(max_length=8)] = "raw",
) -> Response:
    """A device: facts, latest values, a live chart, recent readings, alerts and rules."""
    lang = _lang(request)
    device = registry.get_device(db, code, principal.scope)
    chosen = step if step in STEPS else "raw"
    latest = registry.latest_values(db, [device.id])[device.id]
    query = device_alerts.Query(db, principal.scope, [device.code], True, lang)
    notes = device_alerts.lookup(query).get(device.code, DeviceAlerts())
    now = utcnow()
    units = {c: db.get(OrgUnit, c) for c in {device.org_code, device.area_code} if c}
    return render(request, "sensors/device.html", {
        "d": device, "values": _values(device, latest, lang),
        "state": device_state(device, latest, notes.firing, now), "notes": notes,
        "unit": units.get(device.org_code), "area": units.get(device.area_code or ""),
        "kind_label": kind_label(device.kind, lang), "step": chosen, "steps": STEPS,
        "quantities": [(q, quantity_label(q, lang), unit_text(u))
                       for q, u in (device.quantities or {}).items()],
        "recent": recent(db, device, chosen, now), "chart": _chart(device, notes, chosen, lang),
        "value_text": value_text, "can_write_rules": principal.can("alert.write"),
    })  # fmt: skip
