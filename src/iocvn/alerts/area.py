"""The area of a public warning (vùng cảnh báo): polygons and circles, from GeoJSON to CAP 1.2.

Inside iocvn positions are ``(lon, lat)`` as in GeoJSON and the map; CAP writes them the other
way round: a polygon is ``"lat,lon lat,lon …"`` (a closed ring, first point = last point, at
least four points) and a circle ``"lat,lon radius_km"`` (WGS 84 degrees, kilometres).
Coordinates keep 6 decimals (about 0.1 m) and radii 3 (1 m), so what is written reads back
identical. CAP polygons have no holes: a GeoJSON hole is left out, so the warned area covers
it (better warn a few more people than leave an enclave out).

Pure: no database, no XML (``cap`` writes the elements).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iocvn.alerts import messages  # noqa: F401  (registers the domain's texts)
from iocvn.core.errors import Invalid

Position = tuple[float, float]
"""``(lon, lat)`` in WGS 84 degrees, GeoJSON order."""
Ring = tuple[Position, ...]
"""A closed ring of positions (first = last)."""

COORD_PLACES = 6
RADIUS_PLACES = 3
MAX_RADIUS_KM = 1000.0
MAX_POINTS = 10_000
"""At most this many positions in one area (a simplified commune boundary has a few hundred)."""


@dataclass(frozen=True)
class Circle:
    """A circle: its centre and radius in kilometres."""

    lon: float
    lat: float
    radius_km: float

    def __post_init__(self) -> None:
        lon, lat = _position([self.lon, self.lat], "area.circle")
        radius = _number(self.radius_km, "area.circle")
        radius = round(radius, RADIUS_PLACES) + 0.0
        if not 0 < radius <= MAX_RADIUS_KM:
            raise _bad("area.circle", f"radius_km must be above 0 and at most {MAX_RADIUS_KM}")
        object.__setattr__(self, "lon", lon)
        object.__setattr__(self, "lat", lat)
        object.__setattr__(self, "radius_km", radius)


@dataclass(frozen=True)
class Area:
    """Where a warning applies: the union of its polygons and circles, described in words.

    Rings are closed and coordinates rounded on construction; the description is checked
    with the warning's other texts.
    """

    description: str
    polygons: tuple[Ring, ...] = field(default=())
    circles: tuple[Circle, ...] = field(default=())

    def __post_init__(self) -> None:
        if not self.polygons and not self.circles:
            raise Invalid("cap_area_shape", details={"field": "area"})
        rings = tuple(_ring(r, "area.polygon") for r in self.polygons)
        if sum(len(r) for r in rings) > MAX_POINTS:
            raise Invalid(
                "cap_polygon",
                details={"field": "area.polygon", "problem": f"more than {MAX_POINTS} points"},
            )
        object.__setattr__(self, "polygons", rings)
        object.__setattr__(self, "circles", tuple(self.circles))


def area_from_api(body: Any) -> Area:
    """The area of ``POST /api/v1/warnings``: ``{"description", "polygon"?, "circle"?}``."""
    if not isinstance(body, Mapping):
        raise Invalid("cap_type", details={"field": "area", "expected": "object"}, field="area")
    description = body.get("description")
    if not isinstance(description, str):
        raise Invalid(
            "cap_required", details={"field": "area.description"}, field="area.description"
        )
    polygon = body.get("polygon")
    circle = body.get("circle")
    polygons = polygons_from_geojson(polygon) if polygon is not None else ()
    circles = (circle_from_api(circle),) if circle is not None else ()
    return Area(description=description, polygons=polygons, circles=circles)


def polygons_from_geojson(geometry: Any) -> tuple[Ring, ...]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon (or a Feature holding one)."""
    if isinstance(geometry, Mapping) and geometry.get("type") == "Feature":
        geometry = geometry.get("geometry")
    if not isinstance(geometry, Mapping):
        raise _bad_polygon("not a GeoJSON geometry")
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        polygons = [coordinates]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, Sequence) or isinstance(coordinates, str):
            raise _bad_polygon("MultiPolygon coordinates must be a list of polygons")
        polygons = list(coordinates)
    else:
        raise _bad_polygon("type must be Polygon or MultiPolygon")
    rings: list[Ring] = []
    for polygon in polygons:
        if not isinstance(polygon, Sequence) or isinstance(polygon, str) or not polygon:
            raise _bad_polygon("a polygon is a non-empty list of rings")
        rings.append(_ring(polygon[0], "area.polygon"))  # holes: see the module docstring
    if not rings:
        raise _bad_polygon("no polygon")
    return tuple(rings)


