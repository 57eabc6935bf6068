"""Citizen pages of feedback (phản ánh, kiến nghị), without login: the form
(``/phan-anh/gui``), the tracking page of a case with the reporter's private view (by the
case's secret) and its "was it fixed?" answer, the photos, and the public map of cases.

Everything here is public: never a reporter's name, phone, e-mail or id number (the reporter
is :func:`cases.pseudonym`), never a staff account's name. Forms carry a CSRF token backed by
a cookie of their own, as there is no session. A refused form comes back with the error next
to its field, in the citizen's language, and with what they typed (files excepted).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from shapely.geometry import shape
from sqlalchemy import Select, select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from iocvn.config import get_settings
from iocvn.core.crypto import new_token, same
from iocvn.core.errors import Forbidden, Invalid, IocError, NotFound
from iocvn.core.http import DbSession, anonymous_actor, client_ip
from iocvn.core.i18n import register, t
from iocvn.core.templating import render
from iocvn.core.timeutil import format_datetime, to_local, utcnow
from iocvn.feedback import cases, catalogue, intake, photos, workflow
from iocvn.feedback.intake import MAX_ADDRESS, MAX_TEXT, MIN_TEXT, NewReport, Photo, RateLimited
from iocvn.feedback.models import OPEN_STATUSES, Feedback, FeedbackCategory, FeedbackPhoto
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit

router = APIRouter()

FORM_COOKIE = "iocvn_pa"
MAP_DAYS, MAP_MAX_DAYS, MAP_MAX, MAP_LIST = 90, 365, 2000, 20
_PHOTO_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # a ULID
_FIELDS = {
    "category": "category",
    "description": "description",
    "lat": "location",
    "lon": "location",
    "location": "location",
    "name": "name",
    "phone": "phone",
    "email": "email",
    "notify_by": "notify_by",
}
StatusFilter = Annotated[Literal["open", "closed"] | None, Query()]

register(
    {
        "pa.nav.report": ("Gửi phản ánh", "Report a problem"),
        "pa.nav.map": ("Bản đồ phản ánh", "Map of reports"),
        "pa.form.title": ("Gửi phản ánh, kiến nghị", "Report a problem"),
        "pa.form.intro": (
            "Phản ánh vấn đề về hạ tầng, môi trường, trật tự đô thị, dịch vụ công… trên địa bàn "
            "tỉnh. Không cần đăng nhập. Mục có dấu * là bắt buộc.",
            "Report a problem with roads, the environment, public order or public services in "
            "the province. No login needed. Fields marked * are required.",
        ),
        "pa.form.errors": (
            "Phản ánh chưa được gửi: vui lòng sửa mục được đánh dấu bên dưới.",
            "The report was not sent: please correct the marked field below.",
        ),
        "pa.form.category": ("Lĩnh vực", "Category"),
        "pa.form.category_unknown": (
            "Không rõ lĩnh vực (Trung tâm IOC sẽ phân loại)",
            "Not sure (the IOC will classify it)",
        ),
        "pa.form.category_other": ("{name}: vấn đề khác", "{name}: other"),
        "pa.form.description": ("Nội dung phản ánh *", "What is the problem? *"),
        "pa.form.description_hint": (
            "Từ {min} đến {max} ký tự. Nội dung được công khai: đừng ghi họ tên, số điện thoại "
            "vào đây.",
            "{min} to {max} characters. The text is public: do not put names or phone numbers "
            "in it.",
        ),
        "pa.form.location": ("Vị trí *", "Where? *"),
        "pa.form.location_hint": (
            "Chạm vào bản đồ để chọn nơi xảy ra vấn đề, dùng vị trí của bạn, hoặc nhập địa chỉ. "
            "Nếu không chọn, vị trí ghi trong ảnh (nếu có) sẽ được dùng.",
            "Tap the map where the problem is, use your location, or type an address. "
            "Otherwise the position recorded in a photo (if any) is used.",
        ),
        "pa.form.use_my_location": ("Dùng vị trí của tôi", "Use my location"),
        "pa.form.clear_location": ("Bỏ vị trí đã chọn", "Clear the place"),
        "pa.form.picked": ("Đã chọn vị trí:", "Place chosen:"),
        "pa.form.no_point": ("Chưa chọn vị trí trên bản đồ.", "No place chosen on the map."),
        "pa.form.locating": ("Đang xác định vị trí…", "Finding your location…"),
        "pa.form.geo_failed": (
            "Không lấy được vị trí của bạn; hãy chạm vào bản đồ hoặc nhập địa chỉ.",
            "Your location is not available; tap the map or type an address.",
        ),
        "pa.form.no_tiles": (
            "Bản đồ nền chưa được cấu hình: hãy dùng vị trí của bạn hoặc nhập địa chỉ.",
            "No base map is configured: use your location or type an address.",
        ),
        "pa.form.address": ("Địa chỉ (nếu không chọn trên bản đồ)", "Address (if not on the map)"),
        "pa.form.address_hint": (
            "Số nhà, đường, thôn hoặc tổ dân phố, xã hoặc phường.",
            "House number, street, village or block, commune or ward.",
        ),
        "pa.form.photos": ("Ảnh (không bắt buộc)", "Photos (optional)"),
        "pa.form.photos_hint": (
            "Tối đa {n} ảnh JPEG, PNG hoặc WebP, mỗi ảnh tối đa {mb} MB. Vị trí ghi trong ảnh "
            "(EXIF) chỉ dùng để xác định nơi phản ánh, rồi bị xoá khỏi ảnh cùng mọi thông tin "
            "khác trước khi lưu.",
            "At most {n} JPEG, PNG or WebP photos, {mb} MB each. The position recorded in a "
            "photo (EXIF) only locates the report; it is removed with all other metadata before "
            "the photo is stored.",
        ),
        "pa.form.photos_lost": (
            "Ảnh đã chọn không được giữ lại khi biểu mẫu báo lỗi: vui lòng chọn lại ảnh.",
            "Chosen photos are not kept when the form shows an error: please choose them again.",
        ),
        "pa.form.contact": ("Thông tin liên hệ (không bắt buộc)", "Contact details (optional)"),
        "pa.form.anonymous": (
            "Gửi ẩn danh: không lưu bất kỳ thông tin liên hệ nào",
            "Report anonymously: keep no contact details at all",
        ),
        "pa.form.name": ("Họ và tên", "Name"),
        "pa.form.phone": ("Số điện thoại", "Phone"),
        "pa.form.email": ("Thư điện tử (email)", "E-mail"),
        "pa.form.notify_by": ("Nhận thông báo kết quả qua", "Tell me about progress by"),
        "pa.form.notify_none": ("Không cần thông báo", "No messages"),
        "pa.form.notify_email": ("Email", "E-mail"),
        "pa.form.notify_sms": ("Tin nhắn SMS", "SMS"),
        "pa.form.submit": ("Gửi phản ánh", "Send the report"),
        "pa.privacy.title": ("Ai được xem thông tin của bạn?", "Who sees your details?"),
        "pa.privacy.who_sees": (
            "Thông tin liên hệ của bạn (họ tên, số điện thoại, email) chỉ cán bộ được giao "
            "nhiệm vụ của Trung tâm IOC tỉnh được xem, khi cần liên hệ lại với bạn; mỗi lần xem "
            "phải nêu lý do và được ghi nhật ký.",
            "Your contact details (name, phone, e-mail) are seen only by authorised staff of the "
            "province IOC, when they need to contact you; each look needs a stated reason and is "
            "logged.",
        ),
        "pa.privacy.who_not": (
            "Đơn vị xử lý phản ánh và công chúng không được xem thông tin này: họ chỉ thấy mã "
            "phản ánh và tên gọi “Người phản ánh …”.",
            "The unit handling the report and the public do not see them: they see only the "
            "report's code and the name “Người phản ánh …” (the reporter).",
        ),
        "pa.privacy.public": (
            "Nội dung, vị trí, địa chỉ và ảnh của phản ánh được công khai trên trang theo dõi "
            "và bản đồ phản ánh.",
            "The report's text, place, address and photos are public on its tracking page and "
            "the map of reports.",
        ),
        "pa.privacy.anonymous": (
            "Gửi ẩn danh: hệ thống không lưu thông tin liên hệ nào; bạn theo dõi phản ánh bằng "
            "mã phản ánh và mã bí mật.",
            "Anonymous: no contact details are kept; you follow the report with its code and "
            "secret.",
        ),
        "pa.privacy.retention": (
            "Thông tin liên hệ được xoá {days} ngày sau khi phản ánh kết thúc. Địa chỉ IP của "
            "thiết bị gửi được ghi lại để chống gửi tràn.",
            "Contact details are erased {days} days after the report is closed. The sending "
            "device's IP address is recorded against floods of reports.",
        ),
        "pa.lookup.title": ("Đã gửi phản ánh? Tra cứu bằng mã", "Sent a report? Look it up"),
        "pa.lookup.code": ("Mã phản ánh", "Report code"),
        "pa.lookup.go": ("Tra cứu", "Look up"),
        "pa.done.title": ("Đã nhận phản ánh của bạn", "Your report is received"),
        "pa.done.code": ("Mã phản ánh", "Report code"),
        "pa.done.secret": ("Mã bí mật", "Secret"),
        "pa.done.keep": (
            "Hãy lưu lại cả hai mã (chụp màn hình hoặc ghi ra giấy). Mã bí mật chỉ hiển thị "
            "một lần này: với nó bạn mở trang riêng của phản ánh và xác nhận kết quả xử lý.",
            "Keep both codes (take a screenshot or write them down). The secret is shown only "
            "this once: with it you open your private page and confirm the result.",
        ),
        "pa.done.next": (
            "Trung tâm IOC sẽ xem xét và chuyển phản ánh đến đơn vị xử lý trước {deadline}.",
            "The IOC will review the report and pass it to the handling unit by {deadline}.",
        ),
        "pa.done.anonymous": (
            "Bạn đã gửi ẩn danh: hệ thống không lưu thông tin liên hệ nào.",
            "You reported anonymously: no contact details are kept.",
        ),
        "pa.done.private_link": ("Mở trang theo dõi riêng của bạn", "Open your private page"),
        "pa.done.public_link": ("Trang công khai của phản ánh", "The report's public page"),
        "pa.case.title": ("Phản ánh {code}", "Report {code}"),
        "pa.case.status": ("Trạng thái", "Status"),
        "pa.case.category": ("Lĩnh vực", "Category"),
        "pa.case.unclassified": ("Đang phân loại", "Being classified"),
        "pa.case.area": ("Xã, phường", "Commune"),
        "pa.case.unit": ("Đơn vị xử lý", "Handling unit"),
        "pa.case.pending": ("Đang xác định", "Not yet known"),
        "pa.case.received": ("Ngày tiếp nhận", "Received"),
        "pa.case.reporter": ("Người phản ánh", "Reporter"),
        "pa.case.channel": ("Kênh tiếp nhận", "Channel"),
        "pa.case.description": ("Nội dung", "Description"),
        "pa.case.address": ("Địa chỉ", "Address"),
        "pa.case.location": ("Vị trí", "Place"),
        "pa.case.deadline_accept": ("Hạn xem xét, chuyển xử lý", "Due to be reviewed by"),
        "pa.case.deadline_resolve": ("Hạn giải quyết", "Due to be resolved by"),
        "pa.case.overdue": ("quá hạn", "overdue"),
        "pa.case.answer": ("Trả lời của cơ quan xử lý", "The answer"),
        "pa.case.outcome": ("Kết quả", "Outcome"),
        "pa.case.remit_body": ("Cơ quan có thẩm quyền", "Responsible body"),
        "pa.case.reopened": ("Đã mở lại {n} lần", "Reopened {n} times"),
        "pa.case.photos": ("Ảnh phản ánh", "Photos of the report"),
        "pa.case.result_photos": ("Ảnh kết quả xử lý", "Photos of the result"),
        "pa.case.timeline": ("Quá trình xử lý", "Progress"),
        "pa.case.merged": (
            "Phản ánh này trùng với phản ánh {code} và đã được gộp; kết quả được cập nhật tại đó.",
            "This report duplicates {code} and was merged into it; follow that one.",
        ),
        "pa.case.private": (
            "Trang riêng của người gửi (đã nhập đúng mã bí mật).",
            "The reporter's private page (the secret matched).",
        ),
        "pa.case.secret_title": ("Bạn là người gửi phản ánh này?", "Did you send this report?"),
        "pa.case.secret": ("Mã bí mật", "Secret"),
        "pa.case.secret_go": ("Mở trang riêng", "Open my page"),
        "pa.outcome.fixed": ("Đã xử lý (theo báo cáo của đơn vị)", "Fixed (as the unit reports)"),
        "pa.outcome.fixed_confirmed": (
            "Đã xử lý, người phản ánh xác nhận",
            "Fixed, confirmed by the reporter",
        ),
        "pa.outcome.rejected": ("Không tiếp nhận", "Not accepted"),
        "pa.outcome.transferred": ("Chuyển cơ quan khác", "Passed to another body"),
        "pa.outcome.not_our_remit": ("Không thuộc thẩm quyền", "Not the province's remit"),
        "pa.outcome.duplicate": ("Trùng, đã gộp", "Duplicate, merged"),
        "pa.channel.web": ("Cổng thông tin (web)", "Web form"),
        "pa.channel.open311": ("Ứng dụng (Open311)", "App (Open311)"),
        "pa.channel.hotline": ("Đường dây nóng", "Hotline"),
        "pa.channel.walk_in": ("Trực tiếp", "In person"),
        "pa.channel.webhook": ("Kênh kết nối", "Connected channel"),
        "pa.channel.zalo": ("Zalo", "Zalo"),
        "pa.channel.email": ("Thư điện tử", "E-mail"),
        "pa.channel.app": ("Ứng dụng di động", "Mobile app"),
        "pa.event.received": ("Tiếp nhận phản ánh", "Report received"),
        "pa.event.accepted": ("Xác nhận, chuyển đơn vị xử lý", "Accepted and assigned"),
        "pa.event.rejected": ("Không tiếp nhận", "Not accepted"),
        "pa.event.transferred": ("Chuyển xử lý", "Passed on"),
        "pa.event.transfer_route": ("từ {source} → {target}", "from {source} → {target}"),
        "pa.event.transfer_to": ("đến {target}", "to {target}"),
        "pa.event.in_progress": ("Bắt đầu xử lý", "Work started"),
        "pa.event.extended": ("Gia hạn xử lý", "Time extended"),
        "pa.event.resolved": ("Báo cáo kết quả xử lý", "Result reported"),
        "pa.event.confirmed": ("Người phản ánh xác nhận đã xử lý", "Reporter confirmed the fix"),
        "pa.event.reopened": (
            "Người phản ánh báo chưa xử lý xong: mở lại",
            "Reporter says not fixed: reopened",
        ),
        "pa.event.closed": ("Kết thúc", "Closed"),
        "pa.event.merged": ("Gộp vào phản ánh trùng", "Merged into a duplicate"),
        "pa.event.other": ("Cập nhật", "Update"),
        "pa.confirm.title": ("Vấn đề đã được xử lý chưa?", "Was it fixed?"),
        "pa.confirm.intro": (
            "Đơn vị xử lý báo đã xử lý xong. Vấn đề đã thực sự được khắc phục chưa? Nếu chưa, "
            "phản ánh được mở lại và thời hạn xử lý được tính lại từ đầu.",
            "The handling unit reports the problem fixed. Is it really? If not, the report is "
            "reopened and its time limit starts again.",
        ),
        "pa.confirm.yes": ("Đã xử lý xong", "Yes, it is fixed"),
        "pa.confirm.no": ("Chưa xử lý xong", "No, it is not fixed"),
        "pa.confirm.rating": (
            "Mức độ hài lòng (1: rất không hài lòng, 5: rất hài lòng)",
            "Satisfaction (1: very unhappy, 5: very happy)",
        ),
        "pa.confirm.stars": ("{n} sao", "{n} stars"),
        "pa.confirm.comment": (
            "Nhận xét (không bắt buộc; được công khai trên trang này, đừng ghi thông tin cá nhân)",
            "Comment (optional; public on this page, do not put personal details in it)",
        ),
        "pa.confirm.submit": ("Gửi xác nhận", "Send"),
        "pa.confirm.thanks_fixed": (
            "Cảm ơn bạn đã xác nhận. Phản ánh đã kết thúc.",
            "Thank you. The report is closed.",
        ),
        "pa.confirm.thanks_reopened": (
            "Cảm ơn bạn. Phản ánh đã được mở lại và chuyển lại đơn vị xử lý.",
            "Thank you. The report is reopened and back with the handling unit.",
        ),
        "pa.confirm.not_waiting": (
            "Phản ánh không ở trạng thái chờ xác nhận (hiện tại: {status}).",
            "The report is not waiting for your answer (now: {status}).",
        ),
        "pa.map.title": ("Bản đồ phản ánh", "Map of reports"),
        "pa.map.intro": (
            "Phản ánh có vị trí trong {days} ngày gần đây (tối đa {max}), không kèm thông tin "
            "của người phản ánh.",
            "Located reports of the last {days} days (at most {max}), without anything about "
            "the reporters.",
        ),
        "pa.map.status": ("Trạng thái", "Status"),
        "pa.map.all": ("Tất cả", "All"),
        "pa.map.open": ("Đang xử lý", "Open"),
        "pa.map.closed": ("Đã xử lý, đã kết thúc", "Resolved or closed"),
        "pa.map.days": ("Thời gian", "Period"),
        "pa.map.n_days": ("{n} ngày gần đây", "Last {n} days"),
        "pa.map.filter": ("Xem", "Show"),
        "pa.map.latest": ("Phản ánh mới nhất", "Latest reports"),
        "pa.map.none": ("Chưa có phản ánh nào.", "No reports yet."),
        "pa.map.detail": ("Xem chi tiết", "Details"),
        "pa.map.truncated": (
            "Chỉ hiển thị {max} phản ánh mới nhất.",
            "Only the latest {max} reports are shown.",
        ),
        "pa.error.generic": ("Thông tin chưa hợp lệ.", "Something in the form is not valid."),
        "error.pa_no_province": (
            "Hệ thống chưa sẵn sàng nhận phản ánh (chưa có dữ liệu tỉnh).",
            "This installation cannot take reports yet (no province data).",
        ),
        "error.pa_photo_not_found": ("Không có ảnh này.", "There is no such photo."),
        "error.pa_notify_needs_email": (
            "Cần nhập email để nhận thông báo qua email.",
            "Type an e-mail address to be told by e-mail.",
        ),
        "error.pa_notify_needs_phone": (
            "Cần nhập số điện thoại để nhận thông báo qua SMS.",
            "Type a phone number to be told by SMS.",
        ),
        "error.pa_fixed_required": (
            "Hãy chọn: vấn đề đã được xử lý xong hay chưa.",
            "Choose whether the problem is fixed or not.",
        ),
        "error.pa_comment_too_long": (
            "Ý kiến dài quá {max} ký tự; hãy rút gọn.",
            "The comment is over {max} characters; please shorten it.",
        ),
    }
)


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


def _message(request: Request, error: IocError) -> str:
    text = t(error.message_key, _lang(request), **error.params)
    return text if text != error.message_key else t("pa.error.generic", _lang(request))


def _error_page(request: Request, error: IocError) -> Response:
    """The error in words, as a page, whatever the client accepts (these are pages)."""
    status = error.status if 400 <= error.status < 600 else 400
    return render(
        request, "web/error.html", {"status": status, "message": _message(request, error)}, status
    )


# --- CSRF without a session: a random cookie, and forms echo its HMAC ------------------------


def _token(nonce: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"phan-anh:{nonce}".encode(), hashlib.sha256).hexdigest()


def _with_csrf(request: Request) -> str:
    """The cookie's nonce (a new one when absent); the token goes to the template."""
    nonce = request.cookies.get(FORM_COOKIE) or new_token(24)
    request.state.csrf_token = _token(nonce)
    return nonce


