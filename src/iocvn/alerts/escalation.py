"""Escalation of unacknowledged alerts (báo cáo vượt cấp, issue #5): at each round of the
evaluation loop, under its lock, every active alert of an enabled rule that nobody has
acknowledged and no silence mutes climbs the ladder (``engine.escalation_due``/``escalate``)
and the rung it reaches is told.

The ladder is ``IOCVN_ALERT_ESCALATION`` (``commune:900,province:1800,leadership:0`` by
default: the commune has 15 minutes to acknowledge, then the province IOC 30 more, then the
province's leaders; docs/decisions/0009-alert-escalation.md). Rungs are counted from the
episode's start, so a late round never pushes later ones back; a round that finds several
rungs due climbs them all and tells each.

Who a rung tells: its contact points (``escalation_level`` = the rung, within their reach,
matchers and severity) and, by the rung's name, the accounts with an e-mail of
- ``commune``: commune officers, agency officers and operators of the device's unit and of
  the commune it stands in;
- ``province``: the province IOC's operators;
- ``leadership``: the province's leaders.

The climb is a conditional update (same rung, still unacknowledged, same episode), so an
acknowledgement or a resolution committed meanwhile wins and two rounds never climb twice;
it is audited (``alert.escalate``, actor ``alert-escalation``) and the notices are queued
in the same transaction. Nothing here sends: ``notify`` delivers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from iocvn.alerts import contacts, engine, notices
from iocvn.alerts.engine import EscalationLadder, EscalationLevel, Matcher
from iocvn.alerts.evaluation import ROUND_EVENT
from iocvn.alerts.models_notify import AlertContactPoint
from iocvn.alerts.models_rules import AlertInstance
from iocvn.alerts.notifications import UNIT_ROLES, Destination, load_alerts
from iocvn.alerts.silences import active_silences
from iocvn.audit.service import record
from iocvn.auth.models import User
from iocvn.config import get_settings
from iocvn.core import events
from iocvn.core.context import Actor
from iocvn.notify import service as notify
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit

log = logging.getLogger("iocvn.alerts")

PURPOSE = "alerts.escalation"
SYSTEM = Actor.system("alert-escalation")
ROLES_BY_RUNG = {"province": ("operator",), "leadership": ("leader",)}


def ladder(setting: str | None = None) -> EscalationLadder:
    """The ladder of ``IOCVN_ALERT_ESCALATION`` (or ``setting``): ``name:seconds`` rungs,
    lowest first (422 ``alert_ladder_invalid`` for a ladder the engine refuses)."""
    text = get_settings().alert_escalation if setting is None else setting
    levels = []
    for part in text.split(","):
        name, _, seconds = part.strip().partition(":")
        levels.append(EscalationLevel(name.strip(), float(seconds or 0)))
    return EscalationLadder(tuple(levels))


@dataclass(frozen=True)
class Climbed:
    """One alert that climbed: its id, the rung it had and the rungs reached this round."""

    alert_id: str
    before: int
    reached: tuple[engine.Escalation, ...]


def escalate_due(
    session: Session, now: datetime, rungs: EscalationLadder | None = None
) -> list[Climbed]:
    """Climb every unacknowledged, unsilenced active alert whose next rungs are due at
    ``now`` and queue the notices; returns what climbed."""
    rungs = rungs or ladder()
    silences = active_silences(session, now)
    climbed = []
    for alert in load_alerts(session):
        row, state = alert.row, alert.state
        if row.acknowledged_at is not None:
            continue
        due = engine.escalation_due(state, rungs, now.timestamp(), silences)
        if due and _climb(session, row, engine.escalate(state, due).escalation_level):
            _audit(session, row, state.escalation_level, due, rungs)
            for rung in due:
                _tell(session, row, rung, now)
            climbed.append(Climbed(row.id, state.escalation_level, due))
    return climbed


def _climb(session: Session, row: AlertInstance, level: int) -> bool:
    """Move ``row`` to rung ``level`` unless it changed since it was read (acknowledged,
    resolved, a new episode, already climbed): whoever updates first wins."""
    done = session.execute(
        update(AlertInstance)
        .where(
            AlertInstance.id == row.id,
            AlertInstance.escalation_level == row.escalation_level,
            AlertInstance.active_since == row.active_since,
            AlertInstance.acknowledged_at.is_(None),
            AlertInstance.state.in_(engine.ACTIVE),
        )
        .values(escalation_level=level)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.expire(row, ["escalation_level"])
    return True


def _audit(
    session: Session,
    row: AlertInstance,
    before: int,
    due: tuple[engine.Escalation, ...],
    rungs: EscalationLadder,
) -> None:
    top = due[-1]
    record(session, SYSTEM, "alert.escalate", target_type="alert", target_id=row.id,
           before={"escalation_level": before, "rung": rungs.levels[before].name},
           after={"escalation_level": top.level, "rung": top.name,
                  "due_at": datetime.fromtimestamp(top.due_at, UTC).isoformat(),
                  "fingerprint": row.fingerprint})  # fmt: skip


def _province_of(session: Session, row: AlertInstance) -> str | None:
    """The province over the alert's device: its unit's, else the installation's."""
    unit = session.get(OrgUnit, row.org_code) if row.org_code else None
    if unit is None:
        return home_province(session)
    return unit.code if unit.level == "province" else unit.province_code


