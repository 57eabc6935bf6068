"""Test helpers for public warnings on the database: the staff who draft and approve, a
draft body valid now (onset in an hour, expiry in twelve), and a draft/publish through the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.alerts.cap import cap_datetime
from iocvn.core.timeutil import utcnow
from tests.factories import cap
from tests.factories.auth import add_units, bearer

# username → (role, unit)
STAFF = {
    "dieuhanh": ("operator", "20"),
    "dieuhanh2": ("operator", "20"),
    "lanhdao": ("leader", "20"),
    "dieuhanh-xa": ("operator", "05977"),
    "canbo-xa": ("commune_officer", "05977"),
    "xem-kylua": ("viewer", "06187"),
    "quantri": ("admin", "20"),
}


def staff(session: Session) -> dict[str, dict[str, str]]:
    """The units of ``factories.auth`` and one token per person of ``STAFF`` (committed)."""
    add_units(session)
    headers = {name: bearer(session, name, role, unit) for name, (role, unit) in STAFF.items()}
    session.commit()
    return headers


def body(**overrides: Any) -> dict[str, Any]:
    """The flash flood of ``factories.cap`` starting in an hour and ending in twelve."""
    now = utcnow()
    times = {
        "onset": cap_datetime(now + timedelta(hours=1)),
        "expires": cap_datetime(now + timedelta(hours=12)),
    }
    return cap.body(**(times | overrides))


def drafted(client: TestClient, who: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """A draft made through the API by ``who``."""
    response = client.post("/api/v1/warnings", json=body(**overrides), headers=who)
    assert response.status_code == 201, response.text
    return dict(response.json())


def published(
    client: TestClient, drafter: dict[str, str], approver: dict[str, str], **overrides: Any
) -> dict[str, Any]:
    """A warning drafted by ``drafter`` and published by ``approver``."""
    draft = drafted(client, drafter, **overrides)
    response = client.post(f"/api/v1/warnings/{draft['id']}/publish", headers=approver)
    assert response.status_code == 200, response.text
    return dict(response.json())
