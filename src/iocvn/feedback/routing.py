"""Routing (phân công xử lý): category + place → the unit responsible, by an editable table.

The most specific rule wins: (category, commune), then (a parent category, commune), then
(category, anywhere), then (a parent category, anywhere), then (any category, commune). When
none of these names a unit and the place is known, the commune's People's Committee handles
it (the commune itself: after 2025 the commune is the local government for everything no
sector agency was named for). Without a place, the province's default rule (no category, no
area) applies; with no rule at all the case stays with the IOC's triage (``None``). Edits are
audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core.cache import Rechecked
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid, NotFound
from iocvn.core.i18n import register
from iocvn.feedback.models import FeedbackCategory, RoutingRule
from iocvn.org.models import OrgUnit

COMMUNE_RULE = "commune"
"""The ``rule_id`` of a route to the commune where the case is (no table row)."""

register(
    {
        "error.unknown_category": (
            "Không có lĩnh vực phản ánh {category}.",
            "There is no feedback category {category}.",
        ),
        "error.unknown_handling_unit": (
            "Không có đơn vị xử lý {unit}.",
            "There is no handling unit {unit}.",
        ),
        "error.routing_rule_not_found": (
            "Không có quy tắc phân công này.",
            "No such routing rule.",
        ),
    }
)


@dataclass(frozen=True)
class Route:
    """Where a case goes, and the rule that sent it there (for the timeline)."""

    org_code: str
    rule_id: str
    category_code: str | None
    area_code: str | None


@dataclass(frozen=True)
class _Table:
    parents: dict[str, str | None]
    rules: dict[tuple[str | None, str | None], Route]


_TABLES: Rechecked[_Table] = Rechecked(size=1)


def invalidate() -> None:
    """Forget the loaded table (rules or categories changed in this process)."""
    _TABLES.clear()


def _table(session: Session) -> _Table:
    def version() -> str:
        rules = session.execute(select(func.count(), func.max(RoutingRule.updated_at))).one()
        cats = session.execute(select(func.count(), func.max(FeedbackCategory.updated_at))).one()
        return f"{rules[0]}:{rules[1]}:{cats[0]}:{cats[1]}"

    def build() -> _Table:
        rows = session.execute(select(FeedbackCategory.code, FeedbackCategory.parent_code))
        parents = {str(row[0]): row[1] for row in rows}
        rules = {
            (r.category_code, r.area_code): Route(r.org_code, r.id, r.category_code, r.area_code)
            for r in session.execute(select(RoutingRule)).scalars()
        }
        return _Table(parents, rules)

    return _TABLES.get("table", version, build)


def ancestors(session: Session, code: str | None) -> list[str]:
    """``code`` and its parent categories, nearest first."""
    parents = _table(session).parents
    out: list[str] = []
    while code is not None and code not in out:
        out.append(code)
        code = parents.get(code)
    return out


def route(session: Session, category_code: str | None, area_code: str | None) -> Route | None:
    """The unit responsible for ``category_code`` in commune ``area_code``, if any rule says."""
    cats = ancestors(session, category_code)
    table = _table(session).rules
    order: list[tuple[str | None, str | None]] = []
    if area_code is not None:
        order += [(c, area_code) for c in cats]
    order += [(c, None) for c in cats]
    if area_code is not None:
        order.append((None, area_code))
    for key in order:
        found = table.get(key)
        if found is not None:
            return found
    if area_code is not None:
        return Route(area_code, COMMUNE_RULE, None, area_code)
    return table.get((None, None))


DEFAULT_RULES: tuple[tuple[str, str], ...] = (
    ("y_te", "SYT"),
    ("giao_duc", "SGDDT"),
    ("an_ninh_trat_tu", "CA"),
    ("dat_dai", "SNNMT"),
    ("dich_vu_cong", "VPUBND"),
)
"""Sector rules a new installation starts with (category → agency abbreviation); the rest
goes to the commune where it happens. Decision 0005 explains the choice."""


def seed_rules(session: Session, actor: Actor, province_code: str) -> int:
    """Add the default sector rules whose category and agency exist and have no rule yet."""
    added = 0
    for category, abbr in DEFAULT_RULES:
        org = f"{province_code}.{abbr}"
        if session.get(FeedbackCategory, category) is None or session.get(OrgUnit, org) is None:
            continue
        exists = session.execute(
            select(RoutingRule.id).where(
                RoutingRule.category_code == category, RoutingRule.area_code.is_(None)
            )
        ).first()
        if exists is None:
            set_rule(session, actor, org_code=org, category_code=category, note="mặc định")
            added += 1
    return added


def set_rule(
    session: Session,
    actor: Actor,
    *,
    org_code: str,
    category_code: str | None = None,
    area_code: str | None = None,
    note: str = "",
) -> RoutingRule:
    """Add or replace the rule for (category, area); audited."""
    if category_code is not None and session.get(FeedbackCategory, category_code) is None:
        raise Invalid("unknown_category", details={"code": category_code}, category=category_code)
    for code in (org_code, area_code):
        if code is not None and session.get(OrgUnit, code) is None:
            raise Invalid("unknown_handling_unit", details={"code": code}, unit=code)
    rule = session.execute(
        select(RoutingRule).where(
            RoutingRule.category_code.is_(None)
            if category_code is None
            else RoutingRule.category_code == category_code,
            RoutingRule.area_code.is_(None)
            if area_code is None
            else RoutingRule.area_code == area_code,
        )
    ).scalar_one_or_none()
    before = {"org_code": rule.org_code} if rule else None
    if rule is None:
        rule = RoutingRule(category_code=category_code, area_code=area_code, org_code=org_code)
        session.add(rule)
    rule.org_code, rule.note = org_code, note
    session.flush()
    invalidate()
    audit.record(
        session, actor, "feedback.route_set", target_type="feedback_route", target_id=rule.id,
        before=before,
        after={"category": category_code, "area": area_code, "org_code": org_code},
    )  # fmt: skip
    return rule


def delete_rule(session: Session, actor: Actor, rule_id: str) -> None:
    """Remove a rule; audited."""
    rule = session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound("routing_rule_not_found", details={"id": rule_id[:26]})
    before = {"category": rule.category_code, "area": rule.area_code, "org_code": rule.org_code}
    session.delete(rule)
    session.flush()
    invalidate()
    audit.record(
        session, actor, "feedback.route_delete", target_type="feedback_route",
        target_id=rule_id, before=before,
    )  # fmt: skip