def _points(session: Session, row: AlertInstance, level: int) -> list[AlertContactPoint]:
    """The enabled contact points of rung ``level`` that take this alert."""
    labels = engine.as_labels(row.labels)
    points = session.execute(
        select(AlertContactPoint)
        .where(AlertContactPoint.enabled.is_(True), AlertContactPoint.escalation_level == level)
        .order_by(AlertContactPoint.id)
    ).scalars()
    return [
        p
        for p in points
        if contacts.in_reach(contacts.reach_of(session, p.org_code), row)
        and contacts.takes(p, tuple(Matcher.parse(m) for m in p.matchers), labels)
    ]


def _people(session: Session, row: AlertInstance, rung: str) -> list[User]:
    """The accounts a rung tells by its name (see the module's docstring)."""
    if rung == "commune":
        units = sorted({c for c in (row.org_code, row.area_code) if c})
        return notify.recipients(session, units, UNIT_ROLES)
    province = _province_of(session, row)
    roles = ROLES_BY_RUNG.get(rung)
    if province is None or roles is None:
        return []
    return notify.recipients(session, [province], roles)


def audience(session: Session, row: AlertInstance, rung: engine.Escalation) -> list[Destination]:
    """Where the notice of ``row`` reaching ``rung`` goes: the rung's contact points, then
    its people; each address once."""
    found = [
        Destination(p.channel, contacts.destination_of(p), p.org_code)
        for p in _points(session, row, rung.level)
    ]
    found += [
        Destination("email", u.email or "", u.org_code) for u in _people(session, row, rung.name)
    ]
    unique: dict[tuple[str, str], Destination] = {}
    for to in found:
        unique.setdefault((to.channel, to.address.strip().lower()), to)
    return list(unique.values())


def _tell(session: Session, row: AlertInstance, rung: engine.Escalation, now: datetime) -> int:
    """Queue the notices of ``row`` reaching ``rung``; returns how many."""
    targets = audience(session, row, rung)
    started = row.active_since or now
    subject, body = notices.compose_escalation(
        session, row, rung.name, (now - started).total_seconds(), get_settings().public_url
    )
    for to in targets:
        notify.enqueue(session, to.channel, to.address, subject, body, PURPOSE, row.id,
                       org_code=to.org_code, now=now)  # fmt: skip
    if not targets:
        log.warning("alert escalation: nobody to tell", extra={"alert": row.id, "rung": rung.name})
    return len(targets)


# --- wiring -------------------------------------------------------------------------------


def on_round(event: events.Event) -> None:
    """Handler of ``alerts.round``: escalate, inside a savepoint of the round."""
    session: Session = event.payload["session"]
    with session.begin_nested():
        climbed = escalate_due(session, event.payload["now"])
    if climbed:
        log.info("alerts escalated", extra={"alerts": len(climbed)})


def subscribe() -> None:
    """Escalate at each round of the evaluation loop (idempotent; called by ``app``)."""
    events.subscribe(ROUND_EVENT, on_round)


def unsubscribe() -> None:
    """Stop escalating (tests)."""
    events.unsubscribe(ROUND_EVENT, on_round)
