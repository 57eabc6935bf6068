"""Staff pages of public warnings: the list, the drafting form (times as dd/mm/yyyy HH:MM in
Vietnam's time, a circle from the map or a pasted GeoJSON polygon), a warning's page with the
four-eyes publish button, and Updates and Cancels started from a published warning."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts.cap import validate
from iocvn.alerts.forms import TIME_FORMAT
from iocvn.alerts.models import WarningMessage
from iocvn.core.timeutil import to_local, utcnow
from tests.factories.auth import PASSWORD, add_units, add_user
from tests.factories.cap import RING
from tests.factories.web import csrf_of, login

USERS = {
    "dieuhanh": ("operator", "20"),
    "dieuhanh2": ("operator", "20"),
    "lanhdao": ("leader", "20"),
    "canbo-xa": ("commune_officer", "05977"),
}


@pytest.fixture
def accounts(session: Session) -> Session:
    """The units of ``factories.auth`` and the accounts of ``USERS`` (with passwords)."""
    add_units(session)
    for name, (role, unit) in USERS.items():
        add_user(session, name, role, unit)
    session.commit()
    return session


def as_user(client: TestClient, username: str) -> None:
    """Log ``username`` in (whoever was logged in before is forgotten)."""
    client.cookies.clear()
    assert login(client, username, PASSWORD).status_code in (302, 303)


def _when(hours: float) -> str:
    return to_local(utcnow() + timedelta(hours=hours)).strftime(TIME_FORMAT)


def form(**overrides: Any) -> dict[str, Any]:
    """What an operator types in the drafting form: a circle picked on the map."""
    data: dict[str, Any] = {
        "event": "Lũ quét",
        "headline": "Cảnh báo lũ trên sông Kỳ Cùng",
        "description": "Mực nước sông Kỳ Cùng vượt báo động 3.",
        "instruction": "Di chuyển lên vùng cao.",
        "category": "Met",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "status": "Actual",
        "area_description": "Phường Đông Kinh",
        "lat": "21,8567",  # a comma as Vietnamese write decimals is fine
        "lon": "106.7612",
        "radius_km": "2.5",
        "polygon": "",
        "onset": _when(1),
        "expires": _when(12),
        "response_types": ["Evacuate", "Monitor"],
    }
    data.update(overrides)
    return data


def draft_by_form(client: TestClient, **overrides: Any) -> str:
    """Post the drafting form; the new warning's id."""
    page = client.get("/alerts/warnings/new")
    assert page.status_code == 200, page.text
    done = client.post(
        "/alerts/warnings/new",
        data=form(csrf_token=csrf_of(page.text), **overrides),
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    found = re.fullmatch(r"/alerts/warnings/([0-9A-Z]{26})\?done=saved", done.headers["location"])
    assert found is not None
    return found.group(1)


def _row(session: Session, warning_id: str) -> WarningMessage:
    session.expire_all()
    row = session.get(WarningMessage, warning_id)
    assert row is not None
    return row


def test_the_list_and_the_navigation(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    page = client.get("/alerts/warnings")
    assert page.status_code == 200
    assert 'href="/alerts/warnings"' in page.text  # the navigation entry
    assert 'id="warn-new"' in page.text and 'id="warn-none"' in page.text
    assert 'href="/cap/alerts.atom"' in page.text
    as_user(client, "canbo-xa")
    page = client.get("/alerts/warnings")
    assert page.status_code == 200 and 'id="warn-new"' not in page.text
    assert client.get("/alerts/warnings/new").status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client: TestClient, accounts: Session) -> None:
    page = client.get("/alerts/warnings", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_an_operator_drafts_with_the_form(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    new = client.get("/alerts/warnings/new")
    assert 'id="warn-map"' in new.text and "/static/js/warning-map.js" in new.text
    assert "<script>" not in new.text and "style=" not in new.text  # the CSP forbids inline
    warning_id = draft_by_form(client)
    row = _row(accounts, warning_id)
    assert (row.state, row.msg_type, row.drafted_by) == ("draft", "Alert", "dieuhanh")
    assert row.body["area"] == {
        "description": "Phường Đông Kinh",
        "circle": {"lon": 106.7612, "lat": 21.8567, "radius_km": 2.5},
    }
    assert row.body["response_types"] == ["Evacuate", "Monitor"]
    assert row.body["onset"].endswith("+07:00")
    assert row.onset is not None
    assert to_local(row.onset).strftime(TIME_FORMAT) == form()["onset"]
    page = client.get(f"/alerts/warnings/{warning_id}?done=saved")
    assert "Đã lưu bản nháp." in page.text
    assert 'id="warn-four-eyes"' in page.text and 'id="warn-publish"' not in page.text
    assert 'data-area="' in page.text


def test_a_polygon_can_be_pasted(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    polygon = json.dumps({"type": "Polygon", "coordinates": [RING]})
    warning_id = draft_by_form(client, lat="", lon="", radius_km="", polygon=polygon)
    area = _row(accounts, warning_id).body["area"]
    assert "circle" not in area and area["polygon"]["coordinates"][0][0] == RING[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"onset": "31/02/2026 09:00"}, "dd/mm/yyyy HH:MM"),
        ({"polygon": "{not json", "lat": "", "lon": "", "radius_km": ""}, "GeoJSON"),
        ({"lat": "", "lon": "", "radius_km": ""}, "ít nhất một đa giác hoặc một hình tròn"),
        ({"radius_km": "năm"}, "radius_km"),
        ({"expires": "01/01/2020 00:00", "onset": ""}, "hết hiệu lực"),
        ({"category": "met"}, "category phải là một trong"),
    ],
)
def test_a_bad_form_comes_back_with_the_error(
    change: dict[str, Any], message: str, client: TestClient, accounts: Session
) -> None:
    as_user(client, "dieuhanh")
    page = client.get("/alerts/warnings/new")
    sent = form(csrf_token=csrf_of(page.text), **change)
    answer = client.post("/alerts/warnings/new", data=sent)
    assert answer.status_code == 422
    assert 'id="warn-error"' in answer.text and message in answer.text
    assert "Cảnh báo lũ trên sông Kỳ Cùng" in answer.text  # what was typed is kept
    assert accounts.execute(select(WarningMessage)).first() is None


def test_another_operator_publishes_from_the_page(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    warning_id = draft_by_form(client)
    as_user(client, "dieuhanh2")
    page = client.get(f"/alerts/warnings/{warning_id}")
    assert 'id="warn-publish"' in page.text
    url = f"/alerts/warnings/{warning_id}/publish"
    assert client.post(url, data={}).status_code == 403  # no CSRF token
    done = client.post(url, data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert done.status_code == 200 and "Đã phát hành bản tin." in done.text
    row = _row(accounts, warning_id)
    assert row.state == "published" and row.approved_by == "dieuhanh2"
    assert f'href="/cap/alerts/{row.identifier}.xml"' in done.text
    validate(client.get(f"/cap/alerts/{row.identifier}.xml").content)
    again = client.post(url, data={"csrf_token": csrf_of(page.text)})
    assert again.status_code == 409 and 'id="warn-error"' in again.text


def test_the_drafter_pressing_publish_is_refused(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    warning_id = draft_by_form(client)
    page = client.get(f"/alerts/warnings/{warning_id}")
    refused = client.post(
        f"/alerts/warnings/{warning_id}/publish", data={"csrf_token": csrf_of(page.text)}
    )
    assert refused.status_code == 403 and "Nguyên tắc bốn mắt" in refused.text
    assert _row(accounts, warning_id).state == "draft"


def test_a_draft_is_edited_and_discarded(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    warning_id = draft_by_form(client, polygon="", status="Exercise")
    as_user(client, "dieuhanh2")
    edit = client.get(f"/alerts/warnings/{warning_id}/edit")
    assert edit.status_code == 200
    assert 'value="21.8567"' in edit.text and 'value="Exercise" selected' in edit.text
    assert form()["expires"] in edit.text  # shown as dd/mm/yyyy HH:MM
    saved = client.post(
        f"/alerts/warnings/{warning_id}/edit",
        data=form(csrf_token=csrf_of(edit.text), headline="Lũ rất lớn", status="Exercise"),
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Lũ rất lớn" in saved.text
    row = _row(accounts, warning_id)
    assert row.headline == "Lũ rất lớn" and row.authors == ["dieuhanh", "dieuhanh2"]
    assert 'id="warn-four-eyes"' in saved.text  # the editor may no longer publish it
    gone = client.post(
        f"/alerts/warnings/{warning_id}/discard",
        data={"csrf_token": csrf_of(saved.text)},
        follow_redirects=True,
    )
    assert "Đã bỏ bản nháp." in gone.text and _row(accounts, warning_id).state == "discarded"


def test_update_and_cancel_from_a_published_warning(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    warning_id = draft_by_form(client)
    as_user(client, "lanhdao")
    page = client.get(f"/alerts/warnings/{warning_id}")
    assert 'id="warn-update"' not in page.text  # leaders approve; operators draft
    client.post(f"/alerts/warnings/{warning_id}/publish", data={"csrf_token": csrf_of(page.text)})
    as_user(client, "dieuhanh")
    page = client.get(f"/alerts/warnings/{warning_id}")
    assert 'id="warn-update"' in page.text and 'id="warn-cancel"' in page.text
    update_form = client.get(f"/alerts/warnings/{warning_id}/update")
    assert "Cảnh báo lũ trên sông Kỳ Cùng" in update_form.text
    done = client.post(
        f"/alerts/warnings/{warning_id}/update",
        data=form(csrf_token=csrf_of(update_form.text), severity="Extreme", status="Exercise"),
        follow_redirects=False,
    )
    assert done.status_code == 303
    update_id = done.headers["location"].split("/")[-1].split("?")[0]
    update = _row(accounts, update_id)
    assert (update.msg_type, update.severity, update.status) == ("Update", "Extreme", "Actual")
    cancel = client.post(
        f"/alerts/warnings/{warning_id}/cancel",
        data={"csrf_token": csrf_of(page.text), "description": "Nước đã rút."},
        follow_redirects=True,
    )
    assert cancel.status_code == 200 and 'data-msg-type="Cancel"' in cancel.text
    cancel_id = re.search(r'<li data-id="([0-9A-Z]{26})"><strong>', cancel.text)
    assert cancel_id is not None
    row = _row(accounts, cancel_id.group(1))
    assert row.msg_type == "Cancel" and row.body["description"] == "Nước đã rút."
    assert 'id="warn-chain"' in cancel.text
    edit = client.get(f"/alerts/warnings/{row.id}/edit")
    assert 'id="warn-event"' not in edit.text and 'id="warn-headline"' in edit.text


def test_the_pages_speak_english(client: TestClient, accounts: Session) -> None:
    as_user(client, "dieuhanh")
    client.get("/lang/en")
    page = client.get("/alerts/warnings/new")
    assert "Draft a warning" in page.text and "Centre latitude" in page.text


def test_a_published_warning_cannot_be_edited_by_form(
    client: TestClient, accounts: Session
) -> None:
    as_user(client, "dieuhanh")
    warning_id = draft_by_form(client)
    as_user(client, "lanhdao")
    page = client.get(f"/alerts/warnings/{warning_id}")
    client.post(f"/alerts/warnings/{warning_id}/publish", data={"csrf_token": csrf_of(page.text)})
    as_user(client, "dieuhanh")
    edit = client.get(f"/alerts/warnings/{warning_id}/edit", follow_redirects=False)
    assert edit.status_code == 303
    mine = client.get(f"/alerts/warnings/{warning_id}")
    refused = client.post(
        f"/alerts/warnings/{warning_id}/edit",
        data=form(csrf_token=csrf_of(mine.text), headline="Sửa muộn"),
    )
    assert refused.status_code == 409 and "không còn là bản nháp" in refused.text
    assert _row(accounts, warning_id).headline == "Cảnh báo lũ trên sông Kỳ Cùng"
