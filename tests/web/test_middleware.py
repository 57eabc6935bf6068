"""The body limit (``BodyGuard``): a report with every photo it may carry gets through on each
channel; a browser's form over the limit gets a page, not JSON; an API client keeps the JSON."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from iocvn.app import create_app
from iocvn.config import Settings, get_settings
from iocvn.feedback import photos
from iocvn.feedback.models import FeedbackPhoto
from iocvn.web.middleware import BodyGuard
from tests.factories.feedback import province
from tests.feedback.test_public_pages import send

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
LONGEST_TEXT = "Đường ngập sâu, xe không qua được. " * 143  # 5 000 characters, 2-3 bytes most
UPLOADS = [  # (path, the form's fields at their longest, the files' field)
    ("/phan-anh/gui", {"csrf_token": "t" * 100, "description": LONGEST_TEXT,
                       "address": "Thôn Nà Pàn " * 40, "name": "Nguyễn " * 40,
                       "phone": "0912 345 678", "email": "a" * 240 + "@example.vn",
                       "lat": "21.8530000", "lon": "106.7610000", "notify_by": "email",
                       "category": "giao_thong.o_ga"}, "photos"),
    ("/api/v1/feedback/PA-2025-000001/resolve", {"answer": LONGEST_TEXT[:4000]}, "photos"),
    ("/open311/v2/requests.json", {"api_key": "k" * 64, "service_code": "giao_thong.o_ga",
                                   "description": LONGEST_TEXT, "lat": "21.853",
                                   "long": "106.761", "address_string": "Thôn Nà Pàn " * 40,
                                   "email": "a" * 240 + "@example.vn", "device_id": "d" * 100,
                                   "account_id": "a" * 100}, "media"),
]  # fmt: skip


async def _drain(scope: Scope, receive: Receive, send: Send) -> None:
    """An app that reads the whole body and says how many bytes it got."""
    size, more = 0, True
    while more:
        message = await receive()
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    await JSONResponse({"bytes": size})(scope, receive, send)


@pytest.mark.parametrize(("path", "fields", "field"), UPLOADS)
def test_a_report_with_every_photo_at_its_largest_fits_the_default_limit(
    path: str, fields: dict[str, str], field: str
) -> None:
    limit = Settings.model_fields["max_body_bytes"].default
    files = [(field, (f"IMG_2025061{i}_081500.jpg", b"\xff" * photos.MAX_BYTES, "image/jpeg"))
             for i in range(photos.MAX_PHOTOS)]  # fmt: skip
    guarded = TestClient(BodyGuard(_drain, max_bytes=limit))  # no lifespan: not a `with`
    answer = guarded.post(path, data=fields, files=files, headers=BROWSER)
    assert answer.status_code == 200, answer.text
    assert photos.MAX_PHOTOS * photos.MAX_BYTES < answer.json()["bytes"] <= limit


def _photo_of(size: int) -> bytes:
    """A real JPEG padded to ``size`` bytes, as large as a phone's photo."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 90, 160)).save(out, "JPEG")
    return out.getvalue().ljust(size, b"\0")


def test_five_photos_of_6_8_mb_reach_the_public_form(client: TestClient, session: Session) -> None:
    province(session)
    session.commit()
    files = [("photos", (f"{i}.jpg", _photo_of(6_800_000), "image/jpeg")) for i in range(5)]
    page = send(client, files=files)
    assert page.status_code == 200, page.text[:300]
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(FeedbackPhoto)) == 5


@pytest.fixture
def small(db: Engine) -> Iterator[TestClient]:
    """The app with a body limit of 100 kB."""
    app = create_app(get_settings().model_copy(update={"max_body_bytes": 100_000}))
    with TestClient(app) as c:
        yield c


def _chunked(size: int) -> Iterator[bytes]:
    """A multipart body of ``size`` bytes sent without a length, as a proxy may stream it."""
    yield b'--x\r\nContent-Disposition: form-data; name="photos"; filename="a.jpg"\r\n\r\n'
    for _ in range(size // 10_000):
        yield b"\xff" * 10_000
    yield b"\r\n--x--\r\n"


def test_a_browser_over_the_limit_gets_a_page_saying_to_choose_smaller_photos(
    small: TestClient,
) -> None:
    files = [("photos", (f"{i}.jpg", b"\xff" * 30_000, "image/jpeg")) for i in range(5)]
    page = small.post("/phan-anh/gui", data={"description": "Ổ gà"}, files=files, headers=BROWSER)
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    streamed = small.post("/phan-anh/gui", content=_chunked(150_000), headers=BROWSER | multipart)
    for answer in (page, streamed):
        assert answer.status_code == 413
        assert answer.headers["content-type"].startswith("text/html")
        assert answer.headers["x-content-type-options"] == "nosniff"
        text = answer.text
        assert '<html lang="vi">' in text and "<script" not in text
        vietnamese = text.index("Tổng dung lượng các tệp gửi kèm vượt quá 0,1 MB")
        assert "chọn ảnh nhỏ hơn hoặc ít ảnh hơn" in text and "nút Quay lại" in text
        assert vietnamese < text.index("The attached files are over 0,1 MB in total")
        assert "choose smaller or fewer photos" in text


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/api/v1/feedback/PA-2025-000001/resolve", BROWSER),  # the API answers JSON, always
        ("/phan-anh/gui", {"Accept": "application/json"}),
        ("/open311/v2/requests.json", {}),
    ],
)
def test_an_api_client_over_the_limit_keeps_the_json(
    small: TestClient, path: str, headers: dict[str, str]
) -> None:
    files = [("photos", ("a.jpg", b"\xff" * 150_000, "image/jpeg"))]
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    for answer in (
        small.post(path, files=files, headers=headers),
        small.post(path, content=_chunked(150_000), headers=headers | multipart),
    ):
        assert answer.status_code == 413
        assert answer.json() == {"error": "payload_too_large",
                                 "message": "Nội dung gửi lên quá lớn.",
                                 "details": {"max_bytes": 100_000}}  # fmt: skip
