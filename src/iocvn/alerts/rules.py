"""Alert rules, alerts and silences on the database (issue #5): create, list and disable
threshold rules; list alerts; acknowledge them; silence them. Every change is audited in the
caller's transaction; services flush, never commit.

The rows are converted to and from the pure engine's values here (``engine_rule``,
``alert_state``, ``store_state``); :mod:`.evaluation` steps them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import engine
from iocvn.alerts import messages_rules as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine import AlertState, Matcher, State
from iocvn.alerts.models_rules import AlertInstance, AlertRule, AlertSilence, AlertTransition
from iocvn.audit.service import record
from iocvn.auth.scope import OrgScope
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.ids import new_id
from iocvn.sensors import directory
from iocvn.sensors.directory import DeviceInfo
from iocvn.sensors.models import Device

MAX_SILENCE = timedelta(days=31)  # a silence is time-boxed: at most a month


def ts(at: datetime | None) -> float | None:
    """Seconds since the epoch (the engine's time) of a datetime, None kept."""
    return None if at is None else at.timestamp()


def dt(at: float | None) -> datetime | None:
    """The UTC datetime of the engine's seconds since the epoch, None kept."""
    return None if at is None else datetime.fromtimestamp(at, UTC)


# --- conversions between rows and the engine ----------------------------------------------


def series_labels(info: DeviceInfo) -> dict[str, str]:
    """The labels of a device's series: ``device``, ``kind``, ``org_unit`` and ``area`` (the
    commune it stands in, when known)."""
    labels = {"device": info.code, "kind": info.kind, "org_unit": info.org_code}
    if info.area_code:
        labels["area"] = info.area_code
    return labels


def engine_rule(row: AlertRule) -> engine.Rule:
    """The engine's rule of a stored threshold rule."""
    selector = tuple(Matcher.parse(m) for m in row.selector)
    if row.device:
        selector = (Matcher("device", "=", row.device), *selector)
    return engine.Rule(
        name=row.name,
        condition=engine.Threshold(row.quantity, cast(Any, row.op), row.value),
        selector=selector,
        for_s=row.for_s,
        severity=cast(Any, row.severity),
        labels=engine.as_labels(row.labels or {}),
        scenario=row.scenario,
        interval_s=row.interval_s,
    )


def alert_state(row: AlertInstance, rule: engine.Rule) -> AlertState:
    """The engine's state of a stored instance."""
    ack = None
    if row.acknowledged_by is not None and row.acknowledged_at is not None:
        ack = engine.Acknowledgement(
            by=row.acknowledged_by, at=row.acknowledged_at.timestamp(), comment=row.ack_comment
        )
    return AlertState(
        rule=rule,
        labels=engine.as_labels(row.labels),
        fingerprint=row.fingerprint,
        state=cast(State, row.state),
        since=ts(row.since),
        active_since=ts(row.active_since),
        pending_to=cast(State | None, row.pending_to),
        ack=ack,
        escalation_level=row.escalation_level,
    )


def store_state(row: AlertInstance, alert: AlertState) -> None:
    """Copy the engine's state into the row."""
    row.state = alert.state
    row.since = dt(alert.since)
    row.active_since = dt(alert.active_since)
    row.pending_to = alert.pending_to
    row.acknowledged_by = alert.ack.by if alert.ack else None
    row.acknowledged_at = dt(alert.ack.at) if alert.ack else None
    row.ack_comment = alert.ack.comment if alert.ack else ""
    row.escalation_level = alert.escalation_level


# --- rules --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """A threshold rule as the API takes it."""

    name: str
    device: str
    quantity: str
    op: str
    value: float
    for_s: float
    severity: str
    labels: Mapping[str, str] | None = None
    scenario: str | None = None


def create_rule(
    session: Session, actor: Actor, spec: RuleSpec, scope: OrgScope | None
) -> AlertRule:
    """Store a threshold rule on one device the caller may see (audited ``alert.rule.create``).
    The rule's expected interval is the device's."""
    info = directory.lookup(session, [spec.device]).get(spec.device)
    if info is None or (scope is not None and not info.visible_to(scope)):
        raise Invalid("alert_rule_device_unknown", details={"device": spec.device[:64]},
                      device=spec.device[:64])  # fmt: skip
    if spec.quantity not in info.quantities:
        raise Invalid(
            "alert_rule_quantity_unknown",
            details={"device": info.code, "quantity": spec.quantity[:64],
                     "quantities": sorted(info.quantities)},
            device=info.code, quantity=spec.quantity[:64],
        )  # fmt: skip
    device = session.get(Device, info.id)
    row = AlertRule(
        id=new_id(),
        name=spec.name.strip(),
        device=info.code,
        selector=[],
        quantity=spec.quantity,
        op=spec.op,
        value=float(spec.value),
        for_s=float(spec.for_s),
        severity=spec.severity,
        labels=dict(spec.labels or {}),
        scenario=(spec.scenario or "").strip() or None,
        interval_s=float(device.interval_s if device is not None else 300),
        enabled=True,
        org_code=info.org_code,
        created_by=actor.name,
    )
    engine_rule(row)  # the engine's checks: operator, severity, for_s, labels
    session.add(row)
    session.flush()
    record(session, actor, "alert.rule.create", target_type="alert_rule", target_id=row.id,
           after=row.snapshot())  # fmt: skip
    return row


def list_rules(session: Session, *, enabled: bool | None = None) -> list[AlertRule]:
    """Rules, newest first (optionally only enabled or disabled ones)."""
    query = select(AlertRule).order_by(AlertRule.created_at.desc(), AlertRule.id.desc())
    if enabled is not None:
        query = query.where(AlertRule.enabled == enabled)
    return list(session.execute(query).scalars())


def get_rule(session: Session, rule_id: str) -> AlertRule:
    """A rule by id (404 ``alert_rule_not_found``)."""
    row = session.get(AlertRule, rule_id)
    if row is None:
        raise NotFound("alert_rule_not_found")
    return row


def disable_rule(session: Session, actor: Actor, row: AlertRule) -> AlertRule:
    """Stop evaluating a rule (audited ``alert.rule.disable``); its alerts stay as they were."""
    if not row.enabled:
        raise Conflict("alert_rule_disabled")
    before = row.snapshot()
    row.enabled = False
    session.flush()
    record(session, actor, "alert.rule.disable", target_type="alert_rule", target_id=row.id,
           before=before, after=row.snapshot())  # fmt: skip
    return row


# --- alerts -------------------------------------------------------------------------------


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


# --- silences -----------------------------------------------------------------------------


def engine_silence(row: AlertSilence) -> engine.Silence:
    """The engine's silence of a stored one."""
    return engine.Silence(
        matchers=tuple(Matcher.parse(m) for m in row.matchers),
        starts_at=row.starts_at.timestamp(),
        ends_at=row.ends_at.timestamp(),
        created_by=row.created_by,
        comment=row.comment,
        id=row.id,
    )


def create_silence(
    session: Session,
    actor: Actor,
    matchers: Sequence[str],
    ends_at: datetime,
    comment: str,
    now: datetime,
    starts_at: datetime | None = None,
) -> AlertSilence:
    """Silence the alerts the matchers match from ``starts_at`` (now by default) to
    ``ends_at``, at most :data:`MAX_SILENCE` and not already over (audited
    ``alert.silence.create``)."""
    texts = [m.strip() for m in matchers]
    start = starts_at or now
    silence = engine.Silence(
        matchers=tuple(Matcher.parse(m) for m in texts),
        starts_at=start.timestamp(),
        ends_at=ends_at.timestamp(),
        created_by=actor.name,
        comment=comment.strip(),
    )
    if ends_at <= now or ends_at - start > MAX_SILENCE:
        problem = "a silence must end in the future and last at most 31 days"
        raise Invalid("alert_silence_invalid", details={"problem": problem}, problem=problem)
    row = AlertSilence(
        id=new_id(),
        matchers=texts,
        starts_at=start,
        ends_at=ends_at,
        created_by=actor.name,
        comment=silence.comment,
    )
    session.add(row)
    session.flush()
    after = {"matchers": texts, "starts_at": start.isoformat(), "ends_at": ends_at.isoformat(),
             "comment": row.comment}  # fmt: skip
    record(session, actor, "alert.silence.create", target_type="alert_silence",
           target_id=row.id, after=after)  # fmt: skip
    return row


def list_silences(session: Session, now: datetime, *, active: bool = True) -> list[AlertSilence]:
    """Silences not yet over at ``now`` (all of them with ``active=False``), soonest end first."""
    query = select(AlertSilence).order_by(AlertSilence.ends_at, AlertSilence.id)
    if active:
        query = query.where(AlertSilence.ends_at > now)
    return list(session.execute(query).scalars())


def active_silences(session: Session, now: datetime) -> list[engine.Silence]:
    """The engine's silences in force at ``now``."""
    rows = session.execute(
        select(AlertSilence).where(AlertSilence.starts_at <= now, AlertSilence.ends_at > now)
    ).scalars()
    return [engine_silence(r) for r in rows]


def expire_silence(session: Session, actor: Actor, silence_id: str, now: datetime) -> AlertSilence:
    """End a silence now (audited ``alert.silence.expire``); one already over is left as is."""
    row = session.get(AlertSilence, silence_id)
    if row is None:
        raise NotFound("alert_silence_not_found")
    if row.ends_at > now:
        before = row.ends_at.isoformat()
        row.ends_at = max(now, row.starts_at + timedelta(microseconds=1))
        session.flush()
        record(session, actor, "alert.silence.expire", target_type="alert_silence",
               target_id=row.id, before={"ends_at": before},
               after={"ends_at": row.ends_at.isoformat()})  # fmt: skip
    return row
