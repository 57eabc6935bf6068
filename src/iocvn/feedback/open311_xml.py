"""Open311 GeoReport v2 documents: what the read side answers (services, service
definitions, requests) and how any document is written, as XML (the spec's required format)
or JSON (its Spark-convention mapping), chosen by the URL's file extension.

A document is plain data: a root name and a body of dicts, lists and scalars. JSON writes
it as is; XML names a list's items by the spec's singular (``services`` → ``service``,
``service_requests`` → ``request``), writes ``true``/``false`` for booleans and an empty
element for a missing value. Both are UTF-8 with the spec's content types; the XML starts
with its declaration. Text is escaped by ElementTree; characters XML 1.0 cannot carry are
dropped. This module only writes XML, never parses it.

A request's document is built from named columns only: never the reporter's name, phone,
e-mail, account or device id, nor who on the staff took a step.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from iocvn.core import i18n
from iocvn.core.errors import Invalid, NotFound
from iocvn.core.timeutil import LOCAL_TZ, to_local
from iocvn.feedback.cases import Filters, case_query, open311_status
from iocvn.feedback.models import (
    OPEN_STATUSES,
    Feedback,
    FeedbackCategory,
    FeedbackEvent,
    FeedbackPhoto,
)
from iocvn.org.models import OrgUnit

CONTENT_TYPES = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
"""The two formats (the URL's extension) and their HTTP content types."""
MEDIA_TYPES = ("text/xml", "application/json")
"""The formats as service discovery lists them."""
WINDOW = timedelta(days=90)
LIMIT = 1000
"""The spec's "first 1000 requests": the default page, the largest page and id list."""

ITEM = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}
"""The element of each item of a list, by the list's name (the spec's examples)."""

_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACED_OFFSET = re.compile(r" (\d{2}:?\d{2})$")  # "+07:00" sent unencoded arrives as " 07:00"

i18n.register(
    {
        "error.open311_date": (
            "{field} không đúng định dạng ISO 8601 (vd. 2026-11-30T09:00:00+07:00).",
            "{field} is not ISO 8601 (e.g. 2026-11-30T09:00:00+07:00).",
        ),
        "error.open311_date_range": (
            "Khoảng start_date–end_date phải đúng thứ tự và không quá {days} ngày.",
            "start_date–end_date must be in order and span at most {days} days.",
        ),
        "error.open311_status": ("status nhận open hoặc closed.", "status takes open or closed."),
        "error.open311_paging": (
            "page phải từ 1 trở lên và page_size từ 1 đến {max}.",
            "page must be 1 or more and page_size 1 to {max}.",
        ),
        "error.open311_too_many_ids": (
            "Tối đa {max} service_request_id mỗi lần.",
            "At most {max} service_request_id at once.",
        ),
        "open311.duplicate": ("Trùng với phản ánh {code}.", "Duplicate of request {code}."),
        "open311.attr.notify_by": (
            "Nhận thông báo tiến độ qua kênh nào (cần email hoặc phone tương ứng)",
            "How to be told of progress (needs the matching email or phone)",
        ),
        "open311.attr.notify_by.email": ("Thư điện tử", "E-mail"),
        "open311.attr.notify_by.sms": ("Tin nhắn SMS", "Text message (SMS)"),
        "open311.attr.anonymous": (
            "Phản ánh ẩn danh: không lưu họ tên, điện thoại, email",
            "Report anonymously: no name, phone or e-mail is kept",
        ),
        "open311.attr.anonymous.false": ("Không", "No"),
        "open311.attr.anonymous.true": ("Có, ẩn danh", "Yes, anonymously"),
    }
)


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Doc:
    """An Open311 document: its root element and body."""

    root: str
    body: Any


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, name: str, value: Any) -> None:
    if isinstance(value, Mapping):
        for key, child in value.items():
            _fill(ET.SubElement(element, key), key, child)
    elif isinstance(value, list):
        item = ITEM.get(name, "item")
        for child in value:
            _fill(ET.SubElement(element, item), item, child)
    else:
        element.text = _text(value)


def to_xml(doc: Doc) -> bytes:
    """The XML document: the declaration, then ``<root>`` holding the body."""
    element = ET.Element(doc.root)
    _fill(element, doc.root, doc.body)
    return _DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8") + b"\n"


def to_json(doc: Doc) -> bytes:
    """The JSON document (UTF-8, not ASCII-escaped)."""
    return json.dumps(doc.body, ensure_ascii=False).encode("utf-8")


