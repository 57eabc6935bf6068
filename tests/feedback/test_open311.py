"""Open311 GeoReport v2 at /open311/v2: every call in XML and JSON, element names as the spec
writes them, the spec's error list, filters and paging, and no personal data in any GET."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.config import get_settings
from iocvn.core.timeutil import utcnow
from iocvn.feedback import catalogue, intake, workflow
from iocvn.feedback.catalogue import CategoryEdit
from iocvn.feedback.models import Feedback, FeedbackEvent, FeedbackPhoto
from tests.factories.auth import bearer
from tests.factories.feedback import ACTOR, DONG_KINH, province, report
from tests.feedback.test_photos import jpeg_with_gps

FORMATS = ("xml", "json")
CONTENT = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
SERVICE = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE = ["variable", "code", "datatype", "required", "datatype_description", "order",
             "description", "values"]  # fmt: skip
REQUEST = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
]  # fmt: skip
HANOI = (21.0278, 105.8342)
TEXT = "Ổ gà lớn giữa đường Bà Triệu, xe máy đi qua rất dễ ngã, đề nghị sửa sớm."
PERSON = {"first_name": "Xuyến", "last_name": "Lò Thị", "email": "xuyen.lo@example.vn",
          "phone": "0912 345 678", "account_id": "acc-778899",
          "device_id": "dev-ABCDEF"}  # fmt: skip
# ... and the integration account's name: who on the staff side did what is not public either.
SECRETS = ("Xuyến", "Lò Thị", "xuyen.lo", "0912", "345 678", "912345678", "acc-778899",
           "dev-ABCDEF", "app-tinh")  # fmt: skip


@pytest.fixture
def lang_son(session: Session) -> Session:
    return province(session)


@pytest.fixture
def api_key(lang_son: Session) -> str:
    """The token of the province citizen app's integration account."""
    header = bearer(lang_son, "app-tinh", "integration", "20")
    lang_son.commit()
    return header["Authorization"].removeprefix("Bearer ")


def call(client: TestClient, method: str, path: str, fmt: str, **kw: Any) -> tuple[Any, Any]:
    """The response and its parsed body (JSON, or the XML root element)."""
    response = client.request(method, f"/open311/v2/{path}.{fmt}", **kw)
    assert response.headers["content-type"] == CONTENT[fmt], response.text
    if fmt == "json":
        return response, response.json()
    assert response.content.startswith(DECLARATION)
    return response, ET.fromstring(response.content)  # noqa: S314 - our own server's output


def rows(fmt: str, body: Any, root: str, item: str, fields: list[str]) -> list[dict[str, Any]]:
    """The items of a list document, each checked to hold exactly the spec's fields in order;
    XML values come back as text ("" for an empty element)."""
    if fmt == "json":
        assert isinstance(body, list)
        for each in body:
            assert list(each) == fields
        return list(body)
    assert body.tag == root
    out = []
    for element in body:
        assert element.tag == item
        assert [child.tag for child in element] == fields
        out.append({child.tag: child.text or "" for child in element})
    return out


def error_of(fmt: str, response: Any, body: Any, status: int) -> str:
    """The description of the spec's one-error list, after checking its shape."""
    assert response.status_code == status, response.text
    if fmt == "json":
        assert isinstance(body, list) and len(body) == 1
        assert set(body[0]) == {"code", "description"} and body[0]["code"] == status
        return str(body[0]["description"])
    assert body.tag == "errors" and [e.tag for e in body] == ["error"]
    assert [c.tag for c in body[0]] == ["code", "description"]
    assert body[0].findtext("code") == str(status)
    return body[0].findtext("description") or ""


def new_request(key: str, **fields: Any) -> dict[str, Any]:
    data = {"api_key": key, "service_code": "giao_thong.o_ga", "lat": DONG_KINH[0],
            "long": DONG_KINH[1], "description": TEXT}  # fmt: skip
    return {k: v for k, v in (data | fields).items() if v is not None}


def cases(session: Session) -> int:
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(Feedback)).scalar_one())


