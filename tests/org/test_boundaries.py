"""Boundary import: matching features by code and by name, geometry repair, reports."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.errors import Invalid
from iocvn.org import service
from iocvn.org.boundaries import GeometryError, clean_geometry, import_boundaries
from iocvn.org.official import BOUNDARY_FILES, fold
from tests.factories.org import (
    ACTOR,
    audit_actions,
    boundary_file,
    boundary_text,
    collection,
    feature,
    seed,
    square,
)


@pytest.mark.parametrize(("code", "communes"), [("08", 124), ("12", 38)])
def test_import_matches_every_feature_by_code(
    session: Session, shared_data: Path, code: str, communes: int
) -> None:
    seed(session, code)
    text = boundary_text(shared_data, code)
    report = import_boundaries(session, text, ACTOR, source=f"{code}.geojson")
    assert report.features == communes + 1  # the province outline comes first
    assert report.matched_levels == {"province": 1, "commune": communes}
    assert (report.matched_by_code, report.matched_by_name) == (communes + 1, 0)
    assert (report.updated, report.unchanged) == (communes + 1, 0)
    assert report.unmatched == []
    assert report.units_without_boundary == []
    assert report.outcome == "all_loaded"
    first = json.loads(text)["features"][1]
    unit = service.get_org_unit(session, first["properties"]["code"])
    assert unit.geometry_source == f"{code}.geojson"
    assert unit.geometry is not None
    assert shape(unit.geometry).equals(shape(first["geometry"]))
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "org.import_boundaries")
    ).scalar_one()
    assert entry.target_id == code
    assert entry.after is not None
    assert entry.after["matched_by_code"] == communes + 1
    assert entry.after["unmatched"] == 0


def test_reimport_changes_nothing(session: Session, shared_data: Path) -> None:
    seed(session, "12")
    import_boundaries(session, boundary_text(shared_data, "12"), ACTOR, source="lai-chau")
    again = import_boundaries(session, boundary_text(shared_data, "12"), ACTOR, source="lai-chau")
    assert (again.updated, again.unchanged) == (0, 39)


def test_import_matches_by_name_without_codes(session: Session, shared_data: Path) -> None:
    seed(session, "12")
    data = boundary_file(shared_data, "12")
    for i, item in enumerate(data["features"]):
        props = item["properties"]
        name, code = props.pop("name"), props.pop("code")
        del props["province_code"]
        # Some names lose their type ("Đoàn Kết"), some their accents ("Phuong Tan Phong").
        if i % 3 == 1:
            name = service.get_org_unit(session, code).short_name
        elif i % 3 == 2:
            name = fold(name).title()
        props["ten"] = name
    report = import_boundaries(session, data, ACTOR)
    assert (report.matched_by_code, report.matched_by_name) == (0, 39)
    assert report.unmatched == []
    assert report.outcome == "all_loaded"
    assert service.get_org_unit(session, "03388").geometry is not None


def test_unmatched_and_broken_features_are_reported_and_the_rest_loaded(
    session: Session, shared_data: Path
) -> None:
    seed(session, "12")
    data = boundary_file(shared_data, "12")
    bogus = [
        feature(square(103.4, 22.4), name="Xã Không Có Thật", note="bogus"),
        feature(square(103.4, 22.4), code="99999"),
        feature(None, code="03388", name="Phường Đoàn Kết"),  # no geometry: rejected
        feature(square(103.4, 22.4)),
    ]
    data["features"][1:2] = [*bogus, data["features"][1]]
    text = json.dumps(data, ensure_ascii=False, indent=1)
    report = import_boundaries(session, text, ACTOR)
    reasons = [(u.index, u.reason) for u in report.unmatched]
    assert reasons == [
        (2, "no_match"),
        (3, "unknown_code"),
        (4, "no_geometry"),
        (5, "no_code_or_name"),
    ]
    assert report.unmatched[0].properties == {"name": "Xã Không Có Thật", "note": "bogus"}
    lines = text.splitlines()
    for item in report.unmatched:
        assert item.line is not None
        assert '"type": "Feature"' in lines[item.line - 1]
    assert report.matched_by_code == 39  # Phường Đoàn Kết still loaded from its real feature
    assert report.outcome == "partially_loaded"
    assert report.units_without_boundary == []


def test_units_without_boundary_are_listed(session: Session, shared_data: Path) -> None:
    seed(session, "12")
    data = boundary_file(shared_data, "12")
    data["features"] = data["features"][:10]
    report = import_boundaries(session, data, ACTOR)
    assert report.outcome == "all_loaded"
    assert len(report.units_without_boundary) == 29
    assert all(ref.name for ref in report.units_without_boundary)


def test_code_aliases_and_numeric_codes(session: Session) -> None:
    seed(session, "12")
    data = collection(
        feature(square(103.4, 22.4), ma_xa=3388),
        feature(square(103.5, 22.4), MaXa="03390"),
        feature(square(103.6, 22.4), ma=12, level="province"),
    )
    report = import_boundaries(session, data, ACTOR)
    assert report.matched_by_code == 3
    assert report.matched_levels == {"commune": 2, "province": 1}
    assert service.get_org_unit(session, "03388").geometry == square(103.4, 22.4)


def test_duplicate_and_ambiguous_features(session: Session) -> None:
    seed(session, "20")
    seed(session, "08")  # both have a Xã Tân Tiến
    tan_tien = {u.province_code: u.code for u in service.list_org_units(session, q="xa tan tien")}
    names = collection(
        feature(square(105.1, 22.5), name="Tân Tiến"),
        feature(square(105.1, 22.5), name="Tân Tiến", province_code="08"),
        feature(square(105.2, 22.5), name="Xã Tân Tiến", ma_tinh="08"),
    )
    report = import_boundaries(session, names, ACTOR)
    assert [(u.index, u.reason) for u in report.unmatched] == [
        (1, "ambiguous_name"),
        (3, "duplicate_unit"),
    ]
    assert service.get_org_unit(session, tan_tien["08"]).geometry == square(105.1, 22.5)
    # Codes come first, and names are then looked for in the provinces the codes point to.
    mixed = collection(
        feature(square(106.3, 21.5), name="Phường Đông Kinh"),
        feature(square(106.2, 21.5), code="05977"),
        feature(square(106.1, 21.6), name="Tân Tiến"),
    )
    report = import_boundaries(session, mixed, ACTOR)
    assert [(u.index, u.reason) for u in report.unmatched] == [(1, "duplicate_unit")]
    assert (report.matched_by_code, report.matched_by_name) == (1, 1)
    assert service.get_org_unit(session, "05977").geometry == square(106.2, 21.5)
    assert service.get_org_unit(session, tan_tien["20"]).geometry == square(106.1, 21.6)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"type": "FeatureCollection", "features": [', "malformed_json"),
        ('{"type": "FeatureCollection", "features": [NaN]}', "malformed_json"),
        (b"\xff\xfe{}", "not_utf8"),
        ('{"type": "Feature", "properties": {}, "geometry": null}', "not_a_feature_collection"),
        ("[1, 2]", "not_a_feature_collection"),
        ('{"type": "FeatureCollection", "features": []}', "no_features"),
        (
            '{"type": "FeatureCollection", "crs": {"type": "name", "properties": '
            '{"name": "urn:ogc:def:crs:EPSG::3405"}}, "features": [{}]}',
            "crs_not_wgs84",
        ),
    ],
)
def test_unusable_files_are_rejected_whole(session: Session, raw: str | bytes, reason: str) -> None:
    seed(session, "12")
    before = audit_actions(session)
    with pytest.raises(Invalid) as caught:
        import_boundaries(session, raw, ACTOR)
    assert (caught.value.code, caught.value.status) == ("invalid_geojson", 422)
    assert caught.value.details["reason"] == reason
    assert audit_actions(session) == before


def test_malformed_json_reports_its_line(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        import_boundaries(session, '{\n"type": "FeatureCollection",\n"features": [}', ACTOR)
    assert caught.value.details["line"] == 3


def test_nothing_matched_writes_nothing(session: Session) -> None:
    seed(session, "12")
    data = collection(feature(square(103.4, 22.4), name="Nowhere"))
    with pytest.raises(Invalid) as caught:
        import_boundaries(session, data, ACTOR)
    assert caught.value.code == "no_boundary_matched"
    assert caught.value.details["unmatched"][0]["reason"] == "no_match"
    assert "org.import_boundaries" not in audit_actions(session)


def test_clean_geometry_repairs_and_orients() -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[106, 21], [106.1, 21.1], [106.1, 21], [106, 21.1], [106, 21]]],
    }
    repaired = clean_geometry(bow_tie)
    assert repaired["type"] == "MultiPolygon"
    assert shape(repaired).is_valid
    assert shape(repaired).area == pytest.approx(0.005)
    clockwise = {"type": "Polygon", "coordinates": [square(106, 21)["coordinates"][0][::-1]]}
    exterior = shape(clean_geometry(clockwise)).exterior
    assert exterior.is_ccw  # RFC 7946: exterior rings counter-clockwise


@pytest.mark.parametrize(
    ("geometry", "reason"),
    [
        (None, "no_geometry"),
        ({"type": "Point", "coordinates": [106, 21]}, "not_polygonal"),
        (square(650000, 2400000, 1000), "coordinates_not_lon_lat"),  # VN-2000 metres
        (square(21.8, 106.7), "coordinates_not_lon_lat"),  # lat/lon swapped
        ({"type": "Polygon", "coordinates": [[[106, 21]]]}, "malformed_geometry"),
        ({"type": "Polygon", "coordinates": []}, "empty_geometry"),
        ({"type": "Polygon"}, "malformed_geometry"),
        (
            {
                "type": "GeometryCollection",
                "geometries": [{"type": "Point", "coordinates": [1, 2]}],
            },
            "not_polygonal",
        ),
    ],
)
def test_clean_geometry_rejects(geometry: Any, reason: str) -> None:
    with pytest.raises(GeometryError) as caught:
        clean_geometry(geometry)
    assert caught.value.reason == reason


def test_the_shipped_boundaries_keep_their_licence() -> None:
    data = resources.files("iocvn.org").joinpath("data")
    for name in BOUNDARY_FILES.values():
        shipped = json.loads(data.joinpath(name).read_text(encoding="utf-8"))
        assert shipped["type"] == "FeatureCollection"
        assert len(shipped["features"]) == 66
    assert "MIT License" in data.joinpath("boundaries.LICENSE").read_text(encoding="utf-8")
