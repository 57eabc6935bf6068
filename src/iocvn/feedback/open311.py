"""Open311 GeoReport v2 at ``/open311/v2/`` (issue #4): the contract other vendors' apps —
the province's citizen app first — call to list the categories and to send and follow
reports. docs/open311.md is the reference for integrators; the documents themselves are
built and written by :mod:`.open311_xml`.

Services are the active feedback categories; a service request is a case, its
``service_request_id`` the case code. Reading is public; ``POST requests`` needs an
``api_key``: an iocvn API token of an account holding ``feedback.submit`` (the integration
role), and makes the case through :func:`iocvn.feedback.intake.submit` like every channel,
so the same checks, rate limit (per token account) and audit apply.

Errors are the spec's list ``[{code, description}]`` with 400, 403, 404 (or 405, 429), in
the format asked for: routes here never raise into the app's JSON error handler, and roll the
transaction back before answering an error. The last route, :func:`elsewhere`, takes what no
call matches under ``/open311/v2/`` (a path without a format, an unknown path, a method a path
does not take), so the app's generic ``{"error": …}`` answers never show here.

Reads are public and cross-origin: every GET and HEAD answer carries
``Access-Control-Allow-Origin: *`` and a CORS preflight for them is granted. ``POST requests``
is server-to-server (its api_key must not sit in a web page): no CORS header, its preflight is
refused.
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException

from iocvn.auth import credentials
from iocvn.auth.roles import has_permission
from iocvn.config import get_settings
from iocvn.core import i18n
from iocvn.core.context import Actor
from iocvn.core.errors import Forbidden, Invalid, IocError, NotFound
from iocvn.core.http import DbSession, client_ip, request_id
from iocvn.core.timeutil import format_datetime, utcnow
from iocvn.feedback import intake
from iocvn.feedback import messages_open311 as _messages  # noqa: F401  (registers the texts)
from iocvn.feedback.cases import get_public
from iocvn.feedback.intake import NewReport, Photo
from iocvn.feedback.models import Feedback, FeedbackCategory, FeedbackEvent, FeedbackPhoto
from iocvn.feedback.open311_xml import (
    ATTRIBUTES,
    CONTENT_TYPES,
    MEDIA_TYPES,
    Doc,
    active_service,
    definition_doc,
    errors,
    find_requests,
    iso,
    parse_query,
    render,
    request_docs,
    services_doc,
)
from iocvn.feedback.photos import MAX_PHOTOS
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_MEDIA_URL = 1000
_PHOTO_ID = re.compile(r"[0-9A-HJKMNP-TV-Z]{26}")  # a ULID
_ATTRIBUTE = re.compile(r"attribute\[([^\[\]]{1,64})\](?:\[\])?")
_BY_CODE = {a.code: a for a in ATTRIBUTES}
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
"""The methods :func:`elsewhere` answers (with a 404, a 405 or, for OPTIONS, the preflight)."""
READ_METHODS = "GET, HEAD, OPTIONS"
"""What a cross-origin web page may do (``Access-Control-Allow-Methods``)."""
PREFLIGHT_MAX_AGE = "7200"  # seconds; browsers keep a preflight 2 h at most (Chromium)


@dataclass
class Posted:
    """The fields of a POST (form or JSON), its ``attribute[code]`` values and photos."""

    fields: dict[str, str] = field(default_factory=dict)
    attributes: dict[str, list[str]] = field(default_factory=dict)
    media_urls: list[str] = field(default_factory=list)
    photos: list[Photo] = field(default_factory=list)
    unreadable: bool = False

    def get(self, name: str) -> str:
        """A field, trimmed ("" when absent)."""
        return self.fields.get(name, "").strip()

    def add(self, key: str, value: str) -> None:
        """Take one field as sent (the first value of a repeated field wins, but every
        ``media_url`` is kept: apps such as FixMyStreet send one per photo)."""
        match = _ATTRIBUTE.fullmatch(key)
        if match:
            self.attributes.setdefault(match[1], []).append(value)
        elif key in ("media_url", "media_url[]"):
            if value.strip():
                self.media_urls.append(value.strip())
        else:
            self.fields.setdefault(key, value)


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


async def read_post(request: Request) -> Posted:
    """The body of ``POST requests``: form-encoded (the spec), multipart (photos in ``media``)
    or a JSON object; never raises (an unreadable body is marked)."""
    posted = Posted()
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        if kind == "application/json":
            data = await request.json()
            if not isinstance(data, dict):
                raise ValueError("not an object")
            for key, value in data.items():
                if key == "attribute" and isinstance(value, dict):
                    for code, given in value.items():
                        for each in given if isinstance(given, list) else [given]:
                            posted.add(f"attribute[{code}]", _scalar(each))
                elif isinstance(value, list):  # a repeated field (media_url)
                    for each in value:
                        posted.add(str(key), _scalar(each))
                else:
                    posted.add(str(key), _scalar(value))
        else:
            form = await request.form(max_files=MAX_PHOTOS + 1, max_fields=200)
            try:
                for key, value in form.multi_items():
                    if isinstance(value, str):
                        posted.add(key, value)
                    elif key == "media":
                        posted.photos.append(Photo(await value.read(), value.filename or ""))
            finally:
                await form.close()
    except (ValueError, HTTPException):
        posted.unreadable = True
    return posted


# --- answering ------------------------------------------------------------------------------


def _lang(request: Request) -> str:
    return i18n.negotiate(request.headers.get("accept-language"))


def _public(request: Request, response: Response) -> Response:
    """Let a web page of any origin read a GET or HEAD answer (CORS; no credentials are
    involved); a POST answer gets nothing, so a browser never hands it to another origin."""
    if request.method in ("GET", "HEAD"):
        response.headers["Access-Control-Allow-Origin"] = "*"
    return response


def jurisdictions(province: str) -> tuple[str, ...]:
    """The accepted ``jurisdiction_id`` values: the province's code, and the host name of
    ``IOCVN_PUBLIC_URL`` (the spec suggests a domain name) when it is one (not an address)."""
    host = (urlsplit(get_settings().public_url).hostname or "").rstrip(".")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return (province, host) if "." in host else (province,)
    return (province,)


def _error(fmt: str, error: IocError, lang: str) -> Response:
    """An iocvn error as the spec's error list: 403 api_key, 404 missing, 429 flood, else 400."""
    status = {401: 403, 403: 403, 404: 404, 429: 429}.get(error.status, 400)
    text = i18n.t(error.message_key, lang, **error.params)
    if text == error.message_key:
        text = i18n.t({403: "error.forbidden", 404: "error.not_found"}.get(status,
                      "error.bad_request"), lang)  # fmt: skip
    headers = {}
    if status == 429 and isinstance(error.details, dict):
        headers["Retry-After"] = str(int(error.details.get("retry_after_minutes", 60)) * 60)
    return errors(fmt, status, text, headers)