# --- discovery and services -----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_and_its_formats(
    client: TestClient, lang_son: Session, fmt: str
) -> None:
    _, body = call(client, "GET", "discovery", fmt)
    if fmt == "xml":
        assert body.tag == "discovery"
        assert [c.tag for c in body] == ["changeset", "contact", "key_service", "endpoints"]
        endpoint = body.find("endpoints/endpoint")
        assert endpoint is not None
        assert [c.tag for c in endpoint] == ["specification", "url", "changeset", "type",
                                             "formats"]  # fmt: skip
        doc = {c.tag: c.text for c in endpoint}
        doc["formats"] = [f.text for f in endpoint.findall("formats/format")]
        contact = body.findtext("contact") or ""
    else:
        assert list(body) == ["changeset", "contact", "key_service", "endpoints"]
        doc, contact = body["endpoints"][0], body["contact"]
    assert doc["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert doc["url"] == "http://testserver/open311/v2"
    assert doc["type"] == "production"
    assert doc["formats"] == ["text/xml", "application/json"]
    assert "Lạng Sơn" in contact


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_active_categories_grouped_by_field(
    client: TestClient, lang_son: Session, fmt: str
) -> None:
    catalogue.save_category(lang_son, ACTOR, "giao_thong.den_tin_hieu", CategoryEdit(active=False))
    lang_son.commit()
    _, body = call(client, "GET", "services", fmt, params={"jurisdiction_id": "20"})
    services = {s["service_code"]: s for s in rows(fmt, body, "services", "service", SERVICE)}
    pothole = services["giao_thong.o_ga"]
    assert pothole["service_name"] == "Ổ gà, hư hỏng mặt đường"
    assert pothole["group"] == "Giao thông"
    assert pothole["type"] == "realtime"
    assert pothole["metadata"] in (True, "true")
    assert "giao_thong.den_tin_hieu" not in services
    english = client.get("/open311/v2/services.json", headers={"Accept-Language": "en"}).json()
    groups = {s["service_code"]: s["group"] for s in english}
    assert groups["giao_thong.o_ga"] == "Roads and traffic"


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_service_definition_lists_attributes_intake_stores(
    client: TestClient, lang_son: Session, fmt: str
) -> None:
    _, body = call(client, "GET", "services/giao_thong.o_ga", fmt)
    if fmt == "xml":
        assert body.tag == "service_definition"
        assert [c.tag for c in body] == ["service_code", "attributes"]
        assert body.findtext("service_code") == "giao_thong.o_ga"
        found = []
        for attribute in body.findall("attributes/attribute"):
            assert [c.tag for c in attribute] == ATTRIBUTE
            keys = [v.findtext("key") for v in attribute.findall("values/value")]
            found.append((attribute.findtext("code"), attribute.findtext("datatype"), keys))
    else:
        assert body["service_code"] == "giao_thong.o_ga"
        for attribute in body["attributes"]:
            assert list(attribute) == ATTRIBUTE
            assert [list(v) for v in attribute["values"]] == [["key", "name"]] * 2
        found = [(a["code"], a["datatype"], [v["key"] for v in a["values"]])
                 for a in body["attributes"]]  # fmt: skip
    assert found == [("notify_by", "singlevaluelist", ["email", "sms"]),
                     ("anonymous", "singlevaluelist", ["false", "true"])]  # fmt: skip


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("services/khong_co", {}),
        ("services", {"jurisdiction_id": "01"}),
        ("requests/PA-26-ZZZZZZZ", {}),
        ("requests", {"jurisdiction_id": "hanoi.gov.vn"}),
        ("tokens/PA-26-ZZZZZZZ", {}),
    ],
)
def test_what_does_not_exist_is_a_404_error_list(
    client: TestClient, lang_son: Session, fmt: str, path: str, params: dict[str, str]
) -> None:
    response, body = call(client, "GET", path, fmt, params=params)
    assert error_of(fmt, response, body, 404)


def test_an_unknown_format_or_photo_is_a_404_error_list(
    client: TestClient, lang_son: Session
) -> None:
    for url in ("/open311/v2/services.html", "/open311/v2/media/01JCZZZZZZZZZZZZZZZZZZZZZZ",
                "/open311/v2/media/not-a-photo"):  # fmt: skip
        response = client.get(url)
        assert response.status_code == 404
        assert response.json()[0]["code"] == 404


