"""The body of a warning as iocvn keeps it: ``POST /api/v1/warnings`` checked and normalised.

``checked`` turns a body into the ``PublicWarning`` (and its optional English block) that
``warning.warning_from_api`` accepts, refusing fields the API does not know and, for a
message still to be sent, an expiry already past. ``normalised`` writes the checked warning
back as a body (texts in NFC without surrounding blanks, instants in Vietnam's time, rings
closed and rounded), so what is stored reads back to the same warning and a ``PATCH`` can
merge into it. ``merged`` applies a partial body to a stored one.

Pure: no database (callers pass ``now``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from iocvn.alerts import messages  # noqa: F401  (registers the domain's texts)
from iocvn.alerts.area import Area
from iocvn.alerts.cap import cap_datetime
from iocvn.alerts.warning import (
    PublicWarning,
    Translation,
    translation_from_api,
    warning_from_api,
)
from iocvn.core.errors import Invalid

FIELDS: Final = frozenset(
    {
        "event", "headline", "description", "instruction", "category", "urgency", "severity",
        "certainty", "area", "onset", "expires", "status", "language", "response_types",
        "english",
    }
)  # fmt: skip
"""What a warning's body may hold (``source_alert`` is taken apart, see ``split_source``)."""
SOURCE_LIMIT = 64


def checked(body: Any, now: datetime | None = None) -> tuple[PublicWarning, Translation | None]:
    """The warning of ``body`` (and its English block); with ``now``, a warning whose expiry
    is not after ``now`` is refused (it could never be published)."""
    if not isinstance(body, Mapping):
        raise Invalid("cap_type", details={"field": "body", "expected": "object"}, field="body")
    unknown = sorted(str(k) for k in body if k not in FIELDS)
    if unknown:
        raise Invalid(
            "warning_unknown_field",
            details={"fields": unknown[:20], "allowed": sorted(FIELDS)},
            field=", ".join(unknown[:5]),
        )
    warning = warning_from_api(body)
    english_body = body.get("english")
    english = (
        translation_from_api(english_body, warning.area.description)
        if english_body is not None
        else None
    )
    if now is not None and warning.expires is not None and warning.expires <= now:
        raise Invalid("cap_expires_order", details={"field": "expires"})
    return warning, english


def normalised(warning: PublicWarning, english: Translation | None) -> dict[str, Any]:
    """The body of ``warning`` as stored and shown: it reads back to the same warning."""
    body: dict[str, Any] = {
        "event": warning.event,
        "headline": warning.headline,
        "description": warning.description,
        "instruction": warning.instruction,
        "category": warning.category,
        "urgency": warning.urgency,
        "severity": warning.severity,
        "certainty": warning.certainty,
        "area": area_body(warning.area),
        "onset": cap_datetime(warning.onset) if warning.onset else None,
        "expires": cap_datetime(warning.expires) if warning.expires else None,
        "status": warning.status,
        "language": warning.language,
        "response_types": list(warning.response_types),
    }
    if english is not None:
        body["english"] = {
            "event": english.event,
            "headline": english.headline,
            "description": english.description,
            "instruction": english.instruction,
            "area_description": english.area_description,
            "language": english.language,
        }
    return body


def area_body(area: Area) -> dict[str, Any]:
    """An area as the API writes it: a GeoJSON Polygon (MultiPolygon for several) and a
    circle."""
    body: dict[str, Any] = {"description": area.description}
    rings = [[[lon, lat] for lon, lat in ring] for ring in area.polygons]
    if len(rings) == 1:
        body["polygon"] = {"type": "Polygon", "coordinates": rings}
    elif rings:
        body["polygon"] = {"type": "MultiPolygon", "coordinates": [[ring] for ring in rings]}
    if area.circles:  # the API takes one circle; iocvn never stores more
        c = area.circles[0]
        body["circle"] = {"lon": c.lon, "lat": c.lat, "radius_km": c.radius_km}
    return body


def merged(stored: Mapping[str, Any], patch: Any) -> dict[str, Any]:
    """``stored`` with the fields of ``patch`` replaced (a field set to null is removed; an
    area is replaced whole)."""
    if not isinstance(patch, Mapping):
        raise Invalid("cap_type", details={"field": "body", "expected": "object"}, field="body")
    body = dict(stored)
    for key, value in patch.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def split_source(body: Any) -> tuple[Any, str | None]:
    """``body`` without ``source_alert`` (the alert a warning was drafted from), and it."""
    if not isinstance(body, Mapping) or "source_alert" not in body:
        return body, None
    rest = {k: v for k, v in body.items() if k != "source_alert"}
    source = body["source_alert"]
    if source is None:
        return rest, None
    if not isinstance(source, str) or not 0 < len(source) <= SOURCE_LIMIT:
        raise Invalid(
            "cap_type",
            details={"field": "source_alert", "expected": f"string of 1 to {SOURCE_LIMIT}"},
            field="source_alert",
        )
    return rest, source
