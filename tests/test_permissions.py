"""Generated permission tests (NetBox style): every route is public by name, or guarded, and
each guarded route answers anonymous → 401, a role without the permission → 403, and a role
with it → neither. A route added without a guard fails here until it is listed as public.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.app import MOUNTS
from iocvn.auth.deps import current
from iocvn.auth.roles import PERMISSIONS, ROLE_LEVELS, ROLES
from tests.factories.auth import add_units, bearer

# Routes anyone may call (login flow, health, assets, the OpenAPI document).
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/login/mfa"),
    ("POST", "/login/mfa"),
    ("GET", "/mfa/enrol"),
    ("POST", "/mfa/enrol"),
    ("POST", "/logout"),
    ("GET", "/lang/{code}"),
    # Open311 GeoReport v2: public reads; POST requests checks its api_key (a token with
    # feedback.submit) itself and answers 403 in the spec's shape (tests/feedback/test_open311.py)
    ("GET", "/open311/v2/discovery.{fmt}"),
    ("GET", "/open311/v2/services.{fmt}"),
    ("GET", "/open311/v2/services/{service_code}.{fmt}"),
    ("POST", "/open311/v2/requests.{fmt}"),
    ("GET", "/open311/v2/tokens/{token}.{fmt}"),
    ("GET", "/open311/v2/requests.{fmt}"),
    ("GET", "/open311/v2/requests/{service_request_id}.{fmt}"),
    ("GET", "/open311/v2/media/{photo_id}"),
    # Everything else under Open311: the spec's 404/405 error list, and CORS preflights
    *((m, "/open311/v2/{rest:path}") for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")),
    # The citizens' feedback pages (issue #4): no login; forms carry their own CSRF token and
    # the private view needs the case's secret (tests/feedback/test_public_pages.py)
    ("GET", "/phan-anh/gui"),
    ("POST", "/phan-anh/gui"),
    ("GET", "/phan-anh/anh/{photo_id}"),
    ("GET", "/phan-anh/ban-do.geojson"),
    ("GET", "/phan-anh/ban-do"),
    ("GET", "/phan-anh/tra-cuu"),
    ("GET", "/phan-anh/{code}"),
    ("POST", "/phan-anh/{code}"),
    ("POST", "/phan-anh/{code}/xac-nhan"),
    # Published public warnings in CAP 1.2 and their Atom feed (issue #5): anyone may read
    # them (tests/alerts/test_warnings_api.py)
    ("GET", "/cap/alerts.atom"),
    ("GET", "/cap/alerts/{identifier}.xml"),
}
# Sample values for path parameters: they exist in the data each test creates.
SAMPLES = {"username": "target", "code": "05977", "token_id": "{token_id}", "action": "lock"}
ORG_FOR_LEVEL = {"province": "20", "commune": "05977", "agency": "20.SYT"}


def _walk(dep: Dependant) -> Iterator[Any]:
    for sub in dep.dependencies:
        yield sub.call
        yield from _walk(sub)


def guard_of(route: APIRoute) -> tuple[str | None, bool]:
    """(permission, needs login) of a route, read from its dependency tree."""
    calls = list(_walk(route.dependant))
    permissions = [c.permission for c in calls if hasattr(c, "permission")]
    return (permissions[0] if permissions else None), current in calls


def routes() -> list[tuple[str, str, str | None, bool]]:
    """Every route the app mounts (read from the app's own mount list, so none is missed)."""
    found = []
    for mount in MOUNTS:
        for route in mount.router.routes:
            assert isinstance(route, APIRoute)
            permission, needs_login = guard_of(route)
            for method in sorted(route.methods - {"HEAD"}):
                found.append(
                    (
                        method,
                        mount.prefix + route.path,
                        permission,
                        needs_login or mount.behind_resolver,
                    )
                )
    return found


ROUTES = routes()


def test_every_route_is_public_or_guarded() -> None:
    unguarded = [
        (m, p) for m, p, perm, login in ROUTES if not perm and not login and (m, p) not in PUBLIC
    ]
    assert unguarded == []


def test_every_permission_is_known() -> None:
    used = {perm for _, _, perm, _ in ROUTES if perm}
    assert used <= set(PERMISSIONS)


def _url(path: str, token_id: str) -> str:
    for name, value in SAMPLES.items():
        path = path.replace("{" + name + "}", value.replace("{token_id}", token_id))
    return path


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    """One token per role, a target account and a token to act on."""
    from iocvn.auth import credentials
    from tests.factories.auth import ADMIN_ACTOR, add_user

    add_units(session)
    headers = {
        role: bearer(
            session, f"u-{role.replace('_', '-')}", role, ORG_FOR_LEVEL[min(ROLE_LEVELS[role])]
        )
        for role in ROLES
    }
    target = add_user(session, "target", "viewer", "05977", password=None)
    _, token = credentials.create_token(session, ADMIN_ACTOR, target)
    session.commit()
    return {"headers": headers, "token_id": token.id}


GUARDED = [(m, p, perm) for m, p, perm, login in ROUTES if perm or login]


@pytest.mark.parametrize(
    ("method", "path", "permission"), GUARDED, ids=[f"{m} {p}" for m, p, _ in GUARDED]
)
def test_guarded_route(
    method: str, path: str, permission: str | None, client: TestClient, world: dict[str, Any]
) -> None:
    url = _url(path, world["token_id"])
    anonymous = client.request(method, url, headers={"Accept": "application/json"})
    assert anonymous.status_code == 401, anonymous.text
    assert anonymous.json()["error"] == "unauthenticated"
    for role in ROLES:
        allowed = permission is None or role in PERMISSIONS[permission]
        response = client.request(
            method,
            url,
            headers=world["headers"][role] | {"Accept": "application/json"},
            json={} if method in ("POST", "PATCH", "PUT") else None,
        )
        if allowed:  # may still be refused by scope (another code), never by permission
            assert response.status_code != 401, (role, response.text)
            if response.status_code == 403:
                assert response.json()["error"] != "forbidden", (role, response.text)
        else:
            assert response.status_code == 403, (role, response.text)
            assert response.json()["error"] == "forbidden"
