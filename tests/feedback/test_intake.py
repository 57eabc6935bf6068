"""Intake from every channel: validation, place, routing, sealed identity, rate limit."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from shapely.geometry import Point, shape
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.config import get_settings
from iocvn.core import pii
from iocvn.core.errors import Invalid
from iocvn.feedback import cases, intake, routing
from iocvn.feedback.intake import NewReport, Photo, RateLimited, submit
from iocvn.feedback.models import Feedback, FeedbackEvent, FeedbackPhoto
from iocvn.org.models import OrgUnit
from tests.factories.feedback import ACTOR, CITIZEN, DONG_KINH, PHONE, TAM_THANH, province, report
from tests.feedback.test_photos import jpeg_with_gps

NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)  # Monday 09:00 in Hà Nội


@pytest.fixture
def lang_son(session: Session) -> Session:
    return province(session)


def test_a_report_is_located_routed_timed_and_audited(lang_son: Session) -> None:
    done = report(lang_son, now=NOW)
    case = done.case
    assert case.code.startswith("PA-26-") and len(case.code) == 13
    assert (case.area_code, case.org_code) == ("05977", "05977")  # the commune handles roads
    assert case.status == "received" and case.stage == "accept"
    # Accept within 8 working hours: Monday 09:00–11:30 and 13:30–17:00 (6 h), then Tuesday
    # 07:30–09:30 (2 h): Tuesday 09:30 in Hà Nội.
    assert case.deadline_at == datetime(2026, 12, 1, 2, 30, tzinfo=UTC)
    event = lang_son.execute(select(FeedbackEvent)).scalar_one()
    assert (event.kind, event.public) == ("received", True)
    entry = lang_son.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.receive")
    ).scalar_one()
    assert entry.target_id == case.id
    assert cases.get_public(lang_son, case.code).id == case.id


def test_sector_rules_route_to_the_agency(lang_son: Session) -> None:
    case = report(lang_son, "Trạm y tế phường đóng cửa giờ hành chính, không có ai trực.",
                  category="y_te", now=NOW).case  # fmt: skip
    assert case.org_code == "20.SYT"
    routing.set_rule(lang_son, ACTOR, org_code="20.SXD", category_code="giao_thong",
                     area_code="05986")  # fmt: skip
    here = report(lang_son, lat=TAM_THANH[0], lon=TAM_THANH[1], now=NOW).case
    there = report(lang_son, now=NOW).case
    assert (here.area_code, here.org_code) == ("05986", "20.SXD")  # child category inherits
    assert there.org_code == "05977"


def test_two_reports_a_few_metres_apart_across_a_ward_border_go_to_each_ward(
    lang_son: Session,
) -> None:
    """Real boundaries (../shared/data): where Đông Kinh's and Tam Thanh's outlines meet, two
    points 15 m from it on either side of the border, each routed to its own ward."""
    shapes = {code: shape(geometry) for code, geometry in lang_son.execute(
        select(OrgUnit.code, OrgUnit.geometry).where(OrgUnit.code.in_(("05977", "05986")))
    )}  # fmt: skip
    border = shapes["05977"].boundary.intersection(shapes["05986"].boundary)
    assert not border.is_empty, "the two wards share a border"
    on = border.representative_point()  # a point where the two outlines meet
    step = 15 * 0.9e-5  # about 15 m in degrees, near enough at 22° N
    angles = [a / 8 * math.pi for a in range(16)]
    around = [Point(on.x + step * math.cos(a), on.y + step * math.sin(a)) for a in angles]
    inside = {code: next(p for p in around if shapes[code].contains(p)) for code in shapes}
    for code, point in inside.items():
        case = report(lang_son, lat=point.y, lon=point.x, now=NOW).case
        assert (case.area_code, case.org_code) == (code, code)  # each ward handles its roads
    assert inside["05977"].distance(inside["05986"]) < 2 * step


def test_an_address_with_a_pre_2025_name_locates_the_case(lang_son: Session) -> None:
    case = report(lang_son, lat=None, lon=None, address="Ngõ 3 Tam Thanh, phường Vĩnh Trại",
                  now=NOW).case  # fmt: skip
    assert (case.area_code, case.located_by, case.lat) == ("05977", "address", None)


def test_the_photos_position_is_used_when_no_point_is_given(lang_son: Session) -> None:
    shot = Photo(jpeg_with_gps(*DONG_KINH), "o-ga.jpg")
    case = report(lang_son, lat=None, lon=None, photos=[shot], now=NOW).case
    assert case.located_by == "photo" and case.area_code == "05977"
    stored = lang_son.execute(select(FeedbackPhoto)).scalar_one()
    assert b"Exif" not in stored.data


def test_identity_is_sealed_and_found_only_by_keyed_hash(lang_son: Session) -> None:
    case = report(lang_son, email="Hoa.NT@example.vn", id_number="001203004567", now=NOW).case
    lang_son.commit()
    raw = lang_son.execute(text("SELECT * FROM feedback")).one()
    dump = " ".join(str(v) for v in raw)
    for secret in ("0912345678", "912345678", "Nguyễn Thị Hoa", "Hoa.NT", "hoa.nt@example.vn",
                   "001203004567"):  # fmt: skip
        assert secret not in dump
    keys = get_settings().data_keys
    assert pii.open_sealed(case.reporter_phone or "", keys, "feedback.phone") == "0912345678"
    found = cases.find_by_phone(lang_son, "+84 912 345 678", keys, None)
    assert [c.id for c in found] == [case.id]
    masked = cases.masked_contacts(case, keys)
    assert masked["phone"] == "09******78" and masked["name"] == "N. T. H."
    assert masked["pseudonym"].startswith("Người phản ánh ")


def test_anonymous_means_nothing_kept(lang_son: Session) -> None:
    case = report(lang_son, anonymous=True, email="a@b.vn", now=NOW).case
    assert case.anonymous
    assert case.reporter_name is case.reporter_phone is case.reporter_email is None
    assert case.phone_index is None


def test_text_is_stored_as_written_and_never_interpreted(lang_son: Session) -> None:
    evil = "<script>alert('x')</script> Cống bị tắc\x00 gây ngập"
    case = report(lang_son, evil, category="cap_thoat_nuoc", now=NOW).case
    assert case.description == "<script>alert('x')</script> Cống bị tắc gây ngập"


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"category": "khong_co"}, "unknown_category"),
        ({"lat": None, "lon": None}, "location_required"),
        ({"lat": 21.0278, "lon": 105.8342}, "outside_province"),  # Hà Nội
        ({"lat": 95.0, "lon": 106.0}, "invalid_coordinates"),
        ({"description": "ngắn"}, "description_length"),
        ({"email": "not-an-email"}, "invalid_email"),
        ({"phone": "12"}, "invalid_phone"),
        ({"photos": [Photo(b"%PDF-1.4", "a.pdf")]}, "photo_not_image"),
        ({"photos": [Photo(jpeg_with_gps(), str(i)) for i in range(6)]}, "too_many_photos"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_stored(
    lang_son: Session, fields: dict[str, object], error: str
) -> None:
    with pytest.raises(Invalid) as refused:
        report(lang_son, **fields)  # type: ignore[arg-type]
    assert refused.value.code == error
    lang_son.rollback()
    assert lang_son.execute(select(Feedback)).first() is None


def test_a_flood_from_one_source_is_rate_limited(lang_son: Session) -> None:
    settings = get_settings()
    for i in range(settings.feedback_per_hour):
        report(lang_son, source_key="ip:203.0.113.9", now=NOW + timedelta(minutes=i))
    with pytest.raises(RateLimited) as limited:
        report(lang_son, source_key="ip:203.0.113.9", now=NOW + timedelta(minutes=30))
    assert limited.value.status == 429
    assert limited.value.details["retry_after_minutes"] == 31
    report(lang_son, source_key="ip:198.51.100.1", now=NOW + timedelta(minutes=30))
    report(lang_son, source_key="ip:203.0.113.9", now=NOW + timedelta(minutes=61))


def test_staff_intake_records_the_channel(lang_son: Session) -> None:
    done = submit(
        lang_son, get_settings(), "20",
        NewReport("Người dân gọi đường dây nóng báo đèn đường hỏng cả dãy phố.",
                  category="dien_chieu_sang", address="phường Đông Kinh", phone=PHONE),
        channel="hotline", actor=CITIZEN, now=NOW,
    )  # fmt: skip
    assert done.case.channel == "hotline"
    with pytest.raises(Invalid):
        submit(lang_son, get_settings(), "20", NewReport("Một phản ánh đủ dài để lưu."),
               channel="fax", actor=CITIZEN)  # fmt: skip


def test_a_taken_code_is_drawn_again(
    lang_son: Session, statements: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = report(lang_son, now=NOW).case.code
    draws = iter([taken, "PA-26-7KQ4M2X"])
    monkeypatch.setattr(intake, "_new_code", lambda _now: next(draws))
    statements.clear()
    case = report(lang_son, now=NOW + timedelta(minutes=1)).case  # submit, then a flush
    inserts = [s for s in statements if s.lstrip().startswith("INSERT INTO feedback ")]
    assert next(draws, None) is None  # both codes drawn
    assert len(inserts) == 2  # one statement a try: the taken code wrote nothing, no ORM insert
    assert case.code == "PA-26-7KQ4M2X"
    events = lang_son.execute(
        select(FeedbackEvent.kind).where(FeedbackEvent.feedback_id == case.id)
    ).all()
    assert events == [("received",)]
    entry = lang_son.execute(
        select(AuditEntry).where(
            AuditEntry.action == "feedback.receive", AuditEntry.target_id == case.id
        )
    ).scalar_one()
    assert (entry.after or {}).get("code") == "PA-26-7KQ4M2X"
    lang_son.commit()
    codes = lang_son.execute(select(Feedback.code).order_by(Feedback.received_at)).scalars()
    assert list(codes) == [taken, "PA-26-7KQ4M2X"]


def test_the_submitted_case_is_loaded_and_in_the_session(
    lang_son: Session, statements: list[str]
) -> None:
    case = intake.submit(
        lang_son, get_settings(), "20",
        NewReport("Ổ gà lớn giữa đường, xe máy đi qua rất dễ ngã, đề nghị sửa sớm.",
                  lat=DONG_KINH[0], lon=DONG_KINH[1], phone=PHONE, category="giao_thong.o_ga"),
        channel="web", actor=CITIZEN, now=NOW,
    ).case  # fmt: skip
    state = inspect(case)
    assert state.persistent and case in lang_son
    assert not state.expired_attributes and not state.unloaded and not state.modified
    statements.clear()
    values = (case.status, case.stage, case.org_code, case.received_at, case.reopen_count)
    lang_son.flush()
    assert values == ("received", "accept", "05977", NOW, 0)
    assert statements == []  # read from memory, and the flush writes no second copy
    case.priority = "high"  # then changed like any loaded case
    lang_son.commit()
    assert lang_son.execute(select(Feedback.priority)).scalar_one() == "high"
    assert lang_son.get(Feedback, case.id) is case  # the session's own copy
