"""Fuzz every operation of the JSON API (schemathesis, from the app's own OpenAPI document) as
an administrator on the seeded Lạng Sơn data: whatever the input, never a 5xx.

Design: the schema is loaded eagerly (from the OpenAPI document of an app built on an unused
in-memory database) so that ``SCHEMA.parametrize()`` makes one pytest test per operation;
each of them gets the usual function-scoped fixtures — a freshly seeded database and a new
administrator's bearer token, shared by the operation's examples — and the cases are sent to
the app of that test (``app=``). Destructive operations (lock, revoke, password, token
deletion) only reach accounts the fuzzer names: the administrator's username and token id
appear nowhere in the schema, so its token stays usable for all the examples of an operation.
Only ``not_a_server_error`` is checked: iocvn's error bodies (``{"error", "message",
"details"}``) are deliberately not FastAPI's documented 422 shape.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from sqlalchemy.orm import Session

from iocvn.app import create_app
from iocvn.config import Settings
from tests.factories.auth import bearer
from tests.factories.org import seed

SCHEMA = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi())


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    """Lạng Sơn seeded, and an administrator's bearer header (once per operation)."""
    seed(session)
    headers = bearer(session, "fuzz.quantri", "admin", "20")
    session.commit()
    return headers


@SCHEMA.parametrize()
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_never_fails_on_the_server(
    case: schemathesis.Case, app: FastAPI, admin: dict[str, str]
) -> None:
    response = case.call(app=app, headers=admin)
    case.validate_response(response, checks=[not_a_server_error])


# Inputs the fuzzer once turned into 500s, replayed on every run with the answers allowed:
# numbers beyond 64 bits and instants beyond year 1 or 9999 (both databases), and NUL
# characters, which SQLite stores and PostgreSQL refuses (then 422).
FOUND = [
    ("GET", "/api/v1/org-units?offset=9223372036854775808", None, {422}),
    ("GET", "/api/v1/audit?before=9223372036854775808", None, {422}),
    ("GET", "/api/v1/audit?since=0001-01-01T00:00:00%2B10:00", None, {200}),
    ("GET", "/api/v1/audit?until=9999-12-31T23:59:59-23:00", None, {200}),
    ("GET", "/api/v1/audit?since=0001-01-01", None, {200}),
    ("GET", "/api/v1/tokens?username=%00", None, {404, 422}),
    ("GET", "/api/v1/org-units?q=a%00b", None, {200, 422}),
    ("POST", "/api/v1/tokens", {"username": "\x00"}, {404, 422}),
]


@pytest.mark.parametrize(("method", "url", "body", "allowed"), FOUND)
def test_inputs_found_by_the_fuzzer_are_not_server_errors(
    client: TestClient,
    admin: dict[str, str],
    method: str,
    url: str,
    body: dict[str, str] | None,
    allowed: set[int],
) -> None:
    response = client.request(method, url, json=body, headers=admin)
    assert response.status_code in allowed, response.text
    if response.status_code == 422:
        assert response.json()["error"] in ("validation_error", "invalid")