# --- POST requests --------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_makes_a_case_through_intake(
    client: TestClient, lang_son: Session, api_key: str, fmt: str
) -> None:
    data = new_request(api_key, **PERSON, **{"attribute[notify_by]": "sms",
                       "media_url": "https://anh.example.vn/o-ga.jpg"})  # fmt: skip
    response, body = call(client, "POST", "requests", fmt, data=data)
    assert response.status_code == 200, response.text
    [answer] = rows(fmt, body, "service_requests", "request",
                    ["service_request_id", "service_notice", "account_id"])  # fmt: skip
    code = answer["service_request_id"]
    assert code.startswith("PA-") and answer["account_id"] == "acc-778899"
    assert code in answer["service_notice"]
    case = lang_son.execute(select(Feedback).where(Feedback.code == code)).scalar_one()
    limit_key = intake.source_key("user:app-tinh", "acc-778899", get_settings().data_keys)
    assert (case.channel, case.source_key, case.external_id) == ("open311", limit_key, None)
    assert "acc-778899" not in case.source_key  # the limit's key holds only a keyed hash
    assert (case.category_code, case.area_code, case.notify_by) == (
        "giao_thong.o_ga", "05977", "sms")  # fmt: skip
    assert case.reporter_phone and "0912" not in case.reporter_phone  # sealed
    link = lang_son.execute(
        select(FeedbackEvent).where(
            FeedbackEvent.feedback_id == case.id, FeedbackEvent.kind == "comment"
        )
    ).scalar_one()
    assert not link.public and link.data == {"media_url": "https://anh.example.vn/o-ga.jpg"}
    audited = lang_son.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.receive")
    ).scalar_one()
    assert audited.actor == "app-tinh"
    _, token = call(client, "GET", f"tokens/{code}", fmt)
    assert rows(fmt, token, "service_requests", "request", ["service_request_id", "token"]) == [
        {"service_request_id": code, "token": code}]  # fmt: skip


def test_a_post_may_be_json_and_located_by_address_or_commune_code(
    client: TestClient, lang_son: Session, api_key: str
) -> None:
    body = new_request(api_key, lat=None, long=None, address_string="Ngõ 3 Tam Thanh",
                       address_id="05977", attribute={"anonymous": "true"},
                       first_name="Hoa", phone="0912345678")  # fmt: skip
    response = client.post("/open311/v2/requests.json", json=body)
    assert response.status_code == 200, response.text
    code = response.json()[0]["service_request_id"]
    case = lang_son.execute(select(Feedback).where(Feedback.code == code)).scalar_one()
    assert (case.area_code, case.located_by, case.lat) == ("05977", "address", None)
    assert case.anonymous and case.reporter_name is None and case.reporter_phone is None
    [shown] = client.get(f"/open311/v2/requests/{code}.json").json()
    assert shown["address"] == "Ngõ 3 Tam Thanh, Phường Đông Kinh"
    assert shown["address_id"] == "05977" and shown["lat"] is None


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"lat": None, "long": None}, 400, "vị trí"),
        ({"lat": HANOI[0], "long": HANOI[1]}, 400, "ngoài địa bàn"),
        ({"lat": "abc"}, 400, "lat"),
        ({"lat": "nan"}, 400, "lat"),
        ({"long": None}, 400, "lat"),
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": "khong_co"}, 404, "khong_co"),
        ({"address_id": "00001", "lat": None, "long": None}, 400, "00001"),
        ({"description": "ngắn"}, 400, "10"),
        ({"media_url": [f"https://anh.example.vn/{i}.jpg" for i in range(6)]}, 400, "media_url"),
        ({"attribute[notify_by]": "fax"}, 400, "email, sms"),
        ({"attribute[notify_by]": "email"}, 400, "email"),
        ({"attribute[anonymous]": "true", "attribute[notify_by]": "sms", "phone": "0912345678"},
         400, "ẩn danh"),
        ({"media_url": "javascript:alert(1)"}, 400, "media_url"),
        ({"email": "khong-phai-email"}, 400, "thư điện tử"),
        ({"jurisdiction_id": "01"}, 404, "01"),
    ],
)  # fmt: skip
def test_bad_posts_are_the_spec_error_list_and_store_nothing(
    client: TestClient, lang_son: Session, api_key: str, fmt: str, fields: dict[str, Any],
    status: int, says: str,
) -> None:  # fmt: skip
    response, body = call(client, "POST", "requests", fmt, data=new_request(api_key, **fields))
    assert says.lower() in error_of(fmt, response, body, status).lower()
    assert cases(lang_son) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_body_that_is_neither_a_form_nor_a_json_object_is_a_400(
    client: TestClient, lang_son: Session, api_key: str, fmt: str
) -> None:
    response, body = call(client, "POST", "requests", fmt, json=[new_request(api_key)])
    assert "JSON" in error_of(fmt, response, body, 400)
    assert cases(lang_son) == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_api_key_must_be_a_write_token_of_an_account_that_may_submit(
    client: TestClient, lang_son: Session, fmt: str
) -> None:
    viewer = bearer(lang_son, "xem", "viewer", "20")["Authorization"].removeprefix("Bearer ")
    reader = bearer(lang_son, "app-doc", "integration", "20", read_only=True)
    lang_son.commit()
    for key, says in (
        (None, "api_key"),
        ("", "api_key"),
        ("iocvn_khongdung", "không hợp lệ"),
        (viewer, "integration"),
        (reader["Authorization"].removeprefix("Bearer "), "chỉ có quyền đọc"),
    ):
        data = new_request("x")
        data.pop("api_key")
        if key is not None:
            data["api_key"] = key
        response, body = call(client, "POST", "requests", fmt, data=data)
        assert says in error_of(fmt, response, body, 403)
    assert cases(lang_son) == 0


