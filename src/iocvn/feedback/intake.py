"""Intake (tiếp nhận): every channel — the public form, Open311, staff intake of hotline calls
and walk-ins, the webhook of other channels — makes a case the same way.

A case is stored whole or not at all: its text, place, photos (without metadata), the
reporter's sealed details, the suggested category, the responsible unit, the first deadline,
the first step of its timeline and the audit entry share one transaction. What is checked,
in order: the channel's rate limit (429), the category (when given), the text, the channel
for updates (which needs the e-mail or phone, and no anonymity), the photos, the place, then
the contact details.

Text is stored as :func:`clean_text` leaves it (NFC, without control or invisible format
characters), so a text of invisible characters is an empty one. The place is the point typed
or picked (refused outside the province), else the GPS position of a photo taken in the
province, else the commune the address names; an address naming none is refused, except
from staff taking a call or a visit (``STAFF_CHANNELS``): the IOC then places the case.

"Report anonymously" means iocvn keeps **no** contact details for the case: the reporter
follows it with the case code and secret only. Nothing here returns or logs plaintext
personal data.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any, cast

from sqlalchemy import CursorResult, Table, func, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.config import Settings
from iocvn.core import pii, rekey
from iocvn.core.context import Actor
from iocvn.core.crypto import token_hash
from iocvn.core.errors import Invalid, IocError
from iocvn.core.i18n import register
from iocvn.core.ids import new_id
from iocvn.core.models import attach_written, new_row
from iocvn.core.timeutil import utcnow
from iocvn.feedback import clock, photos
from iocvn.feedback.models import CHANNELS, Feedback, FeedbackCategory, FeedbackEvent, FeedbackPhoto
from iocvn.feedback.routing import route
from iocvn.feedback.suggest import suggest_category
from iocvn.org import geo
from iocvn.org.places import commune_from_address

MIN_TEXT, MAX_TEXT = 10, 5000
MAX_SENT_TEXT = 20 * MAX_TEXT
"""A description longer than this as sent is refused (``clean_text`` reads no further)."""
MAX_ADDRESS = 500
MAX_EXTERNAL_ID = 100
STAFF_CHANNELS = ("hotline", "walk_in")
"""Channels staff type in: an address naming no commune is kept for the IOC to place."""
NOTIFY_CHANNELS = ("email", "sms")
# Removed from stored text: C0 and C1 controls but tab and line breaks, and every invisible
# format character (Unicode category Cf: zero-width spaces, joiners and marks, bidi controls,
# the BOM, the soft hyphen, tags…) but the zero-width joiner, kept between two emoji (the
# family emoji is three joined). The class is Unicode 15.1's Cf, checked against unicodedata
# by tests/feedback/test_intake_input.py.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b\u200c"
    "\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)
_ZWJ = "\u200d"
_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read over the phone

register(
    {
        "error.rate_limited": (
            "Bạn đã gửi quá nhiều phản ánh trong một giờ; vui lòng thử lại sau {minutes} phút.",
            "Too many reports from you in one hour; please try again in {minutes} minutes.",
        ),
        "error.description_length": (
            "Nội dung phản ánh cần từ {min} đến {max} ký tự.",
            "The description needs {min} to {max} characters.",
        ),
        "error.location_required": (
            "Cần chọn vị trí trên bản đồ hoặc nhập địa chỉ.",
            "Pick the place on the map or type an address.",
        ),
        "error.outside_province": (
            "Vị trí ({lat}, {lon}) nằm ngoài địa bàn tỉnh.",
            "The place ({lat}, {lon}) is outside the province.",
        ),
        "error.invalid_coordinates": (
            "Toạ độ không hợp lệ: vĩ độ −90…90, kinh độ −180…180.",
            "Invalid coordinates: latitude −90…90, longitude −180…180.",
        ),
        "error.invalid_channel": (
            "Kênh tiếp nhận {channel} không hợp lệ.",
            "Unknown channel {channel}.",
        ),
        "error.contact_too_long": (
            "Thông tin liên hệ ({field}) quá dài.",
            "Contact detail ({field}) is too long.",
        ),
        "error.invalid_phone": ("Số điện thoại không hợp lệ.", "Invalid phone number."),
        "error.coordinates_incomplete": (
            "Cần gửi cả vĩ độ (lat) và kinh độ (lon) của vị trí.",
            "Send both the latitude (lat) and the longitude (lon) of the place.",
        ),
        "error.photo_outside_province": (
            "Vị trí GPS trong ảnh ({lat}, {lon}) nằm ngoài địa bàn tỉnh; hãy chọn vị trí "
            "trên bản đồ hoặc nhập địa chỉ.",
            "The GPS position in the photo ({lat}, {lon}) is outside the province; pick the "
            "place on the map or type an address.",
        ),
        "error.address_without_commune": (
            "Địa chỉ chưa nêu xã, phường nào của tỉnh; hãy chọn vị trí trên bản đồ hoặc ghi "
            "rõ tên xã, phường.",
            "The address names no commune or ward of the province; pick the place on the map "
            "or write the name of the commune (xã) or ward (phường).",
        ),
        "error.invalid_notify_by": (
            "Kênh nhận thông báo {channel} không hợp lệ: email hoặc sms.",
            "Unknown channel for updates {channel}: email or sms.",
        ),
        "error.notify_anonymous": (
            "Phản ánh ẩn danh không lưu thông tin liên hệ nên không thể nhận thông báo.",
            "An anonymous report keeps no contact details, so it cannot be notified.",
        ),
        "error.notify_needs_email": (
            "Cần địa chỉ email để nhận thông báo qua email.",
            "An e-mail address is needed for updates by e-mail.",
        ),
        "error.notify_needs_phone": (
            "Cần số điện thoại để nhận thông báo qua SMS.",
            "A phone number is needed for updates by SMS.",
        ),
    }
)


class RateLimited(IocError):
    """Too many submissions from one source."""

    status = 429
    code = "rate_limited"


@dataclass
class Photo:
    """An uploaded file, as received."""

    data: bytes
    name: str = ""


@dataclass
class NewReport:
    """What a citizen (or the staff member taking the call) says."""

    description: str
    category: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str = ""
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None
    anonymous: bool = False
    notify_by: str | None = None
    external_id: str | None = None
    photos: list[Photo] = field(default_factory=list)


@dataclass(frozen=True)
class Submitted:
    """The stored case and the reporter's secret (shown once, never stored in clear)."""

    case: Feedback
    secret: str


