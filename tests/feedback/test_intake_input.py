"""Intake's input, whatever the channel: invisible and decomposed text, which place wins
(a point, a photo taken in the province, an address naming a commune), half a coordinate,
updates without an address, over-long texts, the optional note of start/close, webhook
resends and addresses that name no commune."""

from __future__ import annotations

import re
import sys
import unicodedata
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.config import get_settings
from iocvn.core.errors import Invalid
from iocvn.core.i18n import t
from iocvn.feedback import intake
from iocvn.feedback.intake import NewReport, Photo, clean_text
from iocvn.feedback.models import Feedback
from tests.factories.auth import add_user, bearer
from tests.factories.feedback import CITIZEN, DONG_KINH, PHONE, province, report
from tests.factories.web import csrf_of, login
from tests.feedback.test_photos import jpeg_with_gps

ZWSP, ZWJ, ZWNJ, BOM, SHY, WJ = "\u200b", "\u200d", "\u200c", "\ufeff", "\u00ad", "\u2060"
INVISIBLE = ZWSP * 20
HANOI = (21.0278, 105.8342)
TEXT = "Người dân gọi báo nước sinh hoạt đục từ sáng nay."
NOWHERE = "Không rõ chỗ nào"
FAMILY = f"\U0001f468{ZWJ}\U0001f469{ZWJ}\U0001f467"  # man, woman, girl: one emoji
PASSWORD = "Mật-khẩu-đủ-mạnh-2026"


@pytest.fixture
def heads(session: Session) -> dict[str, dict[str, str]]:
    """Lạng Sơn, one case at Đông Kinh, and the staff and integration who call the API."""
    province(session)
    report(session)
    made = {
        "operator": bearer(session, "dieuhanh", "operator", "20"),
        "commune": bearer(session, "dongkinh", "commune_officer", "05977"),
        "integration": bearer(session, "zalo-oa", "integration", "20"),
    }
    session.commit()
    return made


def post(client: TestClient, heads: dict[str, dict[str, str]], route: str,
         **fields: Any) -> httpx.Response:  # fmt: skip
    """A hotline call from a commune officer, or the same report through the webhook."""
    call: dict[str, Any] = {"description": TEXT, "category": "cap_thoat_nuoc",
                            "address": "Phường Đông Kinh", "phone": PHONE}  # fmt: skip
    if route == "staff":
        return client.post("/api/v1/feedback", json=call | fields, headers=heads["commune"])
    call |= {"channel": "zalo"}
    return client.post("/api/v1/feedback/webhook", json=call | fields,
                       headers=heads["integration"])  # fmt: skip


def refused(response: httpx.Response, error: str, field: str | None = None) -> dict[str, Any]:
    """The body of a 422 with this error (and field), after checking them."""
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == error, body
    if field is not None:
        assert body["details"]["field"] == field, body
    return body


def stored(session: Session) -> int:
    """How many cases are stored."""
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(Feedback)).scalar_one())


def submit(session: Session, channel: str = "web", **fields: Any) -> Feedback:
    """A report through intake itself: at Đông Kinh, with no contact, unless told otherwise."""
    values: dict[str, Any] = {"description": TEXT, "lat": DONG_KINH[0], "lon": DONG_KINH[1]}
    return intake.submit(session, get_settings(), "20", NewReport(**(values | fields)),
                         channel=channel, actor=CITIZEN).case  # fmt: skip


# --- 1. invisible and decomposed text -------------------------------------------------------


def test_the_invisible_characters_removed_are_exactly_unicode_format_characters() -> None:
    """The class in intake is Unicode's Cf (but the zero-width joiner) of this Python."""
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    removed = set(intake._INVISIBLE.findall(every))  # the table under test
    formats = {c for c in every if unicodedata.category(c) == "Cf"}
    assert formats - removed == {ZWJ}
    assert {unicodedata.category(c) for c in removed - formats} <= {"Cc", "Cn"}  # Cn: Unicode 15
    assert not removed & set("\t\n\r ")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        (INVISIBLE, ""),
        (f"{ZWJ * 20}", ""),
        (f"{BOM}Ổ gà{ZWSP} lớn{SHY}{WJ}{ZWNJ}\u200e\u202e\x85\x00", "Ổ gà lớn"),
        (unicodedata.normalize("NFD", "Đường Bà Triệu ngập"), "Đường Bà Triệu ngập"),
        (f"Gia đình {FAMILY} và ❤️{ZWJ}🔥 {ZWJ}a{ZWJ}b", f"Gia đình {FAMILY} và ❤️{ZWJ}🔥 ab"),
        (f"\U0001f468{ZWJ}{ZWJ}\U0001f469", "\U0001f468\U0001f469"),
    ],
)
def test_text_is_stored_nfc_without_invisible_characters(raw: str, cleaned: str) -> None:
    assert clean_text(raw, 5000) == cleaned
    assert unicodedata.is_normalized("NFC", clean_text(raw, 5000))