def _set_cookie(request: Request, response: Response, nonce: str) -> None:
    setting = get_settings().secure_cookies
    secure = request.url.scheme == "https" if setting is None else setting
    response.set_cookie(
        FORM_COOKIE,
        nonce,
        max_age=7 * 86400,
        path="/phan-anh",
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def _csrf_ok(request: Request, sent: str) -> bool:
    nonce = request.cookies.get(FORM_COOKIE, "")
    return bool(nonce and sent) and same(sent, _token(nonce))


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """A page with forms: a CSRF token in the template and its cookie on the response."""
    nonce = _with_csrf(request)
    response = render(request, name, context, status)
    _set_cookie(request, response, nonce)
    return response


# --- the form ---------------------------------------------------------------------------------


@dataclass
class Typed:
    """What the citizen typed, given back when the form returns with an error."""

    category: str = ""
    description: str = ""
    address: str = ""
    lat: str = ""
    lon: str = ""
    name: str = ""
    phone: str = ""
    email: str = ""
    notify_by: str = ""
    anonymous: bool = False


def _category_groups(db: Session, lang: str) -> list[tuple[str, list[tuple[str, str]]]]:
    """Active categories as (top-level field, [(code, name)]); the field itself comes last as
    "other problems of this field"."""
    groups: dict[str, tuple[str, list[tuple[str, str]]]] = {}
    general: dict[str, tuple[str, str]] = {}
    for cat in catalogue.list_categories(db):
        name = (cat.name_en or cat.name_vi) if lang == "en" else cat.name_vi
        top = cat.code.split(".")[0]
        if cat.parent_code is None:
            groups[top] = (name, groups.get(top, ("", []))[1])
            general[top] = (cat.code, t("pa.form.category_other", lang, name=name))
        else:
            groups.setdefault(top, (name, []))[1].append((cat.code, name))
    return [
        (label, items + ([general[top]] if top in general else []))
        for top, (label, items) in groups.items()
    ]


def _bounds(db: Session, province: str | None) -> str:
    """``south,west,north,east`` of the province for the map's first view ("" unknown)."""
    unit = db.get(OrgUnit, province) if province else None
    if unit is None:
        return ""
    if unit.geometry:
        west, south, east, north = shape(unit.geometry).bounds
        return f"{south:.5f},{west:.5f},{north:.5f},{east:.5f}"
    if unit.lat is not None and unit.lon is not None:
        lat, lon = unit.lat, unit.lon
        return f"{lat - 0.3:.5f},{lon - 0.3:.5f},{lat + 0.3:.5f},{lon + 0.3:.5f}"
    return ""


def _form_page(
    request: Request,
    db: Session,
    typed: Typed,
    *,
    errors: dict[str, str] | None = None,
    photos_lost: bool = False,
    status: int = 200,
) -> Response:
    settings = get_settings()
    return _page(
        request,
        "feedback/public_form.html",
        {
            "form": typed,
            "errors": errors or {},
            "photos_lost": photos_lost,
            "groups": _category_groups(db, _lang(request)),
            "bounds": _bounds(db, home_province(db)),
            "tile_url": settings.tile_url,
            "min_text": MIN_TEXT,
            "max_text": MAX_TEXT,
            "max_address": MAX_ADDRESS,
            "max_photos": photos.MAX_PHOTOS,
            "max_mb": photos.MAX_BYTES // 1048576,
            "formats": ",".join(photos.FORMATS.values()),
            "retention_days": settings.feedback_retention_days,
        },
        status,
    )


@router.get("/phan-anh/gui", response_class=HTMLResponse)
def form(request: Request, db: DbSession) -> Response:
    """The public form: no login, mobile first."""
    return _form_page(request, db, Typed())


def _coordinate(raw: str) -> float | None:
    if not raw.strip():
        return None
    try:
        value = float(raw.strip().replace(",", "."))
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise Invalid("invalid_coordinates", details={"field": "lat"})
    return value


def _report(typed: Typed, shots: list[Photo]) -> NewReport:
    """The report as intake takes it; contact details are not even passed when anonymous."""
    lat, lon = _coordinate(typed.lat), _coordinate(typed.lon)
    if (lat is None) != (lon is None):
        raise Invalid("invalid_coordinates", details={"field": "lat"})
    contact = not typed.anonymous
    notify = typed.notify_by if contact and typed.notify_by in ("email", "sms") else None
    if notify == "email" and not typed.email.strip():
        raise Invalid("pa_notify_needs_email", details={"field": "notify_by"})
    if notify == "sms" and not typed.phone.strip():
        raise Invalid("pa_notify_needs_phone", details={"field": "notify_by"})
    return NewReport(
        description=typed.description,
        category=typed.category or None,
        lat=lat,
        lon=lon,
        address=typed.address,
        anonymous=typed.anonymous,
        notify_by=notify,
        photos=shots,
        name=typed.name if contact else None,
        phone=typed.phone if contact else None,
        email=typed.email if contact else None,
    )


def _field(error: IocError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    if details.get("field") in _FIELDS:
        return _FIELDS[str(details["field"])]
    if error.code.startswith("photo_") or error.code == "too_many_photos":
        return "photos"
    return "form"


async def _uploads(request: Request) -> list[Photo]:
    """The chosen files, read from the parsed form: a browser sends an empty part when none
    is chosen, which arrives as an empty file or an empty string depending on the client."""
    out = []
    for upload in (await request.form()).getlist("photos"):
        if isinstance(upload, UploadFile):
            data = await upload.read(photos.MAX_BYTES + 1)  # one byte over: "too large"
            if data or upload.filename:
                out.append(Photo(data, (upload.filename or "")[:120]))
    return out


Text = Annotated[str, Form()]


@router.post("/phan-anh/gui", response_class=HTMLResponse)
async def submit(
    request: Request,
    db: DbSession,
    csrf_token: Text = "",
    category: Text = "",
    description: Text = "",
    address: Text = "",
    lat: Text = "",
    lon: Text = "",
    name: Text = "",
    phone: Text = "",
    email: Text = "",
    notify_by: Text = "",
    anonymous: Text = "",
) -> Response:
    """Store the report (issue #4) and show its code and secret once; the form's ``photos``
    are up to 5 files."""
    typed = Typed(
        category[:64],
        description[: MAX_TEXT * 2],
        address[: MAX_ADDRESS * 2],
        lat[:40],
        lon[:40],
        name[:300],
        phone[:60],
        email[:300],
        notify_by[:10],
        anonymous not in ("", "0"),
    )
    shots = await _uploads(request)
    return await run_in_threadpool(_store, request, db, typed, csrf_token, shots)


def _store(
    request: Request, db: Session, typed: Typed, csrf_token: str, shots: list[Photo]
) -> Response:
    if not _csrf_ok(request, csrf_token):
        return _form_page(
            request,
            db,
            typed,
            errors={"form": t("error.csrf_failed", _lang(request))},
            photos_lost=bool(shots),
            status=403,
        )
    province = home_province(db)
    if province is None:
        return _error_page(request, IocError("pa_no_province", status=503))
    try:
        done = intake.submit(
            db,
            get_settings(),
            province,
            _report(typed, shots),
            channel="web",
            actor=anonymous_actor(request, "citizen"),
            source_key=intake.source_key("ip", client_ip(request), get_settings().data_keys),
        )
    except IocError as error:
        db.rollback()
        field = "form" if isinstance(error, RateLimited) else _field(error)
        response = _form_page(
            request,
            db,
            typed,
            errors={field: _message(request, error)},
            photos_lost=bool(shots),
            status=error.status if 400 <= error.status < 500 else 422,
        )
        if isinstance(error, RateLimited):
            minutes = int((error.details or {}).get("retry_after_minutes", 60))
            response.headers["Retry-After"] = str(minutes * 60)
        return response
    case = done.case
    response = render(
        request,
        "feedback/public_done.html",
        {
            "case": case,
            "secret": done.secret,
            "area": _unit_name(db, case.area_code),
            "private_url": f"/phan-anh/{case.code}?secret={quote(done.secret)}",
        },
    )
    response.headers["Cache-Control"] = "no-store"  # the secret is shown once
    return response


def _unit_name(db: Session, code: str | None) -> str:
    unit = db.get(OrgUnit, code) if code else None
    return unit.name if unit else ""


# --- the photos and the public map (fixed paths: before /phan-anh/{code}) ---------------------


@router.get("/phan-anh/anh/{photo_id}")
def photo(photo_id: str, request: Request, db: DbSession) -> Response:
    """A photo of a case: stored without its metadata (EXIF), so it may be served as is."""
    found = db.get(FeedbackPhoto, photo_id) if _PHOTO_ID.fullmatch(photo_id) else None
    if found is None:
        raise NotFound("pa_photo_not_found")
    etag = f'"{found.sha256}"'
    headers = {
        "Cache-Control": "public, max-age=86400",
        "X-Content-Type-Options": "nosniff",
        "ETag": etag,
        "Content-Disposition": "inline",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(found.data, media_type=found.content_type, headers=headers)


MapRow = Select[str, str, str | None, datetime, float | None, float | None]


def _map_query(status: str | None, days: int) -> MapRow:
    """Public columns only (never the reporter's), newest first, duplicates left out."""
    stmt = select(
        Feedback.code,
        Feedback.status,
        Feedback.category_code,
        Feedback.received_at,
        Feedback.lat,
        Feedback.lon,
    ).where(
        Feedback.received_at >= utcnow() - timedelta(days=days),
        Feedback.duplicate_of.is_(None),
    )
    if status == "open":
        stmt = stmt.where(Feedback.status.in_(OPEN_STATUSES))
    elif status == "closed":
        stmt = stmt.where(Feedback.status.not_in(OPEN_STATUSES))
    return stmt.order_by(Feedback.received_at.desc(), Feedback.id.desc())


def _category_names(db: Session, lang: str) -> dict[str, str]:
    rows = db.execute(
        select(FeedbackCategory.code, FeedbackCategory.name_vi, FeedbackCategory.name_en)
    )
    return {code: (en or vi) if lang == "en" else vi for code, vi, en in rows}


def _public_row(row: Any, names: dict[str, str], lang: str) -> dict[str, Any]:
    return {
        "code": row.code,
        "status": row.status,
        "status_label": t(f"fb.status.{row.status}", lang),
        "open": row.status in OPEN_STATUSES,
        "category": names.get(row.category_code or "", t("pa.case.unclassified", lang)),
        "received": to_local(row.received_at).strftime("%d/%m/%Y"),
        "url": f"/phan-anh/{row.code}",
    }


@router.get("/phan-anh/ban-do.geojson")
def map_geojson(
    request: Request,
    db: DbSession,
    status: StatusFilter = None,
    days: Annotated[int, Query(ge=1, le=MAP_MAX_DAYS)] = MAP_DAYS,
) -> Response:
    """Located cases as a GeoJSON FeatureCollection (RFC 7946: lon, lat), no personal data."""
    lang = _lang(request)
    names = _category_names(db, lang)
    stmt = _map_query(status, days).where(Feedback.lat.is_not(None), Feedback.lon.is_not(None))
    rows = db.execute(stmt.limit(MAP_MAX + 1)).all()
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(r.lon, 6), round(r.lat, 6)]},
            "properties": _public_row(r, names, lang),
        }
        for r in rows[:MAP_MAX]
    ]
    body = {"type": "FeatureCollection", "features": features, "truncated": len(rows) > MAP_MAX}
    return JSONResponse(
        body, media_type="application/geo+json", headers={"Cache-Control": "public, max-age=60"}
    )


