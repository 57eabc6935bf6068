"""Notifications of alerts (issue #5): alerts routed to receivers, grouped as Alertmanager
does, and queued in the notification outbox (``notify``) in the transaction that changed
them — never sent from here (delivery, retries and the dead-letter list are ``notify``'s).

Receivers (each with its own notification groups):

- every enabled contact point of rung 0 (``contacts``): the alerts within its unit's reach,
  at its minimum severity or above, that its matchers match; one message per group
  notification to its destination;
- the officers of each unit whose devices alert, or in whose commune they stand
  (``unit:<code>``: commune officers, agency officers and operators of that unit, by e-mail,
  as ``notify.service.recipients`` finds them) — the ladder's first rung.

Grouping (``engine.regroup``/``due_notifications``/``mark_sent``; groups stored in
``alert_group_states``): by the contact point's ``group_by`` (``alertname`` and ``scenario``
by default), ``group_wait`` 0 s — seconds matter in a flood, so an alert's first message is
queued in the very transaction that fired it, and alerts firing in one evaluation share it —
then changes (another alert joins, one resolves) at most every ``group_interval`` (60 s),
and a reminder every ``repeat_interval`` (4 h) while nothing changes. Silenced alerts, and
alerts of disabled rules, are left out.

:func:`on_transitions` routes when an evaluation stored transitions that notify, inside a
savepoint of the evaluating transaction (a failure never loses readings nor transitions);
:func:`on_round` routes at each round of the evaluation loop (what time alone makes due).
On PostgreSQL both queue on one advisory lock, so two transactions never send one group
notification twice. Messages hold no personal data: rule, severity, device, place, values,
times and a link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import or_, select, text
from sqlalchemy.orm import Session

from iocvn.alerts import contacts, engine, notices
from iocvn.alerts import messages_notify as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine import AlertGroup, AlertState, GroupPolicy, Matcher, Notification, State
from iocvn.alerts.evaluation import ROUND_EVENT
from iocvn.alerts.models_notify import AlertContactPoint, AlertGroupState
from iocvn.alerts.models_rules import AlertInstance, AlertRule
from iocvn.alerts.silences import active_silences
from iocvn.alerts.stored import TRANSITIONS_EVENT, Stored, alert_state, dt, engine_rule, ts
from iocvn.config import get_settings
from iocvn.core import events
from iocvn.core.ids import new_id
from iocvn.notify import service as notify

log = logging.getLogger("iocvn.alerts")

PURPOSE = "alerts.notification"
GROUP_WAIT_S = 0.0
GROUP_INTERVAL_S = 60.0
REPEAT_INTERVAL_S = 4 * 3600.0
UNIT_ROLES = ("commune_officer", "agency_officer", "operator")
UNIT_PREFIX = "unit:"
ROUTING_LOCK = 4_060_002  # pg_advisory_xact_lock key: one router at a time


@dataclass(frozen=True)
class Alert:
    """An alert as routing sees it: the engine's state and its row."""

    state: AlertState
    row: AlertInstance


@dataclass(frozen=True)
class Destination:
    """Where one message goes: channel, address (in clear, in memory only), whose unit."""

    channel: str
    address: str
    org_code: str | None


@dataclass(frozen=True)
class Receiver:
    """Who a group's notifications go to: a contact point of rung 0 (``contact``) or the
    officers of unit ``reach`` (``contact`` None)."""

    id: str
    reach: str | None
    group_by: tuple[str, ...]
    contact: AlertContactPoint | None = None
    matchers: tuple[Matcher, ...] = ()

    @property
    def policy(self) -> GroupPolicy:
        """The receiver's grouping and pacing."""
        return GroupPolicy(
            group_by=self.group_by,
            group_wait_s=GROUP_WAIT_S,
            group_interval_s=GROUP_INTERVAL_S,
            repeat_interval_s=REPEAT_INTERVAL_S,
            name=self.id,
        )

    def takes(self, alert: Alert) -> bool:
        """Whether this receiver hears of ``alert``."""
        if not contacts.in_reach(self.reach, alert.row):
            return False
        return self.contact is None or contacts.takes(
            self.contact, self.matchers, alert.state.labels
        )


# --- routing ------------------------------------------------------------------------------