def test_only_twenty_times_the_limit_is_read() -> None:
    assert clean_text(ZWSP * 200 + "abc", 10) == ""
    assert clean_text(ZWSP * 150 + "abc", 10) == "abc"


@pytest.mark.parametrize("channel", ["web", "open311", "hotline", "walk_in", "zalo", "webhook"])
def test_an_invisible_description_is_refused_on_every_channel(
    session: Session, channel: str
) -> None:
    province(session)
    with pytest.raises(Invalid) as error:
        submit(session, channel, description=INVISIBLE)
    assert error.value.code == "description_length"


def test_decomposed_vietnamese_is_stored_composed_and_counted_so(session: Session) -> None:
    province(session)
    decomposed = unicodedata.normalize("NFD", TEXT)
    assert len(decomposed) > len(TEXT)
    assert submit(session, description=decomposed).description == TEXT
    nine = unicodedata.normalize("NFD", "Đường ngậ")  # 9 letters, 13 code points decomposed
    assert len(nine) >= intake.MIN_TEXT
    with pytest.raises(Invalid) as error:
        submit(session, description=nine)
    assert error.value.code == "description_length"


def test_the_limits_count_the_visible_text(session: Session) -> None:
    province(session)
    long = "Ổ gà " * 1000  # 5000 characters
    case = submit(session, description=ZWSP.join(long[i : i + 100] for i in range(0, 5000, 100)))
    assert case.description == long.strip()


@pytest.mark.parametrize("route", ["staff", "webhook"])
def test_the_api_refuses_an_invisible_description(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session, route: str
) -> None:
    refused(post(client, heads, route, description=INVISIBLE), "description_length",
            "description")  # fmt: skip
    assert stored(session) == 1


