"""Organisation service: seeding from the official list, agencies, queries, old→new lookup."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.audit.service import verify
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.i18n import catalogue, t
from iocvn.org import service
from iocvn.org.models import OrgUnit
from iocvn.org.official import BOUNDARY_SOURCE, fold, package_formed_from, strip_unit_type
from iocvn.org.schemas import OrgUnitOut, OrgUnitUpdate, SeedReport
from tests.factories.org import (
    ACTOR,
    agency,
    audit_actions,
    boundary_file,
    count_units,
    seed,
    square,
)

TODAY = date(2026, 3, 1)


# --- the official list ------------------------------------------------------------------


def test_list_provinces_is_the_official_34() -> None:
    provinces = {p.code: p for p in service.list_provinces()}
    assert len(provinces) == 34
    assert sum(p.commune_count for p in provinces.values()) == 3321
    lang_son = provinces["20"]
    assert (lang_son.name, lang_son.short_name, lang_son.unit_type) == (
        "Tỉnh Lạng Sơn",
        "Lạng Sơn",
        "Tỉnh",
    )
    assert lang_son.commune_count == 65
    assert lang_son.has_boundaries
    assert provinces["01"].unit_type == "Thành phố"
    assert not provinces["01"].has_boundaries


def test_package_mapping_agrees_with_the_official_lang_son_file(shared_data: Path) -> None:
    """The package's old→new table against the official merger list (Lạng Sơn's 65 units).

    They agree on every unit but Xã Đồng Đăng, where the package also gives it a part of
    Xã Hồng Phong (huyện Bình Gia); the official list merges that commune whole into the new
    Xã Hồng Phong. iocvn therefore seeds the official list where it ships one.
    """

    def wards(labels: list[str]) -> list[str]:
        return sorted(fold(re.sub(r"^một phần | \(.*\)$", "", label)) for label in labels)

    package = package_formed_from("20")
    official = {
        f["properties"]["code"]: [
            p.strip() for p in f["properties"]["formed_from"].split(",") if p.strip()
        ]
        for f in boundary_file(shared_data, "20")["features"][1:]
    }
    assert set(package) == set(official)
    differ = {code for code in official if wards(package[code]) != wards(official[code])}
    assert differ == {"06184"}
    assert set(wards(package["06184"])) == set(wards(official["06184"]))  # same names...
    assert "một phần Xã Hồng Phong (Huyện Bình Gia)" in package["06184"]  # ...plus a part
    # Where the official list names a district, the package names the same one.
    for code, items in official.items():
        for item in items:
            if match := re.fullmatch(r"(.+) \(huyện (.+)\)", item):
                ward, district = match.groups()
                assert any(f"{ward} (Huyện {district})" in label for label in package[code])


# --- seeding ----------------------------------------------------------------------------


def test_seed_lang_son_creates_province_communes_and_agencies(session: Session) -> None:
    report = seed(session)
    assert (report.communes, report.agencies, report.boundaries) == (65, 17, 66)
    assert len(report.created) == 83
    assert report.updated == []
    assert report.unchanged == 0
    assert count_units(session, level="province") == 1
    assert count_units(session, level="commune", parent_code="20") == 65
    assert count_units(session, level="agency", province_code="20") == 17

    province = service.get_org_unit(session, "20")
    assert (province.name, province.short_name, province.unit_type) == (
        "Tỉnh Lạng Sơn",
        "Lạng Sơn",
        "Tỉnh",
    )
    assert province.parent_code is None
    assert province.geometry is not None

    ward = service.get_org_unit(session, "05977")
    assert (ward.name, ward.short_name, ward.unit_type, ward.level) == (
        "Phường Đông Kinh",
        "Đông Kinh",
        "Phường",
        "commune",
    )
    assert (ward.parent_code, ward.province_code, ward.valid_from) == ("20", "20", date(2025, 7, 1))
    assert ward.valid_to is None
    assert ward.area_km2 == pytest.approx(54.71)
    assert 21.7 < (ward.lat or 0) < 21.9
    assert 106.7 < (ward.lon or 0) < 106.9
    assert ward.formed_from == [
        "Phường Vĩnh Trại (Thành phố Lạng Sơn)",
        "Phường Đông Kinh (Thành phố Lạng Sơn)",
        "Xã Yên Trạch (Huyện Cao Lộc)",
        "Xã Mai Pha (Thành phố Lạng Sơn)",
    ]
    assert ward.geometry is not None
    assert ward.geometry["type"] == "Polygon"
    assert ward.geometry_source == BOUNDARY_SOURCE
    assert ward.search_key == "dong kinh|phuong dong kinh"
    # One readable summary entry, not 83.
    assert audit_actions(session) == ["org.seed"]
    entry = session.execute(select(AuditEntry)).scalar_one()
    assert (entry.target_id, entry.actor) == ("20", "tester")
    assert entry.after is not None
    assert entry.after["created"] == 83


def test_every_seeded_commune_is_complete(session: Session, shared_data: Path) -> None:
    seed(session)
    communes = service.list_org_units(session, level="commune", limit=100)
    assert len(communes) == 65
    types = {c.unit_type for c in communes}
    assert types == {"Xã", "Phường"}
    for commune in communes:
        assert re.fullmatch(r"\d{5}", commune.code)
        assert commune.name == f"{commune.unit_type} {commune.short_name}"
        assert commune.formed_from, commune.code
        assert commune.geometry_source == BOUNDARY_SOURCE
    official = boundary_file(shared_data, "20")
    first = official["features"][1]["properties"]
    unit = service.get_org_unit(session, first["code"])
    assert unit.name == first["name"]


def test_seeded_agencies_have_codes_sectors_and_the_ioc(session: Session) -> None:
    seed(session)
    agencies = {u.code: u for u in service.list_org_units(session, level="agency")}
    assert agencies["20.SYT"].name == "Sở Y tế"
    assert agencies["20.SYT"].sector == "y_te"
    assert agencies["20.SGDDT"].sector == "giao_duc"
    assert agencies["20.SNNMT"].name == "Sở Nông nghiệp và Môi trường"
    assert agencies["20.SVHTTDL"].name == "Sở Văn hóa, Thể thao và Du lịch"
    assert agencies["20.VPUBND"].name == "Văn phòng Ủy ban nhân dân tỉnh"
    assert agencies["20.CA"].name == "Công an tỉnh"
    assert agencies["20.BCHQS"].name == "Bộ Chỉ huy Quân sự tỉnh"
    assert agencies["20.IOC"].parent_code == "20.SKHCN"
    assert all(u.parent_code == "20" for c, u in agencies.items() if c != "20.IOC")
    assert all(
        u.sector and t(f"org.sector.{u.sector}") != f"org.sector.{u.sector}"
        for u in agencies.values()
    )


def test_city_agencies_say_thanh_pho(session: Session) -> None:
    seed(session, "92")  # Thành phố Cần Thơ
    assert service.get_org_unit(session, "92.VPUBND").name == "Văn phòng Ủy ban nhân dân thành phố"
    assert service.get_org_unit(session, "92").unit_type == "Thành phố"


def test_reseed_is_idempotent(session: Session) -> None:
    seed(session)
    again = seed(session)
    assert (again.created, again.updated, again.closed) == ([], [], [])
    assert again.unchanged == 83
    assert count_units(session) == 83
    assert audit_actions(session) == ["org.seed"]  # nothing changed, nothing logged


def test_reseed_restores_official_fields_and_audits_each_change(session: Session) -> None:
    seed(session)
    ward = service.get_org_unit(session, "05977")
    ward.name = "Phường Đông Kinh cũ"
    ward.formed_from = []
    session.commit()
    report = seed(session)
    assert report.updated == ["05977"]
    assert report.created == []
    assert service.get_org_unit(session, "05977").name == "Phường Đông Kinh"
    assert audit_actions(session) == ["org.seed", "org_unit.update", "org.seed"]
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "org_unit.update")
    ).scalar_one()
    assert entry.before == {"name": "Phường Đông Kinh cũ", "formed_from": []}
    assert entry.after is not None
    assert entry.after["name"] == "Phường Đông Kinh"
    assert verify(session).ok


def test_reseed_keeps_imported_boundaries_and_edited_agencies(session: Session) -> None:
    seed(session)
    ward = service.get_org_unit(session, "05977")
    ward.geometry, ward.geometry_source = square(106.77, 21.8), "Sở NN&MT 2026"
    service.update_org_unit(session, "20.IOC", OrgUnitUpdate(parent_code="20.VPUBND"), ACTOR)
    session.commit()
    report = seed(session)
    assert report.updated == []
    ward = service.get_org_unit(session, "05977")
    assert ward.geometry_source == "Sở NN&MT 2026"
    assert ward.geometry == square(106.77, 21.8)
    assert service.get_org_unit(session, "20.IOC").parent_code == "20.VPUBND"


def test_reseed_closes_communes_that_left_the_list(session: Session) -> None:
    seed(session)
    session.add(
        OrgUnit(
            code="99999",
            name="Xã Cũ",
            short_name="Cũ",
            level="commune",
            parent_code="20",
            province_code="20",
            valid_from=date(2025, 7, 1),
            formed_from=[],
        )
    )
    session.commit()
    report = seed_today(session, date(2026, 1, 10))
    assert report.closed == ["99999"]
    assert service.get_org_unit(session, "99999").valid_to == date(2026, 1, 9)
    current = service.list_org_units(session, level="commune", limit=500, today=TODAY)
    assert "99999" not in {u.code for u in current}
    everything = service.list_org_units(session, level="commune", include_expired=True, limit=500)
    assert "99999" in {u.code for u in everything}
    assert audit_actions(session)[-2:] == ["org_unit.close", "org.seed"]


def seed_today(session: Session, today: date) -> SeedReport:
    report = service.seed_province(session, "20", ACTOR, today=today)
    session.commit()
    return report


def test_seed_unknown_province(session: Session) -> None:
    with pytest.raises(NotFound) as caught:
        service.seed_province(session, "63", ACTOR)
    error = caught.value
    assert (error.code, error.status) == ("unknown_province", 404)
    assert len(error.details["valid_codes"]) == 34
    assert "20" in error.details["valid_codes"]
    assert "63" in t(error.message_key, "en", **error.params)
    assert count_units(session) == 0


def test_seed_province_without_shipped_boundaries(session: Session) -> None:
    report = seed(session, "12")
    assert (report.communes, report.boundaries) == (38, 0)
    ward = service.get_org_unit(session, "03388")
    assert ward.name == "Phường Đoàn Kết"
    assert ward.geometry is None
    assert ward.formed_from
    assert all("(" in label for label in ward.formed_from)


# --- queries ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "q",
    [
        "dong kinh",
        "Đông Kinh",
        "ĐÔNG KINH",
        "  phuong   dong kinh ",
        "05977",
        unicodedata.normalize("NFD", "Phường Đông Kinh"),
    ],
)
def test_search_is_accent_insensitive(session: Session, q: str) -> None:
    seed(session)
    found = service.list_org_units(session, q=q, today=TODAY)
    assert [u.code for u in found] == ["05977"]


def test_search_finds_agencies_by_name_and_abbreviation(session: Session) -> None:
    seed(session)
    assert [u.code for u in service.list_org_units(session, q="y te", today=TODAY)] == ["20.SYT"]
    assert [u.code for u in service.list_org_units(session, q="SYT", today=TODAY)] == ["20.SYT"]
    assert {u.code for u in service.list_org_units(session, q="giám sát", today=TODAY)} == {
        "20.IOC"
    }


def test_list_order_filters_and_paging(session: Session) -> None:
    seed(session)
    units = service.list_org_units(session, limit=500, today=TODAY)
    assert len(units) == 83
    assert [u.level for u in units[:2]] == ["province", "commune"]
    communes = [u for u in units if u.level == "commune"]
    assert [u.search_key for u in communes] == sorted(u.search_key for u in communes)
    assert communes[0].short_name == "Ba Sơn"
    page = service.list_org_units(session, level="commune", limit=10, offset=10, today=TODAY)
    assert [u.code for u in page] == [u.code for u in communes[10:20]]
    children = service.list_org_units(session, parent="20.SKHCN", today=TODAY)
    assert [u.code for u in children] == ["20.IOC"]
    scoped = service.list_org_units(
        session, scope_filter=OrgUnit.code.in_(["05977", "20.SYT"]), today=TODAY
    )
    assert [u.code for u in scoped] == ["05977", "20.SYT"]
    assert OrgUnitOut.model_validate(scoped[0]).name == "Phường Đông Kinh"


def test_list_rejects_bad_parameters(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        service.list_org_units(session, level="district")
    assert caught.value.code == "invalid_level"
    with pytest.raises(Invalid) as caught:
        service.list_org_units(session, limit=0)
    assert caught.value.code == "invalid_pagination"


def test_get_org_unit_not_found(session: Session) -> None:
    with pytest.raises(NotFound) as caught:
        service.get_org_unit(session, "00000")
    assert (caught.value.code, caught.value.details) == ("org_unit_not_found", {"code": "00000"})


# --- old → new ----------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["Vĩnh Trại", "vinh trai", "Phường Vĩnh Trại", "VĨNH TRẠI"])
def test_old_to_new_finds_the_current_ward(session: Session, query: str) -> None:
    seed(session)
    found = service.old_to_new(session, query)
    assert [(f.old, f.new_code, f.new_name) for f in found] == [
        ("Phường Vĩnh Trại (Thành phố Lạng Sơn)", "05977", "Phường Đông Kinh")
    ]
    # The same answer straight from the official list, before anything is seeded.
    assert service.old_to_new(None, query, "20") == found


def test_old_to_new_tells_same_names_apart_by_district(session: Session) -> None:
    seed(session)
    both = service.old_to_new(session, "Xã Hồng Phong")
    assert {(f.old, f.new_name) for f in both} == {
        ("Xã Hồng Phong (Huyện Bình Gia)", "Xã Hồng Phong"),
        ("Xã Hồng Phong (Huyện Cao Lộc)", "Xã Đồng Đăng"),
    }
    one = service.old_to_new(session, "Hòa Bình (huyện Hữu Lũng)")
    assert [(f.new_code, f.new_name) for f in one] == [("06391", "Xã Yên Bình")]
    assert [f.new_code for f in service.old_to_new(session, "hoa binh, huu lung")] == ["06391"]


def test_old_to_new_without_session_searches_all_provinces() -> None:
    found = service.old_to_new(None, "Phường Quang Trung", "08")
    assert found
    assert {f.province_code for f in found} == {"08"}
    assert {f.province_code for f in service.old_to_new(None, "Quang Trung")} > {"08"}
    assert service.old_to_new(None, "   ") == []
    with pytest.raises(NotFound):
        service.old_to_new(None, "Vĩnh Trại", "99")


# --- agencies and edits -----------------------------------------------------------------


def test_create_agency(session: Session) -> None:
    seed(session)
    unit = agency(session, "bqlkkt", sector="cong_thuong", short_name="BQL KKT")
    assert (unit.code, unit.level, unit.parent_code, unit.sector) == (
        "20.BQLKKT",
        "agency",
        "20",
        "cong_thuong",
    )
    assert "ban quan ly khu kinh te cua khau" in unit.search_key
    assert audit_actions(session)[-1] == "org_unit.create"
    with pytest.raises(Conflict) as caught:
        agency(session, "BQLKKT")
    assert caught.value.code == "org_unit_exists"
    with pytest.raises(Invalid) as caught:
        agency(session, "BQL-KKT")
    assert caught.value.code == "invalid_agency_code"
    with pytest.raises(NotFound):
        agency(session, "ABC", province_code="99")
    with pytest.raises(Invalid) as caught:
        agency(session, "ABC", parent_code="05977")  # a commune cannot hold an agency
    assert caught.value.code == "invalid_parent"
    child = agency(session, "TTYT", name="Trung tâm Kiểm soát bệnh tật", parent_code="20.SYT")
    assert child.parent_code == "20.SYT"


def test_update_agency_is_audited_with_changed_fields_only(session: Session) -> None:
    seed(session)
    changes = OrgUnitUpdate(name="Sở Y tế tỉnh Lạng Sơn", sector="y_te")
    unit = service.update_org_unit(session, "20.SYT", changes, ACTOR)
    assert unit.name == "Sở Y tế tỉnh Lạng Sơn"
    assert unit.search_key.startswith("so y te tinh lang son|")
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "org_unit.update")
    ).scalar_one()
    assert (entry.target_id, entry.before, entry.after) == (
        "20.SYT",
        {"name": "Sở Y tế"},
        {"name": "Sở Y tế tỉnh Lạng Sơn"},
    )
    service.update_org_unit(session, "20.SYT", changes, ACTOR)  # no change: no entry
    assert audit_actions(session, "org_unit.") == ["org_unit.update"]


def test_update_rules(session: Session) -> None:
    seed(session)
    with pytest.raises(Invalid) as caught:
        service.update_org_unit(session, "05977", OrgUnitUpdate(name="Phường Mới"), ACTOR)
    assert (caught.value.code, caught.value.details["editable"]) == (
        "field_not_editable",
        ["valid_to"],
    )
    retired = service.update_org_unit(
        session, "05977", OrgUnitUpdate(valid_to=date(2027, 1, 1)), ACTOR
    )
    assert retired.valid_to == date(2027, 1, 1)
    with pytest.raises(Invalid) as caught:
        service.update_org_unit(session, "05977", OrgUnitUpdate(valid_to=date(2024, 1, 1)), ACTOR)
    assert caught.value.code == "invalid_validity"
    with pytest.raises(Invalid) as caught:  # Sở KH&CN under its own IOC: a cycle
        service.update_org_unit(session, "20.SKHCN", OrgUnitUpdate(parent_code="20.IOC"), ACTOR)
    assert caught.value.code == "invalid_parent"
    with pytest.raises(Invalid) as caught:
        service.update_org_unit(session, "20.SYT", OrgUnitUpdate(name=None), ACTOR)
    assert caught.value.code == "field_required"
    with pytest.raises(ValueError, match="Extra inputs"):
        OrgUnitUpdate.model_validate({"code": "X"})


def test_error_codes_have_messages() -> None:
    keys = catalogue()
    for code in (
        "unknown_province",
        "org_unit_not_found",
        "org_unit_exists",
        "invalid_level",
        "invalid_pagination",
        "invalid_agency_code",
        "invalid_parent",
        "invalid_validity",
        "field_not_editable",
        "field_required",
        "invalid_geojson",
        "no_boundary_matched",
    ):
        vi, en = keys[f"error.{code}"]
        assert vi
        assert en
        assert vi != en


# --- the name normaliser ------------------------------------------------------------------

VIETNAMESE = {
    "a": "aàáảãạăằắẳẵặâầấẩẫậ",
    "e": "eèéẻẽẹêềếểễệ",
    "i": "iìíỉĩị",
    "o": "oòóỏõọôồốổỗộơờớởỡợ",
    "u": "uùúủũụưừứửữự",
    "y": "yỳýỷỹỵ",
    "d": "dđ",
}
PLAIN = {accented: base for base, letters in VIETNAMESE.items() for accented in letters}
vietnamese_text = st.text(
    alphabet=st.sampled_from(sorted(PLAIN) + list("bcghklmnpqrstvx ")), max_size=40
)


@given(st.text(max_size=60))
def test_fold_is_idempotent(text: str) -> None:
    once = fold(text)
    assert fold(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(vietnamese_text)
def test_fold_ignores_accents_case_and_normal_form(text: str) -> None:
    plain = "".join(PLAIN.get(ch, ch) for ch in text)
    assert fold(text) == " ".join(plain.split())
    assert fold(text.upper()) == fold(text)
    assert fold(unicodedata.normalize("NFD", text)) == fold(text)
    assert fold(text).isascii()


@given(vietnamese_text.filter(lambda name: fold(name) != ""))
def test_strip_unit_type_removes_only_a_leading_type(name: str) -> None:
    core = fold(name)
    assert strip_unit_type(f"Xã {name}") == core
    assert strip_unit_type(f"Phường {name}") == core
    assert strip_unit_type(f"Đặc khu {name}") == core
