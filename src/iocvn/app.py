"""The ASGI application: wiring of middleware, error handlers, routers and static files."""

from __future__ import annotations

import gc
import sys
from dataclasses import dataclass
from pathlib import Path

import xstatic.pkg.leaflet as xs_leaflet
import xstatic.pkg.leaflet_markercluster as xs_markercluster
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from iocvn import __version__
from iocvn.alerts import api_notify as alert_contacts_api
from iocvn.alerts import api_rules as alerts_api
from iocvn.alerts import api_violations as violations_api
from iocvn.alerts import api_warnings as warnings_api
from iocvn.alerts import cap_routes
from iocvn.alerts import escalation as alert_escalation
from iocvn.alerts import evaluation as alert_evaluation
from iocvn.alerts import notifications as alert_notifications
from iocvn.alerts import pages_alerts as alert_pages
from iocvn.alerts import pages_rules as alert_rules_pages
from iocvn.alerts import pages_warnings as warnings_pages
from iocvn.alerts import violations as alert_violations
from iocvn.audit import api as audit_api
from iocvn.audit import pages as audit_pages
from iocvn.auth import api as auth_api
from iocvn.auth import pages as auth_pages
from iocvn.auth.deps import current
from iocvn.config import Settings, get_settings
from iocvn.core.http import configure_sessions
from iocvn.db import REQUEST_CONNECTIONS, engine_for, session_factory
from iocvn.feedback import api as feedback_api
from iocvn.feedback import api_admin as feedback_admin_api
from iocvn.feedback import api_stats as feedback_stats_api
from iocvn.feedback import open311
from iocvn.feedback import pages as feedback_pages
from iocvn.feedback import pages_admin as feedback_admin_pages
from iocvn.feedback import pages_public as feedback_public_pages
from iocvn.feedback import pages_stats as feedback_stats_pages
from iocvn.indicators import api as indicators_api
from iocvn.indicators import api_analytics as analytics_api
from iocvn.indicators import api_completeness as completeness_api
from iocvn.indicators import api_exchange as exchange_api
from iocvn.indicators import api_values as values_api
from iocvn.indicators import dashboard as dashboard_pages
from iocvn.indicators import entry as entry_pages
from iocvn.indicators import feeds as indicator_feeds
from iocvn.indicators import pages as indicators_pages
from iocvn.indicators import pages_plan as plan_pages
from iocvn.notify import api as notify_api
from iocvn.notify import pages as notify_pages
from iocvn.org import api as org_api
from iocvn.org import pages as org_pages
from iocvn.sensors import api as sensors_api
from iocvn.sensors import api_events as sensor_events_api
from iocvn.sensors import events as sensor_events
from iocvn.sensors import ingest as sensor_ingest
from iocvn.sensors import pages as sensors_pages
from iocvn.web import errors, ops
from iocvn.web import pages as web_pages
from iocvn.web.middleware import BodyGuard, Metrics, RequestContext
from iocvn.web.nav import NAV

STATIC = Path(__file__).parent / "web" / "static"


@dataclass(frozen=True)
class Mount:
    """A router and how the app includes it (the permission tests read this list)."""

    router: APIRouter
    prefix: str = ""
    in_schema: bool = True
    # org and audit sit below auth: the app resolves their caller, and their routes guard
    # themselves with iocvn.core.http.requires (which fails closed without the resolver).
    behind_resolver: bool = False


