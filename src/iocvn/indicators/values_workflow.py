"""The workflow of data values (draft → submitted → approved, or rejected with a comment) and
period locks (R3).

A step is all or nothing over the values it is given; values already past the step are left
as they are. Approving and submitting change the current row in place; a rejection is a new
version carrying the reviewer's comment, so the submitted row and its comment stay in history.
A locked period refuses every step. One audit entry per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.deps import Principal
from iocvn.core import events, periods
from iocvn.core.errors import Forbidden, Invalid, NotFound
from iocvn.core.i18n import register
from iocvn.core.timeutil import utcnow
from iocvn.indicators.catalogue import get_indicator
from iocvn.indicators.models import DataValue, Indicator, PeriodLock
from iocvn.indicators.schemas_values import RowError, Selection, WorkflowReport
from iocvn.indicators.values import AUDIT_KEYS, INSERT_BATCH, set_status, supersede
from iocvn.indicators.values_checks import (
    Locks,
    Problem,
    Unit,
    chunks,
    load_indicators,
    load_units,
    may_approve,
    may_report,
)

Step = Literal["submit", "approve", "reject"]
_FROM: dict[Step, tuple[str, ...]] = {
    "submit": ("draft", "rejected"),
    "approve": ("submitted",),
    "reject": ("submitted",),
}
_DONE: dict[Step, tuple[str, ...]] = {
    "submit": ("submitted", "approved"),
    "approve": ("approved",),
    "reject": ("rejected",),
}
MAX_ID = 2**63 - 1  # ids beyond a BIGINT are unknown, never sent to the database
_TARGET: dict[Step, str] = {"submit": "submitted", "approve": "approved", "reject": "rejected"}

register(
    {
        "error.invalid_workflow": (
            "{count} số liệu không thể chuyển trạng thái; không số liệu nào thay đổi.",
            "{count} values cannot take this step; none was changed.",
        ),
        "error.nothing_selected": (
            "Hãy chọn số liệu theo mã (ids) hoặc theo bộ lọc (selection).",
            "Choose the values by ids or by a selection.",
        ),
        "error.lock_out_of_scope": (
            "Cấp tỉnh khóa mọi chỉ số; cơ quan chỉ khóa chỉ số do mình chủ trì.",
            "The province locks any indicator; an agency only the indicators it owns.",
        ),
        "error.comment_required": (
            "Hãy ghi lý do trả lại số liệu.",
            "Say why the values are sent back.",
        ),
        "error.period_lock_not_found": (
            "Kỳ {period} chưa bị khóa.",
            "Period {period} is not locked.",
        ),
    }
)


def _allowed(principal: Principal, step: Step, ind: Indicator | None, unit: Unit | None) -> bool:
    if ind is None or unit is None or not may_report(principal.scope, ind, unit):
        return False
    return principal.can("data.enter") if step == "submit" else may_approve(principal, ind)


def _chosen(
    session: Session, principal: Principal, ids: Sequence[int] | None, selection: Selection | None
) -> tuple[list[int | None], list[DataValue | None]]:
    """The requested ids (None for a selection) and their rows (None when unknown)."""
    if ids:
        found: dict[int, DataValue] = {}
        plausible = {i for i in ids if isinstance(i, int) and 0 < i <= MAX_ID}
        for part in chunks(sorted(plausible)):
            stmt = select(DataValue).where(DataValue.id.in_(part))
            found.update((v.id, v) for v in session.execute(stmt).scalars())
        return list(ids), [found.get(i) for i in ids]
    if selection is None or not (selection.indicator or selection.org_unit or selection.period):
        raise Invalid("nothing_selected")
    stmt = select(DataValue).where(
        DataValue.is_current, principal.scope.area_clause(DataValue.org_code)
    )
    for column, wanted in (
        (DataValue.indicator_code, selection.indicator),
        (DataValue.org_code, selection.org_unit),
        (DataValue.period, selection.period),
    ):
        if wanted:
            stmt = stmt.where(column == wanted.strip())
    rows: list[DataValue | None] = list(session.execute(stmt.order_by(DataValue.id)).scalars())
    return [None] * len(rows), rows


def _pick(
    session: Session,
    principal: Principal,
    step: Step,
    ids: Sequence[int] | None,
    selection: Selection | None,
    lang: str,
) -> list[DataValue]:
    """The values the step will change; ``invalid_workflow`` if any requested one cannot."""
    asked, rows = _chosen(session, principal, ids, selection)
    present = [v for v in rows if v is not None]
    inds = load_indicators(session, {v.indicator_code for v in present})
    units = load_units(session, {v.org_code for v in present})
    locks, scope = Locks(session), principal.scope
    picked: dict[int, DataValue] = {}
    errors: list[RowError] = []
    for index, (wanted, v) in enumerate(zip(asked, rows, strict=True)):
        try:
            if v is None or (scope.level == "commune" and v.org_code != scope.org_code):
                raise Problem("ids", "not_found", id=wanted)
            allowed = _allowed(principal, step, inds.get(v.indicator_code), units.get(v.org_code))
            if wanted is None and (not allowed or v.status not in _FROM[step]):
                continue  # a selection means the values this caller can move
            if not v.is_current:
                raise Problem("ids", "not_current", id=v.id)
            if not allowed:
                raise Problem(
                    "ids", "out_of_scope", indicator=v.indicator_code, org_unit=v.org_code
                )
            if v.status in _DONE[step]:
                continue
            if v.status not in _FROM[step]:
                raise Problem("ids", "status_transition", current=v.status, target=_TARGET[step])
            if locks.locked(v.indicator_code, periods.parse(v.period)):
                raise Problem("ids", "period_locked", period=v.period, indicator=v.indicator_code)
        except Problem as problem:
            errors.append(problem.row_error(index, lang))
            continue
        picked[v.id] = v
    if errors:
        raise Invalid(
            "invalid_workflow",
            details={"errors": [e.model_dump() for e in errors]},
            count=len(errors),
        )
    return list(picked.values())


def _reject_versions(session: Session, rows: list[DataValue], who: str, comment: str) -> list[int]:
    supersede(session, [v.id for v in rows])
    now = utcnow()
    keep = "indicator_code org_code period period_start period_end value source submitted_at"
    records = [
        {k: getattr(v, k) for k in keep.split()}
        | {"comment": comment, "status": "rejected", "version": v.version + 1}
        | {"is_current": True, "created_by": who, "created_at": now}
        | {"approved_by": None, "approved_at": None}
        for v in rows
    ]
    new_ids: list[int] = []
    for part in chunks(records, INSERT_BATCH):
        stmt = insert(DataValue).returning(DataValue.id)
        new_ids += session.execute(stmt, list(part)).scalars().all()
    return new_ids


def _step(
    session: Session,
    principal: Principal,
    step: Step,
    ids: Sequence[int] | None,
    selection: Selection | None,
    comment: str = "",
    lang: str = "vi",
) -> WorkflowReport:
    rows = _pick(session, principal, step, ids, selection, lang)
    who = principal.actor().name
    if step == "reject":
        changed = _reject_versions(session, rows, who, comment)
    else:
        set_status(session, [v.id for v in rows], _TARGET[step], who)
        changed = [v.id for v in rows]
    session.flush()
    if changed:
        after: dict[str, Any] = {"count": len(changed), "ids": changed[:AUDIT_KEYS]}
        if comment:
            after["comment"] = comment
        audit.record(
            session, principal.actor(), f"data_values.{step}", target_type="data_value", after=after
        )
        events.publish(
            "data_values.changed",
            indicators=sorted({v.indicator_code for v in rows}),
            periods=sorted({v.period for v in rows}),
        )
    return WorkflowReport(changed=len(changed), ids=changed)


def submit(
    session: Session,
    principal: Principal,
    ids: Sequence[int] | None = None,
    *,
    selection: Selection | None = None,
    lang: str = "vi",
) -> WorkflowReport:
    """Submit draft or rejected values for approval."""
    return _step(session, principal, "submit", ids, selection, lang=lang)


def approve(
    session: Session,
    principal: Principal,
    ids: Sequence[int] | None = None,
    *,
    selection: Selection | None = None,
    lang: str = "vi",
) -> WorkflowReport:
    """Approve submitted values (the owner agency for its indicators, or the IOC)."""
    return _step(session, principal, "approve", ids, selection, lang=lang)


def reject(
    session: Session, principal: Principal, ids: Sequence[int], comment: str, *, lang: str = "vi"
) -> WorkflowReport:
    """Send submitted values back with a comment (a new version; the old one stays)."""
    text = " ".join(comment.split())[:1000]
    if not text:
        raise Invalid("comment_required")
    return _step(session, principal, "reject", ids, None, text, lang)


# --- period locks -----------------------------------------------------------------------


def _may_lock(principal: Principal, ind: Indicator | None) -> None:
    if not principal.can("data.lock"):
        raise Forbidden(details={"permission": "data.lock"})
    scope = principal.scope
    if scope.level == "commune" or (
        scope.level == "agency" and (ind is None or ind.owner != scope.org_code)
    ):
        raise Forbidden("lock_out_of_scope")


def _find_lock(session: Session, period: str, indicator: str | None) -> PeriodLock | None:
    column = PeriodLock.indicator_code
    match = column.is_(None) if indicator is None else column == indicator
    stmt = select(PeriodLock).where(PeriodLock.period == period, match)
    return session.execute(stmt).scalar_one_or_none()


def lock_period(
    session: Session, principal: Principal, period: str, indicator: str | None = None
) -> PeriodLock:
    """Close a period (and its sub-periods) for one indicator or all; idempotent."""
    code = periods.parse(period).code
    ind = get_indicator(session, indicator) if indicator else None
    _may_lock(principal, ind)
    lock = _find_lock(session, code, indicator)
    if lock is not None:
        return lock
    lock = PeriodLock(period=code, indicator_code=indicator, locked_by=principal.actor().name)
    session.add(lock)
    session.flush()
    audit.record(
        session,
        principal.actor(),
        "period_lock.create",
        target_type="period_lock",
        target_id=f"{code}/{indicator or '*'}",
        after={"period": code, "indicator": indicator},
    )
    return lock


def unlock_period(
    session: Session, principal: Principal, period: str, indicator: str | None = None
) -> None:
    """Reopen a locked period; ``period_lock_not_found`` when it was not locked."""
    code = periods.parse(period).code
    ind = get_indicator(session, indicator) if indicator else None
    _may_lock(principal, ind)
    lock = _find_lock(session, code, indicator)
    if lock is None:
        raise NotFound("period_lock_not_found", details={"period": code}, period=code)
    session.delete(lock)
    session.flush()
    audit.record(
        session,
        principal.actor(),
        "period_lock.delete",
        target_type="period_lock",
        target_id=f"{code}/{indicator or '*'}",
        before={"period": code, "indicator": indicator, "locked_by": lock.locked_by},
    )


def list_locks(session: Session) -> list[PeriodLock]:
    """Every period lock, by period."""
    stmt = select(PeriodLock).order_by(PeriodLock.period, PeriodLock.indicator_code)
    return list(session.execute(stmt).scalars())