def _respond(
    request: Request, db: Session, fmt: str, jurisdiction: str | None,
    build: Callable[[str], Doc],
) -> Response:  # fmt: skip
    """Check the format (``.XML`` is ``.xml``) and jurisdiction, build the document for the
    province, render it; an iocvn error is rolled back and answered as the spec's error list."""
    return _public(request, _answer(request, db, fmt.lower(), jurisdiction, build))


def _answer(
    request: Request, db: Session, fmt: str, jurisdiction: str | None,
    build: Callable[[str], Doc],
) -> Response:  # fmt: skip
    lang = _lang(request)
    if fmt not in CONTENT_TYPES:
        return errors("json", 404, i18n.t("error.open311_format", lang, fmt=fmt[:10]))
    try:
        province = home_province(db)
        if province is None:
            raise IocError("open311_no_province")
        accepted = jurisdictions(province)
        if jurisdiction and jurisdiction.strip().lower().rstrip(".") not in accepted:
            raise NotFound("open311_jurisdiction", jurisdiction=jurisdiction.strip()[:64],
                           accepted=", ".join(accepted))  # fmt: skip
        doc = build(province)
    except IocError as error:
        db.rollback()
        return _error(fmt, error, lang)
    return render(fmt, doc)


# --- posting a request ----------------------------------------------------------------------


def submitter(db: Session, api_key: str, request: Request) -> Actor:
    """The actor behind an api_key: a live write token of an account with feedback.submit."""
    if not api_key:
        raise Forbidden("open311_api_key_missing")
    found = credentials.load_token(db, api_key)
    if found is None:
        raise Forbidden("open311_api_key_invalid")
    token, user, _ = found
    if not has_permission(user.role, "feedback.submit"):
        raise Forbidden("open311_api_key_denied")
    if "write" not in token.scopes:
        raise Forbidden("open311_api_key_read_only")
    return Actor(user.username, user.org_code, request_id(request), client_ip(request))


