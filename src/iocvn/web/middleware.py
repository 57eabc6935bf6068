"""Request plumbing: request ids, language, JSON access logs, metrics, security headers,
content-type and body-size checks. Pure functions of the request; no domain logic.
"""

from __future__ import annotations

import logging
import re
import time

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from iocvn.core import i18n
from iocvn.core.errors import IocError
from iocvn.core.ids import new_id
from iocvn.core.logs import REQUEST_ID
from iocvn.web.errors import error_response, too_large_page, wants_html

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


SECURITY_HEADERS = (
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
)


class RequestContext:
    """ASGI middleware: request id, language, JSON log line, metrics, security headers.

    Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``, which runs every request
    through an extra task and a re-streamed body. ``route_paths`` maps a route object to its
    full path template (with the include prefix), so metrics are labelled
    ``/api/v1/org-units/{code}`` and never by raw URL.
    """

    def __init__(
        self, app: ASGIApp, metrics: Metrics, csp: str, route_paths: dict[int, str]
    ) -> None:
        self.app, self.metrics, self.route_paths = app, metrics, route_paths
        self.headers = [*SECURITY_HEADERS, ("Content-Security-Policy", csp)]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        rid = incoming if SAFE_ID.match(incoming) else new_id()
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        # Pages are Vietnamese unless the user switched (many officials' browsers say en-US);
        # the API follows Accept-Language for other systems.
        path: str = scope["path"]
        accept = headers.get("accept-language") if path.startswith("/api/") else None
        state["lang"] = i18n.negotiate(
            accept, cookie_parser(headers.get("cookie", "")).get(LANG_COOKIE)
        )
        status = 500  # unless a response starts (an unhandled error becomes a 500 outside)

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                out = MutableHeaders(scope=message)
                out["X-Request-ID"] = rid
                for name, value in self.headers:
                    out.setdefault(name, value)
            await send(message)

        token = REQUEST_ID.set(rid)
        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            REQUEST_ID.reset(token)
            self._observe(scope, rid, status, time.perf_counter() - start)

    def _observe(self, scope: Scope, rid: str, status: int, elapsed: float) -> None:
        route = scope.get("route")
        template = self.route_paths.get(id(route)) or getattr(route, "path", None) or "unmatched"
        method = scope["method"]
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.latency.labels(method, template).observe(elapsed)
        if not log.isEnabledFor(logging.INFO):
            return
        client = scope.get("client")
        log.info(
            "request",
            extra={
                "request_id": rid,
                "method": method,
                "path": scope["path"],
                "route": template,
                "status": status,
                "duration_ms": round(elapsed * 1000, 2),
                "client": client[0] if client else "",
            },
        )


class BodyGuard:
    """ASGI middleware: refuse bodies over the limit (413) and non-JSON bodies on /api (415).

    A browser's form (``Accept: text/html``) over the limit gets a page saying the files are
    too large and to go back, rather than JSON. A body without a length (chunked) is counted
    as it arrives: once over the limit, whatever the app answers to the cut body (a 400 from
    the form parser) is replaced by the same 413.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _too_large(self) -> PayloadTooLarge:
        return PayloadTooLarge(details={"max_bytes": self.max_bytes})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await _send_error(scope, receive, send, self._too_large())
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
        received, overflowed, started = 0, False, False

        async def limited() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    overflowed = True
                    raise self._too_large()
            return message

        async def forward(message: Message) -> None:
            nonlocal started
            if overflowed and not started:
                return  # the app's answer to a cut body: replaced below
            started = True
            await send(message)

        await self.app(scope, limited, forward)
        if overflowed and not started:
            await _send_error(scope, receive, send, self._too_large())


async def _send_error(scope: Scope, receive: Receive, send: Send, error: IocError) -> None:
    """``BodyGuard``'s own answer. It sits outside ``RequestContext``, so the security headers
    are added here."""
    request = Request(scope, receive)
    if isinstance(error, PayloadTooLarge) and wants_html(request):
        response: Response = too_large_page(int(error.details["max_bytes"]))
    else:
        lang = i18n.negotiate(
            request.headers.get("accept-language"), request.cookies.get(LANG_COOKIE)
        )
        response = error_response(error, lang)
    for name, value in SECURITY_HEADERS:
        response.headers.setdefault(name, value)
    await response(scope, receive, send)