def test_other_attributes_are_ignored_and_every_media_url_is_kept(
    client: TestClient, lang_son: Session, api_key: str
) -> None:
    """What FixMyStreet sends: its own attribute codes and one media_url per photo."""
    links = ["https://fms.example.vn/photo/1.jpeg", "https://fms.example.vn/photo/2.jpeg"]
    data = new_request(api_key, media_url=links, **{"attribute[fixmystreet_id]": "123",
                       "attribute[title]": "Ổ gà", "attribute[notify_by]": "email",
                       "email": "xuyen.lo@example.vn"})  # fmt: skip
    response = client.post("/open311/v2/requests.json", data=data)
    assert response.status_code == 200, response.text
    case = lang_son.execute(select(Feedback)).scalar_one()
    assert case.notify_by == "email"
    comments = select(FeedbackEvent.data).where(
        FeedbackEvent.feedback_id == case.id, FeedbackEvent.kind == "comment"
    )
    notes = lang_son.execute(comments).scalars()
    assert sorted(n["media_url"] for n in notes) == links
    as_json = new_request(api_key, media_url=links, attribute={"fixmystreet_id": "124"})
    assert client.post("/open311/v2/requests.json", json=as_json).status_code == 200


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_flood_from_one_citizen_of_an_app_gets_429_with_a_clear_body(
    client: TestClient, lang_son: Session, api_key: str, fmt: str
) -> None:
    now, keys = utcnow(), get_settings().data_keys
    flooder = intake.source_key("user:app-tinh", "dev-1", keys)
    for i in range(get_settings().feedback_per_hour):
        report(lang_son, source_key=flooder, now=now - timedelta(minutes=50 - i))
    lang_son.commit()
    data = new_request(api_key, device_id="dev-1")
    response, body = call(client, "POST", "requests", fmt, data=data)
    assert "quá nhiều phản ánh" in error_of(fmt, response, body, 429)
    assert 0 < int(response.headers["Retry-After"]) <= 3600
    assert cases(lang_son) == get_settings().feedback_per_hour
    # Another citizen of the same app (its own device id, or only an e-mail) gets through.
    other = call(client, "POST", "requests", fmt, data=new_request(api_key, device_id="dev-2"))
    assert other[0].status_code == 200
    by_mail = call(client, "POST", "requests", fmt, data=new_request(api_key, email="a@b.vn"))
    assert by_mail[0].status_code == 200


