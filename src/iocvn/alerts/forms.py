"""The drafting form of a public warning, to and from the API's body (``drafts``).

The form writes times as ``dd/mm/yyyy HH:MM`` in Vietnam's time, the area as a circle (centre
picked on the map, radius in km) and/or a pasted GeoJSON polygon; the body takes ISO 8601
instants and GeoJSON objects. A blank field leaves the body without it (no onset, no circle).

Pure: no database, no request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from iocvn.alerts import messages  # noqa: F401  (registers the domain's texts)
from iocvn.alerts.area import MAX_RADIUS_KM
from iocvn.alerts.cap import cap_datetime
from iocvn.alerts.warning import LIMITS
from iocvn.core.errors import Invalid
from iocvn.core.timeutil import LOCAL_TZ, to_local

TIME_FORMAT: Final = "%d/%m/%Y %H:%M"
TEXTS: Final = ("event", "headline", "description", "instruction")
CHOICES: Final = ("category", "urgency", "severity", "certainty", "status")
CANCEL_TEXTS: Final = ("headline", "description", "instruction")
MAX_FIELD = 20_000
MAX_POLYGON = 2_000_000
"""Longest polygon text accepted from the form (characters; about 10,000 points)."""


def body_from_form(form: Mapping[str, Any], *, cancel: bool = False) -> dict[str, Any]:
    """The API body of a submitted form (``cancel``: only the texts a Cancel may change)."""
    if cancel:
        return {name: _field(form, name) for name in CANCEL_TEXTS}
    body: dict[str, Any] = {name: _field(form, name) for name in TEXTS + CHOICES}
    area: dict[str, Any] = {"description": _field(form, "area_description")}
    polygon = _field(form, "polygon", MAX_POLYGON).strip()
    if polygon:
        try:
            area["polygon"] = json.loads(polygon)
        except ValueError:
            raise Invalid("warning_form_geojson", details={"field": "area.polygon"}) from None
    centre = [_field(form, name).strip().replace(",", ".") for name in ("lon", "lat", "radius_km")]
    if any(centre):
        try:
            lon, lat, radius = (float(v) for v in centre)
        except ValueError:
            raise Invalid(
                "cap_circle", details={"field": "area.circle"}, max=MAX_RADIUS_KM
            ) from None
        area["circle"] = {"lon": lon, "lat": lat, "radius_km": radius}
    body["area"] = area
    body["onset"] = _instant(_field(form, "onset"), "onset")
    body["expires"] = _instant(_field(form, "expires"), "expires")
    responses = form.getlist("response_types") if hasattr(form, "getlist") else []
    body["response_types"] = [str(r) for r in responses if isinstance(r, str)]
    return body


def form_from_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields filled from a stored body (to edit a draft or start an Update)."""
    form: dict[str, Any] = {name: body.get(name) or "" for name in TEXTS + CHOICES}
    area = body.get("area") or {}
    form["area_description"] = area.get("description", "")
    polygon = area.get("polygon")
    form["polygon"] = json.dumps(polygon, ensure_ascii=False) if polygon else ""
    circle = area.get("circle") or {}
    for name in ("lon", "lat", "radius_km"):
        value = circle.get(name)
        form[name] = "" if value is None else f"{value:g}"
    for name in ("onset", "expires"):
        value = body.get(name)
        form[name] = to_local(datetime.fromisoformat(value)).strftime(TIME_FORMAT) if value else ""
    form["response_types"] = list(body.get("response_types") or [])
    return form


def _field(form: Mapping[str, Any], name: str, limit: int = MAX_FIELD) -> str:
    value = form.get(name)
    if not isinstance(value, str):
        return ""
    if len(value) > limit:
        raise Invalid(
            "cap_text_too_long", details={"field": name, "max": LIMITS.get(name, limit)},
            field=name, max=LIMITS.get(name, limit),
        )  # fmt: skip
    return value


def _instant(text: str, name: str) -> str | None:
    """``dd/mm/yyyy HH:MM`` (or ISO 8601) in Vietnam's time as an ISO instant; None if blank."""
    raw = text.strip()
    if not raw:
        return None
    try:
        when = datetime.strptime(raw, TIME_FORMAT)
    except ValueError:
        try:
            when = datetime.fromisoformat(raw)
        except ValueError:
            raise Invalid("warning_form_datetime", details={"field": name}, field=name) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=LOCAL_TZ)
    return cap_datetime(when)
