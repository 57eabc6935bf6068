"""The citizens' pages of feedback (/phan-anh/...): the form and its errors by the field, the
code and secret shown once, the tracking page and the map without personal data, the
reporter's "was it fixed?" answer, and the photos without their metadata."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.timeutil import utcnow
from iocvn.feedback import intake, workflow
from iocvn.feedback.models import Feedback, FeedbackPhoto
from tests.factories.feedback import ACTOR, DONG_KINH, province, report
from tests.feedback.test_photos import jpeg_with_gps, png

TEXT = "Ổ gà lớn giữa đường Bà Triệu, xe máy đi qua rất dễ ngã, đề nghị sửa sớm."
PERSON = {"name": "Lò Thị Xuyến", "phone": "0912 345 678", "email": "xuyen.lo@example.vn"}
SECRETS = ("Xuyến", "Lò Thị", "xuyen.lo", "0912", "345 678", "912345678")
HANOI = ("21.0278", "105.8342")
Files = list[tuple[str, tuple[str, bytes, str]]]


@pytest.fixture
def lang_son(session: Session) -> Session:
    return province(session)


def csrf(client: TestClient) -> str:
    """Open the form (which sets the form cookie) and read its CSRF token."""
    page = client.get("/phan-anh/gui")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


def send(
    client: TestClient, *, token: str | None = None, files: Files | None = None, **fields: str
) -> httpx.Response:
    """Post the form: a pothole at Đông Kinh with contact details, unless told otherwise."""
    data = (
        {
            "csrf_token": token or csrf(client),
            "category": "giao_thong.o_ga",
            "description": TEXT,
            "lat": str(DONG_KINH[0]),
            "lon": str(DONG_KINH[1]),
            "notify_by": "sms",
        }
        | PERSON
        | fields
    )
    return client.post("/phan-anh/gui", data=data, files=files)


def shown(page: httpx.Response, element: str) -> str:
    found = re.search(rf'id="{element}">([^<]+)<', page.text)
    assert found is not None, page.text
    return found.group(1)


def stored(session: Session) -> list[Feedback]:
    """The cases as the app left them (the read transaction ends here: the app may write)."""
    session.expire_all()
    rows = list(session.execute(select(Feedback)).scalars())
    session.commit()
    return rows


def jpeg(name: str = "o-ga.jpg", at: tuple[float, float] = DONG_KINH) -> tuple[str, bytes, str]:
    return (name, jpeg_with_gps(*at), "image/jpeg")


def test_the_form_says_who_sees_the_details_and_offers_the_categories(
    client: TestClient, lang_son: Session
) -> None:
    page = client.get("/phan-anh/gui")
    assert page.status_code == 200
    assert "iocvn_pa" in page.cookies
    text = page.text
    assert "chỉ cán bộ được giao nhiệm vụ của Trung tâm IOC tỉnh được xem" in text
    assert "Đơn vị xử lý phản ánh và công chúng không được xem" in text
    assert "Gửi ẩn danh" in text and "Dùng vị trí của tôi" in text
    assert '<optgroup label="Giao thông">' in text
    assert '<option value="giao_thong.o_ga">Ổ gà, hư hỏng mặt đường</option>' in text
    assert '<option value="">Không rõ lĩnh vực' in text
    assert 'accept="image/jpeg,image/png,image/webp"' in text
    # The CSP forbids inline code: every script is a file, no style attribute.
    assert re.findall(r"<script(?![^>]*\bsrc=)", text) == []
    assert " style=" not in text
    assert '<script src="/static/js/feedback-form.js"></script>' in text
    assert client.get("/static/js/feedback-form.js").status_code == 200


def test_a_report_with_a_photo_is_stored_and_its_code_and_secret_shown_once(
    client: TestClient, lang_son: Session
) -> None:
    # No point on the map: the place is read from the photo's EXIF, then stripped.
    page = send(client, lat="", lon="", files=[("photos", jpeg())])
    assert page.status_code == 200, page.text
    assert page.headers["cache-control"] == "no-store"
    [case] = stored(lang_son)
    assert shown(page, "pa-code") == case.code
    secret = shown(page, "pa-secret")
    assert "Mã bí mật chỉ hiển thị một lần này" in page.text
    assert (case.channel, case.located_by, case.area_code) == ("web", "photo", "05977")
    ip_key = intake.source_key("ip", "testclient", get_settings().data_keys)
    assert case.source_key == ip_key and "testclient" not in ip_key  # no address in clear
    assert case.notify_by == "sms"
    assert case.reporter_phone is not None and not case.anonymous
    photo = lang_son.execute(select(FeedbackPhoto)).scalar_one()
    assert b"Exif" not in photo.data and b"Chup" not in photo.data
    private = client.get(f"/phan-anh/{case.code}", params={"secret": secret})
    assert private.status_code == 200 and 'id="pa-private"' in private.text
    assert private.headers["cache-control"] == "no-store"
    assert f'href="/phan-anh/{case.code}?secret=' in page.text


def test_reporting_anonymously_keeps_no_contact_details(
    client: TestClient, lang_son: Session
) -> None:
    assert send(client, anonymous="1").status_code == 200
    [case] = stored(lang_son)
    assert case.anonymous and case.notify_by is None
    assert case.reporter_name is case.reporter_phone is case.reporter_email is None


@pytest.mark.parametrize(
    ("fields", "files", "field", "message"),
    [
        (
            {"lat": "", "lon": ""},
            None,
            "location",
            "Cần chọn vị trí trên bản đồ hoặc nhập địa chỉ.",
        ),
        ({"lat": HANOI[0], "lon": HANOI[1]}, None, "location", "nằm ngoài địa bàn tỉnh"),
        ({"lat": "abc", "lon": "106.7"}, None, "location", "Toạ độ không hợp lệ"),
        ({"category": "khong_co"}, None, "category", "Không có lĩnh vực phản ánh khong_co."),
        (
            {},
            [("photos", ("don.pdf", b"%PDF-1.4 not a photo", "application/pdf"))],
            "photos",
            "Tệp don.pdf không phải ảnh JPEG, PNG hoặc WebP.",
        ),
        (
            {},
            [("photos", jpeg(f"{i}.jpg")) for i in range(6)],
            "photos",
            "Tối đa 5 ảnh cho một phản ánh.",
        ),
        (
            {"description": "ngắn"},
            None,
            "description",
            "Nội dung phản ánh cần từ 10 đến 5000 ký tự.",
        ),
        ({"phone": "12"}, None, "phone", "Số điện thoại không hợp lệ."),
        (
            {"phone": "", "notify_by": "sms"},
            None,
            "notify_by",
            "Cần nhập số điện thoại để nhận thông báo qua SMS.",
        ),
    ],
)
def test_bad_input_comes_back_by_the_field_in_vietnamese_with_the_text_kept(
    client: TestClient,
    lang_son: Session,
    fields: dict[str, str],
    files: Files | None,
    field: str,
    message: str,
) -> None:
    page = send(client, files=files, **fields)
    assert page.status_code == 422, page.text
    error = re.search(
        rf'<p class="pa-field-error" id="err-{field}" role="alert">([^<]+)</p>', page.text
    )
    assert error is not None, page.text
    assert message in error.group(1)
    assert "Phản ánh chưa được gửi" in page.text
    typed = fields.get("description", TEXT)
    assert f">{typed}</textarea>" in page.text  # what the citizen wrote is not lost
    assert f'value="{PERSON["name"]}"' in page.text
    assert 'value="giao_thong.o_ga" selected' in page.text or field == "category"
    if files:
        assert "vui lòng chọn lại ảnh" in page.text
    assert stored(lang_son) == []


def test_html_in_the_text_is_stored_as_written_and_shown_escaped(
    client: TestClient, lang_son: Session
) -> None:
    evil = "<script>alert('x')</script> Cống bị tắc gây ngập cả đoạn đường"
    refused = send(client, description=evil, lat="", lon="")
    assert refused.status_code == 422
    assert "<script>alert" not in refused.text and "&lt;script&gt;" in refused.text
    page = send(client, description=evil)
    assert page.status_code == 200
    [case] = stored(lang_son)
    assert case.description == evil
    public = client.get(f"/phan-anh/{case.code}")
    assert "<script>alert" not in public.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Cống bị tắc" in public.text


def test_a_flood_from_one_address_gets_a_clear_429(client: TestClient, lang_son: Session) -> None:
    token = csrf(client)
    limit = get_settings().feedback_per_hour
    assert limit == 10
    for _ in range(limit):
        assert send(client, token=token).status_code == 200
    page = send(client, token=token, description="Phản ánh thứ mười một trong cùng một giờ.")
    assert page.status_code == 429
    assert 0 < int(page.headers["retry-after"]) <= 3660
    assert "Bạn đã gửi quá nhiều phản ánh trong một giờ" in page.text
    assert ">Phản ánh thứ mười một trong cùng một giờ.</textarea>" in page.text
    assert len(stored(lang_son)) == limit  # every accepted report is kept


def test_a_form_without_its_token_is_refused_with_the_text_kept(
    client: TestClient, lang_son: Session
) -> None:
    csrf(client)
    page = send(client, token="forged")
    assert page.status_code == 403
    assert "Phiên biểu mẫu đã hết hạn" in page.text and f">{TEXT}</textarea>" in page.text
    assert stored(lang_son) == []


def test_tracking_page_map_and_geojson_show_no_personal_data(
    client: TestClient, lang_son: Session
) -> None:
    page = send(client, files=[("photos", jpeg())])
    [case] = stored(lang_son)
    public = client.get(f"/phan-anh/{case.code}")
    assert public.status_code == 200
    assert "Đã tiếp nhận" in public.text and "Ổ gà, hư hỏng mặt đường" in public.text
    assert "Phường Đông Kinh" in public.text and f"Người phản ánh {case.code[-7:]}" in public.text
    assert 'id="pa-confirm"' not in public.text and 'id="pa-secret-form"' in public.text
    assert shown(page, "pa-secret") not in public.text
    geo = client.get("/phan-anh/ban-do.geojson")
    assert geo.headers["content-type"] == "application/geo+json"
    body = geo.json()
    assert body["type"] == "FeatureCollection" and body["truncated"] is False
    [feature] = body["features"]
    lon, lat = feature["geometry"]["coordinates"]  # RFC 7946: longitude first
    assert (lat, lon) == pytest.approx(DONG_KINH)
    props = feature["properties"]
    assert set(props) == {"code", "status", "status_label", "open", "category", "received", "url"}
    assert props["url"] == f"/phan-anh/{case.code}" and props["status_label"] == "Đã tiếp nhận"
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", props["received"])
    map_page = client.get("/phan-anh/ban-do")
    assert map_page.status_code == 200 and case.code in map_page.text
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in map_page.text
    for response in (public, geo, map_page):
        for secret in SECRETS:
            assert secret not in response.text, (response.url, secret)


def test_the_map_leaves_out_merged_duplicates_old_cases_and_follows_the_status(
    client: TestClient, lang_son: Session
) -> None:
    main = report(lang_son).case
    duplicate = report(lang_son).case
    old = report(lang_son, now=utcnow() - timedelta(days=100)).case
    workflow.merge(lang_son, get_settings(), ACTOR, duplicate, main)
    lang_son.commit()

    def codes(**params: Any) -> set[str]:
        features = client.get("/phan-anh/ban-do.geojson", params=params).json()["features"]
        return {f["properties"]["code"] for f in features}

    assert codes() == codes(status="open") == {main.code}
    assert codes(days=365) == {main.code, old.code}
    assert codes(status="closed") == set()
    assert client.get("/phan-anh/ban-do.geojson", params={"status": "x"}).status_code == 422
    merged = client.get(f"/phan-anh/{duplicate.code}")
    assert f'href="/phan-anh/{main.code}"' in merged.text


def _resolved(session: Session, code: str) -> Feedback:
    """Drive a case through acceptance to "resolved" as the IOC and the unit would."""
    session.expire_all()
    case = session.execute(select(Feedback).where(Feedback.code == code)).scalar_one()
    settings = get_settings()
    workflow.accept(session, settings, ACTOR, case)
    workflow.resolve(
        session,
        settings,
        ACTOR,
        OrgScope("province", "20", "20"),
        case,
        answer="Đã vá ổ gà và thảm lại mặt đường.",
    )
    session.commit()
    return case


@pytest.mark.parametrize(
    ("fixed", "status", "outcome", "result"),
    [
        ("yes", "closed", "fixed_confirmed", "Phản ánh đã kết thúc"),
        ("no", "in_progress", None, "Phản ánh đã được mở lại"),
    ],
)
def test_the_reporter_answers_was_it_fixed_in_the_private_view(
    client: TestClient,
    lang_son: Session,
    fixed: str,
    status: str,
    outcome: str | None,
    result: str,
) -> None:
    page = send(client)
    code, secret = shown(page, "pa-code"), shown(page, "pa-secret")
    _resolved(lang_son, code)
    assert 'id="pa-confirm"' not in client.get(f"/phan-anh/{code}").text
    private = client.get(f"/phan-anh/{code}", params={"secret": secret})
    assert 'id="pa-confirm"' in private.text and "Vấn đề đã được xử lý chưa?" in private.text
    assert "Đã vá ổ gà và thảm lại mặt đường." in private.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', private.text)
    assert token is not None
    # The secret typed in the public page's form opens the same private view.
    posted = client.post(f"/phan-anh/{code}", data={"csrf_token": token.group(1), "secret": secret})
    assert 'id="pa-confirm"' in posted.text
    answer = {
        "csrf_token": token.group(1),
        "secret": secret,
        "fixed": fixed,
        "rating": "4",
        "comment": "Cảm ơn phường.",
    }
    done = client.post(f"/phan-anh/{code}/xac-nhan", data=answer, follow_redirects=False)
    assert done.status_code == 303
    after = client.get(done.headers["location"])
    assert result in after.text
    [case] = stored(lang_son)
    assert (case.status, case.outcome, case.satisfaction) == (status, outcome, 4)
    assert case.reopen_count == (1 if fixed == "no" else 0)
    again = client.post(f"/phan-anh/{code}/xac-nhan", data=answer)
    assert again.status_code == 409 and "không ở trạng thái chờ xác nhận" in again.text


@pytest.mark.parametrize(
    ("rating", "comment", "says"),
    [
        ("²", "Cảm ơn.", "mức hài lòng"),  # a digit to str.isdigit, not to int()
        ("6", "Cảm ơn.", "mức hài lòng"),
        ("0", "Cảm ơn.", "mức hài lòng"),
        ("bốn", "Cảm ơn.", "mức hài lòng"),
        ("4", "Rất tốt. " * 500, "dài quá 4000 ký tự"),
    ],
)
def test_a_bad_answer_comes_back_with_what_was_typed(
    client: TestClient, lang_son: Session, rating: str, comment: str, says: str
) -> None:
    page = send(client)
    code, secret = shown(page, "pa-code"), shown(page, "pa-secret")
    _resolved(lang_son, code)
    answer = {"csrf_token": csrf(client), "secret": secret, "fixed": "no", "rating": rating,
              "comment": comment}  # fmt: skip
    refused = client.post(f"/phan-anh/{code}/xac-nhan", data=answer)
    assert refused.status_code == 422 and says in refused.text.lower()
    assert 'name="fixed" value="no" checked' in refused.text
    assert comment[:100].strip() in refused.text
    [case] = stored(lang_son)
    assert (case.status, case.satisfaction, case.reopen_count) == ("resolved", None, 0)


def test_a_wrong_secret_is_refused_in_vietnamese(client: TestClient, lang_son: Session) -> None:
    page = send(client)
    code = shown(page, "pa-code")
    _resolved(lang_son, code)
    token = csrf(client)
    wrong = client.get(f"/phan-anh/{code}", params={"secret": "doan-bua"})
    assert wrong.status_code == 403 and "Mã bí mật không đúng" in wrong.text
    posted = client.post(f"/phan-anh/{code}", data={"csrf_token": token, "secret": "doan-bua"})
    assert posted.status_code == 403
    answer = {"csrf_token": token, "secret": "doan-bua", "fixed": "yes", "rating": "5"}
    refused = client.post(f"/phan-anh/{code}/xac-nhan", data=answer)
    assert refused.status_code == 403 and "Mã bí mật không đúng" in refused.text
    forged = client.post(
        f"/phan-anh/{code}/xac-nhan",
        data=answer | {"csrf_token": "x", "secret": shown(page, "pa-secret")},
    )
    assert forged.status_code == 403
    [case] = stored(lang_son)
    assert case.status == "resolved"
    missing = client.get("/phan-anh/PA-26-KHONGCO")
    assert missing.status_code == 404 and "Không có phản ánh PA-26-KHONGCO." in missing.text


def test_the_photo_route_serves_the_stored_copy_without_exif(
    client: TestClient, lang_son: Session
) -> None:
    send(client, files=[("photos", jpeg()), ("photos", ("b.png", png(), "image/png"))])
    lang_son.expire_all()
    shots = {p.content_type: p for p in lang_son.execute(select(FeedbackPhoto)).scalars()}
    photo = shots["image/jpeg"]
    served = client.get(f"/phan-anh/anh/{photo.id}")
    assert served.status_code == 200
    assert served.content == photo.data
    assert b"Exif" not in served.content and b"Chup" not in served.content
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["cache-control"] == "public, max-age=86400"
    assert served.headers["x-content-type-options"] == "nosniff"
    again = client.get(
        f"/phan-anh/anh/{photo.id}", headers={"If-None-Match": served.headers["etag"]}
    )
    assert again.status_code == 304
    assert (
        client.get(f"/phan-anh/anh/{shots['image/png'].id}").headers["content-type"] == "image/png"
    )
    assert client.get("/phan-anh/anh/01ARZ3NDEKTSV4RRFFQ69G5FAV").status_code == 404
    assert client.get("/phan-anh/anh/..%2F..%2Fetc").status_code == 404
    case = stored(lang_son)[0]
    assert f'src="/phan-anh/anh/{photo.id}"' in client.get(f"/phan-anh/{case.code}").text


def test_an_empty_file_field_is_no_photo(client: TestClient, lang_son: Session) -> None:
    empty: Files = [("photos", ("", b"", "application/octet-stream"))]
    assert send(client, files=empty).status_code == 200
    assert lang_son.execute(select(func.count()).select_from(FeedbackPhoto)).scalar_one() == 0


def test_a_code_typed_in_the_lookup_box_opens_its_page(client: TestClient) -> None:
    found = client.get(
        "/phan-anh/tra-cuu", params={"ma": " pa-26-7kq4m2x "}, follow_redirects=False
    )
    assert (found.status_code, found.headers["location"]) == (303, "/phan-anh/PA-26-7KQ4M2X")
    static = client.get("/static/vendor/leaflet.markercluster/leaflet.markercluster.js")
    assert static.status_code == 200