@router.get("/phan-anh/ban-do", response_class=HTMLResponse)
def map_page(
    request: Request,
    db: DbSession,
    status: StatusFilter = None,
    days: Annotated[int, Query(ge=1, le=MAP_MAX_DAYS)] = MAP_DAYS,
) -> Response:
    """The public map of cases, and the latest ones as a list (for readers without a map)."""
    lang = _lang(request)
    names = _category_names(db, lang)
    latest = db.execute(_map_query(status, days).limit(MAP_LIST)).all()
    query = f"?days={days}" + (f"&status={status}" if status else "")
    return render(
        request,
        "feedback/public_map.html",
        {
            "status": status or "",
            "days": days,
            "geojson": f"/phan-anh/ban-do.geojson{query}",
            "latest": [_public_row(r, names, lang) for r in latest],
            "max": MAP_MAX,
            "tile_url": get_settings().tile_url,
            "bounds": _bounds(db, home_province(db)),
        },
    )


@router.get("/phan-anh/tra-cuu")
def lookup(ma: Annotated[str, Query(max_length=40)] = "") -> Response:
    """Go to a case's page from its code typed in a box."""
    code = "".join(ma.split()).upper()
    return RedirectResponse(f"/phan-anh/{quote(code, safe='')}" if code else "/phan-anh/gui", 303)


