"""JSON routes of sensors (issue #5): the device registry (``sensor.read``, ``sensor.write``),
a device's history, and HTTP ingestion of readings.

``POST /sensors/readings`` takes a device's own API key (``Authorization: Bearer iocvnd_…``;
only that device's readings) or a staff token of a role holding ``sensor.ingest`` (devices in
its scope). The answer is per reading: 200 when every reading was stored or already there,
207 when some were rejected (the others are stored), 422 ``readings_rejected`` when none was
(nothing stored); the body lists each rejection with its reason (docs/sensors.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from iocvn.auth.deps import Principal, current, require
from iocvn.auth.scope import OrgScope
from iocvn.core import i18n
from iocvn.core.errors import Forbidden, Invalid, Unauthenticated
from iocvn.core.http import DbSession
from iocvn.core.timeutil import utcnow
from iocvn.sensors import directory, history, registry
from iocvn.sensors.ingest import IngestReport, ingest
from iocvn.sensors.kinds import STATUSES
from iocvn.sensors.models import Device
from iocvn.sensors.schemas import (
    DeviceCreated,
    DeviceIn,
    DeviceOut,
    DevicePage,
    DeviceUpdate,
    HistoryOut,
    IngestOut,
    ReadingsIn,
    RejectionOut,
)

router = APIRouter(tags=["sensors"])
Reader = Annotated[Principal, Depends(require("sensor.read"))]
Writer = Annotated[Principal, Depends(require("sensor.write"))]
Code = Annotated[str, Path(max_length=64)]


def _out(db: DbSession, device: Device) -> DeviceOut:
    latest = registry.latest_values(db, [device.id])[device.id]
    return DeviceOut.of(device, latest, utcnow())


@router.post("/sensors/devices", response_model=DeviceCreated, status_code=201)
def register_device(body: DeviceIn, principal: Writer, db: DbSession) -> DeviceCreated:
    """Register a device; the answer carries its API key, shown this once (audited)."""
    spec = registry.DeviceSpec(**body.model_dump())
    device, key = registry.register(db, principal.actor(), spec, principal.scope)
    return DeviceCreated(**_out(db, device).model_dump(), api_key=key)


@router.get("/sensors/devices", response_model=DevicePage)
def list_devices(
    principal: Reader,
    db: DbSession,
    kind: Annotated[str | None, Query(max_length=20)] = None,
    status: Annotated[str | None, Query(max_length=16, description=", ".join(STATUSES))] = None,
    org_unit: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[str | None, Query(max_length=100, description="in the code or name")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> DevicePage:
    """Devices in the caller's scope, by code, with their latest values."""
    filters = registry.DeviceFilter(kind=kind, status=status, org_unit=org_unit, q=q)
    rows, total = registry.list_devices(db, principal.scope, filters, limit=limit, offset=offset)
    latest = registry.latest_values(db, [d.id for d in rows])
    now = utcnow()
    return DevicePage(total=total, items=[DeviceOut.of(d, latest[d.id], now) for d in rows])


@router.get("/sensors/devices/{code}", response_model=DeviceOut)
def get_device(code: Code, principal: Reader, db: DbSession) -> DeviceOut:
    """One device in scope with its latest values."""
    return _out(db, registry.get_device(db, code, principal.scope))


@router.patch("/sensors/devices/{code}", response_model=DeviceOut)
def update_device(code: Code, body: DeviceUpdate, principal: Writer, db: DbSession) -> DeviceOut:
    """Change a device (audited); ``status: retired`` stops its readings."""
    device = registry.get_device(db, code, principal.scope)
    changes = registry.DeviceChanges(**body.model_dump(exclude_unset=True))
    return _out(db, registry.update(db, principal.actor(), device, changes, principal.scope))


