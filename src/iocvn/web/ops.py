"""Operations endpoints: ``/healthz`` (process up), ``/readyz`` (database and migrations),
``/metrics`` (Prometheus text format)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from iocvn import __version__
from iocvn.db import migrations_current

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up and answering."""
    return {"status": "ok", "version": __version__}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """Ready to serve: the database answers and its schema is at the newest migration."""
    engine = request.app.state.engine
    checks: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
        checks["migrations"] = "ok" if migrations_current(engine) else "pending"
    except Exception as exc:  # any failure to reach the database means "not ready"
        checks["database"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values()) and "migrations" in checks
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus text exposition of iocvn's metrics."""
    return Response(
        generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST
    )
