"""Staff pages of sensor alerts: the list by state and its live stream (server-sent events),
an alert with its history, acknowledging (a comment required) and silencing (a duration and a
reason) by forms, the rules editor, and the warning form filled from an alert."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import live, rules
from iocvn.alerts.models_rules import AlertInstance, AlertRule, AlertSilence
from iocvn.core.timeutil import utcnow
from iocvn.sensors.ingest import ingest
from tests.alerts.conftest import Clock
from tests.factories.alerts import rule
from tests.factories.auth import PASSWORD, add_user, bearer
from tests.factories.sensors import ACTOR, device, reading, units
from tests.factories.web import csrf_of, login

USERS = {
    "dieuhanh": ("operator", "20"),
    "lanhdao": ("leader", "20"),
    "xem": ("viewer", "20"),
    "canbo-xa": ("commune_officer", "05977"),
}
RULE = "Mực nước sông Kỳ Cùng vượt báo động 1"


def as_user(client: TestClient, username: str) -> None:
    """Log ``username`` in through the form."""
    client.cookies.clear()
    assert login(client, username, PASSWORD).status_code in (302, 303)


@pytest.fixture
def world(session: Session, clock: Clock) -> dict[str, Any]:
    """Staff, the Kỳ Cùng gauge with the rule ``> 3 m`` (critical, at once, flood) and a firing
    alert on it (3,25 m a minute ago)."""
    units(session)
    for name, (role, unit) in USERS.items():
        add_user(session, name, role, unit)
    session.commit()
    device(session, "KC-LS-01", interval_s=300)
    rule(session, value=3.0, for_s=0, severity="critical", scenario="flood")
    now = utcnow().replace(microsecond=0)
    for at, level in ((now - 2 * timedelta(minutes=1), 2.5), (now - timedelta(minutes=1), 3.25)):
        clock.now = at
        assert ingest(session, [reading("KC-LS-01", at, currentLevel=level)], now=at).accepted
        session.commit()
    alert = session.execute(select(AlertInstance)).scalar_one()
    assert alert.state == "firing"
    return {"session": session, "alert": alert.id, "clock": clock, "now": now}


def _row(session: Session, alert_id: str) -> AlertInstance:
    session.expire_all()
    found = session.get(AlertInstance, alert_id)
    assert found is not None
    return found


def test_the_list_shows_active_alerts_with_actions_by_role(
    client: TestClient, world: dict[str, Any]
) -> None:
    alert_id = world["alert"]
    as_user(client, "dieuhanh")
    page = client.get("/alerts")
    assert page.status_code == 200, page.text
    html = page.text
    assert f'<tr id="alert-{alert_id}" data-id="{alert_id}" data-state="firing"' in html
    assert RULE in html and "Nghiêm trọng" in html and "Đang cảnh báo" in html
    assert "3,25 m" in html  # the value in Vietnamese format with its unit
    assert (
        f'action="/alerts/{alert_id}/ack"' in html
        and f'action="/alerts/{alert_id}/silence"' in html
    )
    assert f'href="/alerts/warnings/new?alert={alert_id}"' in html
    assert (
        'data-stream="/alerts/stream?view=active"' in html and "/static/js/alerts-live.js" in html
    )
    assert "<script>" not in html and "style=" not in html
    assert 'href="/alerts" aria-current="page"' in html  # the navigation entry
    as_user(client, "xem")  # reads only
    html = client.get("/alerts").text
    assert alert_id in html and "/ack" not in html and "/silence" not in html
    assert "/alerts/warnings/new" not in html
    as_user(client, "canbo-xa")  # acknowledges, but the gauge is not the commune's
    assert alert_id not in client.get("/alerts").text


def test_views_by_state(client: TestClient, world: dict[str, Any]) -> None:
    as_user(client, "xem")
    assert world["alert"] in client.get("/alerts?view=firing").text
    assert world["alert"] in client.get("/alerts?view=all").text
    resolved = client.get("/alerts?view=resolved").text
    assert world["alert"] not in resolved and 'id="al-none"' in resolved
    assert 'data-view="active" aria-current="page"' in client.get("/alerts?view=bogus").text


def test_guards(client: TestClient, world: dict[str, Any]) -> None:
    alert_id = world["alert"]
    for url in ("/alerts", "/alerts/stream", f"/alerts/{alert_id}", "/alerts/rules"):
        answer = client.get(url, headers={"Accept": "application/json"})
        assert answer.status_code == 401, url
    robot = bearer(world["session"], "tich-hop", "integration", "20")
    world["session"].commit()
    assert client.get("/alerts", headers=robot | {"Accept": "text/html"}).status_code == 403
    as_user(client, "xem")
    page = client.get(f"/alerts/{alert_id}")
    token = csrf_of(page.text)
    ack = client.post(f"/alerts/{alert_id}/ack", data={"csrf_token": token, "comment": "x"})
    assert ack.status_code == 403
    silence = client.post(f"/alerts/{alert_id}/silence",
                          data={"csrf_token": token, "comment": "x", "duration": "60"})  # fmt: skip
    assert silence.status_code == 403
    no_csrf = client.post(f"/alerts/{alert_id}/ack", data={"comment": "x"})
    assert no_csrf.status_code == 403


def test_an_alert_page_with_its_history(client: TestClient, world: dict[str, Any]) -> None:
    alert_id = world["alert"]
    as_user(client, "lanhdao")
    page = client.get(f"/alerts/{alert_id}")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="al-state" data-state="firing"' in html
    assert "Mực nước lớn hơn 3 m" in html  # the condition in words
    assert 'href="/sensors/KC-LS-01"' in html and "3,25 m" in html
    assert 'data-to="firing"' in html and "last(currentLevel) = 3,25" in html
    assert 'id="al-ack-form"' in html and 'id="al-silence-form"' not in html  # a leader
    assert 'id="al-draft"' not in html  # leaders approve warnings, operators draft them
    assert client.get("/alerts/00000000000000000000000000", headers={"Accept": "text/html"}
                      ).status_code == 404  # fmt: skip


def test_acknowledge_needs_a_comment_then_records_who(
    client: TestClient, world: dict[str, Any]
) -> None:
    alert_id, session = world["alert"], world["session"]
    as_user(client, "dieuhanh")
    token = csrf_of(client.get(f"/alerts/{alert_id}").text)
    empty = client.post(f"/alerts/{alert_id}/ack", data={"csrf_token": token, "comment": "  "})
    assert empty.status_code == 422
    assert "Hãy ghi chú khi xác nhận cảnh báo" in empty.text
    assert 'data-form="ack"' in empty.text
    assert _row(session, alert_id).acknowledged_by is None
    done = client.post(
        f"/alerts/{alert_id}/ack",
        data={"csrf_token": token, "comment": "Đã báo xã, đang theo dõi", "next": "/alerts"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/alerts"
    row = _row(session, alert_id)
    assert (row.acknowledged_by, row.ack_comment) == ("dieuhanh", "Đã báo xã, đang theo dõi")
    html = client.get(f"/alerts/{alert_id}?done=acknowledged").text
    assert "Đã xác nhận cảnh báo." in html and "Đã báo xã, đang theo dõi" in html
    assert 'id="al-ack-form"' not in html
    assert 'data-acknowledged="true"' in client.get("/alerts").text
    # a second acknowledgement (a stale page) is refused, naming the first
    again = client.post(f"/alerts/{alert_id}/ack", data={"csrf_token": token, "comment": "lại"})
    assert again.status_code == 409 and "đã được dieuhanh xác nhận" in again.text
    outside = client.post("/alerts/x/ack", data={"csrf_token": token, "comment": "x"},
                          headers={"Accept": "application/json"})  # fmt: skip
    assert outside.status_code == 422  # not an alert id


def test_silence_needs_a_reason_and_a_listed_duration(
    client: TestClient, world: dict[str, Any]
) -> None:
    alert_id, session = world["alert"], world["session"]
    as_user(client, "dieuhanh")
    token = csrf_of(client.get(f"/alerts/{alert_id}").text)
    url = f"/alerts/{alert_id}/silence"
    no_reason = client.post(url, data={"csrf_token": token, "duration": "120", "comment": ""})
    assert no_reason.status_code == 422 and "Hãy nêu lý do tạm tắt" in no_reason.text
    odd = client.post(url, data={"csrf_token": token, "duration": "7", "comment": "bảo trì"})
    assert odd.status_code == 422 and "Hãy chọn thời gian tạm tắt" in odd.text
    assert ">bảo trì</textarea>" in odd.text  # what was typed comes back
    assert session.execute(select(AlertSilence)).first() is None
    before = utcnow()
    data = {"csrf_token": token, "duration": "120", "comment": "Bảo trì trạm"}
    done = client.post(url, data=data, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].endswith("?done=silenced")
    silence = session.execute(select(AlertSilence)).scalar_one()
    assert silence.matchers == [f'alertname="{RULE}"', 'device="KC-LS-01"']
    assert silence.created_by == "dieuhanh" and silence.comment == "Bảo trì trạm"
    length = silence.ends_at - silence.starts_at
    assert timedelta(minutes=119) < length <= timedelta(minutes=120, seconds=1)
    assert silence.starts_at >= before - timedelta(seconds=1)
    html = client.get(f"/alerts/{alert_id}").text
    assert "Đang tạm tắt" in html and "dieuhanh tạm tắt đến" in html
    assert 'data-silenced="true"' in client.get("/alerts").text


def test_the_stream_answers_json_to_other_clients(
    client: TestClient, world: dict[str, Any]
) -> None:
    as_user(client, "xem")
    answer = client.get("/alerts/stream?view=all", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    (alert,) = answer.json()["alerts"]
    assert alert["id"] == world["alert"] and alert["state"] == "firing"
    assert alert["name"] == RULE and alert["value"] == 3.25 and alert["silenced"] is False


def test_the_stream_sends_a_snapshot_then_ends(
    client: TestClient, world: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live, "LIFETIME_S", 0.0)  # one poll, then the browser would reconnect
    as_user(client, "xem")
    answer = client.get("/alerts/stream", headers={"Accept": "text/event-stream"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    retry, event = answer.text.split("\n\n")[:2]
    assert retry == "retry: 3000"
    name, data = event.split("\n")
    assert name == "event: snapshot"
    assert [a["id"] for a in json.loads(data.removeprefix("data: "))["alerts"]] == [world["alert"]]


def _collect(**kwargs: Any) -> list[str]:
    async def run() -> list[str]:
        return [chunk async for chunk in live.stream(**kwargs)]

    return asyncio.run(run())


class _Fake:
    """Polls answering one list after another, a clock moved by the sleeps."""

    def __init__(self, answers: list[list[dict[str, Any]]], disconnect_after: int = 99) -> None:
        self.answers = answers
        self.polls = 0
        self.now = 0.0
        self.disconnect_after = disconnect_after

    async def poll(self) -> list[dict[str, Any]]:
        self.polls += 1
        return self.answers[min(self.polls, len(self.answers)) - 1]

    async def disconnected(self) -> bool:
        return self.polls >= self.disconnect_after

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _events(chunks: list[str]) -> Iterator[tuple[str, Any]]:
    for chunk in chunks:
        if chunk.startswith("event: "):
            name, data = chunk.strip().split("\n")
            yield name.removeprefix("event: "), json.loads(data.removeprefix("data: "))
        else:
            yield chunk.strip(), None


def test_the_stream_generator_sends_changes_keep_alives_and_ends() -> None:
    a = {"id": "A", "state": "firing", "value": 3.1}
    b = {"id": "B", "state": "pending", "value": 1.0}
    fake = _Fake([[a], [a], [a, b], [{**a, "value": 3.4}, b], [b], [b], [b], [b], [b]])
    chunks = _collect(poll=fake.poll, disconnected=fake.disconnected, poll_s=2.0,
                      heartbeat_s=5.0, lifetime_s=16.0, clock=fake.clock,
                      sleep=fake.sleep)  # fmt: skip
    assert list(_events(chunks)) == [
        ("retry: 3000", None),
        ("snapshot", {"alerts": [a]}),
        ("changed", {"alerts": [b], "removed": []}),  # t=4: B appeared
        ("changed", {"alerts": [{**a, "value": 3.4}], "removed": []}),  # t=6: A's value
        ("changed", {"alerts": [], "removed": ["A"]}),  # t=8: A left the view
        (": keep-alive", None),  # t=14: nothing new for 5 s
    ]
    assert fake.polls == 9  # t=16: its lifetime is over


def test_the_stream_generator_stops_when_the_client_goes() -> None:
    fake = _Fake([[]], disconnect_after=2)
    chunks = _collect(poll=fake.poll, disconnected=fake.disconnected, clock=fake.clock,
                      sleep=fake.sleep)  # fmt: skip
    assert [c.split("\n")[0] for c in chunks] == ["retry: 3000", "event: snapshot"]
    assert fake.polls == 2


# --- the rules editor ---------------------------------------------------------------------


def _rule_form(token: str, **overrides: str) -> dict[str, str]:
    data = {"csrf_token": token, "name": "Mực nước vượt báo động 2", "device": "KC-LS-01",
            "quantity": "currentLevel", "op": ">=", "value": "3,5", "for_min": "10",
            "severity": "warning", "scenario": "flood"}  # fmt: skip
    return data | overrides


def test_the_rules_editor_lists_and_creates_threshold_rules(
    client: TestClient, world: dict[str, Any]
) -> None:
    session = world["session"]
    as_user(client, "dieuhanh")
    page = client.get("/alerts/rules?device=KC-LS-01")
    assert page.status_code == 200, page.text
    html = page.text
    assert RULE in html and "Mực nước lớn hơn 3 m" in html and "Lũ, ngập lụt" in html
    assert '<option value="KC-LS-01" selected>' in html
    assert 'data-devices="KC-LS-01"' in html and "/static/js/alert-rules.js" in html
    done = client.post("/alerts/rules", data=_rule_form(csrf_of(html)), follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"].startswith("/alerts/rules?done=created#rule-")
    made = session.execute(select(AlertRule).where(AlertRule.op == ">=")).scalar_one()
    assert (made.value, made.for_s, made.severity, made.scenario) == (
        3.5,
        600.0,
        "warning",
        "flood",
    )
    assert made.created_by == "dieuhanh"
    html = client.get("/alerts/rules?done=created").text
    assert "Đã lưu quy tắc." in html
    assert "Mực nước lớn hơn hoặc bằng 3,5 m trong 10 phút" in html


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"name": " "}, "name", "Hãy nhập Tên quy tắc."),
        ({"value": "ba mét"}, "value", "Ngưỡng phải là một số"),
        ({"op": "=>"}, "op", "So sánh không hợp lệ."),
        ({"for_min": "-1"}, "for_min", "Thời gian duy trì phải từ 0"),
        ({"quantity": "pm25"}, "quantity", "Thiết bị KC-LS-01 không đo đại lượng pm25."),
        ({"device": "KHONG-CO"}, "device", "Không có thiết bị KHONG-CO"),
    ],
)
def test_a_refused_rule_comes_back_with_what_was_typed(
    client: TestClient, world: dict[str, Any], change: dict[str, str], field: str, message: str
) -> None:
    as_user(client, "dieuhanh")
    token = csrf_of(client.get("/alerts/rules").text)
    answer = client.post("/alerts/rules", data=_rule_form(token, **change))
    assert answer.status_code == 422, answer.text
    assert message in answer.text
    assert f'id="rule-error" data-field="{field}"' in answer.text
    assert 'value="Mực nước vượt báo động 2"' in answer.text or field == "name"
    assert world["session"].execute(select(AlertRule).where(AlertRule.op == ">=")).first() is None


def test_disabling_a_rule(client: TestClient, world: dict[str, Any]) -> None:
    session = world["session"]
    (row,) = session.execute(select(AlertRule)).scalars()
    as_user(client, "xem")
    html = client.get("/alerts/rules").text
    assert RULE in html and 'id="rule-form"' not in html and "/disable" not in html
    refused = client.post(f"/alerts/rules/{row.id}/disable", data={"csrf_token": csrf_of(
        client.get("/alerts").text)})  # fmt: skip
    assert refused.status_code == 403
    as_user(client, "dieuhanh")
    token = csrf_of(client.get("/alerts/rules").text)
    done = client.post(f"/alerts/rules/{row.id}/disable", data={"csrf_token": token},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    session.expire_all()
    assert session.get(AlertRule, row.id).enabled is False  # type: ignore[union-attr]
    html = client.get("/alerts/rules?done=disabled").text
    assert "Đã tắt quy tắc." in html and 'data-enabled="false"' in html
    again = client.post(f"/alerts/rules/{row.id}/disable", data={"csrf_token": token})
    assert again.status_code == 409 and "Quy tắc cảnh báo đã bị tắt." in again.text


# --- a public warning drafted from an alert -----------------------------------------------


def _field(html: str, name: str) -> str:
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def test_the_warning_form_is_filled_from_the_alert(
    client: TestClient, world: dict[str, Any]
) -> None:
    alert_id = world["alert"]
    as_user(client, "dieuhanh")
    html = client.get(f"/alerts/{alert_id}").text
    assert f'href="/alerts/warnings/new?alert={alert_id}" id="al-draft"' in html
    page = client.get(f"/alerts/warnings/new?alert={alert_id}")
    assert page.status_code == 200, page.text
    form = page.text
    assert _field(form, "event") == "Lũ"
    assert _field(form, "headline") == f"{RULE} tại Thiết bị KC-LS-01"
    assert (_field(form, "lat"), _field(form, "lon"), _field(form, "radius_km")) == (
        "21.849000", "106.759000", "5"
    )  # fmt: skip
    assert '<option value="Severe" selected>' in form  # critical
    assert (
        '<option value="Immediate" selected>' in form
        and '<option value="Observed" selected>' in form
    )
    assert '<option value="Actual" selected>' in form
    description = re.search(r'name="description"[^>]*>([^<]*)</textarea>', form)
    assert description is not None
    assert (
        f"{RULE}. Mực nước tại Thiết bị KC-LS-01 (KC-LS-01) đo được 3,25 m lúc"
        in description.group(1)
    )
    assert "vượt ngưỡng 3 m." in description.group(1)
    assert 'value="Monitor" checked' in form and 'value="Prepare" checked' in form
    assert _field(form, "expires")  # twelve hours ahead, dd/mm/yyyy HH:MM
    missing = client.get("/alerts/warnings/new?alert=00000000000000000000000000",
                         headers={"Accept": "text/html"})  # fmt: skip
    assert missing.status_code == 404
    bad = client.get("/alerts/warnings/new?alert=nope", headers={"Accept": "application/json"})
    assert bad.status_code == 422
    as_user(client, "canbo-xa")
    assert client.get(f"/alerts/warnings/new?alert={alert_id}").status_code == 403


def test_editing_a_rule_round_trips_through_its_form(
    client: TestClient, world: dict[str, Any]
) -> None:
    session = world["session"]
    (row,) = session.execute(select(AlertRule)).scalars()
    as_user(client, "dieuhanh")
    listed = client.get("/alerts/rules").text
    assert f'href="/alerts/rules/{row.id}/edit#rule-form-title"' in listed and ">Sửa</a>" in listed
    html = client.get(f"/alerts/rules/{row.id}/edit").text
    # the same form, filled from the rule, posting to the rule with its version
    assert f'action="/alerts/rules/{row.id}"' in html and f"Sửa quy tắc: {RULE}" in html
    assert _field(html, "name") == RULE and _field(html, "value") == "3"
    assert _field(html, "for_min") == "0" and _field(html, "scenario") == "flood"
    assert _field(html, "version") == rules.version(row)
    assert '<option value="KC-LS-01" selected>' in html
    assert '<option value="critical" selected>' in html and "đánh giá lại" in html
    form = {"csrf_token": csrf_of(html), "version": _field(html, "version"), "name": RULE,
            "device": "KC-LS-01", "quantity": "currentLevel", "op": ">", "value": "3,5",
            "for_min": "10", "severity": "critical", "scenario": "flood"}  # fmt: skip
    done = client.post(f"/alerts/rules/{row.id}", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert done.headers["location"] == f"/alerts/rules?done=updated#rule-{row.id}"
    session.expire_all()
    edited = session.get(AlertRule, row.id)
    assert edited is not None and (edited.value, edited.for_s) == (3.5, 600.0)
    html = client.get("/alerts/rules?done=updated").text
    assert "Đã cập nhật quy tắc." in html and "Mực nước lớn hơn 3,5 m trong 10 phút" in html
    # the same form again, with the version it was opened at: someone edited meanwhile
    stale = client.post(f"/alerts/rules/{row.id}", data=form | {"value": "4"})
    assert stale.status_code == 412 and "Quy tắc vừa được người khác sửa." in stale.text
    assert 'value="4"' in stale.text  # what was typed comes back
    # a refused value comes back on the edit form, naming the field
    token = csrf_of(stale.text)
    bad = client.post(f"/alerts/rules/{row.id}", data=form | {
        "csrf_token": token, "version": rules.version(edited), "value": "ba mét"})  # fmt: skip
    assert bad.status_code == 422 and 'id="rule-error" data-field="value"' in bad.text
    assert f'action="/alerts/rules/{row.id}"' in bad.text
    # in English
    client.get("/lang/en")
    english = client.get(f"/alerts/rules/{row.id}/edit").text
    assert f"Edit rule: {RULE}" in english and "evaluated with the new rule" in english


def test_who_may_edit_a_rule_in_the_pages(client: TestClient, world: dict[str, Any]) -> None:
    session = world["session"]
    (row,) = session.execute(select(AlertRule)).scalars()
    as_user(client, "xem")
    assert "/edit" not in client.get("/alerts/rules").text
    assert client.get(f"/alerts/rules/{row.id}/edit").status_code == 403
    token = csrf_of(client.get("/alerts").text)
    assert client.post(f"/alerts/rules/{row.id}", data={"csrf_token": token}).status_code == 403
    as_user(client, "dieuhanh")
    assert client.get("/alerts/rules/01J00000000000000000000000/edit").status_code == 404


def test_a_rule_with_a_richer_condition_edits_its_name_and_timing_only(
    client: TestClient, world: dict[str, Any]
) -> None:
    session = world["session"]
    rising = {"rate": {"quantity": "currentLevel", "op": ">", "value": 0.05, "window_s": 900}}
    made = rules.create_rule(session, ACTOR, rules.RuleSpec(
        name="Lũ lên nhanh", device="KC-LS-01", condition=rising), None)  # fmt: skip
    session.commit()
    as_user(client, "dieuhanh")
    html = client.get(f"/alerts/rules/{made.id}/edit").text
    assert 'name="value"' not in html and 'id="rule-edit-condition"' in html
    assert f"PATCH /api/v1/alerts/rules/{made.id}" in html
    form = {"csrf_token": csrf_of(html), "version": _field(html, "version"),
            "name": "Lũ lên rất nhanh", "for_min": "5", "severity": "critical"}  # fmt: skip
    done = client.post(f"/alerts/rules/{made.id}", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    session.expire_all()
    edited = session.get(AlertRule, made.id)
    assert edited is not None and edited.name == "Lũ lên rất nhanh" and edited.for_s == 300
    assert edited.condition == {"rate": rising["rate"] | {"window_s": 900.0}}
