"""Alerts on the database (issue #5): list them in the caller's scope, read one and its
history, acknowledge one with a comment (audited in the caller's transaction; flushed,
never committed). The rules they come from are :mod:`.rules`; their states change in
:mod:`.evaluation`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import engine
from iocvn.alerts.models_rules import AlertInstance, AlertTransition
from iocvn.alerts.rules import get_rule
from iocvn.alerts.stored import alert_state, engine_rule, store_state
from iocvn.audit.service import record
from iocvn.auth.scope import OrgScope
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid, NotFound


def check_state(state: str | None) -> str | None:
    """A state filter (422 ``alert_state_unknown`` for another word)."""
    if state is not None and state not in engine.STATES:
        allowed = ", ".join(engine.STATES)
        raise Invalid("alert_state_unknown", details={"state": state[:12], "allowed": allowed},
                      state=state[:12], allowed=allowed)  # fmt: skip
    return state


def list_alerts(
    session: Session, scope: OrgScope | None, *, state: str | None = None, limit: int = 200
) -> list[AlertInstance]:
    """Alerts in the caller's scope (devices of its unit or standing in its commune), most
    recently changed first; by ``state``."""
    query = select(AlertInstance).order_by(AlertInstance.since.desc(), AlertInstance.id)
    if check_state(state) is not None:
        query = query.where(AlertInstance.state == state)
    if scope is not None:
        query = query.where(scope.handling_clause(AlertInstance.org_code, AlertInstance.area_code))
    return list(session.execute(query.limit(limit)).scalars())


def get_alert(
    session: Session, alert_id: str, scope: OrgScope | None, *, for_update: bool = False
) -> AlertInstance:
    """One alert in the caller's scope (404 ``alert_not_found``)."""
    query = select(AlertInstance).where(AlertInstance.id == alert_id)
    if scope is not None:
        query = query.where(scope.handling_clause(AlertInstance.org_code, AlertInstance.area_code))
    if for_update:
        query = query.with_for_update()
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound("alert_not_found")
    return row


def history(session: Session, row: AlertInstance) -> list[AlertTransition]:
    """An alert's transitions, oldest first."""
    query = (
        select(AlertTransition)
        .where(AlertTransition.instance_id == row.id)
        .order_by(AlertTransition.at, AlertTransition.id)
    )
    return list(session.execute(query).scalars())


def acknowledge(
    session: Session,
    actor: Actor,
    alert_id: str,
    comment: str,
    now: datetime,
    scope: OrgScope | None,
) -> AlertInstance:
    """Acknowledge an active alert with a comment (audited ``alert.ack``): 409
    ``alert_not_active`` or ``alert_already_acknowledged`` (naming who did)."""
    row = get_alert(session, alert_id, scope, for_update=True)
    rule = engine_rule(get_rule(session, row.rule_id))
    acked = engine.acknowledge(alert_state(row, rule), actor.name, now.timestamp(), comment.strip())
    store_state(row, acked)
    session.flush()
    record(session, actor, "alert.ack", target_type="alert", target_id=row.id,
           after={"state": row.state, "comment": row.ack_comment,
                  "fingerprint": row.fingerprint})  # fmt: skip
    return row