def _location(db: Session, province: str, posted: Posted) -> tuple[float | None, float | None, str]:
    """(lat, long, address text); intake then requires one of them and checks the point."""
    lat = lon = None
    if posted.get("lat") or posted.get("long"):
        try:
            lat, lon = float(posted.get("lat")), float(posted.get("long"))
        except ValueError:
            raise Invalid("open311_coordinates", details={"field": "lat"}) from None
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise Invalid("open311_coordinates", details={"field": "lat"})
    address, address_id = posted.get("address_string"), posted.get("address_id")[:32]
    if address_id:
        unit = db.get(OrgUnit, address_id)
        if (unit is None or unit.level != "commune" or unit.province_code != province
                or unit.valid_to is not None):  # fmt: skip
            raise Invalid("open311_address_id", address_id=address_id)
        address = f"{address}, {unit.name}" if address else unit.name
    return lat, lon, address


def _attributes(posted: Posted) -> tuple[str | None, bool]:
    """(notify_by, anonymous) from ``attribute[code]``, checked against each other. Other
    codes are ignored: apps send their own (FixMyStreet: ``fixmystreet_id``, ``title``…)."""
    chosen: dict[str, str] = {}
    for code, given in posted.attributes.items():
        attribute = _BY_CODE.get(code)
        if attribute is None:
            continue
        picked = [v.strip() for v in given if v.strip()]
        if len(picked) > 1 or any(v not in attribute.values for v in picked):
            raise Invalid("open311_attribute_value", attribute=code,
                          allowed=", ".join(attribute.values))  # fmt: skip
        chosen[code] = picked[0] if picked else ""
    notify_by, anonymous = chosen.get("notify_by") or None, chosen.get("anonymous") == "true"
    if anonymous and notify_by:
        raise Invalid("open311_anonymous_notify")
    needs = {"email": "email", "sms": "phone"}.get(notify_by or "")
    if needs and not posted.get(needs):
        raise Invalid("open311_notify_contact", channel=notify_by, field=needs)
    return notify_by, anonymous


def _media_urls(posted: Posted) -> list[str]:
    """The links an app sent (at most as many as photos a report may have), each checked."""
    if len(posted.media_urls) > MAX_PHOTOS:
        raise Invalid("open311_media_urls", details={"field": "media_url"}, max=MAX_PHOTOS)
    for url in posted.media_urls:
        parts = urlsplit(url)
        if (len(url) > MAX_MEDIA_URL or parts.scheme not in ("http", "https")
                or not parts.netloc or any(c.isspace() or ord(c) < 32 for c in url)):  # fmt: skip
            raise Invalid("open311_media_url", details={"field": "media_url"})
    return posted.media_urls


def create_request(db: Session, province: str, posted: Posted, request: Request) -> Doc:
    """``POST requests``: check the api_key and fields, then submit through intake."""
    if posted.unreadable:
        raise IocError("open311_body")
    actor = submitter(db, posted.get("api_key") or request.query_params.get("api_key", ""),
                      request)  # fmt: skip
    code = posted.get("service_code")
    if not code:
        raise IocError("open311_service_code")
    active_service(db, code)
    lat, lon, address = _location(db, province, posted)
    notify_by, anonymous = _attributes(posted)
    media_urls = _media_urls(posted)
    name = " ".join(p for p in (posted.get("last_name"), posted.get("first_name")) if p)
    account = posted.get("account_id")
    report = NewReport(
        description=posted.get("description"), category=code, lat=lat, lon=lon,
        address=address, name=name or None, phone=posted.get("phone") or None,
        email=posted.get("email") or None, anonymous=anonymous, notify_by=notify_by,
        photos=posted.photos,
    )  # fmt: skip
    # One limit per citizen of the app (its account or device id, or the reporter's e-mail or
    # phone), not one for the whole app; the ids themselves are not kept (only for the limit).
    ref = intake.reporter_ref(account, posted.get("device_id"), anonymous=anonymous,
                              email=report.email, phone=report.phone)  # fmt: skip
    source = intake.source_key(f"user:{actor.name}", ref, get_settings().data_keys)
    case = intake.submit(db, get_settings(), province, report, channel="open311", actor=actor,
                         source_key=source).case  # fmt: skip
    for media_url in media_urls:
        db.add(FeedbackEvent(feedback_id=case.id, kind="comment", actor=actor.name,
                             org_code=case.org_code, public=False,
                             text=i18n.t("open311.media_note", url=media_url),
                             data={"media_url": media_url}))  # fmt: skip
    db.flush()
    lang = _lang(request)
    notice = (i18n.t("open311.notice", lang, code=case.code,
                     deadline=format_datetime(case.deadline_at)) if case.deadline_at
              else i18n.t("open311.notice_plain", lang, code=case.code))  # fmt: skip
    return Doc("service_requests", [{"service_request_id": case.code, "service_notice": notice,
                                     "account_id": account or None}])  # fmt: skip


