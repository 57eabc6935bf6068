"""The province's category tree on the database: seeded from the packaged default, then edited
by the IOC (add, rename, move, set priority and time limit, deactivate). Edits are audited;
a category in use is deactivated, never deleted, so old cases keep their category. A new time
limit (``resolve_days``) moves the stored deadlines of the open cases that use it, in the same
transaction (``clock.category_limits_changed``); the priority is a new case's default only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid, NotFound
from iocvn.core.i18n import register
from iocvn.feedback import clock, routing
from iocvn.feedback.categories import default_tree
from iocvn.feedback.models import PRIORITIES, FeedbackCategory

register(
    {
        "error.invalid_category": (
            "Lĩnh vực không hợp lệ: {reason}",
            "Invalid category: {reason}",
        ),
    }
)


def _priority(raw: str) -> str:
    """The tree's level, when it is one of the SLA's three (else normal)."""
    return raw if raw in PRIORITIES else "normal"


def seed_categories(session: Session, actor: Actor) -> int:
    """Add the packaged categories the province does not have yet (its edits are kept)."""
    have = set(session.execute(select(FeedbackCategory.code)).scalars())
    added = 0
    for i, cat in enumerate(default_tree()):
        if cat.code in have:
            continue
        session.add(
            FeedbackCategory(code=cat.code, name_vi=cat.name_vi, name_en=cat.name_en,
                             parent_code=cat.parent, priority=_priority(cat.priority),
                             resolve_days=cat.resolve_days, sort=i)
        )  # fmt: skip
        session.flush()
        added += 1
    if added:
        _changed(session)
        audit.record(session, actor, "feedback.categories_seed", target_type="feedback_category",
                     target_id="default", after={"added": added})  # fmt: skip
    return added


def list_categories(session: Session, *, active_only: bool = True) -> list[FeedbackCategory]:
    """The tree in display order (parents before children)."""
    stmt = select(FeedbackCategory)
    if active_only:
        stmt = stmt.where(FeedbackCategory.active.is_(True))
    rows = list(session.execute(stmt.order_by(FeedbackCategory.sort, FeedbackCategory.code))
                .scalars())  # fmt: skip
    by_parent: dict[str | None, list[FeedbackCategory]] = {}
    for row in rows:
        by_parent.setdefault(row.parent_code, []).append(row)
    codes = {r.code for r in rows}
    out: list[FeedbackCategory] = []

    def walk(parent: str | None) -> None:
        for row in by_parent.get(parent, []):
            out.append(row)
            walk(row.code)

    walk(None)
    out += [r for r in rows if r.parent_code is not None and r.parent_code not in codes]
    return out


@dataclass
class CategoryEdit:
    """Fields of a category to set (``None``: keep)."""

    name_vi: str | None = None
    name_en: str | None = None
    parent_code: str | None = None
    priority: str | None = None
    resolve_days: int | None = None
    active: bool | None = None


def save_category(
    session: Session, actor: Actor, code: str, edit: CategoryEdit, *, now: datetime | None = None
) -> FeedbackCategory:
    """Create (when ``code`` is new) or edit a category; audited. A changed time limit moves
    the deadlines of the open cases that use it (at ``now``: what escalation it still reaches)."""
    code = code.strip()
    if not code or len(code) > 64 or not all(c.isalnum() or c in "._" for c in code):
        raise Invalid("invalid_category", details={"field": "code"}, reason="code")
    row = session.get(FeedbackCategory, code)
    before = _snapshot(row) if row else None
    was_days = row.resolve_days if row else None
    if (row is None or edit.name_vi is not None) and not (edit.name_vi or "").strip():
        raise Invalid("invalid_category", details={"field": "name_vi"}, reason="name_vi")
    if row is None:
        row = FeedbackCategory(code=code, name_vi=edit.name_vi)
        session.add(row)
    if edit.parent_code is not None:
        parent = edit.parent_code or None
        seen = parent
        while seen is not None:
            if seen == code:
                raise Invalid("invalid_category", details={"field": "parent_code"},
                              reason="parent_code")  # fmt: skip
            found = session.get(FeedbackCategory, seen)
            if found is None:
                raise NotFound("unknown_category", details={"code": seen}, category=seen)
            seen = found.parent_code
        row.parent_code = parent
    if edit.priority is not None:
        if edit.priority not in PRIORITIES:
            raise Invalid("invalid_priority", details={"field": "priority"})
        row.priority = edit.priority
    if edit.resolve_days is not None:
        if not 0 <= edit.resolve_days <= 365:
            raise Invalid("invalid_category", details={"field": "resolve_days"},
                          reason="resolve_days")  # fmt: skip
        row.resolve_days = edit.resolve_days or None
    for name in ("name_vi", "name_en"):
        value = getattr(edit, name)
        if value is not None:
            setattr(row, name, value.strip()[:200])
    if edit.active is not None:
        row.active = edit.active
    session.flush()
    _changed(session)
    audit.record(session, actor, "feedback.category_save", target_type="feedback_category",
                 target_id=code, before=before, after=_snapshot(row))  # fmt: skip
    if row.resolve_days != was_days:
        clock.category_limits_changed(session, actor, code, was_days, now)
    return row


def _changed(session: Session) -> None:
    """The tree changed: routing and the SLA policy are rebuilt from it."""
    _forget()
    # Again once committed: another request may have cached the old tree or limits meanwhile
    # (a case received then would keep the old limit: no later edit moves it).
    event.listen(session, "after_commit", lambda _: _forget(), once=True)


def _forget() -> None:
    routing.invalidate()
    clock.invalidate()


def _snapshot(row: FeedbackCategory) -> dict[str, object]:
    return {"name_vi": row.name_vi, "parent": row.parent_code, "priority": row.priority,
            "resolve_days": row.resolve_days, "active": row.active}  # fmt: skip