@router.delete("/sensors/devices/{code}", response_model=DeviceOut)
def retire_device(code: Code, principal: Writer, db: DbSession) -> DeviceOut:
    """Retire a device: its readings are refused from now on; its history stays."""
    device = registry.get_device(db, code, principal.scope)
    return _out(db, registry.retire(db, principal.actor(), device, principal.scope))


@router.post("/sensors/devices/{code}/key", response_model=DeviceCreated)
def new_key(code: Code, principal: Writer, db: DbSession) -> DeviceCreated:
    """Issue a new API key (the old one stops working); shown this once (audited)."""
    device = registry.get_device(db, code, principal.scope)
    key = registry.rotate_key(db, principal.actor(), device, principal.scope)
    return DeviceCreated(**_out(db, device).model_dump(), api_key=key)


@router.get("/sensors/{code}/readings", response_model=HistoryOut)
def readings(
    code: Code,
    principal: Reader,
    db: DbSession,
    since: datetime | None = None,
    until: datetime | None = None,
    quantity: Annotated[str | None, Query(max_length=64)] = None,
    step: Annotated[str | None, Query(max_length=8, description="raw (default), 1m, 1h, 1d")] = (
        None
    ),
    limit: Annotated[int, Query(ge=1, le=history.MAX_PAGE)] = history.DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=120)] = None,
) -> HistoryOut:
    """Raw readings or rollups of a device in scope over ``[since, until)`` (default: the
    last day of raw or 1-minute data, 31 days of hours, 366 of days), in time order."""
    device = registry.get_device(db, code, principal.scope)
    win = history.window(device, step, since, until, quantity)
    page = history.read(db, device, win, limit=limit, cursor=cursor)
    return HistoryOut(device=device.code, step=win.step, since=win.since, until=win.until,
                      quantity=win.quantity, items=page.items,
                      next_cursor=page.next_cursor)  # fmt: skip


# --- ingestion ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sender:
    """Who posts readings: a device (by its key) or a staff account (by its scope)."""

    key: str | None = None
    scope: OrgScope | None = None


def _bearer(request: Request) -> str:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else ""


async def sender(request: Request, db: DbSession) -> Sender:
    """A device's own key, or a staff caller holding ``sensor.ingest`` (401/403 otherwise)."""
    bearer = _bearer(request)
    if registry.is_device_key(bearer):
        found = await run_in_threadpool(directory.by_key, db, bearer)
        if found is None:
            raise Unauthenticated("device_key_invalid")
        return Sender(key=bearer)
    principal = await current(request, db)
    if not principal.can("sensor.ingest"):
        raise Forbidden(details={"permission": "sensor.ingest"})
    return Sender(scope=principal.scope)


sender.permission = "sensor.ingest"  # type: ignore[attr-defined]


def _answer(report: IngestReport, lang: str) -> IngestOut:
    return IngestOut(
        items=report.items, accepted=report.accepted, flagged=report.flagged,
        duplicates=report.duplicates, rejected=report.rejected,
        rejections=[
            RejectionOut(index=r.index, device=r.device, quantity=r.quantity, reason=r.reason,
                         message=i18n.t(f"reading.{r.reason}", lang))
            for r in report.rejections
        ],
    )  # fmt: skip


@router.post(
    "/sensors/readings",
    response_model=IngestOut,
    responses={207: {"model": IngestOut, "description": "some readings were rejected"}},
)
def post_readings(
    body: ReadingsIn,
    request: Request,
    who: Annotated[Sender, Depends(sender)],
    db: DbSession,
) -> JSONResponse:
    """Store a batch of readings (a device's key, or a staff token with ``sensor.ingest``)."""
    report = ingest(db, body.readings, key=who.key, scope=who.scope, channel="http")
    out = _answer(report, str(getattr(request.state, "lang", i18n.DEFAULT_LANG)))
    if report.rejected and not (report.accepted or report.duplicates):
        raise Invalid("readings_rejected", details=out.model_dump())
    return JSONResponse(out.model_dump(), status_code=207 if report.rejected else 200)