def test_an_app_that_names_no_citizen_shares_the_larger_app_limit(
    client: TestClient, lang_son: Session, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    per_citizen = get_settings().feedback_per_hour
    monkeypatch.setattr(get_settings(), "feedback_app_per_hour", per_citizen + 2)
    answers = [client.post("/open311/v2/requests.json", data=new_request(api_key)).status_code
               for _ in range(per_citizen + 3)]  # fmt: skip
    assert answers == [200] * (per_citizen + 2) + [429]
    keys = {c.source_key for c in lang_son.execute(select(Feedback)).scalars()}
    assert keys == {"app:user:app-tinh"}


# --- GET requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_html_in_the_description_is_returned_as_text(
    client: TestClient, lang_son: Session, api_key: str, fmt: str
) -> None:
    evil = "<script>alert('x')</script> Cống tắc & ngập <b>nặng</b> trước nhà số 5"
    response = client.post("/open311/v2/requests.json", data=new_request(api_key, description=evil))
    code = response.json()[0]["service_request_id"]
    shown, body = call(client, "GET", f"requests/{code}", fmt)
    [request] = rows(fmt, body, "service_requests", "request", REQUEST)
    assert request["description"] == evil
    if fmt == "xml":
        assert b"<script>" not in shown.content and b"&lt;script&gt;" in shown.content
        assert b"&amp; ng" in shown.content


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_shows_its_public_state_and_dates_with_the_offset(
    client: TestClient, lang_son: Session, fmt: str
) -> None:
    now = utcnow()
    case = report(lang_son, now=now - timedelta(days=2)).case
    other = report(lang_son, now=now - timedelta(days=1)).case
    workflow.accept(lang_son, get_settings(), ACTOR, case, now=now - timedelta(days=1))
    workflow.merge(lang_son, get_settings(), ACTOR, other, case, now=now)
    lang_son.commit()
    _, body = call(client, "GET", "requests", fmt, params={"service_request_id":
                   f"{case.code},{other.code.lower()}"})  # fmt: skip
    found = {r["service_request_id"]: r for r in rows(fmt, body, "service_requests", "request",
                                                      REQUEST)}  # fmt: skip
    main, merged = found[case.code], found[other.code]
    assert main["status"] == "open" and main["agency_responsible"] == "Phường Đông Kinh"
    assert main["service_code"] == "giao_thong.o_ga"
    assert main["expected_datetime"] and main["expected_datetime"].endswith("+07:00")
    assert case.deadline_at is not None
    deadline = case.deadline_at.replace(microsecond=0)
    assert datetime.fromisoformat(main["expected_datetime"]) == deadline
    assert main["requested_datetime"].endswith("+07:00")
    assert datetime.fromisoformat(main["updated_datetime"]) > datetime.fromisoformat(
        main["requested_datetime"])  # fmt: skip
    assert merged["status"] == "closed"
    assert merged["status_notes"] == f"Trùng với phản ánh {case.code}."
    assert merged["expected_datetime"] in (None, "")


def test_filters_dates_status_service_and_pages(client: TestClient, lang_son: Session) -> None:
    now = utcnow()
    old = report(lang_son, now=now - timedelta(days=100)).case
    made = [report(lang_son, now=now - timedelta(days=10, hours=i)).case for i in range(5)]
    light = report(lang_son, "Đèn đường hỏng cả dãy phố, tối om rất nguy hiểm.",
                   category="dien_chieu_sang", now=now - timedelta(days=3)).case  # fmt: skip
    workflow.reject(lang_son, get_settings(), ACTOR, made[0], reason="Đã được xử lý trước đó.")
    lang_son.commit()

    def codes(**params: str) -> list[str]:
        response = client.get("/open311/v2/requests.json", params=params)
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    newest_first = [light.code] + [c.code for c in made]
    assert codes() == newest_first  # the default window is the last 90 days
    assert old.code not in codes(status="open,closed")
    assert codes(page_size="2") == newest_first[:2]
    assert codes(page="2", page_size="2") == newest_first[2:4]
    assert codes(page="4", page_size="2") == []
    assert codes(status="closed") == [made[0].code]
    assert made[0].code not in codes(status="open")
    assert codes(service_code="dien_chieu_sang") == [light.code]
    assert codes(service_code="dien_chieu_sang,giao_thong.o_ga") == newest_first
    start = (now - timedelta(days=120)).astimezone(UTC).isoformat()
    end = (now - timedelta(days=50)).isoformat().replace("+00:00", "Z")
    assert codes(start_date=start, end_date=end) == [old.code]
    assert codes(start_date=(now - timedelta(days=5)).isoformat()) == [light.code]
    local_day = (now - timedelta(days=101)).astimezone(UTC).date().isoformat()
    assert codes(start_date=local_day) == [old.code]  # a day: local midnight, then 90 days
    assert codes(service_request_id=old.code, status="closed") == [old.code]  # overrides


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "30/11/2026"},
        {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
        {"start_date": "2026-06-01T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"},
        {"status": "pending"},
        {"page": "0"},
        {"page_size": "1001"},
        {"page": "một"},
    ],
)
def test_bad_filters_are_a_400_error_list(
    client: TestClient, lang_son: Session, fmt: str, params: dict[str, str]
) -> None:
    response, body = call(client, "GET", "requests", fmt, params=params)
    assert error_of(fmt, response, body, 400)


