"""The planning pages: targets by unit (read-only for readers, a form for planners that saves
through the targets service, all or nothing, errors beside the row), and the schedules page
with its schedules and period locks."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.numbers import editable_number as shown_value
from iocvn.indicators import completeness, targets
from iocvn.indicators.models import PeriodLock, ReportingSchedule
from iocvn.indicators.pages_plan import typed_value
from tests.factories.auth import PASSWORD, add_user
from tests.factories.indicators import ACTOR, caller, count_targets, seed
from tests.factories.web import csrf_of, login

PAGE = "/indicators/targets?indicator=YT.KHAM&year=2026&phase=quarterly"
HTML = {"Accept": "text/html"}
ACCOUNTS = (
    ("xem", "viewer", "20"),
    ("dulieu", "data_steward", "20"),
    ("dulieu.syt", "data_steward", "20.SYT"),
    ("dieuhanh.xa", "operator", "05977"),
    ("dieuhanh", "operator", "20"),
    ("canbo", "commune_officer", "05977"),
)


@pytest.fixture
def world(session: Session) -> Session:
    """Units and indicators, an account per role used here, every agency reporting
    ``KT.THU_NS`` (committed)."""
    seed(session)
    for username, role, org in ACCOUNTS:
        add_user(session, username, role, org)
    completeness.add_schedule(session, ACTOR, "KT.THU_NS", level="agency")
    session.commit()
    return session


def target(org: str, value: float, **fields: Any) -> dict[str, Any]:
    return {"indicator": "YT.KHAM", "org_unit": org, "year": 2026, "value": value} | fields


def rows_of(html: str) -> list[str]:
    """The units of the table, in its order."""
    return re.findall(r'<tr data-org="([^"]+)"', html)


def input_value(html: str, name: str) -> str:
    found = re.search(rf'name="{re.escape(name)}" value="([^"]*)"', html)
    assert found, name
    return found.group(1)


def schedule_count(session: Session) -> int:
    session.expire_all()
    stmt = select(func.count()).select_from(ReportingSchedule)
    return int(session.execute(stmt).scalar_one())


# --- numbers ----------------------------------------------------------------------------


@given(st.integers(-(10**12), 10**12), st.integers(0, 3), st.sampled_from(["vi", "en"]))
def test_numbers_round_trip_in_both_languages(cents: int, decimals: int, lang: str) -> None:
    value = cents / 10**decimals
    assert typed_value(shown_value(value, lang), lang) == value


@given(st.floats(-1e15, 1e15, allow_nan=False), st.sampled_from(["vi", "en"]))
def test_stored_values_are_shown_exactly(value: float, lang: str) -> None:
    assert typed_value(shown_value(value, lang), lang) == value


def test_numbers_as_typed() -> None:
    assert shown_value(1_200_000, "vi") == "1.200.000" and shown_value(95.5, "vi") == "95,5"
    assert shown_value(1_200_000, "en") == "1,200,000" and shown_value(1 / 3, "vi").count("3") == 16
    assert typed_value("1.234,5", "vi") == 1234.5 and typed_value("1 200 000", "vi") == 1.2e6
    assert typed_value("1,234.5", "en") == 1234.5
    # a form that reads one way only goes to the service as typed, which reads it that way
    assert typed_value("12.5", "vi") == "12.5" and typed_value("mười", "vi") == "mười"


# --- targets ----------------------------------------------------------------------------


def test_readers_see_targets_read_only(client: TestClient, world: Session) -> None:
    plan = "Nghị quyết 15/NQ-HĐND"
    targets.set_targets(
        world,
        caller(world, "data_steward", "20"),
        [
            target("20", 1_200_000, source_document=plan),
            target("20", 280_000, period="2026Q1"),
            target("20", 90_000, period="202601"),
        ],
    )
    world.commit()
    login(client, "xem", PASSWORD)
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Cả năm 2026" in page.text and "Quý IV/2026" in page.text
    # the province, then the communes valid in 2026 (not the merged one) by search key
    # ("phường kỳ lừa" < "phường đông kinh"), no agency
    assert rows_of(page.text) == ["20", "06187", "05977"]
    assert 'id="targets-form"' not in page.text and "Bạn chỉ được xem" in page.text
    assert ">1.200.000<" in page.text and ">280.000<" in page.text and plan in page.text
    assert "Còn có chỉ tiêu phân kỳ khác đã lưu: Theo tháng." in page.text
    # agencies take the targets of an indicator a schedule asks them to report
    budget = client.get("/indicators/targets?indicator=KT.THU_NS&year=2026")
    assert rows_of(budget.text) == ["20", "06187", "05977", "20.SGDDT", "20.SYT"]
    # a search with one match opens it; with several, it lists them
    assert rows_of(client.get("/indicators/targets?indicator=khám chữa").text)[0] == "20"
    several = client.get("/indicators/targets?indicator=hồ sơ&year=2026")
    assert 'id="matches"' in several.text and "DVC.ONTIME" in several.text
    assert "Chọn một chỉ số" in client.get("/indicators/targets").text
    assert 'href="/indicators/targets"' in page.text and ">Chỉ tiêu</a>" in page.text


def test_a_target_set_through_the_form_is_stored_and_shown(
    client: TestClient, world: Session
) -> None:
    login(client, "dulieu", PASSWORD)
    page = client.get(PAGE)
    assert 'id="targets-form"' in page.text and rows_of(page.text) == ["20", "06187", "05977"]
    saved = client.post(
        "/indicators/targets",
        data={
            "csrf_token": csrf_of(page.text),
            "indicator": "YT.KHAM",
            "year": "2026",
            "phase": "quarterly",
            "v:20:2026": "1.200.000",
            "v:20:2026Q1": "280.000",
            "v:20:2026Q2": "",
            "d:20": "Nghị quyết  15/NQ-HĐND",
            "v:05977:2026": "95.000",
            "d:05977": "",
        },
    )
    assert saved.status_code == 200 and saved.url.path == "/indicators/targets"
    assert "Đã lưu chỉ tiêu: 3 mới, 0 sửa, 0 không đổi." in saved.text
    assert targets.targets_for(world, "YT.KHAM", "20", 2026) == {"": 1.2e6, "2026Q1": 2.8e5}
    assert targets.targets_for(world, "YT.KHAM", "05977", 2026) == {"": 95_000}
    [year] = targets.list_targets(world, caller(world, "viewer", "20").scope, org_unit="20")[:1]
    assert (year.source_document, year.updated_by) == ("Nghị quyết 15/NQ-HĐND", "dulieu")
    assert input_value(saved.text, "v:20:2026") == "1.200.000"
    assert input_value(saved.text, "d:20") == "Nghị quyết 15/NQ-HĐND"
    entry = world.execute(select(AuditEntry).where(AuditEntry.action == "targets.set"))
    assert (entry.scalar_one().after or {})["created"] == 3
    # saving the page again as shown changes nothing
    again = client.post(
        "/indicators/targets",
        data={
            "csrf_token": csrf_of(saved.text),
            "indicator": "YT.KHAM",
            "year": "2026",
            "phase": "quarterly",
            "v:20:2026": "1.250.000",
            "v:20:2026Q1": "280.000",
            "d:20": "Nghị quyết 15/NQ-HĐND",
        },
    )
    assert "Đã lưu chỉ tiêu: 0 mới, 1 sửa, 1 không đổi." in again.text
    assert targets.targets_for(world, "YT.KHAM", "20", 2026)[""] == 1_250_000


def test_invalid_input_names_the_row_and_stores_nothing(client: TestClient, world: Session) -> None:
    login(client, "dulieu", PASSWORD)
    page = client.get(PAGE)
    refused = client.post(
        "/indicators/targets",
        data={
            "csrf_token": csrf_of(page.text),
            "indicator": "YT.KHAM",
            "year": "2026",
            "phase": "quarterly",
            "v:20:2026": "1.000",
            "v:05977:2026Q1": "12,5",
            "v:06187:2026": "nhiều",
        },
    )
    assert refused.status_code == 422
    assert "2 dòng chỉ tiêu không hợp lệ; không dòng nào được lưu." in refused.text
    errors = dict(re.findall(r'id="err-([^"]+)">([^<]+)<', refused.text))
    assert errors == {
        "05977-2026Q1": "Quý I/2026: Chỉ số đếm nhận số nguyên không âm, không nhận 12.5.",
        "06187-2026": "Cả năm 2026: Giá trị «nhiều» không phải là số.",
    }
    assert 'aria-describedby="err-05977-2026Q1"' in refused.text
    assert input_value(refused.text, "v:05977:2026Q1") == "12,5"  # kept as typed
    assert input_value(refused.text, "v:20:2026") == "1.000"
    assert count_targets(world) == 0


def test_who_may_edit_which_rows(client: TestClient, world: Session) -> None:
    login(client, "dieuhanh.xa", PASSWORD)  # an operator of a commune: its own row
    commune = client.get(PAGE)
    assert rows_of(commune.text) == ["05977"] and 'name="v:05977:2026"' in commune.text
    out_of_scope = client.post(
        "/indicators/targets",
        data={
            "csrf_token": csrf_of(commune.text),
            "indicator": "YT.KHAM",
            "year": "2026",
            "v:06187:2026": "10",
        },
    )
    assert out_of_scope.status_code == 422 and count_targets(world) == 0
    assert "Bạn không có quyền với chỉ số YT.KHAM của đơn vị 06187." in out_of_scope.text
    login(client, "dulieu.syt", PASSWORD)  # an agency: only the indicators it owns
    owned = client.get(PAGE)
    assert 'id="targets-form"' in owned.text and rows_of(owned.text) == ["20", "06187", "05977"]
    other = client.get("/indicators/targets?indicator=GD.HOC_SINH&year=2026")
    assert 'id="targets-form"' not in other.text and "Bạn chỉ được xem" in other.text


def test_targets_page_refusals(client: TestClient, world: Session) -> None:
    anonymous = client.get(PAGE, headers=HTML, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    login(client, "canbo", PASSWORD)  # reads, never writes targets
    page = client.get(PAGE)
    assert page.status_code == 200 and 'id="targets-form"' not in page.text
    refused = client.post(
        "/indicators/targets",
        data={"csrf_token": csrf_of(page.text), "indicator": "YT.KHAM", "year": "2026"},
        headers=HTML,
    )
    assert refused.status_code == 403 and "không có quyền" in refused.text
    login(client, "dulieu", PASSWORD)
    no_csrf = client.post(
        "/indicators/targets", data={"indicator": "YT.KHAM", "year": "2026", "v:20:2026": "1"}
    )
    assert no_csrf.status_code == 403 and no_csrf.json()["error"] == "csrf_failed"
    assert count_targets(world) == 0


# --- schedules and locks ----------------------------------------------------------------


def test_schedules_page_for_readers(client: TestClient, world: Session) -> None:
    login(client, "xem", PASSWORD)
    page = client.get("/indicators/schedules")
    assert page.status_code == 200
    assert page.text.count("<tr data-id=") == 1
    assert "Tất cả sở, ban, ngành" in page.text and "5 ngày" not in page.text
    assert "20 ngày sau khi kết thúc kỳ" in page.text and "Hằng tháng" in page.text
    for form in ('id="schedule-add"', 'id="lock-form"', "/delete", "/unlock"):
        assert form not in page.text
    filtered = client.get("/indicators/schedules?indicator=YT.KHAM")
    assert filtered.text.count("<tr data-id=") == 0
    refused = client.post(
        "/indicators/schedules",
        data={"csrf_token": csrf_of(page.text), "indicator": "YT.KHAM", "who": "level:commune"},
        headers=HTML,
    )
    assert refused.status_code == 403 and schedule_count(world) == 1
    locked = client.post(
        "/indicators/schedules/lock",
        data={"csrf_token": csrf_of(page.text), "period": "2026"},
        headers=HTML,
    )
    assert locked.status_code == 403


def test_add_and_delete_a_schedule(client: TestClient, world: Session) -> None:
    login(client, "dieuhanh", PASSWORD)
    page = client.get("/indicators/schedules")
    assert 'id="schedule-add"' in page.text and 'value="level:commune"' in page.text
    added = client.post(
        "/indicators/schedules",
        data={
            "csrf_token": csrf_of(page.text),
            "indicator": "YT.KHAM",
            "who": "org:06187",
            "deadline_days": "10",
        },
    )
    assert str(added.url).endswith("?done=added") and "Đã thêm lịch báo cáo." in added.text
    new = world.execute(
        select(ReportingSchedule).where(ReportingSchedule.indicator_code == "YT.KHAM")
    ).scalar_one()
    assert (new.org_code, new.level, new.deadline_days) == ("06187", None, 10)
    new_id = new.id
    assert "Phường Kỳ Lừa" in added.text and "10 ngày sau khi kết thúc kỳ" in added.text
    bad = client.post(
        "/indicators/schedules",
        data={
            "csrf_token": csrf_of(page.text),
            "indicator": "YT.KHAM",
            "who": "level:commune",
            "deadline_days": "mười",
        },
    )
    assert bad.status_code == 422
    assert "Số ngày hạn nộp phải là số nguyên từ 0 đến 366." in bad.text
    assert 'name="deadline_days" type="text" inputmode="numeric" value="mười"' in bad.text
    unknown = client.post(
        "/indicators/schedules",
        data={"csrf_token": csrf_of(page.text), "indicator": "KHONG.CO", "who": "level:commune"},
    )
    assert unknown.status_code == 422 and "Không có chỉ số KHONG.CO." in unknown.text
    assert schedule_count(world) == 2
    form = f'action="/indicators/schedules/{new_id}/delete"'
    assert form in added.text and 'data-confirm="Xóa lịch báo cáo này?' in added.text
    deleted = client.post(
        f"/indicators/schedules/{new_id}/delete", data={"csrf_token": csrf_of(added.text)}
    )
    assert "Đã xóa lịch báo cáo." in deleted.text and form not in deleted.text
    assert schedule_count(world) == 1
    entry = world.execute(select(AuditEntry).where(AuditEntry.action == "schedule.delete"))
    assert entry.scalar_one().target_id == new_id
    missing = client.post(
        f"/indicators/schedules/{new_id}/delete",
        data={"csrf_token": csrf_of(added.text)},
        headers=HTML,
    )
    assert missing.status_code == 404 and "Không có lịch báo cáo" in missing.text


def test_a_commune_operator_schedules_only_itself(client: TestClient, world: Session) -> None:
    login(client, "dieuhanh.xa", PASSWORD)
    page = client.get("/indicators/schedules")
    assert 'value="level:commune"' not in page.text
    assert re.findall(r'<option value="org:([^"]+)"', page.text) == ["05977"]
    assert "/delete" not in page.text  # the every-agency schedule is not its to remove
    refused = client.post(
        "/indicators/schedules",
        data={"csrf_token": csrf_of(page.text), "indicator": "YT.KHAM", "who": "level:commune"},
    )
    assert refused.status_code == 403 and 'id="schedule-error"' in refused.text
    assert "xã, phường chỉ cho chính mình" in refused.text and schedule_count(world) == 1


def test_lock_and_unlock(client: TestClient, world: Session) -> None:
    login(client, "dieuhanh", PASSWORD)
    page = client.get("/indicators/schedules")
    assert 'id="lock-form"' in page.text
    locked = client.post(
        "/indicators/schedules/lock",
        data={"csrf_token": csrf_of(page.text), "period": "2026Q3", "indicator": "YT.KHAM"},
    )
    assert "Đã khóa kỳ." in locked.text and '<tr data-period="2026Q3">' in locked.text
    everything = client.post(
        "/indicators/schedules/lock", data={"csrf_token": csrf_of(page.text), "period": "2025"}
    )
    assert "Mọi chỉ số" in everything.text
    stored = world.execute(select(PeriodLock.period, PeriodLock.indicator_code)).all()
    assert sorted(stored, key=str) == [("2025", None), ("2026Q3", "YT.KHAM")]
    bad = client.post(
        "/indicators/schedules/lock",
        data={"csrf_token": csrf_of(page.text), "period": "2026-09"},
    )
    assert bad.status_code == 422 and 'id="lock-error"' in bad.text
    assert "Mã kỳ báo cáo không hợp lệ" in bad.text
    assert 'id="l-period" name="period" type="text" value="2026-09"' in bad.text
    unlocked = client.post(
        "/indicators/schedules/unlock",
        data={"csrf_token": csrf_of(page.text), "period": "2026Q3", "indicator": "YT.KHAM"},
    )
    assert "Đã mở khóa kỳ." in unlocked.text and 'data-period="2026Q3"' not in unlocked.text
    assert 'data-confirm="Mở khóa kỳ này?' in unlocked.text
    not_locked = client.post(
        "/indicators/schedules/unlock",
        data={"csrf_token": csrf_of(page.text), "period": "2026Q3", "indicator": "YT.KHAM"},
    )
    assert not_locked.status_code == 422 and "Kỳ 2026Q3 chưa bị khóa." in not_locked.text
    world.expire_all()
    assert world.execute(select(PeriodLock.period)).scalars().all() == ["2025"]
    actions = world.execute(
        select(AuditEntry.action).where(AuditEntry.action.like("period_lock.%"))
    ).scalars()
    assert sorted(actions) == ["period_lock.create", "period_lock.create", "period_lock.delete"]


def test_an_agency_steward_locks_only_its_indicators(client: TestClient, world: Session) -> None:
    login(client, "dulieu.syt", PASSWORD)
    page = client.get("/indicators/schedules")
    refused = client.post(
        "/indicators/schedules/lock",
        data={"csrf_token": csrf_of(page.text), "period": "2026", "indicator": "GD.HOC_SINH"},
    )
    assert refused.status_code == 403
    assert "cơ quan chỉ khóa chỉ số do mình chủ trì" in refused.text
    own = client.post(
        "/indicators/schedules/lock",
        data={"csrf_token": csrf_of(page.text), "period": "2026", "indicator": "YT.KHAM"},
    )
    assert "Đã khóa kỳ." in own.text