def _lock(session: Session) -> None:
    """PostgreSQL: wait for the routing lock (released at commit or rollback)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ROUTING_LOCK})


def load_alerts(session: Session, fingerprints: Iterable[str] = ()) -> list[Alert]:
    """Active alerts of enabled rules, and those with these fingerprints (notified as
    active before: their resolution is told)."""
    wanted = sorted(set(fingerprints))
    query = (
        select(AlertInstance, AlertRule)
        .join(AlertRule, AlertRule.id == AlertInstance.rule_id)
        .where(
            AlertRule.enabled.is_(True),
            or_(AlertInstance.state.in_(engine.ACTIVE), AlertInstance.fingerprint.in_(wanted)),
        )
        .order_by(AlertInstance.id)
    )
    loaded: dict[str, engine.Rule | None] = {}
    found = []
    for row, rule_row in session.execute(query):
        if rule_row.id not in loaded:
            try:
                loaded[rule_row.id] = engine_rule(rule_row)
            except Exception:  # a rule the engine refuses must not silence the others
                log.exception("alert rule not loadable", extra={"rule": rule_row.id})
                loaded[rule_row.id] = None
        rule = loaded[rule_row.id]
        if rule is not None:
            found.append(Alert(alert_state(row, rule), row))
    return found


def _stored(session: Session) -> dict[str, list[AlertGroupState]]:
    rows = session.execute(
        select(AlertGroupState)
        .order_by(AlertGroupState.receiver, AlertGroupState.group_key)
        .execution_options(populate_existing=True)
    ).scalars()
    found: dict[str, list[AlertGroupState]] = {}
    for row in rows:
        found.setdefault(row.receiver, []).append(row)
    return found


def receivers(
    session: Session, alerts: Sequence[Alert], stored: Iterable[str] = ()
) -> list[Receiver]:
    """Enabled contact points of rung 0, then the units of the alerts' devices and places
    (and of units with groups stored: their resolutions are still told)."""
    found = []
    points = session.execute(
        select(AlertContactPoint)
        .where(AlertContactPoint.enabled.is_(True), AlertContactPoint.escalation_level == 0)
        .order_by(AlertContactPoint.id)
    ).scalars()
    for point in points:
        found.append(
            Receiver(
                point.id, contacts.reach_of(session, point.org_code),
                tuple(point.group_by) or contacts.DEFAULT_GROUP_BY, point,
                tuple(Matcher.parse(m) for m in point.matchers),
            )
        )  # fmt: skip
    units = {code for a in alerts for code in (a.row.org_code, a.row.area_code) if code}
    units |= {r.removeprefix(UNIT_PREFIX) for r in stored if r.startswith(UNIT_PREFIX)}
    found += [Receiver(UNIT_PREFIX + c, c, contacts.DEFAULT_GROUP_BY) for c in sorted(units)]
    return found


def destinations(session: Session, receiver: Receiver) -> list[Destination]:
    """Where a receiver's messages go: its contact point's destination, or the e-mail of
    each active officer of its unit."""
    if receiver.contact is not None:
        point = receiver.contact
        return [Destination(point.channel, contacts.destination_of(point), point.org_code)]
    people = notify.recipients(session, [receiver.reach or ""], UNIT_ROLES)
    return [Destination("email", p.email or "", p.org_code) for p in people]


def _group(row: AlertGroupState, policy: GroupPolicy) -> AlertGroup:
    return AlertGroup(
        key=engine.as_labels(row.labels),
        policy=policy,
        created_at=row.created_at.timestamp(),
        flushed_at=ts(row.flushed_at),
        notified=tuple((fp, cast(State, state)) for fp, state in row.notified),
    )


def _state_row(session: Session, receiver: str, group: AlertGroup) -> AlertGroupState:
    row = AlertGroupState(
        id=new_id(), receiver=receiver, group_key=engine.fingerprint(group.key),
        labels=dict(group.key), created_at=datetime.fromtimestamp(group.created_at, UTC),
        flushed_at=None, notified=[],
    )  # fmt: skip
    session.add(row)
    return row


def _send(
    session: Session,
    receiver: Receiver,
    note: Notification,
    rows: Mapping[int, AlertInstance],
    reference: str,
    now: datetime,
) -> int:
    """Queue one group notification to each of the receiver's destinations."""
    subject, body = notices.compose_group(session, note, rows, get_settings().public_url)
    found = destinations(session, receiver)
    for to in found:
        notify.enqueue(session, to.channel, to.address, subject, body, PURPOSE, reference,
                       org_code=to.org_code, now=now)  # fmt: skip
    if not found:
        log.warning("alert notification: nobody to tell", extra={"receiver": receiver.id})
    return len(found)


