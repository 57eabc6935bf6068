"""The ASGI application: wiring of middleware, error handlers, routers and static files."""

from __future__ import annotations

from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from iocvn import __version__
from iocvn.audit import api as audit_api
from iocvn.audit import pages as audit_pages
from iocvn.auth import api as auth_api
from iocvn.auth import pages as auth_pages
from iocvn.auth.deps import current
from iocvn.config import Settings, get_settings
from iocvn.db import engine_for, session_factory
from iocvn.org import api as org_api
from iocvn.org import pages as org_pages
from iocvn.web import errors, ops
from iocvn.web import pages as web_pages
from iocvn.web.middleware import BodyGuard, Metrics, make_context_middleware
from iocvn.web.nav import NAV

STATIC = Path(__file__).parent / "web" / "static"


def content_security_policy(settings: Settings) -> str:
    """Same-origin everything; map tiles may come from the configured tile server."""
    img = "'self' data: blob:"
    if settings.tile_url:
        origin = "/".join(settings.tile_url.split("/")[:3])
        img += f" {origin}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src {img}; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
        "form-action 'self'"
    )


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="iocvn",
        version=__version__,
        summary="Trung tâm giám sát, điều hành thông minh — Intelligent Operations Center",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    engine = engine_for(settings.database_url)
    app.state.engine = engine
    app.state.sessions = session_factory(engine)
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.nav = NAV

    errors.install(app)
    app.middleware("http")(
        make_context_middleware(app.state.metrics, content_security_policy(settings))
    )
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ProxyHeadersMiddleware,
        trusted_hosts=[h.strip() for h in settings.trusted_proxies.split(",") if h.strip()],
    )

    # org and audit sit below auth: their routers get the caller resolved here and guard
    # themselves with iocvn.core.http.requires (which fails closed without this).
    caller = [Depends(current)]
    app.include_router(ops.router)
    app.include_router(auth_api.router, prefix="/api/v1")
    app.include_router(org_api.router, prefix="/api/v1", dependencies=caller)
    app.include_router(audit_api.router, prefix="/api/v1", dependencies=caller)
    for page_module in (web_pages, auth_pages):
        app.include_router(page_module.router, include_in_schema=False)
    for page_module in (org_pages, audit_pages):
        app.include_router(page_module.router, include_in_schema=False, dependencies=caller)
    app.mount("/static/vendor/leaflet", StaticFiles(directory=xs_leaflet.BASE_DIR), "leaflet")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app
