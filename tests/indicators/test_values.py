"""Posting data values: every row rule, versions and history, idempotency, scope, modes,
period locks, one audit entry per batch, and a query count that does not grow with rows."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.errors import Conflict, Forbidden, Invalid
from iocvn.indicators import values
from iocvn.indicators.values_workflow import lock_period
from tests.factories.indicators import MERGED, caller, count_values, current, item, seed
from tests.factories.org import audit_actions
from tests.indicators.conftest import Builder


@pytest.fixture
def world(session: Session) -> Session:
    """Units and indicators, committed."""
    seed(session)
    return session


@pytest.fixture
def operator(world: Session) -> Any:
    """An IOC operator of the province."""
    return caller(world, "operator", "20")


def errors_of(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[int, str, str]]:
    """(index, field, error) of every row error."""
    return [(e["index"], e["field"], e["error"]) for e in exc.value.details["errors"]]


# --- writing and versions ---------------------------------------------------------------


def test_post_creates_current_rows_with_the_period_dates(world: Session, operator: Any) -> None:
    report = values.post_values(
        world,
        operator,
        [
            item("YT.KHAM", "05977", "202607", 1250, comment="Số liệu tháng 7"),
            item("GD.HOC_SINH", "06187", "2026Q3", 4100),
            item("GT.TAI_NAN", "20", "2026W01", 3),
        ],
    )
    world.commit()
    assert (report.created, report.updated, report.unchanged, report.errors) == (3, 0, 0, [])
    row = current(world, "YT.KHAM", "05977", "202607")
    assert row is not None
    assert (row.value, row.comment, row.status, row.version) == (
        1250,
        "Số liệu tháng 7",
        "submitted",
        1,
    )
    assert (row.period_start, row.period_end) == (date(2026, 7, 1), date(2026, 7, 31))
    assert (row.source, row.created_by, row.approved_by) == ("api", "operator.20", None)
    assert row.submitted_at is not None
    week = current(world, "GT.TAI_NAN", "20", "2026W01")
    assert week is not None
    assert (week.period_start, week.period_end) == (date(2025, 12, 29), date(2026, 1, 4))
    entry = world.execute(
        select(AuditEntry).where(AuditEntry.action == "data_values.post")
    ).scalar_one()
    assert entry.after == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "source": "api",
        "rows": ["YT.KHAM/05977/202607", "GD.HOC_SINH/06187/2026Q3", "GT.TAI_NAN/20/2026W01"],
    }


def test_posting_the_same_values_again_changes_nothing(world: Session, operator: Any) -> None:
    batch = [
        item("YT.KHAM", "05977", "202607", 1250, comment="x"),
        item("KT.THU_NS", "20", "202607", "12.5"),
    ]
    values.post_values(world, operator, batch)
    world.commit()
    again = values.post_values(world, operator, batch)
    world.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert count_values(world) == 2
    assert audit_actions(world, "data_values") == ["data_values.post"]  # no entry for a no-op


def test_a_changed_value_is_a_new_version_and_history_keeps_the_old(
    world: Session, operator: Any
) -> None:
    values.post_values(
        world, operator, [item("YT.KHAM", "05977", "202607", 1250, status="approved")]
    )
    report = values.post_values(world, operator, [item("YT.KHAM", "05977", "202607", 1300)])
    world.commit()
    assert (report.created, report.updated) == (0, 1)
    versions = values.history(world, "YT.KHAM", "05977", "202607")
    assert [(v.version, v.value, v.status, v.is_current) for v in versions] == [
        (1, 1250, "approved", False),
        (2, 1300, "submitted", True),
    ]
    assert count_values(world, current_only=True) == 1


def test_an_absent_comment_keeps_the_stored_one(world: Session, operator: Any) -> None:
    values.post_values(
        world, operator, [item("YT.KHAM", "05977", "202607", 5, comment="Nguồn: BV")]
    )
    kept = values.post_values(world, operator, [item("YT.KHAM", "05977", "202607", 5)])
    changed = values.post_values(
        world, operator, [item("YT.KHAM", "05977", "202607", 5, comment="")]
    )
    world.commit()
    assert (kept.unchanged, changed.updated) == (1, 1)
    row = current(world, "YT.KHAM", "05977", "202607")
    assert row is not None and (row.comment, row.version) == ("", 2)


def test_the_workflow_moves_forward_in_place_and_never_back(world: Session, operator: Any) -> None:
    key = ("YT.KHAM", "05977", "202607")
    values.post_values(world, operator, [item(*key, 7, status="draft")])
    world.commit()
    draft = current(world, *key)
    assert draft is not None and (draft.status, draft.submitted_at) == ("draft", None)
    assert values.post_values(world, operator, [item(*key, 7)]).updated == 1  # → submitted
    assert values.post_values(world, operator, [item(*key, 7, status="approved")]).updated == 1
    # A system re-posting the same figure with the default status leaves it approved.
    assert values.post_values(world, operator, [item(*key, 7)]).unchanged == 1
    assert values.post_values(world, operator, [item(*key, 7, status="draft")]).unchanged == 1
    world.commit()
    row = current(world, *key)
    assert row is not None
    assert (row.status, row.version, row.approved_by) == ("approved", 1, "operator.20")
    assert row.submitted_at is not None and row.approved_at is not None
    assert count_values(world) == 1


# --- row rules --------------------------------------------------------------------------

BAD_ROWS = [
    (item("YT.KHONG_CO", "05977", "202607", 1), "indicator", "unknown_indicator"),
    (item("YT.CU", "05977", "202607", 1), "indicator", "inactive_indicator"),
    (item("DVC.RATE", "05977", "202607", 80), "indicator", "computed_indicator"),
    (item("YT.KHAM", "99999", "202607", 1), "org_unit", "unknown_org_unit"),
    (item("YT.KHAM", MERGED, "202607", 1), "org_unit", "org_unit_not_valid"),
    (item("YT.KHAM", "05977", "202506", 1), "org_unit", "org_unit_not_valid"),
    (item("YT.KHAM", "05977", "2026-07", 1), "period", "invalid_period"),
    (item("YT.KHAM", "05977", "202613", 1), "period", "invalid_period"),
    (item("YT.KHAM", "05977", "2026Q3", 1), "period", "period_type_mismatch"),
    (item("YT.BHYT", "05977", "202607", 90), "period", "period_type_mismatch"),
    (item("YT.KHAM", "05977", "202607", -1), "value", "not_a_count"),
    (item("YT.KHAM", "05977", "202607", 1.5), "value", "not_a_count"),
    (item("YT.BHYT", "05977", "2026", 100.5), "value", "out_of_range"),
    (item("YT.BHYT", "05977", "2026", -0.1), "value", "out_of_range"),
    (item("MT.AQI", "20", "20260715", 501), "value", "out_of_range"),
    (item("KT.THU_NS", "20", "202607", math.inf), "value", "not_finite"),
    (item("KT.THU_NS", "20", "202607", math.nan), "value", "not_finite"),
    (item("KT.THU_NS", "20", "202607", 10**400), "value", "not_finite"),
    (item("KT.THU_NS", "20", "202607", "1e999"), "value", "not_finite"),
    (item("KT.THU_NS", "20", "202607", "mười"), "value", "not_a_number"),
    (item("KT.THU_NS", "20", "202607", "1,5"), "value", "not_a_number"),
    (item("KT.THU_NS", "20", "202607", True), "value", "not_a_number"),
    (item("KT.THU_NS", "20", "202607", None), "value", "required"),
    (item("KT.THU_NS", "", "202607", 1), "org_unit", "required"),
    (item("KT.THU_NS", "20", "202607", 1, status="final"), "status", "invalid_status"),
    (item("KT.THU_NS", "20", "202607", 1, comment="x" * 1001), "comment", "too_long"),
    (item("KT.THU_NS", "20", "202607", 1, comment="a\x00b"), "comment", "invalid_text"),
]


@pytest.mark.parametrize(
    ("row", "field", "error"), BAD_ROWS, ids=[f"{e}-{i}" for i, (_, _, e) in enumerate(BAD_ROWS)]
)
def test_a_bad_row_is_named_and_nothing_is_saved(
    world: Session, operator: Any, row: dict[str, Any], field: str, error: str
) -> None:
    good = item("KT.THU_NS", "20", "202601", 99)
    with pytest.raises(Invalid) as exc:
        values.post_values(world, operator, [good, row])
    assert exc.value.code == "invalid_values" and exc.value.status == 422
    assert errors_of(exc) == [(1, field, error)]
    message = exc.value.details["errors"][0]["message"]
    assert message and "{" not in message
    assert count_values(world) == 0


def test_values_within_the_definition_are_accepted(world: Session, operator: Any) -> None:
    report = values.post_values(
        world,
        operator,
        [
            item("YT.BHYT", "05977", "2026", 100),
            item("YT.BHYT", "06187", "2026", 0),
            item("KT.TANG_TRUONG", "20", "2026Q1", -3.5),  # min/max replace 0..100
            item("KT.TANG_TRUONG", "20", "2026Q2", 150),
            item("MT.AQI", "20", "20260715", 500),
            item("KT.THU_NS", "20", "202607", "-1.5e3"),
            item("YT.KHAM", "05977", "202607", 12.0),
            item("YT.KHAM", MERGED, "202506", 3),  # history of a merged commune
        ],
    )
    assert report.created == 8


def test_a_duplicate_row_names_the_first(world: Session, operator: Any) -> None:
    rows = [
        item("YT.KHAM", "05977", "202607", 1),
        item("YT.KHAM", "05977", "202608", 1),
        item("YT.KHAM", "05977", " 202607 ", 2),
    ]
    with pytest.raises(Invalid) as exc:
        values.post_values(world, operator, rows)
    assert errors_of(exc) == [(2, "period", "duplicate_row")]
    assert exc.value.details["errors"][0]["message"].endswith("dòng 0.")


def test_partial_mode_writes_the_valid_rows_and_reports_the_rest(
    world: Session, operator: Any
) -> None:
    rows = [
        item("YT.KHAM", "05977", "202607", 1),
        item("YT.KHAM", "05977", "2026Q3", 1),
        item("YT.KHAM", "06187", "202607", 2),
    ]
    report = values.post_values(world, operator, rows, mode="partial", lang="en")
    world.commit()
    assert (report.created, [(e.index, e.error) for e in report.errors]) == (
        2,
        [(1, "period_type_mismatch")],
    )
    assert "frequency" in report.errors[0].message
    assert count_values(world) == 2


def test_an_unknown_mode_is_refused(world: Session, operator: Any) -> None:
    with pytest.raises(Invalid) as exc:
        values.post_values(world, operator, [], mode="some")
    assert exc.value.code == "invalid_mode"


# --- scope and approval rights ----------------------------------------------------------


def test_a_commune_officer_reports_only_for_its_commune(world: Session) -> None:
    officer = caller(world, "commune_officer", "05977")
    ok = values.post_values(world, officer, [item("YT.KHAM", "05977", "202607", 1)])
    assert ok.created == 1
    for org in ("06187", "20", "20.SYT"):
        with pytest.raises(Invalid) as exc:
            values.post_values(world, officer, [item("YT.KHAM", org, "202607", 1)])
        assert errors_of(exc) == [(0, "org_unit", "out_of_scope")], org


def test_an_agency_reports_anywhere_but_only_its_indicators(world: Session) -> None:
    officer = caller(world, "agency_officer", "20.SYT")
    ok = values.post_values(
        world,
        officer,
        [item("YT.KHAM", "05977", "202607", 1), item("YT.KHAM", "20", "202607", 2)],
    )
    assert ok.created == 2
    with pytest.raises(Invalid) as exc:
        values.post_values(world, officer, [item("GD.HOC_SINH", "05977", "2026Q3", 1)])
    assert errors_of(exc) == [(0, "org_unit", "out_of_scope")]


def test_approved_status_is_for_approvers_of_the_indicator(world: Session) -> None:
    commune = caller(world, "commune_officer", "05977")
    owner = caller(world, "agency_officer", "20.SYT")
    steward = caller(world, "data_steward", "20")
    with pytest.raises(Invalid) as exc:
        values.post_values(
            world, commune, [item("YT.KHAM", "05977", "202607", 1, status="approved")]
        )
    assert errors_of(exc) == [(0, "status", "approve_not_allowed")]
    assert (
        values.post_values(
            world, owner, [item("YT.KHAM", "05977", "202607", 1, status="approved")]
        ).created
        == 1
    )
    assert (
        values.post_values(
            world, steward, [item("GD.HOC_SINH", "05977", "2026Q3", 1, status="approved")]
        ).created
        == 1
    )


def test_roles_without_data_entry_are_refused(world: Session) -> None:
    viewer = caller(world, "viewer", "20")
    with pytest.raises(Forbidden):
        values.post_values(world, viewer, [item("YT.KHAM", "05977", "202607", 1)])


# --- locks ------------------------------------------------------------------------------


def test_a_locked_period_refuses_changes_but_not_identical_reposts(
    world: Session, operator: Any
) -> None:
    values.post_values(world, operator, [item("YT.KHAM", "05977", "202602", 10)])
    steward = caller(world, "data_steward", "20")
    lock_period(world, steward, "2026Q1", "YT.KHAM")
    world.commit()
    assert (
        values.post_values(world, operator, [item("YT.KHAM", "05977", "202602", 10)]).unchanged == 1
    )
    with pytest.raises(Invalid) as exc:
        values.post_values(
            world,
            operator,
            [
                item("YT.KHAM", "05977", "202602", 11),  # a change
                item("YT.KHAM", "06187", "202603", 1),  # a new value
                item("YT.KHAM", "06187", "202604", 1),  # next quarter: open
                item("KT.THU_NS", "20", "202603", 1),  # another indicator: open
            ],
        )
    assert errors_of(exc) == [(0, "period", "period_locked"), (1, "period", "period_locked")]
    lock_period(world, steward, "2026")  # every indicator, the whole year
    with pytest.raises(Invalid) as exc:
        values.post_values(world, operator, [item("KT.THU_NS", "20", "202611", 1)])
    assert errors_of(exc) == [(0, "period", "period_locked")]


# --- bulk -------------------------------------------------------------------------------


@pytest.fixture
def statements(world: Session) -> Iterator[list[str]]:
    """The SQL statements the session's engine runs."""
    seen: list[str] = []
    engine = world.get_bind()

    def _count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _count)
    yield seen
    event.remove(engine, "before_cursor_execute", _count)


