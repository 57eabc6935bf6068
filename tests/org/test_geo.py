"""Locating a point in a commune with the real boundaries of ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest
import shapely
from shapely.geometry import LineString, Point, shape
from sqlalchemy.orm import Session

from iocvn.org import geo
from iocvn.org.boundaries import import_boundaries
from tests.factories.org import ACTOR, boundary_file, boundary_text, seed


@pytest.fixture
def lai_chau(session: Session, shared_data: Path) -> dict[str, object]:
    seed(session, "12")
    import_boundaries(session, boundary_text(shared_data, "12"), ACTOR, source="lai-chau")
    session.commit()
    return boundary_file(shared_data, "12")


def _communes(data: dict[str, object]) -> dict[str, object]:
    features = data["features"]  # type: ignore[index]
    return {
        f["properties"]["code"]: shape(f["geometry"])
        for f in features  # type: ignore[union-attr]
        if f["properties"]["level"] == "commune"
    }


def test_every_communes_inner_point_is_located_in_it(
    session: Session, lai_chau: dict[str, object]
) -> None:
    communes = _communes(lai_chau)
    assert len(communes) == 38
    for code, polygon in communes.items():
        p = polygon.representative_point()  # type: ignore[attr-defined]
        assert geo.commune_at(session, "12", p.x, p.y) == code


def test_a_step_across_a_shared_boundary_changes_the_commune(
    session: Session, lai_chau: dict[str, object]
) -> None:
    communes = _communes(lai_chau)
    codes = sorted(communes)
    a, b = next(
        (x, y)
        for i, x in enumerate(codes)
        for y in codes[i + 1 :]
        if communes[x].touches(communes[y])  # type: ignore[attr-defined]
        and communes[x].intersection(communes[y]).length > 0.01  # type: ignore[attr-defined]
    )
    inside_a = communes[a].representative_point()  # type: ignore[attr-defined]
    inside_b = communes[b].representative_point()  # type: ignore[attr-defined]
    # Walk the straight line from a point of A to a point of B: the answer changes from A to
    # B exactly where the real boundary is crossed (never a third answer in between that is
    # not the commune actually containing the point).
    line = LineString([inside_a, inside_b])
    seen = []
    for i in range(201):
        p = line.interpolate(i / 200, normalized=True)
        found = geo.commune_at(session, "12", p.x, p.y)
        truth = [c for c, poly in communes.items() if poly.contains(p)]  # type: ignore[attr-defined]
        if truth:
            assert found == truth[0]
        seen.append(found)
    assert seen[0] == a and seen[-1] == b


def test_points_outside_the_province(session: Session, lai_chau: dict[str, object]) -> None:
    hanoi = (105.8342, 21.0278)
    assert geo.commune_at(session, "12", *hanoi) is None
    assert not geo.in_province(session, "12", *hanoi)
    first = next(iter(_communes(lai_chau).values()))
    p: Point = first.representative_point()  # type: ignore[attr-defined]
    assert geo.in_province(session, "12", p.x, p.y)
    assert geo.has_boundaries(session, "12")


def _just_outside(communes: dict[str, object], metres: float) -> tuple[str, Point]:
    """A commune on the province's border and a point ``metres`` outside it (and outside
    every other commune)."""
    union = shapely.union_all(list(communes.values()))
    step = metres / 111_320  # degrees, near enough at this latitude
    for code, polygon in sorted(communes.items()):
        centre = polygon.centroid  # type: ignore[attr-defined]
        parts = getattr(polygon, "geoms", [polygon])
        for k in range(200):
            edge = parts[0].exterior.interpolate(k / 200, normalized=True)
            dx, dy = edge.x - centre.x, edge.y - centre.y
            norm = (dx * dx + dy * dy) ** 0.5
            out = Point(edge.x + dx / norm * step, edge.y + dy / norm * step)
            if not union.intersects(out.buffer(step / 2)):
                return code, out
    raise AssertionError("no commune faces the outside")


def test_a_point_a_few_metres_outside_snaps_to_the_nearest_commune(
    session: Session, lai_chau: dict[str, object]
) -> None:
    communes = _communes(lai_chau)
    code, out = _just_outside(communes, 20)
    assert communes[code].distance(out) < 50 / 111_320  # type: ignore[attr-defined]
    assert geo.commune_at(session, "12", out.x, out.y) == code
    _, far = _just_outside(communes, 500)
    assert geo.commune_at(session, "12", far.x, far.y) is None