def test_an_invisible_reason_is_no_reason(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    case = session.execute(select(Feedback)).scalar_one()
    url = f"/api/v1/feedback/{case.code}/reject"
    refused(client.post(url, json={"reason": ZWSP}, headers=heads["operator"]),
            "reason_required")  # fmt: skip
    done = client.post(url, json={"reason": f"{ZWSP}Trùng{ZWSP} phản ánh"},
                       headers=heads["operator"])  # fmt: skip
    assert done.status_code == 200 and done.json()["outcome_reason"] == "Trùng phản ánh"


# --- 2. a photo taken elsewhere never overrides the place given ------------------------------


def test_a_photo_taken_outside_gives_way_to_the_address(session: Session) -> None:
    province(session)
    elsewhere = Photo(jpeg_with_gps(*HANOI), "ha-noi.jpg")
    case = submit(session, lat=None, lon=None, address="Ngõ 3, phường Đông Kinh",
                  photos=[elsewhere])  # fmt: skip
    assert (case.located_by, case.area_code, case.lat, case.lon) == ("address", "05977", None, None)


def test_the_first_photo_taken_in_the_province_places_the_case(session: Session) -> None:
    province(session)
    shots = [Photo(jpeg_with_gps(*HANOI), "a.jpg"), Photo(jpeg_with_gps(*DONG_KINH), "b.jpg")]
    case = submit(session, lat=None, lon=None, address="Không rõ", photos=shots)
    assert (case.located_by, case.area_code) == ("photo", "05977")
    assert case.lat == pytest.approx(DONG_KINH[0], abs=1e-4)


def test_a_point_outside_is_refused_even_with_a_photo_inside(session: Session) -> None:
    province(session)
    with pytest.raises(Invalid) as error:
        submit(session, lat=HANOI[0], lon=HANOI[1],
               photos=[Photo(jpeg_with_gps(*DONG_KINH), "b.jpg")])  # fmt: skip
    assert error.value.code == "outside_province"


def test_a_photo_outside_as_the_only_place_is_named_as_the_photo(session: Session) -> None:
    province(session)
    with pytest.raises(Invalid) as error:
        submit(session, lat=None, lon=None, photos=[Photo(jpeg_with_gps(*HANOI), "a.jpg")])
    assert error.value.code == "photo_outside_province"
    assert error.value.details["field"] == "location"
    vi = t(error.value.message_key, "vi", **error.value.params)
    en = t(error.value.message_key, "en", **error.value.params)
    assert vi.startswith("Vị trí GPS trong ảnh (21.02780, 105.83420) nằm ngoài địa bàn tỉnh")
    assert en.startswith("The GPS position in the photo (21.02780, 105.83420)")


def test_the_public_form_keeps_the_address_over_a_photo_taken_elsewhere(
    client: TestClient, session: Session
) -> None:
    province(session)
    token = csrf_of(client.get("/phan-anh/gui").text)
    data = {"csrf_token": token, "category": "giao_thong.o_ga", "description": TEXT,
            "address": "Số 5 Bà Triệu, phường Đông Kinh"}  # fmt: skip
    files = [("photos", ("ha-noi.jpg", jpeg_with_gps(*HANOI), "image/jpeg"))]
    done = client.post("/phan-anh/gui", data=data, files=files)
    assert done.status_code == 200, done.text
    case = session.execute(select(Feedback)).scalar_one()
    assert (case.located_by, case.area_code) == ("address", "05977")
    alone = client.post("/phan-anh/gui", data=data | {"address": ""}, files=files)
    assert alone.status_code == 422
    assert "Vị trí GPS trong ảnh (21.02780, 105.83420) nằm ngoài địa bàn tỉnh" in alone.text


# --- 3. half a coordinate ---------------------------------------------------------------------


@pytest.mark.parametrize(("route", "given", "missing"),
                         [("staff", "lat", "lon"), ("webhook", "lon", "lat")])  # fmt: skip
def test_half_a_coordinate_is_refused(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session, route: str,
    given: str, missing: str,
) -> None:  # fmt: skip
    point = {"lat": DONG_KINH[0], "lon": DONG_KINH[1]}
    body = refused(post(client, heads, route, **{given: point[given]}),
                   "coordinates_incomplete", missing)  # fmt: skip
    assert "vĩ độ (lat) và kinh độ (lon)" in body["message"]
    assert stored(session) == 1
    with pytest.raises(Invalid) as error:
        submit(session, "hotline", **{missing: None, "address": "phường Đông Kinh"})
    assert error.value.code == "coordinates_incomplete"


# --- 4. updates need somewhere to go ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"notify_by": "email"}, "notify_needs_email"),
        ({"notify_by": "email", "email": f" {ZWSP} "}, "notify_needs_email"),
        ({"notify_by": "sms", "phone": None}, "notify_needs_phone"),
        ({"notify_by": "sms", "anonymous": True}, "notify_anonymous"),
    ],
)
@pytest.mark.parametrize("route", ["staff", "webhook"])
def test_updates_without_an_address_are_refused(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session, route: str,
    fields: dict[str, Any], error: str,
) -> None:  # fmt: skip
    refused(post(client, heads, route, **fields), error, "notify_by")
    assert stored(session) == 1


def test_intake_refuses_updates_it_cannot_send(session: Session) -> None:
    province(session)
    for fields, error in (
        ({"notify_by": "email"}, "notify_needs_email"),
        ({"notify_by": "sms", "phone": PHONE, "anonymous": True}, "notify_anonymous"),
        ({"notify_by": "fax", "phone": PHONE}, "invalid_notify_by"),
    ):
        with pytest.raises(Invalid) as refusal:
            submit(session, "hotline", **fields)
        assert refusal.value.code == error
    assert submit(session, notify_by="sms", phone=PHONE).notify_by == "sms"


# --- 5. over-long descriptions ----------------------------------------------------------------


@pytest.mark.parametrize("length", [5001, 6001, 100_001])
def test_every_over_long_description_is_the_same_clear_error(
    client: TestClient, heads: dict[str, dict[str, str]], length: int
) -> None:
    body = refused(post(client, heads, "staff", description="a" * length),
                   "description_length", "description")  # fmt: skip
    assert body["message"] == "Nội dung phản ánh cần từ 10 đến 5000 ký tự."


def test_invisible_characters_do_not_count_towards_the_limit(
    client: TestClient, heads: dict[str, dict[str, str]]
) -> None:
    text = "Ổ gà " * 999 + "Ổ gà" + ZWSP * 50  # 4999 visible characters
    made = post(client, heads, "staff", description=text)
    assert made.status_code == 201, made.text


# --- 6. start and close take an optional note -------------------------------------------------