APP_WIDE = "app:"
"""The prefix of a limit key an integration's reports share when they name no citizen."""


def source_key(caller: str, reporter_ref: str | None, keys: str) -> str:
    """The rate limit's key for an integration ``caller`` (``user:<account>``): the citizen
    behind the report when the integration names one (a device, an app account, a Zalo user,
    an e-mail or phone number) — under a keyed hash, so the key holds no identifier in clear
    nor a digest one could match against a list of numbers; otherwise the integration as a
    whole, with its own larger limit (``IOCVN_FEEDBACK_APP_PER_HOUR``)."""
    if not reporter_ref:
        return f"{APP_WIDE}{caller}"[:64]
    digest = pii.blind_index(reporter_ref, keys, "feedback.rate")[:16]
    return f"{caller[:40]}:{digest}"


def reporter_ref(
    *given: str | None, anonymous: bool, email: str | None = None, phone: str | None = None
) -> str:
    """Who a report is from, as far as an integration says: the first id ``given`` (an app
    account, a device), else the e-mail, else the phone number (normalised; never for an
    anonymous report, whose contact details are dropped); "" when none."""
    for ref in given:
        if ref and ref.strip():
            return ref.strip()
    if anonymous:
        return ""
    if email and email.strip():
        return "email:" + pii.normalise_email(email)
    if phone and phone.strip():
        return "phone:" + pii.normalise_phone(phone)
    return ""


