"""Turn every failure into ``{"error", "message", "details"}`` (JSON) or an error page (HTML).

A client's mistake is always a 4xx; only a bug is a 500, and it is logged with its request id.
A 429 always says when to retry (``Retry-After``, seconds).
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from iocvn.core import i18n
from iocvn.core.errors import IocError, Unauthenticated
from iocvn.core.templating import render

log = logging.getLogger("iocvn.errors")

i18n.register(
    {
        "error.files_too_large_title": ("Tệp gửi kèm quá lớn", "The attached files are too large"),
        "error.files_too_large": (
            "Tổng dung lượng các tệp gửi kèm vượt quá {limit} MB nên biểu mẫu chưa được gửi. "
            "Hãy quay lại trang trước (nút Quay lại của trình duyệt) và chọn ảnh nhỏ hơn hoặc "
            "ít ảnh hơn.",
            "The attached files are over {limit} MB in total, so the form was not sent. Go "
            "back to the previous page (the browser's Back button) and choose smaller or fewer "
            "photos.",
        ),
    }
)
# Answered before the request reaches the app (no session, no base template): a page of its
# own, with no script or style, in Vietnamese and then in English.
_TOO_LARGE_PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title_vi} · iocvn</title>
</head>
<body>
<h1>{title_vi}</h1>
<p>{text_vi}</p>
<h2 lang="en">{title_en}</h2>
<p lang="en">{text_en}</p>
</body>
</html>
"""


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON error shape every route uses."""
    return {"error": code, "message": message, "details": details}


def retry_after(error: IocError) -> str:
    """Seconds a client should wait after a 429: ``details["retry_after_minutes"]``, else an
    hour (the rate limits count reports per hour)."""
    details = error.details if isinstance(error.details, dict) else {}
    try:
        minutes = int(details.get("retry_after_minutes", 60))
    except (TypeError, ValueError):
        minutes = 60
    return str(max(1, minutes) * 60)


def _headers(error: IocError) -> dict[str, str] | None:
    if error.status == 401:
        return {"WWW-Authenticate": "Bearer"}
    if error.status == 429:
        return {"Retry-After": retry_after(error)}
    return None


def error_response(error: IocError, lang: str) -> JSONResponse:
    """The JSON response for a domain error."""
    message = i18n.t(error.message_key, lang, **error.params)
    if message == error.message_key:  # no specific text: fall back to the status's text
        message = i18n.t(f"error.{_generic(error.status)}", lang)
    return JSONResponse(
        error_body(error.code, message, error.details),
        status_code=error.status,
        headers=_headers(error),
    )


def too_large_page(max_bytes: int) -> HTMLResponse:
    """The 413 a browser gets for a form whose files are over ``max_bytes`` in all: what
    happened and what to do (go back, choose smaller photos), Vietnamese first."""
    limit = f"{max_bytes / 1048576:.1f}".removesuffix(".0").replace(".", ",")
    parts = (("title", "error.files_too_large_title"), ("text", "error.files_too_large"))
    texts = {
        f"{part}_{lang}": escape(i18n.t(key, lang, limit=limit))
        for lang in i18n.LANGS
        for part, key in parts
    }
    return HTMLResponse(
        _TOO_LARGE_PAGE.format(**texts),
        status_code=413,
        headers={"Content-Security-Policy": "default-src 'none'", "Cache-Control": "no-store"},
    )


def _generic(status: int) -> str:
    return {
        401: "unauthenticated",
        403: "forbidden",
        404: "not_found",
        409: "conflict",
        413: "payload_too_large",
        415: "unsupported_media_type",
        422: "invalid",
    }.get(status, "bad_request")


def wants_html(request: Request) -> bool:
    """True for a browser page request (not the JSON API)."""
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", i18n.DEFAULT_LANG))


def _page_or_json(request: Request, error: IocError) -> Response:
    if not wants_html(request):
        return error_response(error, _lang(request))
    if isinstance(error, Unauthenticated):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    message = i18n.t(error.message_key, _lang(request), **error.params)
    if message == error.message_key:
        message = i18n.t(f"error.{_generic(error.status)}", _lang(request))
    page = render(
        request, "web/error.html", {"status": error.status, "message": message}, error.status
    )
    if error.status == 429:
        page.headers["Retry-After"] = retry_after(error)
    return page


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    @app.exception_handler(IocError)
    async def _ioc(request: Request, exc: IocError) -> Response:
        return _page_or_json(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {"loc": list(e.get("loc", ())), "type": e.get("type"), "msg": e.get("msg")}
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            return _page_or_json(request, IocError("malformed_json", status=400, details=errors))
        return _page_or_json(request, IocError("validation_error", status=422, details=errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "route_not_found", 405: "method_not_allowed"}.get(exc.status_code)
        if code is None:
            code = _generic(exc.status_code)
        return _page_or_json(request, IocError(code, status=exc.status_code))

    @app.exception_handler(DataError)
    async def _data(request: Request, exc: DataError) -> Response:
        # The database refused a value the client sent (on PostgreSQL a NUL character or a
        # number out of range): a 4xx, logged in case the value was the server's own.
        log.warning("value refused by the database: %s", exc.orig, extra={"path": request.url.path})
        return _page_or_json(request, IocError("invalid", status=422))

    @app.exception_handler(Exception)
    async def _bug(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", extra={"path": request.url.path})
        return JSONResponse(
            error_body("internal", i18n.t("error.internal", _lang(request))), status_code=500
        )