MOUNTS: tuple[Mount, ...] = (
    Mount(ops.router),
    Mount(auth_api.router, "/api/v1"),
    Mount(org_api.router, "/api/v1", behind_resolver=True),
    Mount(audit_api.router, "/api/v1", behind_resolver=True),
    Mount(indicators_api.router, "/api/v1"),
    Mount(completeness_api.router, "/api/v1"),
    Mount(values_api.router, "/api/v1"),
    Mount(analytics_api.router, "/api/v1"),
    Mount(exchange_api.router, "/api/v1"),
    Mount(notify_api.router, "/api/v1"),
    Mount(feedback_stats_api.router, "/api/v1"),  # before /feedback/{key}
    Mount(feedback_api.router, "/api/v1"),
    Mount(feedback_admin_api.router, "/api/v1"),
    Mount(sensor_events_api.router, "/api/v1"),  # /sensors/events before /sensors/{code}/...
    Mount(sensors_api.router, "/api/v1"),
    Mount(violations_api.router, "/api/v1"),  # /alerts/violations before /alerts/{id}
    Mount(alert_contacts_api.router, "/api/v1"),  # /alerts/contact-points before /alerts/{id}
    Mount(alerts_api.router, "/api/v1"),  # /alerts/rules, /alerts/silences before /alerts/{id}
    Mount(warnings_api.router, "/api/v1"),
    Mount(open311.router, "/open311/v2"),  # public GETs; POST checks its api_key itself
    Mount(cap_routes.router),  # public CAP 1.2 messages and their Atom feed, no login
    Mount(web_pages.router, in_schema=False),
    Mount(auth_pages.router, in_schema=False),
    Mount(feedback_public_pages.router, in_schema=False),  # citizens, no login; first /phan-anh
    Mount(org_pages.router, in_schema=False, behind_resolver=True),
    Mount(audit_pages.router, in_schema=False, behind_resolver=True),
    Mount(entry_pages.router, in_schema=False),  # before /indicators/{code}
    Mount(plan_pages.router, in_schema=False),  # before /indicators/{code}
    Mount(indicators_pages.router, in_schema=False),
    Mount(dashboard_pages.router, in_schema=False),
    Mount(notify_pages.router, in_schema=False),
    Mount(feedback_stats_pages.router, in_schema=False),  # before /feedback/{code}
    Mount(feedback_admin_pages.router, in_schema=False),  # before /feedback/{code}/{action}
    Mount(feedback_pages.router, in_schema=False),  # after any fixed /feedback/... pages
    Mount(warnings_pages.router, in_schema=False),  # /alerts/warnings before /alerts/{id}
    Mount(alert_rules_pages.router, in_schema=False),  # /alerts/rules before /alerts/{id}
    Mount(alert_pages.router, in_schema=False),
    Mount(sensors_pages.router, in_schema=False),
)


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


# How long a thread may keep the GIL while another waits (Python's default: 5 ms). A request
# that holds the audit chain's lock (audit.service, taken at commit) needs the GIL back after
# each round trip to the database; with 5 ms, the other requests' CPU work made each commit
# hold the lock for tens of ms and intake stalled at 45 reports/s on 2 workers. With 0,5 ms it
# sustains 125/s with p99 176 ms (docs/performance.md).
GIL_SWITCH_INTERVAL_S = 0.0005


def listen() -> None:
    """Subscribe the event listeners (core.events): every process that stores data — the web
    server, ``iocvn sensors mqtt``, the CLI — reacts to it the same way (idempotent)."""
    indicator_feeds.subscribe()
    alert_evaluation.subscribe()  # alert rules evaluated as readings are stored
    alert_pages.subscribe()  # the sensors pages show devices' alerts and rules
    alert_notifications.subscribe()  # alert notifications queued on transitions and rounds
    alert_escalation.subscribe()  # unacknowledged alerts climb the ladder at each round
    alert_violations.subscribe()  # emission rules' violation log, on alert transitions


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application for ``settings`` (the environment's by default)."""
    settings = settings or get_settings()
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
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
    configure_sessions(
        app.state, session_factory(engine), REQUEST_CONNECTIONS,
        writers=1 if engine.dialect.name == "sqlite" else settings.db_writers,
    )  # fmt: skip
    app.state.settings = settings
    app.state.metrics = Metrics()
    for collector in (*sensor_ingest.COLLECTORS, *sensor_events.COLLECTORS):  # every channel
        app.state.metrics.registry.register(collector)
    app.state.nav = NAV
    listen()

    errors.install(app)
    route_paths = {
        id(r): m.prefix + r.path for m in MOUNTS for r in m.router.routes if isinstance(r, APIRoute)
    }
    app.add_middleware(
        RequestContext,
        metrics=app.state.metrics,
        csp=content_security_policy(settings),
        route_paths=route_paths,
    )
    app.add_middleware(BodyGuard, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        ProxyHeadersMiddleware,
        trusted_hosts=[h.strip() for h in settings.trusted_proxies.split(",") if h.strip()],
    )

    for mount in MOUNTS:
        app.include_router(
            mount.router,
            prefix=mount.prefix,
            include_in_schema=mount.in_schema,
            dependencies=[Depends(current)] if mount.behind_resolver else None,
        )
    app.mount("/static/vendor/leaflet", StaticFiles(directory=xs_leaflet.BASE_DIR), "leaflet")
    app.mount(
        "/static/vendor/leaflet.markercluster",
        StaticFiles(directory=xs_markercluster.BASE_DIR),
        "leaflet.markercluster",
    )
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


def server_app(settings: Settings | None = None) -> FastAPI:
    """:func:`create_app` for a long-running server process (``iocvn serve``, or
    ``uvicorn --factory iocvn.app:server_app --workers N``): what start-up built lives as long
    as the process, so it is moved out of the garbage collector's reach (``gc.freeze``). A
    full collection otherwise walks those ≈ 200 000 objects (90–220 ms measured here), every
    request of the process paused meanwhile."""
    app = create_app(settings)
    gc.collect()
    gc.freeze()
    return app
