"""Targets (chỉ tiêu): upsert per indicator × unit × year (× period), row rules, scope, all or
nothing, audit, and reading them back."""

from __future__ import annotations

import math
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.errors import Forbidden, Invalid
from iocvn.indicators import targets
from tests.factories.indicators import MERGED, caller, count_targets, seed


@pytest.fixture
def world(session: Session) -> Session:
    """Units and indicators, committed."""
    seed(session)
    return session


@pytest.fixture
def planner(world: Session) -> Any:
    """A data steward of the province (holds target.write)."""
    return caller(world, "data_steward", "20")


def target(indicator: str, org: str, year: Any, value: Any, **fields: Any) -> dict[str, Any]:
    return {"indicator": indicator, "org_unit": org, "year": year, "value": value} | fields


def errors_of(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[int, str, str]]:
    return [(e["index"], e["field"], e["error"]) for e in exc.value.details["errors"]]


def test_set_then_update_then_unchanged(world: Session, planner: Any) -> None:
    plan = "Nghị quyết 15/NQ-HĐND năm 2025"
    first = targets.set_targets(
        world,
        planner,
        [
            target("YT.BHYT", "20", 2026, 95.5, source_document=plan),
            target("YT.KHAM", "20", 2026, 1_200_000),
            target("YT.KHAM", "20", 2026, 280_000, period="2026Q1"),
            target("YT.KHAM", "20", "2026", 90_000, period="202601"),
        ],
    )
    world.commit()
    assert (first.created, first.updated, first.unchanged) == (4, 0, 0)
    assert targets.targets_for(world, "YT.KHAM", "20", 2026) == {
        "": 1_200_000,
        "2026Q1": 280_000,
        "202601": 90_000,
    }
    second = targets.set_targets(
        world,
        planner,
        [
            target("YT.BHYT", "20", 2026, 95.5),  # no document: the stored one stays
            target("YT.KHAM", "20", 2026, 1_250_000, period="2026"),  # "2026" is the year
        ],
    )
    world.commit()
    assert (second.created, second.updated, second.unchanged) == (0, 1, 1)
    assert targets.targets_for(world, "YT.KHAM", "20", 2026)[""] == 1_250_000
    [bhyt] = targets.list_targets(world, planner.scope, indicator="YT.BHYT")
    assert (bhyt.source_document, bhyt.updated_by) == (plan, "data_steward.20")
    assert count_targets(world) == 4
    entries = world.execute(
        select(AuditEntry).where(AuditEntry.action == "targets.set").order_by(AuditEntry.seq)
    ).scalars()
    assert [e.after for e in entries] == [
        {
            "created": 4,
            "updated": 0,
            "unchanged": 0,
            "rows": [
                "YT.BHYT/20/2026/",
                "YT.KHAM/20/2026/",
                "YT.KHAM/20/2026/2026Q1",
                "YT.KHAM/20/2026/202601",
            ],
        },
        {"created": 0, "updated": 1, "unchanged": 1, "rows": ["YT.KHAM/20/2026/"]},
    ]


BAD = [
    (target("YT.KHONG_CO", "20", 2026, 1), "indicator", "unknown_indicator"),
    (target("YT.CU", "20", 2026, 1), "indicator", "inactive_indicator"),
    (target("YT.KHAM", "99999", 2026, 1), "org_unit", "unknown_org_unit"),
    (target("YT.KHAM", MERGED, 2026, 1), "org_unit", "org_unit_not_valid"),
    (target("YT.KHAM", "20", 1999, 1), "year", "invalid_year"),
    (target("YT.KHAM", "20", 2101, 1), "year", "invalid_year"),
    (target("YT.KHAM", "20", "năm nay", 1), "year", "invalid_year"),
    (target("YT.KHAM", "20", True, 1), "year", "invalid_year"),
    (target("YT.KHAM", "20", 2026, math.inf), "value", "not_finite"),
    (target("YT.KHAM", "20", 2026, "nhiều"), "value", "not_a_number"),
    (target("YT.KHAM", "20", 2026, -5), "value", "not_a_count"),
    (target("YT.BHYT", "20", 2026, 120), "value", "out_of_range"),
    (target("YT.KHAM", "20", 2026, 1, period="2026Q5"), "period", "invalid_period"),
    (target("YT.KHAM", "20", 2026, 1, period="2026W10"), "period", "period_type_mismatch"),
    (target("GD.HOC_SINH", "20", 2026, 1, period="202603"), "period", "period_type_mismatch"),
    (target("YT.KHAM", "20", 2026, 1, period="2027Q1"), "period", "period_not_in_year"),
    (target("YT.KHAM", "20", 2026, 1, source_document="x" * 301), "source_document", "too_long"),
]


