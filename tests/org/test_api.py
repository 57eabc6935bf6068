"""The org JSON API (/api/v1) on the real Lạng Sơn data: listing and search, one unit with its
boundary, the caller's org scope, edits and their audit entries, agencies, boundary files."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from tests.factories.auth import bearer
from tests.factories.org import audit_actions, boundary_text, count_units, stored

API = "/api/v1"
LISTED = {"code", "name", "level", "parent_code", "valid_from", "valid_to"}


def auth(session: Session, role: str, org: str, username: str | None = None) -> dict[str, str]:
    """The Authorization header of a new account, committed so the app sees it."""
    header = bearer(session, username or f"{role}.{org}".lower(), role, org)
    session.commit()
    return header


def codes(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [u["code"] for u in response.json()]


def failure(response: Any) -> tuple[int, str]:
    """The status and error code of a refused request."""
    return response.status_code, response.json()["error"]


def first_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """The first vertex of a Polygon or MultiPolygon."""
    ring = geometry["coordinates"][0]
    point = ring[0][0] if geometry["type"] == "MultiPolygon" else ring[0]
    return point[0], point[1]


# --- reading ----------------------------------------------------------------------------


def test_list_puts_the_province_first(client: TestClient, lang_son: Session) -> None:
    response = client.get(f"{API}/org-units", headers=auth(lang_son, "viewer", "20"))
    units = response.json()
    assert response.status_code == 200
    assert len(units) == 1 + 65 + 17
    assert set(units[0]) >= LISTED and "geometry" not in units[0]
    assert units[0]["code"] == "20" and units[0]["name"] == "Tỉnh Lạng Sơn"
    assert units[0]["level"] == "province" and units[0]["parent_code"] is None
    assert units[0]["valid_from"] == "2025-07-01" and units[0]["valid_to"] is None
    levels = [u["level"] for u in units]
    assert levels == ["province"] + ["commune"] * 65 + ["agency"] * 17


def test_list_filters_by_level_parent_and_accent_free_text(
    client: TestClient, lang_son: Session
) -> None:
    headers = auth(lang_son, "viewer", "20")
    communes = client.get(f"{API}/org-units", params={"level": "commune"}, headers=headers)
    assert len(codes(communes)) == 65
    assert {u["parent_code"] for u in communes.json()} == {"20"}
    children = client.get(f"{API}/org-units", params={"parent": "20"}, headers=headers).json()
    assert "20" not in {u["code"] for u in children}
    assert {u["parent_code"] for u in children} == {"20"}
    assert {"05977", "20.SYT"} <= {u["code"] for u in children}
    for q in ("dong kinh", "Đông Kinh", "ĐÔNG KINH"):
        found = codes(client.get(f"{API}/org-units", params={"q": q}, headers=headers))
        assert "05977" in found, q
        assert "06187" not in found
    assert codes(client.get(f"{API}/org-units", params={"q": "05977"}, headers=headers)) == [
        "05977"
    ]


def test_list_rejects_an_unknown_level(client: TestClient, lang_son: Session) -> None:
    response = client.get(
        f"{API}/org-units", params={"level": "district"}, headers=auth(lang_son, "viewer", "20")
    )
    assert failure(response) == (422, "validation_error")


def test_one_unit_has_its_boundary_and_what_it_was_formed_from(
    client: TestClient, lang_son: Session
) -> None:
    response = client.get(f"{API}/org-units/05977", headers=auth(lang_son, "viewer", "20"))
    assert response.status_code == 200
    unit = response.json()
    assert unit["name"] == "Phường Đông Kinh" and unit["level"] == "commune"
    assert unit["geometry"]["type"] in ("Polygon", "MultiPolygon")
    lon, lat = first_point(unit["geometry"])
    assert 106 < lon < 107.5 and 21 < lat < 22.6  # Lạng Sơn, lon/lat order
    assert "Phường Vĩnh Trại (Thành phố Lạng Sơn)" in unit["formed_from"]
    assert len(unit["formed_from"]) == 4


def test_an_unknown_unit_is_a_json_404(client: TestClient, lang_son: Session) -> None:
    response = client.get(
        f"{API}/org-units/99999",
        headers=auth(lang_son, "viewer", "20") | {"Accept-Language": "en"},
    )
    assert response.status_code == 404
    body = response.json()
    assert body["error"] == "org_unit_not_found"
    assert body["details"] == {"code": "99999"}
    assert "99999" in body["message"]


def test_provinces_are_the_official_34(client: TestClient, lang_son: Session) -> None:
    response = client.get(f"{API}/provinces", headers=auth(lang_son, "viewer", "20"))
    provinces = {p["code"]: p for p in response.json()}
    assert len(provinces) == 34
    assert provinces["20"]["name"] == "Tỉnh Lạng Sơn"
    assert provinces["20"]["commune_count"] == 65 and provinces["20"]["has_boundaries"]


def test_old_names_find_the_commune_they_became(client: TestClient, lang_son: Session) -> None:
    headers = auth(lang_son, "viewer", "20")
    for q in ("Vĩnh Trại", "vinh trai"):
        response = client.get(f"{API}/org-units/old-names", params={"q": q}, headers=headers)
        assert response.status_code == 200
        found = response.json()
        assert {r["new_code"] for r in found} == {"05977"}, q
        assert found[0]["old"] == "Phường Vĩnh Trại (Thành phố Lạng Sơn)"
        assert found[0]["new_name"] == "Phường Đông Kinh" and found[0]["province_code"] == "20"
    nothing = client.get(f"{API}/org-units/old-names", params={"q": "x"}, headers=headers)
    assert nothing.status_code == 422  # at least two characters


# --- scope ------------------------------------------------------------------------------


def test_a_commune_officer_sees_only_its_own_commune(client: TestClient, lang_son: Session) -> None:
    headers = auth(lang_son, "commune_officer", "05977")
    listed = client.get(f"{API}/org-units", params={"level": "commune"}, headers=headers)
    assert codes(listed) == ["05977"]
    everything = codes(client.get(f"{API}/org-units", headers=headers))
    assert everything[:2] == ["20", "05977"] and len(everything) == 2 + 17
    other = client.get(f"{API}/org-units/06187", headers=headers)
    assert failure(other) == (404, "org_unit_not_found")
    assert client.get(f"{API}/org-units/20.SYT", headers=headers).json()["name"] == "Sở Y tế"
    assert client.get(f"{API}/org-units/20", headers=headers).status_code == 200
    searched = client.get(f"{API}/org-units", params={"q": "ky lua"}, headers=headers)
    assert codes(searched) == []


def test_an_agency_officer_sees_every_commune(client: TestClient, lang_son: Session) -> None:
    headers = auth(lang_son, "agency_officer", "20.SYT")
    listed = client.get(f"{API}/org-units", params={"level": "commune"}, headers=headers)
    assert len(codes(listed)) == 65
    assert client.get(f"{API}/org-units/06187", headers=headers).status_code == 200


def test_boundaries_are_a_feature_collection_in_scope(
    client: TestClient, lang_son: Session
) -> None:
    province = client.get(
        f"{API}/org-units/boundaries",
        params={"level": "commune"},
        headers=auth(lang_son, "viewer", "20"),
    ).json()
    assert province["type"] == "FeatureCollection" and len(province["features"]) == 65
    first = province["features"][0]
    assert first["type"] == "Feature" and first["id"] == first["properties"]["code"]
    assert first["geometry"]["type"] in ("Polygon", "MultiPolygon")
    assert {f["properties"]["level"] for f in province["features"]} == {"commune"}
    commune = client.get(
        f"{API}/org-units/boundaries",
        params={"level": "commune"},
        headers=auth(lang_son, "commune_officer", "05977"),
    ).json()
    assert [f["id"] for f in commune["features"]] == ["05977"]


# --- edits ------------------------------------------------------------------------------


def test_a_steward_renames_an_agency_with_an_audit_entry(
    client: TestClient, lang_son: Session
) -> None:
    response = client.patch(
        f"{API}/org-units/20.SYT",
        json={"name": "  Sở Y tế   tỉnh Lạng Sơn "},
        headers=auth(lang_son, "data_steward", "20", "dulieu"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Sở Y tế tỉnh Lạng Sơn"
    assert stored(lang_son, "20.SYT").name == "Sở Y tế tỉnh Lạng Sơn"
    entry = lang_son.execute(
        select(AuditEntry).where(AuditEntry.target_id == "20.SYT")
    ).scalar_one()
    assert entry.action == "org_unit.update" and entry.actor == "dulieu"
    assert entry.before == {"name": "Sở Y tế"}
    assert entry.after == {"name": "Sở Y tế tỉnh Lạng Sơn"}
    # The new name is searchable at once.
    found = client.get(
        f"{API}/org-units",
        params={"q": "y te tinh lang son"},
        headers=auth(lang_son, "viewer", "20"),
    )
    assert codes(found) == ["20.SYT"]


def test_a_commune_keeps_its_official_name_but_can_be_retired(
    client: TestClient, lang_son: Session
) -> None:
    headers = auth(lang_son, "data_steward", "20")
    refused = client.patch(f"{API}/org-units/05977", json={"name": "Phường Mới"}, headers=headers)
    assert failure(refused) == (422, "field_not_editable")
    assert refused.json()["details"] == {"field": "name", "editable": ["valid_to"]}
    assert stored(lang_son, "05977").name == "Phường Đông Kinh"
    retired = client.patch(
        f"{API}/org-units/05977", json={"valid_to": "2030-12-31"}, headers=headers
    )
    assert retired.status_code == 200 and retired.json()["valid_to"] == "2030-12-31"
    assert stored(lang_son, "05977").valid_to == date(2030, 12, 31)
    assert audit_actions(lang_son, "org_unit.") == ["org_unit.update"]


def test_a_viewer_may_not_edit(client: TestClient, lang_son: Session) -> None:
    response = client.patch(
        f"{API}/org-units/20.SYT",
        json={"name": "Sở Y tế mới"},
        headers=auth(lang_son, "viewer", "20"),
    )
    assert failure(response) == (403, "forbidden")
    assert response.json()["details"] == {"permission": "org.write"}
    assert stored(lang_son, "20.SYT").name == "Sở Y tế"


def test_an_agency_steward_may_not_edit_another_agency(
    client: TestClient, lang_son: Session
) -> None:
    headers = auth(lang_son, "data_steward", "20.SGDDT")
    other = client.patch(f"{API}/org-units/20.SYT", json={"sector": "y_te"}, headers=headers)
    assert failure(other) == (403, "org_unit_out_of_scope")
    own = client.patch(
        f"{API}/org-units/20.SGDDT", json={"short_name": "Sở Giáo dục"}, headers=headers
    )
    assert own.status_code == 200 and own.json()["short_name"] == "Sở Giáo dục"
    assert audit_actions(lang_son, "org_unit.") == ["org_unit.update"]


def test_a_steward_adds_an_agency_once(client: TestClient, lang_son: Session) -> None:
    headers = auth(lang_son, "data_steward", "20")
    body = {"province_code": "20", "abbr": "abc", "name": "Ban Quản lý dự án ABC"}
    created = client.post(f"{API}/org-units", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["code"] == "20.ABC" and created.json()["parent_code"] == "20"
    assert created.json()["level"] == "agency"
    assert stored(lang_son, "20.ABC").name == "Ban Quản lý dự án ABC"
    again = client.post(f"{API}/org-units", json=body, headers=headers)
    assert failure(again) == (409, "org_unit_exists")
    assert audit_actions(lang_son, "org_unit.") == ["org_unit.create"]
    assert count_units(lang_son, level="agency") == 18


def test_only_the_province_adds_agencies(client: TestClient, lang_son: Session) -> None:
    body = {"province_code": "20", "abbr": "XYZ", "name": "Ban XYZ"}
    response = client.post(
        f"{API}/org-units", json=body, headers=auth(lang_son, "data_steward", "20.SYT")
    )
    assert failure(response) == (403, "org_unit_out_of_scope")
    assert count_units(lang_son, code="20.XYZ") == 0


# --- boundary import --------------------------------------------------------------------


def test_import_the_province_boundary_file(
    client: TestClient, lang_son: Session, shared_data: Path
) -> None:
    response = client.post(
        f"{API}/org-units/boundaries",
        content=boundary_text(shared_data, "20").encode(),
        headers=auth(lang_son, "data_steward", "20") | {"Content-Type": "application/json"},
    )
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["features"] == 66
    assert report["matched_by_code"] + report["matched_by_name"] == 66
    assert report["matched_levels"] == {"province": 1, "commune": 65}
    assert report["unmatched"] == [] and report["units_without_boundary"] == []
    assert report["outcome"] == "all_loaded"
    assert stored(lang_son, "05977").geometry_source == "API import"
    assert audit_actions(lang_son, "org.import") == ["org.import_boundaries"]


def test_import_refuses_what_is_not_a_feature_collection(
    client: TestClient, lang_son: Session
) -> None:
    before = stored(lang_son, "05977").geometry
    response = client.post(
        f"{API}/org-units/boundaries",
        json={"type": "Feature", "properties": {"code": "05977"}, "geometry": None},
        headers=auth(lang_son, "data_steward", "20"),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_geojson"
    assert body["details"] == {"reason": "not_a_feature_collection", "found": "Feature"}
    assert stored(lang_son, "05977").geometry == before
    assert audit_actions(lang_son, "org.import") == []
