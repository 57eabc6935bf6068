"""Public warnings through the API and the public CAP routes: an operator drafts, a second
person publishes (four eyes), the message is valid CAP 1.2 served byte for byte as published
and listed in the Atom feed; Updates and Cancels reference the chain; exercises are marked."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import cap
from iocvn.alerts.atom import ATOM_NS
from iocvn.alerts.cap import read, validate
from iocvn.alerts.models import WarningMessage
from iocvn.audit.models import AuditEntry
from iocvn.core.timeutil import utcnow
from tests.factories.cap import RING, texts
from tests.factories.notify import environment
from tests.factories.warnings import body, drafted, published, staff

A = {"a": ATOM_NS}


@pytest.fixture
def people(session: Session) -> dict[str, dict[str, str]]:
    """Bearer headers by username (``factories.warnings.STAFF``)."""
    return staff(session)


def _publish(client: TestClient, warning_id: str, who: dict[str, str]) -> Any:
    return client.post(f"/api/v1/warnings/{warning_id}/publish", headers=who)


def _xml(client: TestClient, identifier: str) -> bytes:
    response = client.get(f"/cap/alerts/{identifier}.xml")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/cap+xml"
    return response.content


def _actions(session: Session, target: str) -> list[str]:
    session.expire_all()
    rows = session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == target).order_by(AuditEntry.seq)
    )
    return [str(a) for a in rows.scalars()]


# --- drafting ----------------------------------------------------------------------------


def test_an_operator_drafts_a_warning(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    sent = body(headline="  Cảnh báo lũ trên sông Kỳ Cùng  ", source_alert="alert-42")
    response = client.post("/api/v1/warnings", json=sent, headers=people["dieuhanh"])
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["state"] == "draft" and out["msg_type"] == "Alert" and out["status"] == "Actual"
    assert out["id"] == out["chain_id"] and len(out["id"]) == 26
    assert out["drafted_by"] == "dieuhanh" and out["authors"] == ["dieuhanh"]
    assert out["org_unit"] == "20" and out["source_alert"] == "alert-42"
    assert out["identifier"] is None and out["url"] is None and out["references"] == []
    w = out["warning"]
    assert w["headline"] == "Cảnh báo lũ trên sông Kỳ Cùng"  # stripped
    ring = w["area"]["polygon"]["coordinates"][0]
    assert ring == [*RING, RING[0]]  # the open ring of the map, closed
    assert w["onset"].endswith("+07:00") and w["language"] == "vi-VN"
    assert client.get(f"/api/v1/warnings/{out['id']}", headers=people["lanhdao"]).json() == out
    assert _actions(session, out["id"]) == ["warning.draft"]
    # nothing is public yet
    atom = etree.fromstring(client.get("/cap/alerts.atom").content)
    assert atom.findall("a:entry", A) == []


def test_a_circle_and_an_english_block_are_kept(client: TestClient, people: dict[str, Any]) -> None:
    area = {
        "description": "Quanh trạm Kỳ Lừa",
        "circle": {"lon": 106.76, "lat": 21.86, "radius_km": 2.5},
    }
    english = {"event": "Flash flood", "headline": "Flood warning", "description": "Rising."}
    draft = drafted(client, people["dieuhanh"], area=area, english=english)
    assert draft["warning"]["area"] == area
    assert draft["warning"]["english"]["area_description"] == "Quanh trạm Kỳ Lừa"
    out = _publish(client, draft["id"], people["lanhdao"]).json()
    root = etree.fromstring(_xml(client, out["identifier"]))
    assert texts(root, "info/area/circle") == ["21.86,106.76 2.5"] * 2
    assert texts(root, "info/language") == ["vi-VN", "en-US"]


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"category": "met"}, "cap_enumeration", "category"),
        ({"headline": "x" * 161}, "cap_text_too_long", "headline"),
        ({"area": {"description": "Đông Kinh"}}, "cap_area_shape", "area"),
        ({"onset": "2026-12-01T09:00:00"}, "cap_datetime", "onset"),
        ({"colour": "red"}, "warning_unknown_field", None),
        ({"expires": "2020-01-01T00:00:00+07:00", "onset": None}, "cap_expires_order", "expires"),
        ({"status": "Real"}, "cap_enumeration", "status"),
    ],
)
def test_a_bad_draft_is_refused_with_its_reason(
    change: dict[str, Any],
    code: str,
    field: str | None,
    client: TestClient,
    session: Session,
    people: dict[str, Any],
) -> None:
    sent = {k: v for k, v in (body() | change).items() if v is not None}
    response = client.post("/api/v1/warnings", json=sent, headers=people["dieuhanh"])
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] == code and error["message"]
    if field:
        assert error["details"]["field"] == field
    assert session.execute(select(WarningMessage)).first() is None


def test_errors_speak_english_when_asked(client: TestClient, people: dict[str, Any]) -> None:
    headers = people["dieuhanh"] | {"Accept-Language": "en"}
    response = client.post("/api/v1/warnings", json=body(urgency="Now"), headers=headers)
    assert response.json()["message"].startswith("urgency must be one of: Immediate")
    assert client.post("/api/v1/warnings", json=[1], headers=headers).status_code == 422


@pytest.mark.parametrize("who", ["canbo-xa", "lanhdao", "xem-kylua", "quantri"])
def test_only_operators_draft(who: str, client: TestClient, people: dict[str, Any]) -> None:
    response = client.post("/api/v1/warnings", json=body(), headers=people[who])
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"


def test_anonymous_callers_see_no_drafts(client: TestClient, people: dict[str, Any]) -> None:
    assert client.get("/api/v1/warnings").status_code == 401
    assert client.post("/api/v1/warnings", json=body()).status_code == 401


# --- four eyes ---------------------------------------------------------------------------


def test_the_drafter_can_never_publish_their_own(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    draft = drafted(client, people["dieuhanh"])
    refused = _publish(client, draft["id"], people["dieuhanh"])
    assert refused.status_code == 403
    assert refused.json()["error"] == "warning_four_eyes"
    assert "bốn mắt" in refused.json()["message"]
    again = client.get(f"/api/v1/warnings/{draft['id']}", headers=people["dieuhanh"]).json()
    assert again["state"] == "draft" and again["identifier"] is None
    assert _actions(session, draft["id"]) == ["warning.draft"]


def test_another_operator_publishes(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    draft = drafted(client, people["dieuhanh"])
    response = _publish(client, draft["id"], people["dieuhanh2"])
    assert response.status_code == 200, response.text
    out = response.json()
    assert out["state"] == "published" and out["approved_by"] == "dieuhanh2"
    assert out["identifier"].startswith("langson.gov.vn-") and out["sender"] == "ioc@langson.gov.vn"
    assert out["url"] == f"http://127.0.0.1:8000/cap/alerts/{out['identifier']}.xml"
    assert _actions(session, draft["id"]) == ["warning.draft", "warning.publish"]
    twice = _publish(client, draft["id"], people["lanhdao"])
    assert twice.status_code == 409 and twice.json()["error"] == "warning_not_draft"


def test_a_leader_publishes(client: TestClient, people: dict[str, Any]) -> None:
    out = published(client, people["dieuhanh"], people["lanhdao"])
    assert out["approved_by"] == "lanhdao" and out["state"] == "published"


def test_whoever_edited_a_draft_cannot_publish_it(
    client: TestClient, people: dict[str, Any]
) -> None:
    draft = drafted(client, people["dieuhanh"])
    url = f"/api/v1/warnings/{draft['id']}"
    edited = client.patch(url, json={"severity": "Extreme"}, headers=people["dieuhanh2"])
    assert edited.status_code == 200, edited.text
    assert edited.json()["authors"] == ["dieuhanh", "dieuhanh2"]
    assert edited.json()["warning"]["severity"] == "Extreme"
    assert _publish(client, draft["id"], people["dieuhanh2"]).json()["error"] == "warning_four_eyes"
    assert _publish(client, draft["id"], people["lanhdao"]).status_code == 200


@pytest.mark.parametrize("who", ["canbo-xa", "xem-kylua", "quantri"])
def test_others_cannot_publish(who: str, client: TestClient, people: dict[str, Any]) -> None:
    draft = drafted(client, people["dieuhanh"])
    response = _publish(client, draft["id"], people[who])
    assert response.status_code in (403, 404)  # a commune's staff do not even see it
    assert response.json()["error"] in ("forbidden", "warning_not_found")


# --- editing, listing, discarding ---------------------------------------------------------


def test_a_draft_is_edited_until_published(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    draft = drafted(client, people["dieuhanh"])
    url = f"/api/v1/warnings/{draft['id']}"
    bad = client.patch(url, json={"urgency": "Soon"}, headers=people["dieuhanh"])
    assert bad.status_code == 422 and bad.json()["error"] == "cap_enumeration"
    ok = client.patch(
        url, json={"headline": "Lũ lớn", "instruction": None}, headers=people["dieuhanh"]
    )
    assert ok.status_code == 200
    assert ok.json()["warning"]["headline"] == "Lũ lớn"
    assert ok.json()["warning"]["instruction"] == ""  # null removes an optional field
    assert ok.json()["authors"] == ["dieuhanh"]
    _publish(client, draft["id"], people["lanhdao"])
    late = client.patch(url, json={"headline": "Muộn"}, headers=people["dieuhanh"])
    assert late.status_code == 409 and late.json()["error"] == "warning_not_draft"
    assert _actions(session, draft["id"]) == ["warning.draft", "warning.edit", "warning.publish"]


def test_the_list_filters_by_state_and_status(client: TestClient, people: dict[str, Any]) -> None:
    op = people["dieuhanh"]
    first = drafted(client, op)
    drill = published(client, op, people["lanhdao"], status="Exercise")
    listed = client.get("/api/v1/warnings", headers=people["lanhdao"])
    assert listed.status_code == 200
    assert listed.json()["total"] == 2
    assert [w["id"] for w in listed.json()["items"]] == [drill["id"], first["id"]]
    drafts = client.get("/api/v1/warnings?state=draft", headers=op).json()
    assert [w["id"] for w in drafts["items"]] == [first["id"]]
    exercises = client.get("/api/v1/warnings?status=Exercise", headers=op).json()
    assert [w["id"] for w in exercises["items"]] == [drill["id"]]
    wrong = client.get("/api/v1/warnings?state=gone", headers=op)
    assert wrong.status_code == 422 and wrong.json()["details"]["field"] == "state"


def test_a_commune_sees_its_own_warnings_only(client: TestClient, people: dict[str, Any]) -> None:
    province = drafted(client, people["dieuhanh"])
    commune = drafted(client, people["dieuhanh-xa"])
    assert commune["org_unit"] == "05977"
    seen = client.get("/api/v1/warnings", headers=people["canbo-xa"]).json()
    assert [w["id"] for w in seen["items"]] == [commune["id"]]
    hidden = client.get(f"/api/v1/warnings/{province['id']}", headers=people["canbo-xa"])
    assert hidden.status_code == 404 and hidden.json()["error"] == "warning_not_found"
    everything = client.get("/api/v1/warnings", headers=people["lanhdao"]).json()
    assert everything["total"] == 2


def test_a_draft_is_discarded(client: TestClient, session: Session, people: dict[str, Any]) -> None:
    draft = drafted(client, people["dieuhanh"])
    url = f"/api/v1/warnings/{draft['id']}"
    out = client.post(f"{url}/discard", headers=people["dieuhanh2"])
    assert out.status_code == 200 and out.json()["state"] == "discarded"
    assert out.json()["ended_by"] == "dieuhanh2"
    assert _publish(client, draft["id"], people["lanhdao"]).status_code == 409
    assert client.post(f"{url}/discard", headers=people["dieuhanh"]).status_code == 409
    assert _actions(session, draft["id"]) == ["warning.draft", "warning.discard"]


def test_unknown_warnings_answer_404(client: TestClient, people: dict[str, Any]) -> None:
    missing = "01JDX0A2B3C4D5E6F7G8H9J0K1"
    for method, path in (
        ("GET", ""),
        ("PATCH", ""),
        ("POST", "/publish"),
        ("POST", "/update"),
        ("POST", "/cancel"),
        ("POST", "/discard"),
    ):
        response = client.request(
            method, f"/api/v1/warnings/{missing}{path}", json={}, headers=people["dieuhanh"]
        )
        assert response.status_code == 404, (method, path)
        assert response.json()["error"] == "warning_not_found"
    bad_id = client.get("/api/v1/warnings/not-an-id", headers=people["dieuhanh"])
    assert bad_id.status_code == 422


# --- the published message and the feed ---------------------------------------------------


def test_the_published_message_is_valid_cap_and_never_changes(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    out = published(client, people["dieuhanh"], people["lanhdao"])
    first = _xml(client, out["identifier"])
    validate(first)
    assert _xml(client, out["identifier"]) == first  # byte for byte, every time
    row = session.get(WarningMessage, out["id"])
    assert row is not None and row.xml is not None and row.xml.encode() == first
    message = read(first)
    assert message.identifier == out["identifier"] and message.msg_type == "Alert"
    assert message.sender == "ioc@langson.gov.vn"
    assert message.sender_name == "Trung tâm Điều hành thông minh tỉnh Lạng Sơn"
    assert message.warning.headline == "Cảnh báo lũ trên sông Kỳ Cùng"
    assert message.references == ()
    assert message.sent == datetime.fromisoformat(out["sent"])


def test_a_message_is_public_and_unknown_ones_answer_404(
    client: TestClient, people: dict[str, Any]
) -> None:
    out = published(client, people["dieuhanh"], people["lanhdao"])
    anonymous = client.get(f"/cap/alerts/{out['identifier']}.xml")  # no credentials at all
    assert anonymous.status_code == 200
    assert "immutable" in anonymous.headers["cache-control"]
    missing = client.get("/cap/alerts/langson.gov.vn-01JDX0A2B3C4D5E6F7G8H9J0K1.xml")
    assert missing.status_code == 404 and missing.json()["error"] == "warning_not_found"
    draft = drafted(client, people["dieuhanh"])
    assert client.get(f"/cap/alerts/{draft['id']}.xml").status_code == 404


def test_the_atom_feed_lists_published_messages_newest_first(
    client: TestClient, people: dict[str, Any]
) -> None:
    older = published(client, people["dieuhanh"], people["lanhdao"])
    newer = published(client, people["dieuhanh"], people["dieuhanh2"], headline="Sạt lở đất")
    drafted(client, people["dieuhanh"], headline="Chưa phát hành")
    response = client.get("/cap/alerts.atom")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    root = etree.fromstring(response.content)
    ids = [e.text for e in root.findall("a:entry/a:id", A)]
    assert ids == [newer["url"], older["url"]]
    titles = [e.text for e in root.findall("a:entry/a:title", A)]
    assert titles == ["Sạt lở đất", "Cảnh báo lũ trên sông Kỳ Cùng"]
    link = root.find("a:entry/a:link[@rel='alternate']", A)
    assert link is not None and link.get("type") == "application/cap+xml"
    assert root.findtext("a:author/a:name", namespaces=A) == (
        "Trung tâm Điều hành thông minh tỉnh Lạng Sơn"
    )


def test_the_sender_comes_from_the_settings(client: TestClient, people: dict[str, Any]) -> None:
    with environment(IOCVN_CAP_SENDER="canhbao@ioc.example.vn", IOCVN_CAP_SENDER_NAME="IOC thử"):
        out = published(client, people["dieuhanh"], people["lanhdao"])
    assert out["sender"] == "canhbao@ioc.example.vn"
    assert out["identifier"].startswith("ioc.example.vn-")
    root = etree.fromstring(_xml(client, out["identifier"]))
    assert texts(root, "info/senderName") == ["IOC thử"]


# --- exercises, updates and cancels -------------------------------------------------------


def test_an_exercise_is_marked_everywhere(client: TestClient, people: dict[str, Any]) -> None:
    out = published(client, people["dieuhanh"], people["lanhdao"], status="Exercise")
    root = etree.fromstring(_xml(client, out["identifier"]))
    assert texts(root, "status") == ["Exercise"]
    assert texts(root, "note")[0].startswith("DIỄN TẬP:")
    assert texts(root, "info/headline")[0].startswith("[DIỄN TẬP] ")
    assert texts(root, "info/description")[0].startswith("[DIỄN TẬP] ")
    entry = etree.fromstring(client.get("/cap/alerts.atom").content).find("a:entry", A)
    assert entry is not None
    assert entry.findtext("a:title", namespaces=A).startswith("[DIỄN TẬP] ")
    status = entry.find("a:category[@term='Exercise']", A)
    assert status is not None and status.get("label") == "Diễn tập"
    assert out["warning"]["headline"] == "Cảnh báo lũ trên sông Kỳ Cùng"  # marked when written


def test_updates_reference_the_original_and_earlier_updates(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    op, other = people["dieuhanh"], people["dieuhanh2"]
    original = published(client, op, people["lanhdao"])
    later = (utcnow() + timedelta(hours=24)).isoformat()
    started = client.post(
        f"/api/v1/warnings/{original['id']}/update",
        json={"severity": "Extreme", "expires": later},
        headers=op,
    )
    assert started.status_code == 201, started.text
    first = started.json()
    assert first["msg_type"] == "Update" and first["state"] == "draft"
    assert first["chain_id"] == original["id"] and first["previous_id"] == original["id"]
    assert first["warning"]["severity"] == "Extreme"
    assert first["warning"]["headline"] == original["warning"]["headline"]
    assert _publish(client, first["id"], op).json()["error"] == "warning_four_eyes"
    one = _publish(client, first["id"], other).json()
    sent = cap.cap_datetime(datetime.fromisoformat(original["sent"]))
    assert one["references"] == [f"{original['sender']},{original['identifier']},{sent}"]
    get = client.get(f"/api/v1/warnings/{original['id']}", headers=op).json()
    assert get["state"] == "superseded" and get["ended_by"] == "dieuhanh2"
    second = client.post(
        f"/api/v1/warnings/{one['id']}/update", json={"headline": "Lũ rút"}, headers=op
    ).json()
    two = _publish(client, second["id"], people["lanhdao"]).json()
    message = read(_xml(client, two["identifier"]))
    assert message.msg_type == "Update"
    assert [r.identifier for r in message.references] == [original["identifier"], one["identifier"]]
    states = {
        w["id"]: w["state"] for w in client.get("/api/v1/warnings", headers=op).json()["items"]
    }
    assert states == {original["id"]: "superseded", one["id"]: "superseded", two["id"]: "published"}
    # the superseded message is still served as it was, and listed in the feed
    validate(_xml(client, original["identifier"]))
    atom = etree.fromstring(client.get("/cap/alerts.atom").content)
    assert len(atom.findall("a:entry", A)) == 3
    assert "warning.update" in _actions(session, first["id"])
    # an update cannot turn the warning into an exercise, nor follow a superseded message
    changed = client.post(
        f"/api/v1/warnings/{two['id']}/update", json={"status": "Exercise"}, headers=op
    )
    assert changed.status_code == 422 and changed.json()["error"] == "warning_status_change"
    stale = client.post(f"/api/v1/warnings/{original['id']}/update", json={}, headers=op)
    assert stale.status_code == 409 and stale.json()["error"] == "warning_not_published"


def test_a_cancel_references_the_chain_and_ends_it(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    op, other = people["dieuhanh"], people["dieuhanh2"]
    original = published(client, op, people["lanhdao"], status="Exercise")
    pending_update = client.post(
        f"/api/v1/warnings/{original['id']}/update", json={}, headers=op
    ).json()
    started = client.post(
        f"/api/v1/warnings/{original['id']}/cancel",
        json={"description": "Nước đã rút."},
        headers=op,
    )
    assert started.status_code == 201, started.text
    draft = started.json()
    assert draft["msg_type"] == "Cancel" and draft["warning"]["urgency"] == "Past"
    assert draft["warning"]["headline"].startswith("Hủy cảnh báo: ")
    assert draft["warning"]["response_types"] == ["AllClear"]
    out = _publish(client, draft["id"], other).json()
    message = read(_xml(client, out["identifier"]))
    assert message.msg_type == "Cancel" and message.status == "Exercise"
    assert message.warning.description.endswith("Nước đã rút.")
    assert message.warning.headline.startswith("[DIỄN TẬP] Hủy cảnh báo: ")
    assert [r.identifier for r in message.references] == [original["identifier"]]
    get = client.get(f"/api/v1/warnings/{original['id']}", headers=op).json()
    assert get["state"] == "cancelled"
    # nothing follows a cancelled warning
    ended = _publish(client, pending_update["id"], other)
    assert ended.status_code == 409 and ended.json()["error"] == "warning_chain_ended"
    again = client.post(f"/api/v1/warnings/{out['id']}/cancel", json={}, headers=op)
    assert again.status_code == 409 and again.json()["error"] == "warning_not_published"
    extra = client.post(
        f"/api/v1/warnings/{original['id']}/cancel", json={"severity": "Minor"}, headers=op
    )
    assert extra.status_code == 409
    assert "warning.cancel" in _actions(session, draft["id"])


def test_a_cancel_takes_only_texts(client: TestClient, people: dict[str, Any]) -> None:
    original = published(client, people["dieuhanh"], people["lanhdao"])
    response = client.post(
        f"/api/v1/warnings/{original['id']}/cancel",
        json={"severity": "Minor"},
        headers=people["dieuhanh"],
    )
    assert response.status_code == 422 and response.json()["error"] == "warning_cancel_fields"


def test_a_draft_that_expired_meanwhile_is_not_published(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    draft = drafted(client, people["dieuhanh"])
    row = session.get(WarningMessage, draft["id"])
    assert row is not None
    row.body = row.body | {"onset": None, "expires": "2026-01-01T00:00:00+07:00"}
    session.commit()
    response = _publish(client, draft["id"], people["lanhdao"])
    assert response.status_code == 422 and response.json()["error"] == "cap_expires_order"
    session.expire_all()
    assert session.get(WarningMessage, draft["id"]).state == "draft"  # type: ignore[union-attr]
