"""Turn every failure into ``{"error", "message", "details"}`` (JSON) or an error page (HTML).

A client's mistake is always a 4xx; only a bug is a 500, and it is logged with its request id.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from iocvn.core import i18n
from iocvn.core.errors import IocError, Unauthenticated
from iocvn.core.templating import render

log = logging.getLogger("iocvn.errors")


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON error shape every route uses."""
    return {"error": code, "message": message, "details": details}


def error_response(error: IocError, lang: str) -> JSONResponse:
    """The JSON response for a domain error."""
    message = i18n.t(error.message_key, lang, **error.params)
    if message == error.message_key:  # no specific text: fall back to the status's text
        message = i18n.t(f"error.{_generic(error.status)}", lang)
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return JSONResponse(
        error_body(error.code, message, error.details), status_code=error.status, headers=headers
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
    return render(
        request, "web/error.html", {"status": error.status, "message": message}, error.status
    )


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
