"""Deliver the due notifications through the notifiers and record every outcome: a message
is ``sent`` only when its channel took it.

``deliver_due`` is a job: given a session factory it claims a batch in one short transaction
(PostgreSQL: ``FOR UPDATE SKIP LOCKED``, so several servers deliver side by side without
sending twice), sends outside any transaction, and records each outcome in its own
transaction. Sending must not happen while holding row locks: a slow relay would block every
other writer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session, sessionmaker

from iocvn.config import get_settings
from iocvn.core.crypto import decrypt
from iocvn.core.errors import IocError
from iocvn.core.timeutil import utcnow
from iocvn.notify import plugins
from iocvn.notify.hooks import DeliveryError, Message, Notifier
from iocvn.notify.models import Notification

log = logging.getLogger("iocvn.notify")

DUE = ("pending", "failed")
FIRST_DELAY = timedelta(minutes=1)
BACKOFF_FACTOR = 5
LONGEST_DELAY = timedelta(days=1)
# A claimed message still "sending" this long after its claim was interrupted (a crash, a
# restart): it is failed with that reason and retried, since nobody knows whether it left.
LEASE = timedelta(minutes=5)
BATCH = 100
INTERRUPTED = "interrupted while sending (restart or crash): delivery unknown, will retry"

Sessions = sessionmaker[Session] | Session


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 min, 5, 25, 125 … (≤ one day)."""
    factor: int = BACKOFF_FACTOR ** min(max(attempts - 1, 0), 10)  # 5**10 min ≫ a day
    return min(FIRST_DELAY * factor, LONGEST_DELAY)


@dataclass
class DeliveryReport:
    """What one ``deliver_due`` run did."""

    sent: int = 0
    failed: int = 0
    dead: int = 0

    @property
    def attempted(self) -> int:
        """Messages whose outcome this run recorded."""
        return self.sent + self.failed + self.dead


@dataclass(frozen=True)
class _Claimed:
    """A message taken for sending, or the reason it cannot even be tried."""

    id: str
    message: Message | None
    error: str | None = None


@contextmanager
def _unit(sessions: Sessions) -> Iterator[Session]:
    """One step's transaction: its own (committed) from a factory, or the caller's (flushed)."""
    if isinstance(sessions, Session):
        yield sessions
        sessions.flush()
        return
    session = sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def deliver_due(
    sessions: Sessions,
    now: datetime | None = None,
    *,
    notifiers: Mapping[str, Notifier] | None = None,
    limit: int = BATCH,
) -> DeliveryReport:
    """Send the messages that are due through their channel's notifier; record each outcome.

    ``sessions`` is a session factory (the background loop, the CLI: each step commits on its
    own) or a session (tests, callers with a transaction of their own: flushed only).
    ``notifiers`` defaults to the configured plugins (``iocvn.notify.plugins``).
    """
    clock = now or utcnow()
    settings = get_settings()
    channels = plugins.notifiers(settings) if notifiers is None else notifiers
    report = DeliveryReport()
    with _unit(sessions) as session:
        _recover(session, clock, report)
        claimed = _claim(session, clock, limit, settings.data_keys)
    for item in claimed:
        provider_id, error = _attempt(item, channels)
        with _unit(sessions) as session:
            _record(session, item, provider_id, error, clock, report)
    return report


def _due(statuses: Sequence[str], clock: datetime, limit: int) -> Select[Notification]:
    return (
        select(Notification)
        .where(Notification.status.in_(list(statuses)), Notification.next_attempt_at <= clock)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def _recover(session: Session, clock: datetime, report: DeliveryReport) -> None:
    """Messages whose sender vanished mid-send (lease over) fail visibly and are retried."""
    for row in session.execute(_due(("sending",), clock, BATCH)).scalars():
        _fail(row, INTERRUPTED, clock, report)
    session.flush()


def _claim(session: Session, clock: datetime, limit: int, keys: str) -> list[_Claimed]:
    """Take due messages for this deliverer: status ``sending``, one more attempt counted."""
    claimed: list[_Claimed] = []
    for row in list(session.execute(_due(DUE, clock, limit)).scalars()):
        # Conditional on the state just read: another deliverer that got there first wins.
        taken = session.execute(
            update(Notification)
            .where(
                Notification.id == row.id,
                Notification.status == row.status,
                Notification.attempts == row.attempts,
            )
            .values(
                status="sending",
                attempts=row.attempts + 1,
                next_attempt_at=clock + LEASE,
                updated_at=clock,
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            continue
        try:
            destination = decrypt(row.destination, keys)
        except IocError:
            claimed.append(_Claimed(row.id, None, "cannot decrypt the destination (data keys)"))
            continue
        message = Message(
            id=row.id,
            channel=row.channel,
            destination=destination,
            subject=row.subject,
            body=row.body,
            purpose=row.purpose,
            reference=row.reference,
        )
        claimed.append(_Claimed(row.id, message))
    session.expire_all()  # the rows were changed behind the ORM's back
    return claimed


def _attempt(item: _Claimed, channels: Mapping[str, Notifier]) -> tuple[str | None, str | None]:
    """Hand one message to its notifier: ``(provider id, None)`` or ``(None, error)``."""
    if item.message is None:
        return None, item.error or "undeliverable"
    notifier = channels.get(item.message.channel)
    if notifier is None:
        return None, f"no notifier for channel {item.message.channel}"
    try:
        provider_id = notifier.send(item.message)
    except DeliveryError as exc:
        return None, str(exc) or type(exc).__name__
    except Exception as exc:  # a plugin's bug is a failed delivery, not a crashed loop
        log.exception("notifier raised", extra={"channel": item.message.channel})
        return None, f"{type(exc).__name__}: {exc}"
    return (str(provider_id)[:200] if provider_id else None), None


def _scrub(error: str, message: Message | None, masked: str) -> str:
    """An error text safe to store: the plaintext address replaced by its masked form."""
    text = " ".join(error.split())
    if message is not None:
        for plain in {message.destination, message.destination.strip().lower()}:
            if plain:
                text = text.replace(plain, masked)
    return text[:2000]


def _record(
    session: Session,
    item: _Claimed,
    provider_id: str | None,
    error: str | None,
    clock: datetime,
    report: DeliveryReport,
) -> None:
    row = session.get(Notification, item.id, populate_existing=True)
    if row is None or row.status != "sending":  # recovered meanwhile: that already counted
        log.warning("notification changed while sending", extra={"notification": item.id})
        return
    if error is None:
        row.status = "sent"
        row.sent_at = clock
        row.provider_id = provider_id
        row.next_attempt_at = None
        row.last_error = None
        report.sent += 1
        log.info("notification sent", extra={"notification": row.id, "channel": row.channel})
    else:
        _fail(row, _scrub(error, item.message, row.destination_masked), clock, report)
    session.flush()


def _fail(row: Notification, error: str, clock: datetime, report: DeliveryReport) -> None:
    """Record a failed attempt: retried after the back-off, or dead after the last one."""
    row.last_error = error
    row.updated_at = clock
    if row.attempts >= row.max_attempts:
        row.status = "dead"
        row.next_attempt_at = None
        report.dead += 1
        log.error(
            "notification dead",
            extra={"notification": row.id, "channel": row.channel, "error": error},
        )
    else:
        row.status = "failed"
        row.next_attempt_at = clock + backoff(row.attempts)
        report.failed += 1
        log.warning(
            "notification failed",
            extra={"notification": row.id, "channel": row.channel, "error": error},
        )