@pytest.mark.parametrize(
    ("row", "field", "error"), BAD, ids=[f"{e}-{i}" for i, (_, _, e) in enumerate(BAD)]
)
def test_a_bad_row_refuses_the_batch(
    world: Session, planner: Any, row: dict[str, Any], field: str, error: str
) -> None:
    with pytest.raises(Invalid) as exc:
        targets.set_targets(world, planner, [target("YT.KHAM", "20", 2026, 10), row])
    assert exc.value.code == "invalid_targets"
    assert errors_of(exc) == [(1, field, error)]
    assert count_targets(world) == 0


def test_a_duplicate_target_names_the_first(world: Session, planner: Any) -> None:
    rows = [
        target("YT.KHAM", "20", 2026, 1, period="2026Q1"),
        target("YT.KHAM", "20", 2026, 2, period="2026Q1"),
    ]
    with pytest.raises(Invalid) as exc:
        targets.set_targets(world, planner, rows)
    assert errors_of(exc) == [(1, "period", "duplicate_row")]


def test_weeks_belong_to_their_iso_year(world: Session, planner: Any) -> None:
    report = targets.set_targets(
        world, planner, [target("GT.TAI_NAN", "20", 2026, 3, period="2026W01")]
    )
    assert report.created == 1
    with pytest.raises(Invalid) as exc:
        targets.set_targets(world, planner, [target("GT.TAI_NAN", "20", 2025, 3, period="2026W01")])
    assert errors_of(exc) == [(0, "period", "period_not_in_year")]


def test_scope_of_target_writers(world: Session) -> None:
    commune_operator = caller(world, "operator", "05977", "dieuhanh.xa")
    agency_steward = caller(world, "data_steward", "20.SYT", "dulieu.syt")
    assert targets.set_targets(
        world, commune_operator, [target("YT.KHAM", "05977", 2026, 1)]
    ).created
    with pytest.raises(Invalid) as exc:
        targets.set_targets(world, commune_operator, [target("YT.KHAM", "06187", 2026, 1)])
    assert errors_of(exc) == [(0, "org_unit", "out_of_scope")]
    assert targets.set_targets(world, agency_steward, [target("YT.KHAM", "06187", 2026, 1)]).created
    with pytest.raises(Invalid) as exc:
        targets.set_targets(world, agency_steward, [target("GD.HOC_SINH", "20", 2026, 1)])
    assert errors_of(exc) == [(0, "org_unit", "out_of_scope")]
    for role, org in (("commune_officer", "05977"), ("agency_officer", "20.SYT")):
        with pytest.raises(Forbidden):
            targets.set_targets(world, caller(world, role, org), [target("YT.KHAM", org, 2026, 1)])


def test_targets_are_listed_in_the_callers_area(world: Session, planner: Any) -> None:
    targets.set_targets(
        world,
        planner,
        [target("YT.KHAM", "05977", 2026, 1), target("YT.KHAM", "06187", 2026, 2)],
    )
    world.commit()
    commune = caller(world, "viewer", "05977")
    assert [t.org_code for t in targets.list_targets(world, commune.scope)] == ["05977"]
    assert [t.org_code for t in targets.list_targets(world, planner.scope, year=2026)] == [
        "05977",
        "06187",
    ]
    assert targets.list_targets(world, planner.scope, year=2027) == []
