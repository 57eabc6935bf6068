"""Silences (tạm tắt) on the database: time-boxed label matchers with a reason that mute
notifications and escalation of the alerts they match — never their states. Every change is
audited in the caller's transaction; services flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import engine
from iocvn.alerts import messages_rules as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine import Matcher
from iocvn.alerts.models_rules import AlertSilence
from iocvn.audit.service import record
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid, NotFound
from iocvn.core.ids import new_id

MAX_SILENCE = timedelta(days=31)  # a silence is time-boxed: at most a month


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
