"""JSON routes of camera AI events and vendors' payloads (issue #5; docs/sensors.md).

- ``POST /sensors/events``: a batch of camera events, authenticated like readings (a
  device's own key, or a staff token holding ``sensor.ingest``); per event 200 / 207 / 422
  ``camera_events_rejected``, as readings.
- ``GET /sensors/events``: the events of the cameras in the caller's scope (``sensor.read``),
  newest first, in the shape the map reads.
- ``POST /sensors/ingest/{adapter}``: a vendor's raw payload read by a device adapter
  (:mod:`.adapters`; ``chirpstack``, ``fiware``, ``iocvn`` or a plugin's), then checked and
  stored like any reading or event.

Mounted before :mod:`.api` (whose ``/sensors/{code}/…`` routes would otherwise be tried first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse

from iocvn.auth.deps import Principal, require
from iocvn.core import i18n
from iocvn.core.errors import Invalid, NotFound
from iocvn.core.http import DbSession
from iocvn.core.timeutil import utcnow
from iocvn.sensors import events, plugins
from iocvn.sensors.adapters import Context
from iocvn.sensors.api import Sender, _answer, sender
from iocvn.sensors.ingest import IngestReport, ingest
from iocvn.sensors.messages import EVENT_LABELS, EVENT_REASONS
from iocvn.sensors.models import Device
from iocvn.sensors.models_events import EVENT_KINDS, CameraEvent
from iocvn.sensors.schemas_events import (
    CameraEventOut,
    CameraEventsIn,
    EventRejectionOut,
    EventsIngestOut,
    VendorIngestOut,
)

router = APIRouter(tags=["sensors"])
Reader = Annotated[Principal, Depends(require("sensor.read"))]
Who = Annotated[Sender, Depends(sender)]
MAX_LIST = 5000
DEFAULT_LIST = 500


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", i18n.DEFAULT_LANG))


def _events_answer(report: IngestReport, lang: str) -> EventsIngestOut:
    return EventsIngestOut(
        items=report.items, accepted=report.accepted, duplicates=report.duplicates,
        rejected=report.rejected,
        rejections=[
            EventRejectionOut(
                index=r.index, device=r.device, reason=r.reason,
                message=i18n.t(
                    f"camera_event.{r.reason}" if r.reason in EVENT_REASONS
                    else f"reading.{r.reason}", lang,
                ),
            )
            for r in report.rejections
        ],
    )  # fmt: skip


@router.post(
    "/sensors/events",
    response_model=EventsIngestOut,
    responses={207: {"model": EventsIngestOut, "description": "some events were rejected"}},
)
def post_events(body: CameraEventsIn, request: Request, who: Who, db: DbSession) -> JSONResponse:
    """Store a batch of camera events (a camera's key, or a staff token with
    ``sensor.ingest``)."""
    report = events.ingest_events(db, body.events, key=who.key, scope=who.scope, channel="http")
    out = _events_answer(report, _lang(request))
    if report.rejected and not (report.accepted or report.duplicates):
        raise Invalid("camera_events_rejected", details=out.model_dump())
    return JSONResponse(out.model_dump(), status_code=207 if report.rejected else 200)


@router.get("/sensors/events", response_model=list[CameraEventOut])
def list_events(
    principal: Reader,
    db: DbSession,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: Annotated[str | None, Query(max_length=20, description=", ".join(EVENT_KINDS))] = None,
    device: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = DEFAULT_LIST,
) -> list[CameraEventOut]:
    """Camera events in the caller's scope over ``[since, until)`` (default: the last day),
    newest first; ``label`` is the kind in Vietnamese."""
    filters = events.EventFilter(since=since, until=until, kind=kind, device=device)
    rows = events.recent(db, principal.scope, filters, limit=limit)
    return [_event_out(event, camera) for event, camera in rows]


def _event_out(event: CameraEvent, camera: Device) -> CameraEventOut:
    return CameraEventOut(
        id=event.id, device=camera.code, kind=event.kind, label=EVENT_LABELS[event.kind][0],
        ts=event.ts, lon=camera.lon, lat=camera.lat, snapshot_url=event.snapshot,
        confidence=event.confidence,
    )  # fmt: skip


async def _payload(request: Request) -> bytes:
    """The raw body (its size is bounded by the app's body guard)."""
    return await request.body()


@router.post(
    "/sensors/ingest/{adapter}",
    response_model=VendorIngestOut,
    responses={207: {"model": VendorIngestOut, "description": "some items were rejected"}},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"description": "the vendor's payload"}}},
        }
    },
)
def post_vendor_payload(
    adapter: Annotated[str, Path(max_length=40)],
    request: Request,
    who: Who,
    payload: Annotated[bytes, Depends(_payload)],
    db: DbSession,
    topic: Annotated[
        str, Query(max_length=200, description="the MQTT topic it would have come on, if needed")
    ] = "",
) -> JSONResponse:
    """Read a vendor's payload with the named device adapter, then store its readings and
    camera events (a device's key, or a staff token with ``sensor.ingest``)."""
    settings = request.app.state.settings
    adapters = {a.name: a for a in plugins.device_adapters(settings)}
    found = adapters.get(adapter)
    if found is None:
        raise NotFound("device_adapter_unknown", adapter=adapter[:40], known=", ".join(adapters))
    context = Context(settings.mqtt_topic_prefix, utcnow())
    try:
        parsed = found.parse(topic, payload, context)
    except Exception:  # a plugin's bug is the payload's refusal, not a server error
        plugins.log.exception("device adapter failed", extra={"adapter": found.name})
        raise Invalid("payload_unreadable", reason="adapter_failed") from None
    if parsed.reason:
        raise Invalid("payload_unreadable", reason=parsed.reason[:80])
    lang = _lang(request)
    readings, seen = IngestReport(), IngestReport()
    if parsed.items:
        readings = ingest(db, parsed.items, key=who.key, scope=who.scope, channel="http")
    if parsed.events:
        seen = events.ingest_events(db, parsed.events, key=who.key, scope=who.scope)
    out = VendorIngestOut(
        adapter=found.name, readings=_answer(readings, lang), events=_events_answer(seen, lang)
    )
    rejected = readings.rejected + seen.rejected
    if rejected and not (readings.accepted + readings.duplicates + seen.accepted + seen.duplicates):
        raise Invalid("readings_rejected", details=out.model_dump())
    return JSONResponse(out.model_dump(), status_code=207 if rejected else 200)