def test_a_photo_sent_with_the_request_is_its_media_url(
    client: TestClient, lang_son: Session, api_key: str
) -> None:
    files = [("media", ("o-ga.jpg", jpeg_with_gps(*DONG_KINH), "image/jpeg"))]
    data = new_request(api_key, lat=None, long=None)  # the photo's GPS places it
    response = client.post("/open311/v2/requests.json", data=data, files=files)
    assert response.status_code == 200, response.text
    code = response.json()[0]["service_request_id"]
    [shown] = client.get(f"/open311/v2/requests/{code}.json").json()
    photo = lang_son.execute(select(FeedbackPhoto)).scalar_one()
    assert shown["media_url"] == f"http://testserver/open311/v2/media/{photo.id}"
    image = client.get(shown["media_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content == photo.data and b"Exif" not in image.content
    assert shown["address_id"] == "05977"


def test_no_personal_data_reaches_any_get(
    client: TestClient, lang_son: Session, api_key: str
) -> None:
    data = new_request(api_key, **PERSON, **{"attribute[notify_by]": "email"})
    files = [("media", ("anh.jpg", jpeg_with_gps(*DONG_KINH), "image/jpeg"))]
    code = client.post("/open311/v2/requests.xml", data=data, files=files)
    code.raise_for_status()
    key = ET.fromstring(code.content).findtext("request/service_request_id")  # noqa: S314
    assert key
    bodies: list[httpx.Response] = []
    for fmt in FORMATS:
        for path in ("discovery", "services", "services/giao_thong.o_ga", "requests",
                     f"requests/{key}", f"tokens/{key}"):  # fmt: skip
            bodies.append(client.get(f"/open311/v2/{path}.{fmt}"))
        bodies.append(client.get(f"/open311/v2/requests.{fmt}",
                                 params={"service_request_id": key, "status": "open"}))  # fmt: skip
    [shown] = client.get(f"/open311/v2/requests/{key}.json").json()
    bodies.append(client.get(shown["media_url"]))
    for response in bodies:
        assert response.status_code == 200, response.text
        text = response.content.decode("utf-8", "replace").lower()
        for secret in SECRETS:
            assert secret.lower() not in text, (response.url, secret)


def test_the_routes_are_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/open311/v2/requests.{fmt}" in paths
    assert "post" in paths["/open311/v2/requests.{fmt}"]
    form = paths["/open311/v2/requests.{fmt}"]["post"]["requestBody"]["content"]
    assert "api_key" in form["application/x-www-form-urlencoded"]["schema"]["properties"]


# --- errors outside the calls, HEAD, CORS, jurisdiction -------------------------------------

ORIGIN = {"Origin": "https://congdan.langson.example"}


def spec_error(response: httpx.Response, status: int) -> str:
    """The spec's error list of an answer, in the format its path asks for (XML for .xml)."""
    fmt = "xml" if response.url.path.lower().endswith(".xml") else "json"
    assert response.headers["content-type"] == CONTENT[fmt], response.text
    if fmt == "xml":
        assert response.content.startswith(DECLARATION)
        body = ET.fromstring(response.content)  # noqa: S314 - our own server's output
    else:
        body = response.json()
    return error_of(fmt, response, body, status)


@pytest.mark.parametrize(
    "path",
    ["services", "requests", "discovery", "", "khong-co.json", "khong-co.xml", "services/",
     "requests/PA-26-ZZZZZZZ", "services.json/thua"],
)  # fmt: skip
def test_a_path_no_call_has_is_a_404_error_list(client: TestClient, path: str) -> None:
    response = client.get(f"/open311/v2/{path}")
    text = spec_error(response, 404)
    assert f"/open311/v2/{path}" in text and ".xml" in text
    english = client.get(f"/open311/v2/{path}", headers={"Accept-Language": "en"})
    assert spec_error(english, 404).startswith("There is no Open311 call")


@pytest.mark.parametrize("fmt", ["XML", "JSON", "Xml", "Json"])
def test_an_upper_case_extension_is_the_same_format(
    client: TestClient, lang_son: Session, fmt: str
) -> None:
    code = report(lang_son).case.code
    lang_son.commit()
    for path in ("discovery", "services", "services/giao_thong.o_ga", "requests",
                 f"requests/{code}", f"tokens/{code}"):  # fmt: skip
        upper = client.get(f"/open311/v2/{path}.{fmt}")
        lower = client.get(f"/open311/v2/{path}.{fmt.lower()}")
        assert upper.status_code == 200, (path, upper.text)
        assert upper.headers["content-type"] == CONTENT[fmt.lower()]
        assert upper.content == lower.content
    missing = client.get(f"/open311/v2/services/khong_co.{fmt}")
    assert "khong_co" in spec_error(missing, 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("DELETE", "requests.json", "GET, HEAD, POST, OPTIONS"),
        ("PUT", "requests.xml", "GET, HEAD, POST, OPTIONS"),
        ("PATCH", "requests/PA-26-7KQ4M2X.json", "GET, HEAD, OPTIONS"),
        ("POST", "services.xml", "GET, HEAD, OPTIONS"),
        ("DELETE", "media/01JCZZZZZZZZZZZZZZZZZZZZZZ", "GET, HEAD, OPTIONS"),
        ("PUT", "discovery.XML", "GET, HEAD, OPTIONS"),
    ],
)
def test_a_wrong_method_is_a_405_error_list_with_allow(
    client: TestClient, lang_son: Session, method: str, path: str, allow: str
) -> None:
    response = client.request(method, f"/open311/v2/{path}")
    assert method in spec_error(response, 405)
    assert response.headers["allow"] == allow
    assert "access-control-allow-origin" not in response.headers
    english = client.request(method, f"/open311/v2/{path}", headers={"Accept-Language": "en"})
    assert f"does not take {method}; use {allow}" in spec_error(english, 405)


def test_head_answers_like_get_without_a_body(
    client: TestClient, lang_son: Session, api_key: str
) -> None:
    files = [("media", ("anh.jpg", jpeg_with_gps(*DONG_KINH), "image/jpeg"))]
    posted = client.post("/open311/v2/requests.json", data=new_request(api_key), files=files)
    [made] = posted.json()
    [shown] = client.get(f"/open311/v2/requests/{made['service_request_id']}.json").json()
    for url in ("/open311/v2/discovery.xml", "/open311/v2/services.json",
                f"/open311/v2/requests/{made['service_request_id']}.XML", shown["media_url"],
                "/open311/v2/services/khong_co.xml", "/open311/v2/khong-co"):  # fmt: skip
        get, head = client.get(url), client.head(url)
        assert head.status_code == get.status_code, url
        assert head.content == b"", url
        for name in ("content-type", "content-length", "access-control-allow-origin"):
            assert head.headers[name] == get.headers[name], (url, name)


def test_any_web_page_may_read_but_not_post(
    client: TestClient, lang_son: Session, api_key: str
) -> None:
    files = [("media", ("anh.jpg", jpeg_with_gps(*DONG_KINH), "image/jpeg"))]
    posted = client.post("/open311/v2/requests.json", data=new_request(api_key), files=files,
                         headers=ORIGIN)  # fmt: skip
    assert posted.status_code == 200
    assert "access-control-allow-origin" not in posted.headers
    code = posted.json()[0]["service_request_id"]
    [shown] = client.get(f"/open311/v2/requests/{code}.json").json()
    for url in ("discovery.json", "services.xml", "services/giao_thong.o_ga.json",
                "requests.json", f"requests/{code}.xml", f"tokens/{code}.json",
                shown["media_url"].removeprefix("http://testserver/open311/v2/"),
                "requests/PA-26-ZZZZZZZ.json", "services.html", "khong-co"):  # fmt: skip
        response = client.get(f"/open311/v2/{url}", headers=ORIGIN)
        assert response.headers["access-control-allow-origin"] == "*", url
        assert "access-control-allow-credentials" not in response.headers
    refused = client.post("/open311/v2/requests.json", data=new_request("khong-hop-le"),
                          headers=ORIGIN)  # fmt: skip
    assert refused.status_code == 403 and "access-control-allow-origin" not in refused.headers


@pytest.mark.parametrize(
    "path", ["discovery.json", "services.xml", "services/giao_thong.o_ga.json", "requests.json",
             "requests/PA-26-7KQ4M2X.xml", "tokens/PA-26-7KQ4M2X.json",
             "media/01JCZZZZZZZZZZZZZZZZZZZZZZ"],
)  # fmt: skip
def test_a_preflight_is_granted_for_reading(client: TestClient, path: str) -> None:
    response = client.options(f"/open311/v2/{path}", headers=ORIGIN | {
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "accept-language, x-requested-with"})  # fmt: skip
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
    assert response.headers["access-control-allow-headers"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "GET" in response.headers["allow"]
    unknown = client.options("/open311/v2/khong-co.xml", headers=ORIGIN | {
        "Access-Control-Request-Method": "GET"})  # fmt: skip
    assert spec_error(unknown, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_preflight_to_post_a_request_is_refused(client: TestClient, fmt: str) -> None:
    asked = ORIGIN | {"Access-Control-Request-Method": "POST",
                      "Access-Control-Request-Headers": "content-type"}  # fmt: skip
    response = client.options(f"/open311/v2/requests.{fmt}", headers=asked)
    assert "api_key" in spec_error(response, 403)
    assert not [h for h in response.headers if h.startswith("access-control-")]
    english = client.options(f"/open311/v2/requests.{fmt}",
                             headers=asked | {"Accept-Language": "en"})  # fmt: skip
    assert "another domain" in spec_error(english, 403)
    delete = client.options(f"/open311/v2/services.{fmt}", headers=ORIGIN | {
        "Access-Control-Request-Method": "DELETE"})  # fmt: skip
    assert "DELETE" in spec_error(delete, 405)
    assert "access-control-allow-origin" not in delete.headers


def test_the_jurisdiction_may_be_the_public_host_name(
    client: TestClient, lang_son: Session, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "public_url", "https://ioc.langson.gov.vn/")
    for jurisdiction in ("20", "ioc.langson.gov.vn", "IOC.LangSon.gov.vn", "ioc.langson.gov.vn."):
        for path in ("services.json", "services/giao_thong.o_ga.xml", "requests.json"):
            response = client.get(f"/open311/v2/{path}",
                                  params={"jurisdiction_id": jurisdiction})  # fmt: skip
            assert response.status_code == 200, (jurisdiction, path, response.text)
    data = new_request(api_key, jurisdiction_id="ioc.langson.gov.vn")
    posted = client.post("/open311/v2/requests.json", data=data)
    assert posted.status_code == 200, posted.text
    other = client.get("/open311/v2/services.xml", params={"jurisdiction_id": "hanoi.gov.vn"})
    assert spec_error(other, 404) == (
        "Không có jurisdiction_id hanoi.gov.vn; dùng 20, ioc.langson.gov.vn."
    )
    english = client.get("/open311/v2/services.json", params={"jurisdiction_id": "langson.gov.vn"},
                         headers={"Accept-Language": "en"})  # fmt: skip
    assert spec_error(english, 404) == (
        "There is no jurisdiction_id langson.gov.vn; use 20, ioc.langson.gov.vn."
    )


def test_an_address_in_the_public_url_is_no_jurisdiction(
    client: TestClient, lang_son: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "public_url", "http://127.0.0.1:8000")
    response = client.get("/open311/v2/services.json", params={"jurisdiction_id": "127.0.0.1"})
    assert spec_error(response, 404).endswith("dùng 20.")


def test_links_use_the_configured_public_url_not_the_host_header(
    client: TestClient, lang_son: Session, api_key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "public_url", "https://ioc.langson.gov.vn/")
    files = [("media", ("o-ga.jpg", jpeg_with_gps(*DONG_KINH), "image/jpeg"))]
    data = new_request(api_key, lat=None, long=None)
    code = client.post("/open311/v2/requests.json", data=data, files=files).json()[0][
        "service_request_id"
    ]
    forged = {"Host": "ke-gia-mao.example"}
    [shown] = client.get(f"/open311/v2/requests/{code}.json", headers=forged).json()
    photo = lang_son.execute(select(FeedbackPhoto)).scalar_one()
    assert shown["media_url"] == f"https://ioc.langson.gov.vn/open311/v2/media/{photo.id}"
    found = client.get("/open311/v2/discovery.json", headers=forged).json()
    assert {e["url"] for e in found["endpoints"]} == {"https://ioc.langson.gov.vn/open311/v2"}