# --- routes ---------------------------------------------------------------------------------

router = APIRouter(tags=["open311"])
Text = Annotated[str | None, Query()]
_FIELDS = ("api_key", "jurisdiction_id", "service_code", "lat", "long", "address_string",
           "address_id", "email", "device_id", "account_id", "first_name", "last_name", "phone",
           "description", "media_url")  # fmt: skip
_DOCUMENT: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/xml": {}, "application/json": {}},
          "description": "The document; errors are the spec's list (400, 403, 404, 405, 429)."},
}  # fmt: skip
_IMAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}
}
_FORM = {"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
    "type": "object", "required": ["api_key", "service_code"],
    "properties": {name: {"type": "string"} for name in _FIELDS}}}}}}  # fmt: skip


Endpoint = Callable[..., Response]
Documented = dict[int | str, dict[str, Any]]


def _read(path: str, responses: Documented = _DOCUMENT) -> Callable[[Endpoint], Endpoint]:
    """Route a public read: GET, and HEAD (the same answer without its body; not in the
    OpenAPI document, where it would repeat GET's operation id)."""

    def register(endpoint: Endpoint) -> Endpoint:
        router.add_api_route(path, endpoint, methods=["GET"], response_class=Response,
                             responses=responses)  # fmt: skip
        router.add_api_route(path, endpoint, methods=["HEAD"], response_class=Response,
                             include_in_schema=False)  # fmt: skip
        return endpoint

    return register


def _base(request: Request) -> str:
    """Where Open311 is reached, for the links in answers (discovery, ``media_url``):
    ``IOCVN_PUBLIC_URL`` when the operator set it, so no request's Host header can change
    them; else the address the request came to."""
    settings = get_settings()
    configured = "public_url" in settings.model_fields_set
    root = settings.public_url if configured else str(request.base_url)
    return root.rstrip("/") + "/open311/v2"


def _cases(request: Request, db: Session, rows: list[Feedback]) -> Doc:
    media_base = _base(request) + "/media"
    return Doc("service_requests", request_docs(db, rows, media_base, _lang(request)))


@_read("/discovery.{fmt}")
def discovery(fmt: str, request: Request, db: DbSession) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is, its formats, how to get a key."""
    lang = _lang(request)

    def build(province: str) -> Doc:
        changed = db.execute(select(func.max(FeedbackCategory.updated_at))).scalar_one()
        changeset = iso(changed) or "0"
        unit = db.get(OrgUnit, province)
        kind = "test" if get_settings().demo else "production"
        endpoint = {"specification": SPECIFICATION, "url": _base(request),
                    "changeset": changeset, "type": kind, "formats": list(MEDIA_TYPES)}  # fmt: skip
        contact = i18n.t("open311.contact", lang, province=unit.name if unit else province)
        return Doc("discovery", {"changeset": changeset, "contact": contact,
                                 "key_service": i18n.t("open311.key_service", lang),
                                 "endpoints": [endpoint]})  # fmt: skip

    return _respond(request, db, fmt, None, build)


@_read("/services.{fmt}")
def services(fmt: str, request: Request, db: DbSession, jurisdiction_id: Text = None) -> Response:
    """GET Service List: the active feedback categories."""
    return _respond(request, db, fmt, jurisdiction_id, lambda _: services_doc(db, _lang(request)))


@_read("/services/{service_code}.{fmt}")
def service_definition(
    service_code: str, fmt: str, request: Request, db: DbSession, jurisdiction_id: Text = None
) -> Response:
    """GET Service Definition: the attributes a request of this service may carry."""
    return _respond(request, db, fmt, jurisdiction_id,
                    lambda _: definition_doc(db, service_code, _lang(request)))  # fmt: skip


@router.post("/requests.{fmt}", response_class=Response, responses=_DOCUMENT, openapi_extra=_FORM)
def post_request(
    fmt: str, request: Request, db: DbSession, posted: Annotated[Posted, Depends(read_post)]
) -> Response:
    """POST Service Request (api_key required): a new case, answered synchronously."""
    jurisdiction = posted.get("jurisdiction_id") or request.query_params.get("jurisdiction_id")
    return _respond(request, db, fmt, jurisdiction,
                    lambda province: create_request(db, province, posted, request))  # fmt: skip


@_read("/tokens/{token}.{fmt}")
def token(
    token: str, fmt: str, request: Request, db: DbSession, jurisdiction_id: Text = None
) -> Response:
    """GET service_request_id from a token: requests are made at once, the token is the code."""

    def build(_: str) -> Doc:
        case = get_public(db, token)
        return Doc("service_requests", [{"service_request_id": case.code, "token": token}])

    return _respond(request, db, fmt, jurisdiction_id, build)


@_read("/requests.{fmt}")
def list_requests(
    fmt: str, request: Request, db: DbSession, jurisdiction_id: Text = None,
    service_request_id: Text = None, service_code: Text = None, start_date: Text = None,
    end_date: Text = None, status: Text = None, page: Text = None, page_size: Text = None,
) -> Response:  # fmt: skip
    """GET Service Requests: the spec's filters plus page/page_size, newest first."""
    params = {"service_request_id": service_request_id, "service_code": service_code,
              "start_date": start_date, "end_date": end_date, "status": status, "page": page,
              "page_size": page_size}  # fmt: skip
    return _respond(request, db, fmt, jurisdiction_id, lambda _: _cases(
        request, db, find_requests(db, parse_query(params, utcnow()))))  # fmt: skip


