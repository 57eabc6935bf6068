"""Issue #4's identity check, end to end: a citizen reports through the public form with a
known name, phone number and e-mail; the case is triaged, handled by the ward, answered by SMS
and confirmed by the reporter; IOC staff reveal the details once, with a reason. Afterwards
none of those details is in the raw database — the SQLite file with its journal, or a plain
``pg_dump`` of the PostgreSQL database — nor in anything a unit officer, a leader, the public
or an Open311 client receives."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from iocvn.config import get_settings
from iocvn.feedback.models import Feedback
from iocvn.notify.models import Notification
from tests.factories.auth import bearer
from tests.factories.feedback import province
from tests.feedback.test_public_pages import csrf, send, shown

# Details no other test uses, so that nothing another test left in the file's free pages
# can be mistaken for a leak, written the ways a leak could show them.
PERSON = {"name": "Vi Thị Thướng", "phone": "0983 170 642", "email": "thuong.hv@example.vn"}
SECRETS = ("0983170642", "983170642", "0983 170 642", "+84983170642", "Thướng", "Vi Thị Thướng",
           "thuong.hv", "THUONG.HV")  # fmt: skip


@pytest.fixture
def lang_son(session: Session) -> Session:
    return province(session)


def _leaks(blob: str) -> list[str]:
    return [s for s in SECRETS if s in blob or s.lower() in blob.lower()]


def _raw_database(db: Engine) -> str:
    """Everything the database holds, as stored: the SQLite file and its journal byte for
    byte, or PostgreSQL's rows as a plain-text dump."""
    url = make_url(str(db.url))
    if db.dialect.name == "sqlite":
        db.dispose()  # nothing held back in a connection
        path = Path(url.database or "")
        files = [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal")) if p.exists()]
        return b"".join(p.read_bytes() for p in files).decode("utf-8", "replace")
    tool = shutil.which(get_settings().pg_dump)
    assert tool, "pg_dump is needed for this check (make install puts it there)"
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    done = subprocess.run([tool, "--data-only", "--no-owner", f"--dbname={plain}"],
                          capture_output=True, check=True, timeout=120)  # fmt: skip
    return done.stdout.decode("utf-8")


def test_the_reporters_details_are_nowhere_but_in_their_sealed_columns(
    client: TestClient, lang_son: Session, db: Engine
) -> None:
    page = send(client, **PERSON, notify_by="sms")
    assert page.status_code == 200, page.text
    code, secret = shown(page, "pa-code"), shown(page, "pa-secret")
    heads = {
        "operator": bearer(lang_son, "dieuhanh", "operator", "20"),
        "ward": bearer(lang_son, "dongkinh", "commune_officer", "05977"),
        "leader": bearer(lang_son, "lanhdao", "leader", "20"),
    }
    lang_son.commit()
    api = f"/api/v1/feedback/{code}"

    # Triage, the ward's work and answer (an SMS to the reporter), the reporter's confirmation.
    accept = {"category": "giao_thong.o_ga", "org_unit": "05977", "priority": "normal"}
    assert client.post(f"{api}/accept", json=accept, headers=heads["operator"]).status_code == 200
    start = {"text": "Đội duy tu đã đến hiện trường."}
    assert client.post(f"{api}/start", json=start, headers=heads["ward"]).status_code == 200
    answer = {"answer": "Phường đã vá ổ gà ngày 01/12/2026."}
    assert client.post(f"{api}/resolve", data=answer, headers=heads["ward"]).status_code == 200
    confirm = {"csrf_token": csrf(client), "secret": secret, "fixed": "yes", "rating": "5"}
    done = client.post(f"/phan-anh/{code}/xac-nhan", data=confirm, follow_redirects=False)
    assert done.status_code == 303, done.text
    # The one sanctioned way to the details: IOC staff with a stated reason (audited).
    reason = {"reason": "Gọi lại người phản ánh để xác minh vị trí ổ gà"}
    revealed = client.post(f"{api}/reveal", json=reason, headers=heads["operator"])
    assert revealed.status_code == 200 and revealed.json()["phone"] == "0983170642"

    lang_son.expire_all()
    case = lang_son.execute(select(Feedback).where(Feedback.code == code)).scalar_one()
    assert (case.status, case.outcome) == ("closed", "fixed_confirmed")
    by_sms = select(Notification).where(Notification.channel == "sms")
    sms = lang_son.execute(by_sms).scalars().all()
    assert sms, "the reporter's SMS was queued"
    lang_son.commit()

    # What units, leaders, the public and other vendors' apps receive.
    answers = {}
    for who in ("ward", "leader", "operator"):
        answers[f"{who}: api list"] = client.get("/api/v1/feedback", headers=heads[who]).text
        answers[f"{who}: api case"] = client.get(api, headers=heads[who]).text
    answers["public: tracking page"] = client.get(f"/phan-anh/{code}").text
    answers["public: map"] = client.get("/phan-anh/ban-do.geojson").text
    for fmt in ("json", "xml"):
        answers[f"open311 list .{fmt}"] = client.get(f"/open311/v2/requests.{fmt}").text
        answers[f"open311 case .{fmt}"] = client.get(f"/open311/v2/requests/{code}.{fmt}").text
    assert all(code in body for body in answers.values()), "each answer is about the case"
    for where, body in answers.items():
        assert _leaks(body) == [], where

    raw = _raw_database(db)
    assert code in raw and "Phường đã vá ổ gà" in raw  # the case itself is there, readable
    assert _leaks(raw) == []
