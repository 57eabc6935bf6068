"""Request plumbing: request ids, language, JSON access logs, metrics, security headers,
content-type and body-size checks. Pure functions of the request; no domain logic.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iocvn.core import i18n
from iocvn.core.errors import IocError
from iocvn.core.ids import new_id
from iocvn.core.logs import REQUEST_ID
from iocvn.web.errors import error_response

log = logging.getLogger("iocvn.request")
SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
LANG_COOKIE = "iocvn_lang"
JSON_TYPES = ("application/json", "application/merge-patch+json", "application/problem+json")
# JSON routes that take a form with files (multipart/form-data): a resolution's photos.
UPLOAD_ROUTES = (re.compile(r"^/api/v1/feedback/[^/]+/resolve$"),)


class PayloadTooLarge(IocError):
    """The body is larger than ``IOCVN_MAX_BODY_BYTES``."""

    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(IocError):
    """A JSON route was sent something that is not JSON."""

    status = 415
    code = "unsupported_media_type"


class Metrics:
    """The Prometheus series iocvn exports about its HTTP traffic."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "iocvn_http_requests_total",
            "HTTP requests by method, route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "iocvn_http_request_duration_seconds",
            "HTTP request duration by route.",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )


def security_headers(response: Response, csp: str) -> None:
    """Headers every response carries (no framing, no sniffing, same-origin assets only)."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", csp)


def make_context_middleware(
    metrics: Metrics, csp: str, route_paths: dict[int, str]
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """The ``http`` middleware: id, language, log line, metrics, headers.

    ``route_paths`` maps a route object to its full path template (with the include prefix),
    so metrics are labelled ``/api/v1/org-units/{code}`` and never by raw URL.
    """

    async def middleware(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        incoming = request.headers.get("x-request-id", "")
        rid = incoming if SAFE_ID.match(incoming) else new_id()
        token = REQUEST_ID.set(rid)
        request.state.request_id = rid
        # Pages are Vietnamese unless the user switched (many officials' browsers say en-US);
        # the API follows Accept-Language for other systems.
        accept = (
            request.headers.get("accept-language") if request.url.path.startswith("/api/") else None
        )
        request.state.lang = i18n.negotiate(accept, request.cookies.get(LANG_COOKIE))
        start = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            REQUEST_ID.reset(token)
        elapsed = time.perf_counter() - start
        route = request.scope.get("route")
        template = route_paths.get(id(route)) or getattr(route, "path", None) or "unmatched"
        metrics.requests.labels(request.method, template, str(response.status_code)).inc()
        metrics.latency.labels(request.method, template).observe(elapsed)
        response.headers["X-Request-ID"] = rid
        security_headers(response, csp)
        log.info(
            "request",
            extra={
                "request_id": rid,
                "method": request.method,
                "path": request.url.path,
                "route": template,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
                "client": request.client.host if request.client else "",
            },
        )
        return response

    return middleware


class BodyGuard:
    """ASGI middleware: refuse bodies over the limit (413) and non-JSON bodies on /api (415)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await _send_error(scope, receive, send, PayloadTooLarge())
            return
        has_body = (length.isdigit() and int(length) > 0) or "transfer-encoding" in headers
        ctype = headers.get("content-type", "").split(";")[0].strip().lower()
        upload = ctype in ("multipart/form-data", "application/x-www-form-urlencoded") and any(
            r.match(scope["path"]) for r in UPLOAD_ROUTES
        )
        if (
            scope["path"].startswith("/api/")
            and has_body
            and ctype not in JSON_TYPES
            and not upload
        ):
            await _send_error(scope, receive, send, UnsupportedMediaType())
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise PayloadTooLarge()
            return message

        await self.app(scope, limited, send)


async def _send_error(scope: Scope, receive: Receive, send: Send, error: IocError) -> None:
    request = Request(scope, receive)
    lang = i18n.negotiate(request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE))
    response = error_response(error, lang)
    await response(scope, receive, send)