@_read("/requests/{service_request_id}.{fmt}")
def get_request(
    service_request_id: str, fmt: str, request: Request, db: DbSession,
    jurisdiction_id: Text = None,
) -> Response:  # fmt: skip
    """GET Service Request: one request, in a list (the spec)."""
    return _respond(
        request,
        db,
        fmt,
        jurisdiction_id,
        lambda _: _cases(request, db, [get_public(db, service_request_id)]),
    )


@_read("/media/{photo_id}", _IMAGE)
def media(photo_id: str, request: Request, db: DbSession) -> Response:
    """A photo of a case (stored without its metadata), by its id: a request's media_url."""
    photo = db.get(FeedbackPhoto, photo_id) if _PHOTO_ID.fullmatch(photo_id) else None
    if photo is None:
        missing = i18n.t("error.open311_photo_not_found", _lang(request))
        return _public(request, errors("json", 404, missing))
    cache = {"Cache-Control": "public, max-age=86400"}
    return _public(request, Response(photo.data, media_type=photo.content_type, headers=cache))


# --- everything else under /open311/v2/ (keep it the last route) ---------------------------


def allowed_methods(path: str) -> list[str]:
    """The methods the calls above take at ``path`` (below /open311/v2), OPTIONS included;
    none when no call has that path."""
    found: set[str] = set()
    for route in router.routes:
        if not isinstance(route, APIRoute) or route.endpoint is elsewhere:
            continue
        if route.path_regex.match(path):
            found |= route.methods or set()
    return [m for m in METHODS if m in found or m == "OPTIONS"] if found else []


@router.api_route("/{rest:path}", methods=list(METHODS), include_in_schema=False)
async def elsewhere(rest: str, request: Request) -> Response:
    """What no call above answers, in the spec's error list (XML for a path ending in .xml):
    an unknown path or one without a format (404), a method the path does not take (405 with
    ``Allow``); OPTIONS says what a path allows and answers CORS preflights."""
    fmt = "xml" if rest.lower().endswith(".xml") else "json"
    lang, shown = _lang(request), request.url.path[:100]
    allowed = allowed_methods("/" + rest)
    if not allowed:
        return _public(request, errors(fmt, 404, i18n.t("error.open311_path", lang, path=shown)))
    allow = ", ".join(allowed)
    wanted = (request.headers.get("access-control-request-method") or "").strip().upper()
    if request.method == "OPTIONS" and wanted in ("", "GET", "HEAD") and "GET" in allowed:
        return Response(status_code=204, headers={
            "Allow": allow, "Access-Control-Allow-Origin": "*",
            "Access-Control-Allow-Methods": READ_METHODS, "Access-Control-Allow-Headers": "*",
            "Access-Control-Max-Age": PREFLIGHT_MAX_AGE})  # fmt: skip
    if request.method == "OPTIONS" and wanted in allowed:  # POST requests: never from a page
        return errors(fmt, 403, i18n.t("error.open311_cross_origin", lang), {"Allow": allow})
    text = i18n.t("error.open311_method", lang, path=shown, method=(wanted or request.method)[:10],
                  allowed=allow)  # fmt: skip
    return errors(fmt, 405, text, {"Allow": allow})
