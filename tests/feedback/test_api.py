"""``/api/v1/feedback``: the staff contract, scope, identity protection, the workflow by API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.config import get_settings
from iocvn.feedback import workflow
from iocvn.feedback.models import Feedback
from tests.factories.auth import bearer
from tests.factories.feedback import PHONE, TAM_THANH, province, report
from tests.feedback.test_photos import jpeg_with_gps

SECRETS = ("0912345678", "912 345 678", "Nguyễn Thị Hoa", "hoa.nt@example.vn", "001203004567")


@pytest.fixture
def world(session: Session) -> dict[str, dict[str, str]]:
    """Lạng Sơn with cases in Đông Kinh (roads, the commune handles) and Tam Thanh, and staff."""
    province(session)
    report(session, email="hoa.nt@example.vn", id_number="001203004567")
    report(session, "Đèn đường cả dãy phố tắt từ tối qua, rất tối và nguy hiểm.",
           category="dien_chieu_sang", lat=TAM_THANH[0], lon=TAM_THANH[1])  # fmt: skip
    report(session, "Trạm y tế không có người trực vào buổi chiều thứ bảy.", category="y_te")
    heads = {
        "operator": bearer(session, "dieuhanh", "operator", "20"),
        "commune": bearer(session, "dongkinh", "commune_officer", "05977"),
        "other_commune": bearer(session, "tamthanh", "commune_officer", "05986"),
        "health": bearer(session, "syt", "agency_officer", "20.SYT"),
        "leader": bearer(session, "lanhdao", "leader", "20"),
        "viewer": bearer(session, "xem", "viewer", "20"),
        "integration": bearer(session, "zalo-oa", "integration", "20"),
    }
    session.commit()
    return heads


def _codes(client: TestClient, headers: dict[str, str], **params: str) -> list[str]:
    response = client.get("/api/v1/feedback", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return sorted(item["org_unit"] for item in response.json()["items"])


def test_each_unit_sees_its_own_cases(client: TestClient, world: dict[str, dict[str, str]]) -> None:
    assert _codes(client, world["operator"]) == ["05977", "05986", "20.SYT"]
    # A commune also sees what happens in its area, whoever handles it (the clinic's case).
    assert _codes(client, world["commune"]) == ["05977", "20.SYT"]
    assert _codes(client, world["other_commune"]) == ["05986"]
    assert _codes(client, world["health"]) == ["20.SYT"]
    assert _codes(client, world["operator"], category="giao_thong") == ["05977"]
    assert _codes(client, world["operator"], org_unit="20.SYT") == ["20.SYT"]
    assert _codes(client, world["operator"], status="open") == ["05977", "05986", "20.SYT"]
    assert _codes(client, world["operator"], status="closed") == []
    assert client.get("/api/v1/feedback", headers=world["viewer"]).status_code == 403
    assert client.get("/api/v1/feedback").status_code == 401
    bad = client.get("/api/v1/feedback", params={"status": "lost"}, headers=world["operator"])
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_status"


def test_a_case_from_another_unit_answers_404(
    client: TestClient, world: dict[str, dict[str, str]], session: Session
) -> None:
    health = session.execute(select(Feedback).where(Feedback.org_code == "20.SYT")).scalar_one()
    ok = client.get(f"/api/v1/feedback/{health.code}", headers=world["health"])
    assert ok.status_code == 200
    assert ok.json()["timeline"][0]["kind"] == "received"
    missing = client.get(f"/api/v1/feedback/{health.id}", headers=world["other_commune"])
    assert missing.status_code == 404 and missing.json()["error"] == "feedback_not_found"


def test_no_response_to_a_unit_or_leader_holds_the_reporters_details(
    client: TestClient, world: dict[str, dict[str, str]], session: Session
) -> None:
    case = session.execute(select(Feedback).where(Feedback.org_code == "05977")).scalar_one()
    for who in ("operator", "commune", "leader"):
        bodies = [
            client.get("/api/v1/feedback", headers=world[who]).text,
            client.get(f"/api/v1/feedback/{case.code}", headers=world[who]).text,
        ]
        for body in bodies:
            for secret in SECRETS:
                assert secret not in body, (who, secret)
    shown = client.get(f"/api/v1/feedback/{case.code}", headers=world["commune"]).json()
    assert shown["reporter"]["phone"] == "09******78"
    assert shown["reporter"]["pseudonym"].startswith("Người phản ánh ")


def test_reveal_needs_the_permission_a_reason_and_is_audited(
    client: TestClient, world: dict[str, dict[str, str]], session: Session
) -> None:
    case = session.execute(select(Feedback).where(Feedback.org_code == "05977")).scalar_one()
    url = f"/api/v1/feedback/{case.code}/reveal"
    assert client.post(url, json={"reason": "gọi lại xác minh vị trí"},
                       headers=world["commune"]).status_code == 403  # fmt: skip
    short = client.post(url, json={"reason": "xem"}, headers=world["operator"])
    assert short.status_code == 422 and short.json()["error"] == "reveal_reason_required"
    shown = client.post(url, json={"reason": "Gọi lại để xác minh vị trí ổ gà"},
                        headers=world["operator"])  # fmt: skip
    assert shown.status_code == 200
    assert shown.json() == {"name": "Nguyễn Thị Hoa", "phone": "0912345678",
                            "email": "hoa.nt@example.vn", "id_number": "001203004567"}  # fmt: skip
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.reveal")
    ).scalar_one()
    assert entry.actor == "dieuhanh" and entry.after is not None
    assert entry.after["reason"] == "Gọi lại để xác minh vị trí ổ gà"
    assert "0912345678" not in str(entry.after)


def test_the_whole_workflow_by_api(
    client: TestClient, world: dict[str, dict[str, str]], session: Session
) -> None:
    case = session.execute(select(Feedback).where(Feedback.org_code == "05977")).scalar_one()
    base = f"/api/v1/feedback/{case.code}"
    op, commune = world["operator"], world["commune"]
    # The commune cannot triage; the operator confirms the category and the unit.
    assert client.post(f"{base}/accept", json={}, headers=commune).status_code == 403
    accepted = client.post(f"{base}/accept", json={"category": "giao_thong.o_ga"}, headers=op)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "assigned"
    assert accepted.json()["sla"]["stage"] == "resolve"
    # Another commune cannot act on it; the handling commune starts and resolves with a photo.
    other = client.post(f"{base}/start", json={"text": ""}, headers=world["other_commune"])
    assert other.status_code == 404
    assert client.post(f"{base}/start", json={"text": "Đã cử người"},
                       headers=commune).json()["status"] == "in_progress"  # fmt: skip
    twice = client.post(f"{base}/start", json={"text": ""}, headers=commune)
    assert twice.status_code == 409 and twice.json()["error"] == "wrong_state"
    resolved = client.post(
        f"{base}/resolve", data={"answer": "Đã vá ổ gà ngày 30/11."},
        files=[("photos", ("sau.jpg", jpeg_with_gps(), "image/jpeg"))], headers=commune,
    )  # fmt: skip
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert (body["status"], body["outcome"], body["public_answer"]) == (
        "resolved", "fixed", "Đã vá ổ gà ngày 30/11.")  # fmt: skip
    assert len(body["photos"]) == 1  # the resolution's (the report came without one)
    no_photo = client.post(f"{base}/resolve", data={"answer": ""}, headers=commune)
    assert no_photo.status_code in (409, 422)


def test_reject_not_our_remit_must_name_the_body(
    client: TestClient, world: dict[str, dict[str, str]], session: Session
) -> None:
    case = session.execute(select(Feedback).where(Feedback.org_code == "05986")).scalar_one()
    url = f"/api/v1/feedback/{case.code}/reject"
    nameless = client.post(url, json={"reason": "Ngoài thẩm quyền", "not_our_remit": True},
                           headers=world["operator"])  # fmt: skip
    assert nameless.status_code == 422 and nameless.json()["error"] == "remit_body_required"
    done = client.post(url, json={"reason": "Lưới điện do điện lực quản lý",
                                  "not_our_remit": True,
                                  "remit_body": "Công ty Điện lực Lạng Sơn"},
                       headers=world["operator"]).json()  # fmt: skip
    assert (done["status"], done["outcome"], done["remit_body"]) == (
        "rejected", "not_our_remit", "Công ty Điện lực Lạng Sơn")  # fmt: skip


def test_transfer_keeps_the_history(
    client: TestClient, world: dict[str, dict[str, str]], session: Session
) -> None:
    case = session.execute(select(Feedback).where(Feedback.org_code == "05977")).scalar_one()
    base = f"/api/v1/feedback/{case.code}"
    client.post(f"{base}/accept", json={}, headers=world["operator"])
    moved = client.post(f"{base}/transfer", json={"org_unit": "20.SXD",
                                                  "reason": "Quốc lộ do Sở quản lý"},
                        headers=world["commune"])  # fmt: skip
    assert moved.status_code == 200, moved.text
    assert moved.json()["org_unit"] == "20.SXD"
    full = client.get(f"{base}", headers=world["operator"]).json()
    assert [e["kind"] for e in full["timeline"]] == ["received", "accepted", "transferred"]
    assert client.get(base, headers=world["commune"]).status_code == 200  # still in its area


def test_staff_intake_and_webhook(client: TestClient, world: dict[str, dict[str, str]]) -> None:
    call = {"description": "Người dân gọi báo nước sinh hoạt đục từ sáng nay.",
            "category": "cap_thoat_nuoc", "address": "Phường Đông Kinh", "phone": PHONE,
            "channel": "hotline"}  # fmt: skip
    made = client.post("/api/v1/feedback", json=call, headers=world["commune"])
    assert made.status_code == 201, made.text
    assert made.json()["org_unit"] == "05977" and made.json()["secret"]
    assert client.post("/api/v1/feedback", json=call | {"channel": "zalo"},
                       headers=world["commune"]).status_code == 422  # fmt: skip
    hook = call | {"channel": "zalo", "external_id": "zalo-msg-123"}
    first = client.post("/api/v1/feedback/webhook", json=hook, headers=world["integration"])
    again = client.post("/api/v1/feedback/webhook", json=hook, headers=world["integration"])
    assert first.status_code == again.status_code == 201
    assert first.json()["code"] == again.json()["code"]
    assert client.post("/api/v1/feedback/webhook", json=hook,
                       headers=world["commune"]).status_code == 403  # fmt: skip
    outside = client.post("/api/v1/feedback", json=call | {"lat": 21.03, "lon": 105.85},
                          headers=world["commune"])  # fmt: skip
    assert outside.status_code == 422 and outside.json()["error"] == "outside_province"


def test_confirm_not_fixed_reopens_and_restarts_the_clock(session: Session) -> None:
    province(session)
    done = report(session, now=datetime(2026, 12, 1, 2, 0, tzinfo=UTC))
    case, settings = done.case, get_settings()
    from iocvn.auth.scope import OrgScope

    scope = OrgScope("province", "20", "20")
    op = workflow.Actor("dieuhanh", "20")
    t0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    workflow.accept(session, settings, op, case, now=t0)
    workflow.resolve(session, settings, op, scope, case, answer="Đã sửa", now=t0)
    later = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    workflow.confirm(session, settings, case, secret=done.secret, fixed=False, rating=2, now=later)
    assert (case.status, case.reopen_count, case.outcome) == ("in_progress", 1, None)
    assert case.stage_started_at == later
    workflow.resolve(session, settings, op, scope, case, answer="Đã sửa lại", now=later)
    workflow.confirm(session, settings, case, secret=done.secret, fixed=True, rating=5, now=later)
    assert (case.status, case.outcome, case.satisfaction) == ("closed", "fixed_confirmed", 5)