def circle_from_api(body: Any) -> Circle:
    """A circle of the API: ``{"lon", "lat", "radius_km"}``."""
    if not isinstance(body, Mapping):
        raise _bad("area.circle", "a circle is {lon, lat, radius_km}")
    lon: Any = body.get("lon")  # Circle checks the types
    lat: Any = body.get("lat")
    radius: Any = body.get("radius_km")
    return Circle(lon, lat, radius)


def cap_polygon(ring: Ring) -> str:
    """A ring as CAP writes it: ``"lat,lon lat,lon …"``."""
    return " ".join(f"{_fmt(lat, COORD_PLACES)},{_fmt(lon, COORD_PLACES)}" for lon, lat in ring)


def cap_circle(circle: Circle) -> str:
    """A circle as CAP writes it: ``"lat,lon radius_km"``."""
    return (
        f"{_fmt(circle.lat, COORD_PLACES)},{_fmt(circle.lon, COORD_PLACES)} "
        f"{_fmt(circle.radius_km, RADIUS_PLACES)}"
    )


def ring_from_cap(text: str) -> Ring:
    """A CAP polygon read back as a ring of ``(lon, lat)``."""
    positions: list[Position] = []
    for pair in text.split():
        lat, _, lon = pair.partition(",")
        try:
            positions.append((float(lon), float(lat)))
        except ValueError:
            raise _bad_polygon(f"not a lat,lon pair: {pair[:40]!r}") from None
    return _ring(positions, "area.polygon")


def circle_from_cap(text: str) -> Circle:
    """A CAP circle read back."""
    centre, _, radius = text.strip().partition(" ")
    lat, _, lon = centre.partition(",")
    try:
        return Circle(float(lon), float(lat), float(radius))
    except ValueError:
        raise _bad("area.circle", f"not 'lat,lon radius': {text[:80]!r}") from None


def _ring(positions: Any, name: str) -> Ring:
    if not isinstance(positions, Sequence) or isinstance(positions, str):
        raise _bad_polygon("a ring is a list of [lon, lat] positions")
    ring = [_position(p, name) for p in positions]
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])  # GeoJSON requires closed rings; the map's drawings may not be
    if len(ring) < 4 or len(set(ring)) < 3:
        raise _bad_polygon("a ring needs at least 3 distinct positions")
    return tuple(ring)


def _position(value: Any, name: str) -> Position:
    if not isinstance(value, Sequence) or isinstance(value, str) or len(value) < 2:
        raise _bad(name, "a position is [lon, lat]")
    lon = round(_number(value[0], name), COORD_PLACES) + 0.0  # + 0.0 turns -0.0 into 0.0
    lat = round(_number(value[1], name), COORD_PLACES) + 0.0
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise _bad(name, f"out of range: lon {lon}, lat {lat} (GeoJSON order is lon, lat)")
    return (lon, lat)


def _number(value: Any, name: str) -> float:
    # bool is an int in Python, and NaN or infinity is no place on Earth.
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _bad(name, "coordinates and radius must be numbers")
    return float(value)


def _fmt(value: float, places: int) -> str:
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _bad_polygon(problem: str) -> Invalid:
    return Invalid("cap_polygon", details={"field": "area.polygon", "problem": problem})


def _bad(name: str, problem: str) -> Invalid:
    if name == "area.polygon":
        return _bad_polygon(problem)
    return Invalid("cap_circle", details={"field": name, "problem": problem}, max=MAX_RADIUS_KM)
