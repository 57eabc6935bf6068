"""Where is a point? The commune whose boundary contains it, and whether it is in the province.

Boundaries are the imported polygons of ``org_units.geometry`` (WGS84 lon/lat). The index
(an STRtree of prepared shapes) is built once per province and day and rebuilt when a
boundary changes (the newest ``updated_at`` and the count of shaped units are its version,
read again every few seconds: :class:`iocvn.core.cache.Rechecked`). A point on
the shared edge of two communes goes to the one with the smaller code, so the answer is
stable. This module only reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from shapely.geometry import Point, shape
from shapely.strtree import STRtree
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from iocvn.core.cache import Rechecked
from iocvn.core.errors import Invalid
from iocvn.org import messages  # noqa: F401  (registers the domain's texts)
from iocvn.org.models import OrgUnit

SNAP_METRES = 50.0
"""A point this close to a commune (a GPS error at a boundary river) still counts as inside."""
_DEG_PER_METRE = 1 / 111_320


@dataclass(frozen=True)
class _Index:
    codes: list[str]
    shapes: list[Any]
    tree: STRtree
    province: Any  # the province outline (or the union of its communes)


_INDEXES: Rechecked[_Index] = Rechecked()
"""Indexes by province and day, revalidated by version every few seconds (another server
process may have imported boundaries); this process's own imports call :func:`invalidate`."""


_PROVINCES: Rechecked[str | None] = Rechecked()
"""The home province by database (the answer is its own version)."""


def invalidate() -> None:
    """Forget every index and the home province (boundaries or units changed)."""
    _INDEXES.clear()
    _PROVINCES.clear()


def _version(session: Session, province_code: str) -> tuple[Any, ...]:
    row = session.execute(
        select(func.count(), func.max(OrgUnit.updated_at)).where(
            OrgUnit.province_code == province_code, OrgUnit.geometry.is_not(None)
        )
    ).one()
    return (row[0], str(row[1]))


def _build(session: Session, province_code: str, day: date) -> _Index:
    rows = session.execute(
        select(OrgUnit.code, OrgUnit.level, OrgUnit.geometry).where(
            OrgUnit.province_code == province_code,
            OrgUnit.geometry.is_not(None),
            OrgUnit.valid_from <= day,
            or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= day),
        )
    ).all()
    codes, shapes, outline = [], [], None
    for code, level, geometry in sorted(rows):
        geom = shape(geometry)
        if level == "province":
            outline = geom
        elif level == "commune":
            shapely.prepare(geom)
            codes.append(code)
            shapes.append(geom)
    if outline is None and shapes:
        outline = shapely.union_all(shapes)
    if outline is not None:
        shapely.prepare(outline)
    return _Index(codes, shapes, STRtree(shapes), outline)


def _index(session: Session, province_code: str, day: date | None = None) -> _Index:
    today = day or date.today()
    return _INDEXES.get(
        (province_code, today),
        lambda: _version(session, province_code),
        lambda: _build(session, province_code, today),
    )


def commune_at(
    session: Session, province_code: str, lon: float, lat: float, *, day: date | None = None
) -> str | None:
    """The code of the commune containing (lon, lat), or ``None`` outside every commune."""
    idx = _index(session, province_code, day)
    if not idx.codes:
        return None
    point = Point(lon, lat)
    hits: list[str] = sorted(idx.codes[i] for i in idx.tree.query(point, predicate="intersects"))
    if hits:
        return hits[0]
    near = idx.tree.query_nearest(point, max_distance=SNAP_METRES * _DEG_PER_METRE)
    nearest: list[str] = [idx.codes[i] for i in near]
    return min(nearest, default=None)


def in_province(session: Session, province_code: str, lon: float, lat: float) -> bool:
    """True when (lon, lat) lies in the province or one of its communes (with the same snap).

    Without any boundary imported nothing can be checked, and every point is accepted."""
    idx = _index(session, province_code)
    if idx.province is None:
        return True
    point = Point(lon, lat)
    if (
        idx.province.intersects(point)
        or idx.province.distance(point) <= SNAP_METRES * _DEG_PER_METRE
    ):
        return True
    # The outline and the communes are simplified apart: a point in a commune is inside.
    return commune_at(session, province_code, lon, lat) is not None


def has_boundaries(session: Session, province_code: str) -> bool:
    """True when the province has commune boundaries to locate points with."""
    return bool(_index(session, province_code).codes)


def home_province(session: Session) -> str | None:
    """The province this installation serves: its one current province-level unit (the one
    with the smallest code when several were seeded, as in tests). Asked on every citizen
    report, so the answer is kept and read again every few seconds (:data:`_PROVINCES`)."""

    def read() -> str | None:
        return session.execute(
            select(OrgUnit.code)
            .where(OrgUnit.level == "province", OrgUnit.valid_to.is_(None))
            .order_by(OrgUnit.code)
            .limit(1)
        ).scalar_one_or_none()

    key = session.get_bind().engine.url
    return _PROVINCES.read(key, read)


def installed_province(session: Session) -> str:
    """:func:`home_province`, or 422 ``no_province`` before ``iocvn init``."""
    code = home_province(session)
    if code is None:
        raise Invalid("no_province")
    return code