def _apply(
    session: Session,
    receiver: Receiver,
    groups: Sequence[AlertGroup],
    mine: Sequence[Alert],
    stored: Sequence[AlertGroupState],
    now: datetime,
) -> int:
    """Queue a receiver's due notifications and store its groups (those left without
    members are dropped)."""
    rows = {id(a.state): a.row for a in mine}
    by_key = {r.group_key: r for r in stored}
    due = {n.key: n for n in engine.due_notifications(groups, now.timestamp())}
    queued = 0
    for group in groups:
        state_row = by_key.pop(engine.fingerprint(group.key), None)
        if state_row is None:
            state_row = _state_row(session, receiver.id, group)
        note = due.get(group.key)
        if note is not None:
            queued += _send(session, receiver, note, rows, state_row.id, now)
            group = engine.mark_sent(group, note)
        state_row.flushed_at = dt(group.flushed_at)
        state_row.notified = [[fp, state] for fp, state in group.notified]
    for gone in by_key.values():
        session.delete(gone)
    session.flush()
    return queued


def _route_receiver(
    session: Session,
    receiver: Receiver,
    alerts: Sequence[Alert],
    stored: Sequence[AlertGroupState],
    silences: Sequence[engine.Silence],
    now: datetime,
) -> int:
    """Regroup one receiver's alerts (pure), then, when it has groups, queue what is due in
    a savepoint of its own."""
    policy = receiver.policy
    mine = [a for a in alerts if receiver.takes(a)]
    previous = [_group(r, policy) for r in stored]
    groups = engine.regroup(previous, [a.state for a in mine], policy, now.timestamp(), silences)
    if not groups and not stored:
        return 0
    with session.begin_nested():
        return _apply(session, receiver, groups, mine, stored, now)


def route(session: Session, now: datetime) -> int:
    """Regroup every receiver's alerts at ``now`` and queue the notifications due; returns
    how many messages were queued. A receiver that fails is logged and tried again next
    time (its savepoint undone), the others go on."""
    _lock(session)
    stored = _stored(session)
    notified = {fp for rows in stored.values() for r in rows for fp, _ in r.notified}
    alerts = load_alerts(session, notified)
    silences = active_silences(session, now)
    queued = 0
    current = receivers(session, alerts, stored)
    for receiver in current:
        try:
            mine = stored.get(receiver.id, [])
            queued += _route_receiver(session, receiver, alerts, mine, silences, now)
        except Exception:
            log.exception("alert notification failed", extra={"receiver": receiver.id})
    _forget(session, stored, {r.id for r in current})
    session.flush()
    return queued


def _forget(session: Session, stored: Mapping[str, list[AlertGroupState]], live: set[str]) -> None:
    """Drop the groups of receivers that are gone (a contact point disabled)."""
    for receiver, rows in stored.items():
        if receiver not in live:
            for row in rows:
                session.delete(row)


# --- wiring -------------------------------------------------------------------------------


def on_transitions(event: events.Event) -> None:
    """Handler of ``alerts.transitions``: route when a transition notifies, inside a
    savepoint of the evaluating transaction."""
    stored: list[Stored] = event.payload["stored"]
    if not any(s.transition.notifies for s in stored):
        return
    session: Session = event.payload["session"]
    with session.begin_nested():
        route(session, event.payload["now"])


def on_round(event: events.Event) -> None:
    """Handler of ``alerts.round``: what group_interval and repeat_interval made due."""
    session: Session = event.payload["session"]
    with session.begin_nested():
        route(session, event.payload["now"])


def subscribe() -> None:
    """Listen to stored transitions and to the evaluation loop's rounds (idempotent; called
    at start-up by ``app``)."""
    events.subscribe(TRANSITIONS_EVENT, on_transitions)
    events.subscribe(ROUND_EVENT, on_round)


def unsubscribe() -> None:
    """Stop listening (tests)."""
    events.unsubscribe(TRANSITIONS_EVENT, on_transitions)
    events.unsubscribe(ROUND_EVENT, on_round)