def test_start_and_close_need_no_note(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    case = session.execute(select(Feedback)).scalar_one()
    base = f"/api/v1/feedback/{case.code}"
    op, commune = heads["operator"], heads["commune"]
    assert client.post(f"{base}/accept", json={}, headers=op).status_code == 200
    started = client.post(f"{base}/start", json={}, headers=commune)
    assert started.status_code == 200, started.text
    assert started.json()["status"] == "in_progress"
    resolved = client.post(f"{base}/resolve", data={"answer": "Đã vá ổ gà."}, headers=commune)
    assert resolved.status_code == 200, resolved.text
    closed = client.post(f"{base}/close", headers=op)  # no body at all
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["outcome"]) == ("closed", "fixed")
    refused(client.post(f"{base}/comment", json={}, headers=op), "validation_error")


# --- 7. a webhook resend is found whatever spaces surround its id ----------------------------


def test_a_webhook_resend_with_spaces_is_the_same_case(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    first = post(client, heads, "webhook", external_id=" msg-1 ")
    again = post(client, heads, "webhook", external_id="msg-1")
    third = post(client, heads, "webhook", external_id=f"msg-1{ZWSP}\t")
    assert first.status_code == again.status_code == third.status_code == 201, first.text
    assert first.json()["code"] == again.json()["code"] == third.json()["code"]
    assert again.json()["secret"] == ""  # a resend never shows the secret again
    case = session.execute(select(Feedback).where(Feedback.channel == "zalo")).scalar_one()
    assert case.external_id == "msg-1"


def test_the_webhook_is_not_a_staff_channel(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    refused(post(client, heads, "webhook", channel="hotline"), "validation_error")
    call = {"description": TEXT, "lat": DONG_KINH[0], "lon": DONG_KINH[1]}
    made = client.post("/api/v1/feedback/webhook", json=call, headers=heads["integration"])
    assert made.status_code == 201, made.text
    case = session.execute(select(Feedback).where(Feedback.code == made.json()["code"]))
    assert case.scalar_one().channel == "webhook"


# --- 8. an address must name a commune, but for staff ----------------------------------------


@pytest.mark.parametrize("channel", ["web", "open311", "webhook", "zalo", "app", "email"])
def test_citizen_channels_refuse_an_address_naming_no_commune(
    session: Session, channel: str
) -> None:
    province(session)
    with pytest.raises(Invalid) as error:
        submit(session, channel, lat=None, lon=None, address=NOWHERE)
    assert error.value.code == "address_without_commune"
    assert error.value.details == {"field": "location"}
    vi = t(error.value.message_key, "vi")
    assert "chọn vị trí trên bản đồ" in vi and "xã, phường" in vi


def test_the_public_form_and_open311_refuse_an_address_naming_no_commune(
    client: TestClient, session: Session
) -> None:
    province(session)
    token = csrf_of(client.get("/phan-anh/gui").text)
    form = {"csrf_token": token, "category": "giao_thong.o_ga", "description": TEXT,
            "address": NOWHERE}  # fmt: skip
    shown = client.post("/phan-anh/gui", data=form)
    assert shown.status_code == 422
    assert re.search(r'id="err-location" role="alert">Địa chỉ chưa nêu xã, phường', shown.text)
    key = bearer(session, "app-tinh", "integration", "20")["Authorization"].split()[1]
    session.commit()
    answer = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "giao_thong.o_ga", "description": TEXT,
        "address_string": NOWHERE})  # fmt: skip
    assert answer.status_code == 400
    assert answer.json()[0]["description"].startswith("Địa chỉ chưa nêu xã, phường")
    assert stored(session) == 0


def test_the_webhook_refuses_an_address_naming_no_commune(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    refused(post(client, heads, "webhook", address=NOWHERE), "address_without_commune",
            "location")  # fmt: skip
    assert stored(session) == 1


@pytest.mark.parametrize("channel", ["hotline", "walk_in"])
def test_staff_intake_keeps_it_for_the_iocs_triage(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session, channel: str
) -> None:
    made = post(client, heads, "staff", address=NOWHERE, channel=channel)
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    case = session.execute(select(Feedback).where(Feedback.code == code)).scalar_one()
    assert (case.area_code, case.org_code, case.located_by) == (None, None, "address")
    assert case.address == NOWHERE
    new = client.get("/api/v1/feedback", params={"status": "received"},
                     headers=heads["operator"]).json()  # fmt: skip
    assert code in [item["code"] for item in new["items"]]
    mine = client.get("/api/v1/feedback", headers=heads["commune"]).json()
    assert code not in [item["code"] for item in mine["items"]]
    add_user(session, "trucban", "operator", "20", password=PASSWORD)
    session.commit()
    login(client, "trucban", PASSWORD)
    inbox = client.get("/feedback")  # the IOC's default view: the new cases
    assert inbox.status_code == 200 and code in inbox.text