def _batch(org: str, n: int, value: int) -> list[dict[str, Any]]:
    days = [f"2026{m:02d}{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    return [item("MT.AQI", org, days[i], value) for i in range(n)]


def test_queries_do_not_grow_with_the_batch(
    world: Session, operator: Any, statements: list[str]
) -> None:
    counts = []
    for org, n in (("05977", 20), ("06187", 300)):
        for value in (1, 2):  # create, then a new version of every row
            statements.clear()
            report = values.post_values(world, operator, _batch(org, n, value), source="import")
            assert report.created + report.updated == n
            counts.append(len([s for s in statements if not s.startswith("SAVEPOINT")]))
    # the same count for 20 and 300 rows, but for the one history query of the outlier
    # check, which only batches of up to OUTLIER_BATCH rows make
    assert counts[0] - counts[2] == counts[1] - counts[3] == 1, counts
    assert counts[1] <= 12, counts
    assert count_values(world) == 640 and count_values(world, current_only=True) == 320


def test_a_key_written_meanwhile_is_a_conflict(world: Session, operator: Any) -> None:
    plan = values.check_values(world, operator, [item("YT.KHAM", "05977", "202607", 1)])
    values.post_values(world, operator, [item("YT.KHAM", "05977", "202607", 2)])  # another writer
    with pytest.raises(Conflict) as exc:
        values.apply(world, operator, plan, "api")
    assert exc.value.code == "values_changed_concurrently" and exc.value.status == 409
    world.rollback()


def test_part_above_its_whole_is_refused(world: Session, operator: Any) -> None:
    build = Builder(world)
    build.indicator("TEST.WHOLE")
    build.indicator("TEST.PART")
    build.indicator(
        "TEST.RATE",
        unit="%",
        formula="100 * TEST.PART / TEST.WHOLE",
        space_agg="none",
        time_agg="last",
    )
    batch = [item("TEST.WHOLE", "05977", "202607", 10), item("TEST.PART", "05977", "202607", 12)]
    with pytest.raises(Invalid) as err:
        values.post_values(build.session, operator, batch)
    errors = err.value.details["errors"]
    assert [(e["index"], e["error"]) for e in errors] == [(1, "part_exceeds_whole")]
    values.post_values(build.session, operator, batch[:1])
    with pytest.raises(Invalid):  # against the stored whole too
        values.post_values(build.session, operator, batch[1:])
    report = values.post_values(build.session, operator, [item("TEST.PART", "05977", "202607", 9)])
    assert report.created == 1


def test_outlier_is_saved_with_a_warning(world: Session, operator: Any) -> None:
    build = Builder(world)
    build.indicator("YT.KHAM2")
    build.series("YT.KHAM2", "05977", {f"2026{m:02d}": 100 + m for m in range(1, 7)})
    report = values.post_values(build.session, operator, [item("YT.KHAM2", "05977", "202607", 900)])
    assert report.created == 1
    assert [(w["indicator"], w["warning"]) for w in report.warnings] == [("YT.KHAM2", "outlier")]
    normal = values.post_values(build.session, operator, [item("YT.KHAM2", "05977", "202608", 104)])
    assert normal.warnings == []
