"""Operations endpoints, request ids, security headers and JSON logs."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from iocvn.core.logs import REQUEST_ID, JsonFormatter


def test_healthz(client: TestClient) -> None:
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["version"]


def test_readyz_ok_when_migrated(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "migrations": "ok"}}


def test_readyz_503_when_migrations_pending(client: TestClient, session: Session) -> None:
    (current,) = session.execute(text("SELECT version_num FROM alembic_version")).one()
    session.execute(text("UPDATE alembic_version SET version_num = 'old'"))
    session.commit()
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["checks"]["migrations"] == "pending"
    finally:
        session.execute(text("UPDATE alembic_version SET version_num = :v"), {"v": current})
        session.commit()


def test_metrics_count_requests_by_route_template(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/api/v1/org-units/05977")
    text_body = client.get("/metrics").text
    assert 'iocvn_http_requests_total{method="GET",route="/healthz",status="200"} 1.0' in text_body
    assert 'route="/api/v1/org-units/{code}",status="401"' in text_body
    assert "iocvn_http_request_duration_seconds_bucket" in text_body


def test_security_headers_and_request_id(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'self'" in response.headers["content-security-policy"]
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert len(generated.headers["x-request-id"]) == 26


def test_openapi_document_lists_the_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/api/v1/me", "/api/v1/org-units", "/api/v1/org-units/{code}", "/api/v1/audit"):
        assert path in spec["paths"], path


def test_static_assets_are_served_locally(client: TestClient) -> None:
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert client.get("/static/vendor/leaflet/leaflet.css").status_code == 200
    assert client.get("/static/css/app.css").status_code == 200


def test_json_log_line_carries_request_id() -> None:
    token = REQUEST_ID.set("req-42")
    try:
        record = logging.LogRecord(
            "iocvn.test", logging.INFO, __file__, 1, "xin chào %s", ("Lạng Sơn",), None
        )
        record.status = 200
        line = json.loads(JsonFormatter().format(record))
    finally:
        REQUEST_ID.reset(token)
    assert line["message"] == "xin chào Lạng Sơn"
    assert line["request_id"] == "req-42" and line["status"] == 200 and line["level"] == "info"


@pytest.mark.parametrize(("path", "accept"), [("/khong-co", "text/html"), ("/api/v1/x", "*/*")])
def test_unknown_routes_are_404_never_500(client: TestClient, path: str, accept: str) -> None:
    assert client.get(path, headers={"Accept": accept}).status_code == 404


def test_a_server_process_keeps_what_start_up_built_out_of_full_collections(
    db: Engine, gc_unfrozen: None
) -> None:
    import gc

    from iocvn.app import server_app

    assert gc.get_freeze_count() == 0
    try:
        app = server_app()
        assert gc.get_freeze_count() > 10_000  # the modules, routes and models of the app
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
    finally:
        gc.unfreeze()  # the test process goes on building apps
