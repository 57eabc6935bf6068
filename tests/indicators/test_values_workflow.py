"""The workflow of data values (submit, approve, reject with a comment), its rights and
scope, history, and period locks."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.errors import Forbidden, Invalid, NotFound
from iocvn.core.periods import InvalidPeriod
from iocvn.indicators import values
from iocvn.indicators.schemas_values import Selection
from iocvn.indicators.values_workflow import (
    approve,
    list_locks,
    lock_period,
    reject,
    submit,
    unlock_period,
)
from tests.factories.indicators import caller, current, item, seed
from tests.factories.org import audit_actions


@pytest.fixture
def world(session: Session) -> Session:
    """Units and indicators, committed."""
    seed(session)
    return session


@pytest.fixture
def people(world: Session) -> dict[str, Any]:
    """A commune officer, the owner agency's officer, another agency's, an operator."""
    return {
        "commune": caller(world, "commune_officer", "05977"),
        "syt": caller(world, "agency_officer", "20.SYT"),
        "sgd": caller(world, "agency_officer", "20.SGDDT"),
        "operator": caller(world, "operator", "20"),
        "steward": caller(world, "data_steward", "20"),
    }


def post(world: Session, who: Any, *rows: dict[str, Any]) -> list[int]:
    """Post rows and return the ids of their current values."""
    values.post_values(world, who, list(rows))
    world.commit()
    ids = []
    for r in rows:
        row = current(world, r["indicator"], r["org_unit"], r["period"])
        assert row is not None
        ids.append(row.id)
    return ids


def errors_of(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[int, str]]:
    return [(e["index"], e["error"]) for e in exc.value.details["errors"]]


def test_commune_enters_owner_agency_approves(world: Session, people: dict[str, Any]) -> None:
    [draft] = post(world, people["commune"], item("YT.KHAM", "05977", "202607", 40, status="draft"))
    assert submit(world, people["commune"], [draft]).ids == [draft]
    report = approve(world, people["syt"], [draft])
    world.commit()
    assert (report.changed, report.ids) == (1, [draft])
    row = current(world, "YT.KHAM", "05977", "202607")
    assert row is not None and (row.status, row.approved_by, row.version) == (
        "approved",
        "agency_officer.20.syt",
        1,
    )
    assert approve(world, people["syt"], [draft]).changed == 0  # already approved: no-op
    assert audit_actions(world, "data_values.") == [
        "data_values.post",
        "data_values.submit",
        "data_values.approve",
    ]


def test_approval_rights_and_states_are_checked_all_or_nothing(
    world: Session, people: dict[str, Any]
) -> None:
    ids = post(
        world,
        people["operator"],
        item("YT.KHAM", "05977", "202607", 1),
        item("GD.HOC_SINH", "05977", "2026Q3", 1),
        item("YT.KHAM", "06187", "202607", 1, status="draft"),
    )
    with pytest.raises(Invalid) as exc:
        approve(world, people["syt"], [*ids, 999_999])
    assert exc.value.code == "invalid_workflow"
    assert errors_of(exc) == [(1, "out_of_scope"), (2, "status_transition"), (3, "not_found")]
    row = current(world, "YT.KHAM", "05977", "202607")
    assert row is not None and row.status == "submitted"  # nothing changed
    with pytest.raises(Invalid) as exc:
        approve(world, people["commune"], ids[:1])  # no data.approve: not an approver
    assert errors_of(exc) == [(0, "out_of_scope")]


def test_a_superseded_version_cannot_be_approved(world: Session, people: dict[str, Any]) -> None:
    [old] = post(world, people["operator"], item("YT.KHAM", "05977", "202607", 1))
    post(world, people["operator"], item("YT.KHAM", "05977", "202607", 2))
    with pytest.raises(Invalid) as exc:
        approve(world, people["operator"], [old])
    assert errors_of(exc) == [(0, "not_current")]


def test_a_commune_does_not_see_another_communes_ids(
    world: Session, people: dict[str, Any]
) -> None:
    [other] = post(world, people["operator"], item("YT.KHAM", "06187", "202607", 1, status="draft"))
    with pytest.raises(Invalid) as exc:
        submit(world, people["commune"], [other])
    assert errors_of(exc) == [(0, "not_found")]


def test_a_selection_approves_what_the_caller_may(world: Session, people: dict[str, Any]) -> None:
    post(
        world,
        people["operator"],
        item("YT.KHAM", "05977", "202607", 1),
        item("YT.KHAM", "06187", "202607", 2),
        item("KT.THU_NS", "05977", "202607", 3),  # owned by no agency: not SYT's to approve
        item("YT.KHAM", "05977", "202608", 4),  # another period
    )
    report = approve(world, people["syt"], selection=Selection(period="202607"))
    world.commit()
    assert report.changed == 2
    statuses = {
        (v.indicator_code, v.org_code, v.period): v.status
        for v in values.list_values(world, people["operator"].scope)
    }
    assert statuses == {
        ("YT.KHAM", "05977", "202607"): "approved",
        ("YT.KHAM", "06187", "202607"): "approved",
        ("KT.THU_NS", "05977", "202607"): "submitted",
        ("YT.KHAM", "05977", "202608"): "submitted",
    }
    with pytest.raises(Invalid) as exc:
        approve(world, people["syt"], selection=Selection())
    assert exc.value.code == "nothing_selected"


def test_reject_is_a_new_version_with_the_reviewers_comment(
    world: Session, people: dict[str, Any]
) -> None:
    [first] = post(
        world, people["commune"], item("YT.KHAM", "05977", "202607", 40, comment="Theo sổ khám")
    )
    with pytest.raises(Invalid) as exc:
        reject(world, people["syt"], [first], "   ")
    assert exc.value.code == "comment_required"
    report = reject(world, people["syt"], [first], "Số liệu thấp bất thường, kiểm tra lại")
    world.commit()
    history = values.history(world, "YT.KHAM", "05977", "202607")
    assert [(v.version, v.status, v.comment, v.is_current) for v in history] == [
        (1, "submitted", "Theo sổ khám", False),
        (2, "rejected", "Số liệu thấp bất thường, kiểm tra lại", True),
    ]
    assert report.ids == [history[1].id]
    entry = world.execute(
        select(AuditEntry).where(AuditEntry.action == "data_values.reject")
    ).scalar_one()
    assert entry.after == {
        "count": 1,
        "ids": [history[1].id],
        "comment": "Số liệu thấp bất thường, kiểm tra lại",
    }
    # The commune corrects the figure: a new submitted version.
    post(world, people["commune"], item("YT.KHAM", "05977", "202607", 52))
    row = current(world, "YT.KHAM", "05977", "202607")
    assert row is not None and (row.version, row.status, row.value) == (3, "submitted", 52)


def test_approved_values_cannot_be_rejected(world: Session, people: dict[str, Any]) -> None:
    [done] = post(
        world, people["operator"], item("YT.KHAM", "05977", "202607", 1, status="approved")
    )
    with pytest.raises(Invalid) as exc:
        reject(world, people["syt"], [done], "Sai")
    assert errors_of(exc) == [(0, "status_transition")]


def test_locked_periods_refuse_workflow_steps(world: Session, people: dict[str, Any]) -> None:
    [pending] = post(world, people["operator"], item("YT.KHAM", "05977", "202607", 1))
    lock_period(world, people["steward"], "2026S2")
    with pytest.raises(Invalid) as exc:
        approve(world, people["syt"], [pending])
    assert errors_of(exc) == [(0, "period_locked")]
    unlock_period(world, people["steward"], "2026S2")
    assert approve(world, people["syt"], [pending]).changed == 1


def test_history_is_limited_to_the_callers_area(world: Session, people: dict[str, Any]) -> None:
    post(world, people["operator"], item("YT.KHAM", "06187", "202607", 1))
    assert len(values.history(world, "YT.KHAM", "06187", "202607")) == 1
    scope = people["commune"].scope
    assert values.history(world, "YT.KHAM", "06187", "202607", scope=scope) == []
    assert values.list_values(world, scope) == []


# --- period locks -----------------------------------------------------------------------


def test_locks_are_idempotent_audited_and_listed(world: Session, people: dict[str, Any]) -> None:
    first = lock_period(world, people["steward"], "2026Q1", "YT.KHAM")
    again = lock_period(world, people["steward"], " 2026Q1", "YT.KHAM")
    everything = lock_period(world, people["operator"], "2026")
    world.commit()
    assert first.id == again.id and everything.indicator_code is None
    assert [(lk.period, lk.indicator_code) for lk in list_locks(world)] == [
        ("2026", None),
        ("2026Q1", "YT.KHAM"),
    ]
    unlock_period(world, people["steward"], "2026Q1", "YT.KHAM")
    with pytest.raises(NotFound) as exc:
        unlock_period(world, people["steward"], "2026Q1", "YT.KHAM")
    assert exc.value.code == "period_lock_not_found"
    assert audit_actions(world, "period_lock") == [
        "period_lock.create",
        "period_lock.create",
        "period_lock.delete",
    ]


def test_who_may_lock(world: Session, people: dict[str, Any]) -> None:
    commune_operator = caller(world, "operator", "05977", "dieuhanh.xa")
    agency_steward = caller(world, "data_steward", "20.SYT", "dulieu.syt")
    with pytest.raises(Forbidden) as exc:
        lock_period(world, commune_operator, "2026Q1")
    assert exc.value.code == "lock_out_of_scope"
    assert lock_period(world, agency_steward, "2026Q1", "YT.KHAM").indicator_code == "YT.KHAM"
    for indicator in (None, "GD.HOC_SINH"):
        with pytest.raises(Forbidden) as exc:
            lock_period(world, agency_steward, "2026Q1", indicator)
        assert exc.value.code == "lock_out_of_scope"
    with pytest.raises(Forbidden) as exc:
        lock_period(world, people["syt"], "2026Q1", "YT.KHAM")
    assert exc.value.code == "forbidden"
    with pytest.raises(InvalidPeriod):
        lock_period(world, people["steward"], "2026Q5")
    with pytest.raises(NotFound):
        lock_period(world, people["steward"], "2026Q1", "KHONG.CO")
