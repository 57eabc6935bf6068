"""The violation log of industrial-zone emission rules (R6), with controlled time: an
emission over its limit for ``for_s`` writes one row when the alert fires, its end and peak
when it resolves, a second episode a second row; read as JSON and as CSV, in the caller's
scope."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from iocvn.alerts import evaluation, rules, violations
from iocvn.alerts.models_rules import AlertInstance, AlertRule, AlertTransition
from iocvn.alerts.models_violations import AlertViolation
from iocvn.audit.models import AuditEntry
from iocvn.sensors import directory
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Device
from tests.alerts.conftest import Clock
from tests.factories.sensors import ACTOR, NOW, device, reading
from tests.factories.warnings import staff

MIN = timedelta(minutes=1)
STACK = "KT-DONGKINH-01"  # an emission stack standing in Phường Đông Kinh (05977)
# QCVN 19:2009/BTNMT column B: SO₂ 500 mg/Nm³, NOx 850 mg/Nm³
LIMITS = {"any": [{"threshold": {"quantity": "so2", "op": ">", "value": 500}},
                  {"threshold": {"quantity": "nox", "op": ">", "value": 850}}]}  # fmt: skip


@pytest.fixture(autouse=True)
def _listening() -> Iterator[None]:
    violations.subscribe()
    yield
    violations.unsubscribe()


@pytest.fixture
def people(session: Session) -> dict[str, dict[str, str]]:
    """Staff tokens, the stack (every 5 minutes) and its emission rule (limits for 10 min)."""
    headers = staff(session)
    device(session, STACK, "emission")
    session.execute(update(Device).where(Device.code == STACK).values(area_code="05977"))
    session.commit()
    directory.invalidate()
    spec = rules.RuleSpec(name="Khí thải KCN Đồng Bành vượt QCVN 19", device=STACK,
                          condition=LIMITS, for_s=600, severity="critical",
                          scenario="industrial_emission")  # fmt: skip
    rules.create_rule(session, ACTOR, spec, None)
    session.commit()
    return headers


def _emit(session: Session, clock: Clock, at: datetime, **values: float) -> None:
    clock.now = at
    report = ingest(session, [reading(STACK, at, **values)], now=at)
    assert report.accepted == len(values), report
    session.commit()


def _log(session: Session) -> list[AlertViolation]:
    session.expire_all()
    query = select(AlertViolation).order_by(AlertViolation.fired_at)
    return list(session.execute(query).scalars())


def _episode(session: Session, clock: Clock, start: datetime) -> None:
    """Over the SO₂ limit from ``start`` for 20 minutes (peak 610), then back under it."""
    _emit(session, clock, start, so2=520, nox=400)  # pending
    _emit(session, clock, start + 5 * MIN, so2=560, nox=400)
    _emit(session, clock, start + 10 * MIN, so2=540, nox=900)  # 10 min over: fires
    _emit(session, clock, start + 15 * MIN, so2=610, nox=400)
    _emit(session, clock, start + 20 * MIN, so2=300, nox=400)  # resolved


def test_an_emission_over_its_limit_for_for_s_is_logged_once_and_closed(
    session: Session, people: dict[str, Any], clock: Clock
) -> None:
    _emit(session, clock, NOW, so2=520, nox=400)
    _emit(session, clock, NOW + 5 * MIN, so2=560, nox=400)
    assert _log(session) == []  # pending: not a violation yet
    _emit(session, clock, NOW + 10 * MIN, so2=540, nox=900)
    (row,) = _log(session)
    assert (row.device, row.org_code, row.area_code) == (STACK, "20", "05977")
    assert (row.quantity, row.op, row.limit_value, row.unit) == ("so2", ">", 500, "mg/Nm³")
    assert row.value == 540 and row.severity == "critical"
    assert row.rule_name == "Khí thải KCN Đồng Bành vượt QCVN 19"
    assert row.started_at == NOW and row.fired_at == NOW + 10 * MIN and row.ended_at is None
    assert row.peak_value == 560  # the worst reading since the limit was first exceeded
    assert [(e["quantity"], e["value"], e["limit"]) for e in row.exceeded] == [
        ("so2", 540, 500),
        ("nox", 900, 850),
    ]
    _emit(session, clock, NOW + 15 * MIN, so2=610, nox=400)  # still firing: nothing new
    assert len(_log(session)) == 1
    _emit(session, clock, NOW + 20 * MIN, so2=300, nox=400)
    (row,) = _log(session)
    assert row.ended_at == NOW + 20 * MIN and row.peak_value == 610
    assert row.value == 540 and row.exceeded[0]["value"] == 540  # what fired it stays
    audit = session.execute(
        select(AuditEntry.action, AuditEntry.actor).where(AuditEntry.target_id == row.id)
    ).all()
    assert sorted(audit) == [
        ("alert.violation.close", "alert-violations"),
        ("alert.violation.open", "alert-violations"),
    ]


def test_a_second_episode_is_a_second_violation(
    session: Session, people: dict[str, Any], clock: Clock
) -> None:
    _episode(session, clock, NOW)
    _emit(session, clock, NOW + 25 * MIN, so2=200, nox=300)  # resolved → normal
    _emit(session, clock, NOW + 30 * MIN, so2=100, nox=1200)
    evaluation.evaluate_all(session, NOW + 40 * MIN)  # no reading for 10 min: time fires it
    session.commit()
    first, second = _log(session)
    assert first.instance_id == second.instance_id  # one alert, two episodes
    assert first.ended_at == NOW + 20 * MIN
    assert (second.quantity, second.value, second.limit_value) == ("nox", 1200, 850)
    assert second.started_at == NOW + 30 * MIN and second.fired_at == NOW + 40 * MIN
    assert second.ended_at is None and second.peak_value == 1200


def test_an_episode_through_no_data_stays_one_violation(
    session: Session, people: dict[str, Any], clock: Clock
) -> None:
    _emit(session, clock, NOW, so2=520, nox=400)
    _emit(session, clock, NOW + 5 * MIN, so2=560, nox=400)
    _emit(session, clock, NOW + 10 * MIN, so2=540, nox=400)  # fires
    evaluation.evaluate_all(session, NOW + 25 * MIN)  # 15 min silent: no data, same episode
    session.commit()
    assert session.execute(select(AlertInstance.state)).scalar_one() == "no_data"
    _emit(session, clock, NOW + 30 * MIN, so2=700, nox=400)  # firing again: a higher peak
    (row,) = _log(session)
    assert row.peak_value == 700 and row.ended_at is None
    _emit(session, clock, NOW + 35 * MIN, so2=100, nox=400)
    (row,) = _log(session)
    assert row.ended_at == NOW + 35 * MIN and row.peak_value == 700
    assert row.started_at == NOW and row.fired_at == NOW + 10 * MIN
    actions = session.execute(
        select(AuditEntry.action).where(AuditEntry.target_id == row.id).order_by(AuditEntry.seq)
    ).scalars()
    assert list(actions) == ["alert.violation.open", "alert.violation.update",
                             "alert.violation.close"]  # fmt: skip


def test_rules_of_other_scenarios_log_nothing(
    session: Session, people: dict[str, Any], clock: Clock
) -> None:
    session.execute(update(AlertRule).values(scenario="air_quality"))
    session.commit()
    _episode(session, clock, NOW)
    assert session.execute(select(func.count(AlertInstance.id))).scalar() == 1
    assert _log(session) == []


def test_a_failing_log_never_loses_the_alert(
    session: Session, people: dict[str, Any], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any) -> None:
        session.add(AlertViolation(id="x" * 26))  # half-written, then the failure
        raise RuntimeError("the log failed")

    monkeypatch.setattr(violations, "apply", broken)
    _episode(session, clock, NOW)
    assert _log(session) == []
    session.expire_all()
    assert session.execute(select(AlertInstance.state)).scalar_one() == "resolved"
    fired = select(func.count(AlertTransition.id)).where(AlertTransition.to_state == "firing")
    assert session.execute(fired).scalar() == 1
    actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert not [a for a in actions if a.startswith("alert.violation")]


def test_the_log_is_read_in_the_callers_scope(
    client: TestClient, session: Session, people: dict[str, Any], clock: Clock
) -> None:
    _episode(session, clock, NOW)
    _emit(session, clock, NOW + 25 * MIN, so2=200, nox=300)
    _emit(session, clock, NOW + 30 * MIN, so2=100, nox=1200)
    evaluation.evaluate_all(session, NOW + 40 * MIN)
    session.commit()
    url = "/api/v1/alerts/violations"
    found = client.get(url, headers=people["lanhdao"]).json()
    assert [(v["quantity"], v["ended_at"] is None) for v in found] == [("nox", True),
                                                                      ("so2", False)]  # fmt: skip
    assert found[1]["peak_value"] == 610 and found[1]["limit"] == 500
    assert found[1]["org_unit"] == "20" and found[1]["area"] == "05977"
    # the commune where the stack stands sees it; another commune does not
    assert len(client.get(url, headers=people["canbo-xa"]).json()) == 2
    assert client.get(url, headers=people["xem-kylua"]).json() == []
    # filters: times without a zone are Vietnam's (NOW is 10:00 there)
    after_first = client.get(f"{url}?since=2026-11-30T10:21:00", headers=people["lanhdao"])
    assert [v["quantity"] for v in after_first.json()] == ["nox"]
    before_second = client.get(f"{url}?until=2026-11-30T10:30:00", headers=people["lanhdao"])
    assert [v["quantity"] for v in before_second.json()] == ["so2"]
    assert client.get(f"{url}?device=KHAC", headers=people["lanhdao"]).json() == []
    assert len(client.get(f"{url}?org_unit=20", headers=people["lanhdao"]).json()) == 2
    bad = client.get(f"{url}?since=2026-12-01&until=2026-11-01", headers=people["lanhdao"])
    assert bad.status_code == 422 and bad.json()["error"] == "alert_violation_range_invalid"
    assert client.get(url).status_code == 401


def test_the_log_downloads_as_csv_for_excel(
    client: TestClient, session: Session, people: dict[str, Any], clock: Clock
) -> None:
    _episode(session, clock, NOW)
    response = client.get("/api/v1/alerts/violations.csv", headers=people["canbo-xa"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:3] == ["Bắt đầu vượt ngưỡng", "Thời điểm cảnh báo", "Kết thúc"]
    line = dict(zip(header, row, strict=True))
    assert line["Bắt đầu vượt ngưỡng"] == "30/11/2026 10:00"
    assert line["Kết thúc"] == "30/11/2026 10:20"
    assert line["Thời gian vi phạm (phút)"] == "20"
    assert line["Thiết bị"] == STACK and line["Xã, phường"] == "Phường Đông Kinh"
    assert line["Đơn vị quản lý"] == "Tỉnh Lạng Sơn"
    assert (line["Thông số"], line["Giá trị đo"], line["Giới hạn"]) == ("so2", "540", "> 500")
    assert line["Đơn vị đo"] == "mg/Nm³" and line["Giá trị cực đại"] == "610"
    assert line["Các thông số vượt ngưỡng"] == "so2 540 > 500 mg/Nm³; nox 900 > 850 mg/Nm³"
    english = client.get(
        "/api/v1/alerts/violations.csv", headers=people["canbo-xa"] | {"Accept-Language": "en"}
    )
    assert english.content.decode("utf-8-sig").startswith("Limit first exceeded,Alert fired")
    other = client.get("/api/v1/alerts/violations.csv", headers=people["xem-kylua"])
    assert len(other.content.decode("utf-8-sig").splitlines()) == 1  # the header only