def clean_text(raw: str, limit: int) -> str:
    """Text as stored: control and invisible format characters removed (a zero-width joiner
    only kept between two emoji), NFC (Vietnamese typed decomposed is composed, so search and
    the classifier see one spelling), trimmed, at most ``limit`` characters. Only the first
    ``20 × limit`` characters sent are read (the work stays bounded whatever is sent)."""
    text = _INVISIBLE.sub("", (raw or "")[: 20 * limit])
    if _ZWJ in text:
        parts = text.split(_ZWJ)
        text = parts[0] + "".join((_ZWJ if _joins_emoji(before, after) else "") + after
                                  for before, after in pairwise(parts))  # fmt: skip
    return unicodedata.normalize("NFC", text).strip()[:limit]


def _joins_emoji(before: str, after: str) -> bool:
    """Whether a zero-width joiner between ``before`` and ``after`` joins two emoji (an emoji
    or skin tone, or the emoji presentation selector, then an emoji)."""
    if not before or not after or unicodedata.category(after[0]) != "So":
        return False
    return before[-1] == "\ufe0f" or unicodedata.category(before[-1]) in ("So", "Sk")


def _check_rate(session: Session, settings: Settings, source_key: str, now: datetime) -> None:
    app_wide = source_key.startswith(APP_WIDE)
    limit = settings.feedback_app_per_hour if app_wide else settings.feedback_per_hour
    if not source_key or limit <= 0:
        return
    since = now - timedelta(hours=1)
    stmt = select(func.count(), func.min(Feedback.received_at)).where(
        Feedback.source_key == source_key, Feedback.received_at >= since
    )
    count, first = session.execute(stmt).one()
    if count >= limit:
        wait = max(1, int(((first + timedelta(hours=1)) - now).total_seconds() // 60) + 1)
        raise RateLimited(details={"retry_after_minutes": wait}, minutes=wait)


def _category(session: Session, code: str | None) -> FeedbackCategory | None:
    if code is None or not code.strip():
        return None
    cat = session.get(FeedbackCategory, code.strip()[:64])
    if cat is None or not cat.active:
        raise Invalid("unknown_category", details={"field": "category", "code": code[:64]},
                      category=code[:64])  # fmt: skip
    return cat


def _place(
    session: Session, province: str, report: NewReport, address: str,
    shots: list[photos.CleanPhoto], *, staff: bool,
) -> tuple[float | None, float | None, str | None, str]:  # fmt: skip
    """(lat, lon, commune, how it was located): the point typed or picked (refused outside
    the province), else the first photo's GPS position in the province, else the commune the
    address names (none: refused but from ``staff``). A photo taken elsewhere never
    overrides the address, and is named when it is the only place given."""
    if (report.lat is None) != (report.lon is None):
        missing = "lon" if report.lon is None else "lat"
        raise Invalid("coordinates_incomplete", details={"field": missing})
    if report.lat is not None and report.lon is not None:
        lat, lon = report.lat, report.lon
        if not _on_earth(lat, lon):
            raise Invalid("invalid_coordinates", details={"field": "lat"})
        if not geo.in_province(session, province, lon, lat):
            raise Invalid("outside_province", details={"field": "lat", "lat": lat, "lon": lon},
                          lat=f"{lat:.5f}", lon=f"{lon:.5f}")  # fmt: skip
        return lat, lon, geo.commune_at(session, province, lon, lat), "point"
    taken = [(p.lat, p.lon) for p in shots if p.lat is not None and p.lon is not None]
    for lat, lon in taken:
        if _on_earth(lat, lon) and geo.in_province(session, province, lon, lat):
            return lat, lon, geo.commune_at(session, province, lon, lat), "photo"
    if address:
        place = commune_from_address(session, province, address)
        if place is None and not staff:
            raise Invalid("address_without_commune", details={"field": "location"})
        return None, None, place.code if place else None, "address"
    if taken:
        lat, lon = taken[0]
        raise Invalid("photo_outside_province",
                      details={"field": "location", "lat": lat, "lon": lon},
                      lat=f"{lat:.5f}", lon=f"{lon:.5f}")  # fmt: skip
    raise Invalid("location_required", details={"field": "location"})


def _on_earth(lat: float, lon: float) -> bool:
    return -90 <= lat <= 90 and -180 <= lon <= 180


def _index_as(purpose: str) -> rekey.IndexOf:
    return lambda plaintext, _row, keys: pii.blind_index(plaintext, keys, purpose)


#: The reporter's details as stored (sealed, the phone and e-mail blind-indexed), for a re-key.
ENCRYPTED = (
    rekey.Encrypted(Feedback, "reporter_name", "sealed", "feedback.name"),
    rekey.Encrypted(
        Feedback,
        "reporter_phone",
        "sealed",
        "feedback.phone",
        index="phone_index",
        index_of=_index_as("phone"),
    ),
    rekey.Encrypted(
        Feedback,
        "reporter_email",
        "sealed",
        "feedback.email",
        index="email_index",
        index_of=_index_as("email"),
    ),
    rekey.Encrypted(Feedback, "reporter_id_number", "sealed", "feedback.id_number"),
)


def _check_notify(report: NewReport) -> None:
    """The channel for updates needs its address or number, and a reporter who keeps them."""
    how = report.notify_by
    if not how:
        return
    if how not in NOTIFY_CHANNELS:
        raise Invalid("invalid_notify_by", details={"field": "notify_by"}, channel=how[:10])
    if report.anonymous:
        raise Invalid("notify_anonymous", details={"field": "notify_by"})
    given, error = ((report.email, "notify_needs_email") if how == "email"
                    else (report.phone, "notify_needs_phone"))  # fmt: skip
    if not clean_text(given or "", 254):
        raise Invalid(error, details={"field": "notify_by"})


def _seal_contacts(case: Feedback, report: NewReport, keys: str) -> None:
    if report.anonymous:
        return  # nothing kept: the form says so
    if name := _short(report.name, "name", 200):
        case.reporter_name = pii.seal(name, keys, "feedback.name")
    if given := _short(report.phone, "phone", 30):
        phone = pii.normalise_phone(given)
        if not 8 <= len(phone.lstrip("+")) <= 15:
            raise Invalid("invalid_phone", details={"field": "phone"})
        case.reporter_phone = pii.seal(phone, keys, "feedback.phone")
        case.phone_index = pii.blind_index(phone, keys, "phone")
    if given := _short(report.email, "email", 254):
        email = pii.normalise_email(given)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise Invalid("invalid_email", details={"field": "email"})
        case.reporter_email = pii.seal(email, keys, "feedback.email")
        case.email_index = pii.blind_index(email, keys, "email")
    if number := _short(report.id_number, "id_number", 20):
        case.reporter_id_number = pii.seal(number, keys, "feedback.id_number")
    case.notify_by = report.notify_by or None  # checked by _check_notify


def _short(value: str | None, name: str, limit: int) -> str:
    text = clean_text(value or "", limit + 1)
    if len(text) > limit:
        raise Invalid("contact_too_long", details={"field": name}, field=name)
    return text


def external_ref(raw: str | None) -> str | None:
    """An integration's own id of a report as stored, and as a resend is looked up by
    (cleaned and trimmed like any text); None when blank."""
    return clean_text(raw or "", MAX_EXTERNAL_ID) or None


def _new_code(now: datetime) -> str:
    """``PA-26-7KQ4M2X``: the year and 7 random characters, easy to read out on the phone
    (32⁷ ≈ 34 billion a year; ``_write`` draws again in the rare case one is taken)."""
    tail = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(7))
    return f"PA-{now:%y}-{tail}"


def _write(session: Session, case: Feedback, event: dict[str, Any],
           shots: list[dict[str, Any]], now: datetime) -> None:  # fmt: skip
    """Write the new case with one statement that also settles its code — an insert that
    does nothing when the code is taken (then a new code is drawn), not a look-up first —
    then its first step and photos, with Core: this runs for every report, and the ORM's
    flush cost more than the rest of the intake (docs/performance.md)."""
    row = new_row(case)
    statement = _INSERT_NEW[session.get_bind().dialect.name]
    while cast("CursorResult[Any]", session.execute(statement, row)).rowcount == 0:
        row["code"] = _new_code(now)
    attach_written(session, case, row)
    session.execute(_INSERT_EVENT, event)
    if shots:
        session.execute(_INSERT_PHOTO, shots)


_FEEDBACK = cast("Table", Feedback.__table__)
_INSERT_EVENT = insert(cast("Table", FeedbackEvent.__table__))
_INSERT_PHOTO = insert(cast("Table", FeedbackPhoto.__table__))
_INSERT_NEW = {  # rowcount kept: psycopg reports -1 once a statement's cursor is closed
    name: dialect.insert(_FEEDBACK)
    .on_conflict_do_nothing(index_elements=["code"])
    .execution_options(preserve_rowcount=True)
    for name, dialect in (("postgresql", postgresql), ("sqlite", sqlite))
}


def submit(
    session: Session,
    settings: Settings,
    province: str,
    report: NewReport,
    *,
    channel: str,
    actor: Actor,
    source_key: str = "",
    now: datetime | None = None,
) -> Submitted:
    """Store a new case from any channel (written in the caller's transaction, which the
    caller commits)."""
    now = now or utcnow()
    if channel not in CHANNELS:
        raise Invalid("invalid_channel", details={"field": "channel"}, channel=channel[:20])
    _check_rate(session, settings, source_key, now)
    category = _category(session, report.category)
    sent = report.description or ""
    text = clean_text(sent, MAX_TEXT + 1)
    if len(sent) > MAX_SENT_TEXT or not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise Invalid("description_length", details={"field": "description"},
                      min=MIN_TEXT, max=MAX_TEXT)  # fmt: skip
    _check_notify(report)
    photos.check_count(len(report.photos))
    shots = [photos.clean(p.data, p.name) for p in report.photos]
    address = clean_text(report.address, MAX_ADDRESS)
    lat, lon, area, located = _place(session, province, report, address, shots,
                                     staff=channel in STAFF_CHANNELS)  # fmt: skip
    secret = secrets.token_urlsafe(12)
    case = Feedback(
        id=new_id(),  # known now: the rows below refer to it
        code=_new_code(now),
        secret_hash=token_hash(secret),
        channel=channel,
        external_id=external_ref(report.external_id),
        description=text,
        address=address,
        lat=lat,
        lon=lon,
        located_by=located,
        area_code=area,
        anonymous=report.anonymous,
        source_key=source_key[:64],
        received_at=now,
        category_code=category.code if category else None,
        priority=category.priority if category else "normal",
    )
    _seal_contacts(case, report, settings.data_keys)
    suggestion = suggest_category(session, text)
    if suggestion is not None:
        case.suggested_category, case.suggested_confidence = suggestion
    chosen = case.category_code or case.suggested_category
    target = route(session, chosen, area)
    case.org_code = target.org_code if target else None
    clock.start_stage(session, case, "accept", now, known_pauses=())  # none yet
    shots_rows = [
        new_row(FeedbackPhoto(
            feedback_id=case.id, stage="report", content_type=shot.content_type,
            data=shot.data, width=shot.width, height=shot.height, sha256=shot.sha256,
        ))
        for shot in shots
    ]  # fmt: skip
    received = FeedbackEvent(
        feedback_id=case.id, at=now, kind="received", actor=actor.name, public=True,
        data={"channel": channel, "route": target.rule_id if target else None,
              "suggested": case.suggested_category, "area": area, "located_by": located},
    )  # fmt: skip
    _write(session, case, new_row(received), shots_rows, now)
    audit.record(
        session, actor, "feedback.receive", target_type="feedback", target_id=case.id,
        after={"code": case.code, "channel": channel, "category": case.category_code,
               "area": area, "org_code": case.org_code, "anonymous": case.anonymous,
               "photos": len(shots)},
    )  # fmt: skip
    return Submitted(case, secret)