def render(
    fmt: str, doc: Doc, *, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    """The response carrying ``doc`` in format ``fmt`` (``xml`` or ``json``)."""
    content = to_xml(doc) if fmt == "xml" else to_json(doc)
    return Response(content, status, dict(headers or {}), media_type=CONTENT_TYPES[fmt])


def errors(
    fmt: str, status: int, description: str, headers: Mapping[str, str] | None = None
) -> Response:
    """The spec's error list ``[{code, description}]``, with the HTTP status as its code."""
    doc = Doc("errors", [{"code": status, "description": description}])
    return render(fmt if fmt in CONTENT_TYPES else "json", doc, status=status, headers=headers)


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with the offset, in Vietnam's time: ``2026-11-30T09:00:00+07:00``."""
    return to_local(value).isoformat(timespec="seconds") if value is not None else None


# --- services -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attribute:
    """An attribute every service takes; each is stored by intake and used afterwards."""

    code: str
    values: tuple[str, ...]


ATTRIBUTES = (
    Attribute("notify_by", ("email", "sms")),  # Feedback.notify_by: the workflow notifies
    Attribute("anonymous", ("false", "true")),  # Feedback.anonymous: no contact kept
)


def _categories(db: Session) -> dict[str, FeedbackCategory]:
    return {c.code: c for c in db.execute(select(FeedbackCategory)).scalars()}


def _name(category: FeedbackCategory, lang: str) -> str:
    return category.name_en if lang == "en" and category.name_en else category.name_vi


def services_doc(db: Session, lang: str) -> Doc:
    """Every active category as a service, grouped by its top-level category."""
    every = _categories(db)
    out = []
    for cat in sorted((c for c in every.values() if c.active), key=lambda c: (c.sort, c.code)):
        top = cat
        while top.parent_code is not None and top.parent_code in every:
            top = every[top.parent_code]
        name = _name(cat, lang)
        out.append({"service_code": cat.code, "service_name": name,
                    "description": cat.description or name, "metadata": bool(ATTRIBUTES),
                    "type": "realtime", "keywords": ", ".join(cat.keywords or []),
                    "group": _name(top, lang)})  # fmt: skip
    return Doc("services", out)


def active_service(db: Session, code: str) -> FeedbackCategory:
    """The active category ``code``, else 404."""
    cat = db.get(FeedbackCategory, code.strip()[:64])
    if cat is None or not cat.active:
        raise NotFound("unknown_category", details={"code": code[:64]}, category=code[:64])
    return cat


def definition_doc(db: Session, code: str, lang: str) -> Doc:
    """The service definition: the attributes a request of the service may carry."""
    cat = active_service(db, code)
    attributes = [
        {"variable": True, "code": a.code, "datatype": "singlevaluelist", "required": False,
         "datatype_description": None, "order": order,
         "description": i18n.t(f"open311.attr.{a.code}", lang),
         "values": [{"key": v, "name": i18n.t(f"open311.attr.{a.code}.{v}", lang)}
                    for v in a.values]}
        for order, a in enumerate(ATTRIBUTES, start=1)
    ]  # fmt: skip
    return Doc("service_definition", {"service_code": cat.code, "attributes": attributes})


# --- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    """The filters of ``GET requests``, checked."""

    ids: list[str] | None = None
    services: tuple[str, ...] = ()
    statuses: frozenset[str] = frozenset()
    start: datetime | None = None
    end: datetime | None = None
    page: int = 1
    page_size: int = LIMIT


def _split(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def _when(raw: str | None, name: str) -> datetime | None:
    if raw is None or not raw.strip():
        return None
    try:
        value = datetime.fromisoformat(_SPACED_OFFSET.sub(r"+\1", raw.strip()))
    except ValueError:
        raise Invalid("open311_date", details={"field": name}, field=name) from None
    return (value if value.tzinfo else value.replace(tzinfo=LOCAL_TZ)).astimezone(UTC)


def _number(raw: str | None, default: int) -> int:
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw.strip())
    except ValueError:
        raise Invalid("open311_paging", max=LIMIT) from None


def parse_query(params: Mapping[str, str | None], now: datetime) -> RequestQuery:
    """Read the filters; a service_request_id list overrides all the others (the spec)."""
    ids = list(dict.fromkeys(i.upper()[:40] for i in _split(params.get("service_request_id"))))
    if ids:
        if len(ids) > LIMIT:
            raise Invalid("open311_too_many_ids", max=LIMIT)
        return RequestQuery(ids=ids)
    statuses = frozenset(s.lower() for s in _split(params.get("status")))
    if not statuses <= {"open", "closed"}:
        raise Invalid("open311_status", details={"field": "status"})
    start = _when(params.get("start_date"), "start_date")
    end = _when(params.get("end_date"), "end_date")
    if start is None:  # the spec's default: the most recent 90 days (or 90 before end_date)
        end = end or now
        start = end - WINDOW
    elif end is None:
        end = start + WINDOW
    if end < start or end - start > WINDOW:
        raise Invalid("open311_date_range", days=WINDOW.days)
    page, size = _number(params.get("page"), 1), _number(params.get("page_size"), LIMIT)
    if page < 1 or not 1 <= size <= LIMIT:
        raise Invalid("open311_paging", max=LIMIT)
    services = tuple(_split(params.get("service_code")))
    return RequestQuery(None, services, statuses, start, end, page, size)


def find_requests(db: Session, query: RequestQuery) -> list[Feedback]:
    """The cases a query names, newest first (one page)."""
    if query.ids is not None:
        return list(db.execute(case_query(Filters(ids=query.ids), None)).scalars())
    stmt = case_query(Filters(since=query.start, until=query.end), None)
    if query.services:
        stmt = stmt.where(Feedback.category_code.in_(query.services))
    if query.statuses == {"open"}:
        stmt = stmt.where(Feedback.status.in_(OPEN_STATUSES))
    elif query.statuses == {"closed"}:
        stmt = stmt.where(Feedback.status.not_in(OPEN_STATUSES))
    stmt = stmt.limit(query.page_size).offset((query.page - 1) * query.page_size)
    return list(db.execute(stmt).scalars())


def _status_notes(case: Feedback, note: str, merged: dict[str, str], lang: str) -> str | None:
    """The last public step's text; for a merged case, which case it duplicates."""
    if case.outcome == "duplicate" and case.duplicate_of:
        return i18n.t("open311.duplicate", lang, code=merged.get(case.duplicate_of, "?"))
    if case.outcome in ("not_our_remit", "transferred") and case.remit_body:
        note = f"{note} → {case.remit_body}" if note else case.remit_body
    return note or None


def request_docs(db: Session, rows: list[Feedback], media_base: str, lang: str) -> list[Any]:
    """The public view of cases, with a fixed number of queries for the whole page."""
    if not rows:
        return []
    ids = [c.id for c in rows]
    cats = _categories(db)
    codes = {c for r in rows for c in (r.org_code, r.area_code) if c}
    unit_rows = db.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes)))
    units: dict[str, str] = dict(unit_rows.all())
    updated: dict[str, datetime] = {}
    notes: dict[str, str] = {}
    for case_id, at, text in db.execute(
        select(FeedbackEvent.feedback_id, FeedbackEvent.at, FeedbackEvent.text)
        .where(FeedbackEvent.feedback_id.in_(ids), FeedbackEvent.public.is_(True))
        .order_by(FeedbackEvent.at, FeedbackEvent.id)
    ):
        updated[case_id] = at
        if text.strip():
            notes[case_id] = text
    photo_rows = db.execute(  # ids are ULIDs: the smallest is the first photo
        select(FeedbackPhoto.feedback_id, func.min(FeedbackPhoto.id))
        .where(FeedbackPhoto.feedback_id.in_(ids), FeedbackPhoto.stage == "report")
        .group_by(FeedbackPhoto.feedback_id)
    )
    first_photo: dict[str, str] = dict(photo_rows.all())
    targets = {r.duplicate_of for r in rows if r.duplicate_of}
    merged_rows = db.execute(select(Feedback.id, Feedback.code).where(Feedback.id.in_(targets)))
    merged: dict[str, str] = dict(merged_rows.all())
    out = []
    for case in rows:
        cat = cats.get(case.category_code or "")
        status = open311_status(case)
        photo = first_photo.get(case.id)
        # Before acceptance the only deadline is the IOC's, to accept: not a fix date.
        expected = case.deadline_at if status == "open" and case.stage == "resolve" else None
        out.append({
            "service_request_id": case.code, "status": status,
            "status_notes": _status_notes(case, notes.get(case.id, ""), merged, lang),
            "service_name": _name(cat, lang) if cat else None,
            "service_code": case.category_code, "description": case.description,
            "agency_responsible": units.get(case.org_code or ""), "service_notice": None,
            "requested_datetime": iso(case.received_at),
            "updated_datetime": iso(updated.get(case.id, case.received_at)),
            "expected_datetime": iso(expected),
            "address": case.address or units.get(case.area_code or ""),
            "address_id": case.area_code, "zipcode": None, "lat": case.lat, "long": case.lon,
            "media_url": f"{media_base}/{photo}" if photo else None,
        })  # fmt: skip
    return out
