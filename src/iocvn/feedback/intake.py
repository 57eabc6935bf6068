"""Intake (tiếp nhận): every channel — the public form, Open311, staff intake of hotline calls
and walk-ins, the webhook of other channels — makes a case the same way.

A case is stored whole or not at all: its text, place, photos (without metadata), the
reporter's sealed details, the suggested category, the responsible unit, the first deadline,
the first step of its timeline and the audit entry share one transaction. What is checked,
in order: the channel's rate limit (429), the category (when given), the text, the place (a
point in the province, or an address naming a commune), then the photos.

"Report anonymously" means iocvn keeps **no** contact details for the case: the reporter
follows it with the case code and secret only. Nothing here returns or logs plaintext
personal data.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
MAX_ADDRESS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
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
    """Text as stored: NUL and control characters removed, trimmed, at most ``limit``."""
    return _CONTROL.sub("", raw or "").strip()[:limit]


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
    session: Session, province: str, report: NewReport, shots: list[photos.CleanPhoto]
) -> tuple[float | None, float | None, str | None, str]:
    """(lat, lon, commune, how it was located)."""
    lat, lon, located = report.lat, report.lon, "point"
    if lat is None or lon is None:
        gps = next((p for p in shots if p.lat is not None), None)
        if gps is not None:
            lat, lon, located = gps.lat, gps.lon, "photo"
    if lat is not None and lon is not None:
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise Invalid("invalid_coordinates", details={"field": "lat"})
        if not geo.in_province(session, province, lon, lat):
            raise Invalid("outside_province", details={"field": "lat", "lat": lat, "lon": lon},
                          lat=f"{lat:.5f}", lon=f"{lon:.5f}")  # fmt: skip
        return lat, lon, geo.commune_at(session, province, lon, lat), located
    if not report.address.strip():
        raise Invalid("location_required", details={"field": "location"})
    place = commune_from_address(session, province, report.address)
    return None, None, place.code if place else None, "address"


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


def _seal_contacts(case: Feedback, report: NewReport, keys: str) -> None:
    if report.anonymous:
        return  # nothing kept: the form says so
    if report.name and report.name.strip():
        case.reporter_name = pii.seal(_short(report.name, "name", 200), keys, "feedback.name")
    if report.phone and report.phone.strip():
        phone = pii.normalise_phone(_short(report.phone, "phone", 30))
        if not 8 <= len(phone.lstrip("+")) <= 15:
            raise Invalid("invalid_phone", details={"field": "phone"})
        case.reporter_phone = pii.seal(phone, keys, "feedback.phone")
        case.phone_index = pii.blind_index(phone, keys, "phone")
    if report.email and report.email.strip():
        email = pii.normalise_email(_short(report.email, "email", 254))
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            raise Invalid("invalid_email", details={"field": "email"})
        case.reporter_email = pii.seal(email, keys, "feedback.email")
        case.email_index = pii.blind_index(email, keys, "email")
    if report.id_number and report.id_number.strip():
        number = _short(report.id_number, "id_number", 20)
        case.reporter_id_number = pii.seal(number, keys, "feedback.id_number")
    if report.notify_by in ("email", "sms"):
        case.notify_by = report.notify_by


def _short(value: str, name: str, limit: int) -> str:
    text = clean_text(value, limit + 1)
    if len(text) > limit:
        raise Invalid("contact_too_long", details={"field": name}, field=name)
    return text


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
    text = clean_text(report.description, MAX_TEXT + 1)
    if not MIN_TEXT <= len(text) <= MAX_TEXT:
        raise Invalid("description_length", details={"field": "description"},
                      min=MIN_TEXT, max=MAX_TEXT)  # fmt: skip
    photos.check_count(len(report.photos))
    shots = [photos.clean(p.data, p.name) for p in report.photos]
    lat, lon, area, located = _place(session, province, report, shots)
    secret = secrets.token_urlsafe(12)
    case = Feedback(
        id=new_id(),  # known now: the rows below refer to it
        code=_new_code(now),
        secret_hash=token_hash(secret),
        channel=channel,
        external_id=(report.external_id or None) and clean_text(report.external_id or "", 100),
        description=text,
        address=clean_text(report.address, MAX_ADDRESS),
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