# --- the tracking page and the reporter's answer ----------------------------------------------


def _events(db: Session, case: Feedback, lang: str) -> list[dict[str, Any]]:
    """The public steps, in words; the acting unit's name, never a staff account's."""
    out = []
    for event in cases.timeline(db, case, public_only=True):
        data = event.data or {}
        detail = ""
        unit = _unit_name(db, event.org_code)
        if event.kind == "transferred":  # from which unit to which, not the unit twice
            target = _unit_name(db, data.get("to_org")) or str(data.get("outside_body") or "")
            source = _unit_name(db, data.get("from_org"))
            if source:
                detail = t("pa.event.transfer_route", lang, source=source, target=target)
            elif target:  # a transfer recorded before the source was
                detail = t("pa.event.transfer_to", lang, target=target)
            unit = ""
        elif event.kind == "merged":
            detail = str(data.get("into") or "")
        elif event.kind == "rejected":
            detail = str(data.get("remit_body") or "")
        elif event.kind == "extended" and data.get("deadline"):
            detail = format_datetime(datetime.fromisoformat(str(data["deadline"])))
        key = f"pa.event.{event.kind}"
        label = t(key, lang) if t(key, lang) != key else t("pa.event.other", lang)
        out.append(
            {
                "at": event.at,
                "kind": event.kind,
                "text": event.text,
                "detail": detail,
                "label": label,
                "unit": unit,
            }
        )
    return out


MAX_COMMENT = 4000


def _stars(rating: str) -> int | None:
    """The rating as typed: none, or a whole number 1–5 in ASCII digits (``"²".isdigit()``
    is true too, and ``int("²")`` fails)."""
    given = rating.strip()
    if not given:
        return None
    if not (given.isascii() and given.isdigit() and 1 <= int(given) <= 5):
        raise Invalid("invalid_rating", details={"field": "rating"})
    return int(given)


def _case_page(
    request: Request,
    db: Session,
    case: Feedback,
    *,
    secret: str = "",
    error: str = "",
    flash: str = "",
    answer: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    lang = _lang(request)
    category = db.get(FeedbackCategory, case.category_code) if case.category_code else None
    shots = cases.photo_ids(db, case)
    main = db.get(Feedback, case.duplicate_of) if case.duplicate_of else None
    response = _page(
        request,
        "feedback/public_case.html",
        {
            "case": case,
            "private": bool(secret),
            "secret": secret,
            "error": error,
            "flash": flash,
            "pseudonym": cases.pseudonym(case),
            "status_label": t(f"fb.status.{case.status}", lang),
            "category": (
                (category.name_en or category.name_vi) if lang == "en" else category.name_vi
            )
            if category
            else "",
            "area": _unit_name(db, case.area_code),
            "unit": _unit_name(db, case.org_code),
            "events": _events(db, case, lang),
            "main_code": main.code if main else "",
            "report_photos": [p for p, stage in shots if stage == "report"],
            "result_photos": [p for p, stage in shots if stage == "resolution"],
            "open": case.status in OPEN_STATUSES,
            "now": utcnow(),
            "can_confirm": bool(secret) and case.status == "resolved",
            "answer": answer or {},
        },
        status,
    )
    if secret:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _private(request: Request, db: Session, code: str, secret: str, flash: str = "") -> Response:
    """The case page; with a secret, only when it matches (403 otherwise)."""
    try:
        case = cases.get_public(db, code)
        if secret:
            cases.check_secret(case, secret)
    except IocError as error:
        return _error_page(request, error)
    return _case_page(request, db, case, secret=secret, flash=flash)


RESULTS = {"fixed": "pa.confirm.thanks_fixed", "reopened": "pa.confirm.thanks_reopened"}


@router.get("/phan-anh/{code}", response_class=HTMLResponse)
def case_page(
    code: str,
    request: Request,
    db: DbSession,
    secret: Annotated[str, Query(max_length=100)] = "",
    ket_qua: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    """A case for everyone; with its secret, the reporter's private view."""
    flash = t(RESULTS[ket_qua], _lang(request)) if ket_qua in RESULTS else ""
    return _private(request, db, code, secret.strip(), flash)


@router.post("/phan-anh/{code}", response_class=HTMLResponse)
def case_page_with_secret(
    code: str, request: Request, db: DbSession, csrf_token: Text = "", secret: Text = ""
) -> Response:
    """The reporter's private view, the secret typed in a form (kept out of the address)."""
    if not _csrf_ok(request, csrf_token):
        return _error_page(request, Forbidden("csrf_failed"))
    if not secret.strip():
        return _error_page(request, Forbidden("wrong_secret"))
    return _private(request, db, code, secret.strip()[:100])


@router.post("/phan-anh/{code}/xac-nhan", response_class=HTMLResponse)
def confirm(
    code: str,
    request: Request,
    db: DbSession,
    csrf_token: Text = "",
    secret: Text = "",
    fixed: Text = "",
    rating: Text = "",
    comment: Text = "",
) -> Response:
    """The reporter's answer: fixed (the case closes) or not (it reopens, the clock restarts)."""
    secret = secret.strip()[:100]
    if not _csrf_ok(request, csrf_token):
        return _error_page(request, Forbidden("csrf_failed"))
    try:
        case = cases.get_public(db, code)
        cases.check_secret(case, secret)
    except IocError as error:
        return _error_page(request, error)
    lang = _lang(request)
    if case.status != "resolved":  # answered already (a second click) or reopened by staff
        state = t(f"fb.status.{case.status}", lang)
        waiting = t("pa.confirm.not_waiting", lang, status=state)
        return _case_page(request, db, case, secret=secret, error=waiting, status=409)
    answer = {"fixed": fixed, "rating": rating.strip()[:2], "comment": comment[:MAX_COMMENT]}
    try:
        if fixed not in ("yes", "no"):
            raise Invalid("pa_fixed_required", details={"field": "fixed"})
        stars = _stars(rating)
        if len(comment) > MAX_COMMENT:
            raise Invalid("pa_comment_too_long", details={"field": "comment"}, max=MAX_COMMENT)
        workflow.confirm(
            db,
            get_settings(),
            case,
            secret=secret,
            fixed=fixed == "yes",
            rating=stars,
            comment=comment,
        )
    except IocError as error:
        db.rollback()
        return _case_page(
            request,
            db,
            cases.get_public(db, code),
            secret=secret,
            error=_message(request, error),
            answer=answer,
            status=422,
        )
    result = "fixed" if fixed == "yes" else "reopened"
    return RedirectResponse(f"/phan-anh/{quote(case.code)}?ket_qua={result}", 303)
