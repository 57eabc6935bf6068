"""Queue notifications, list them for operators, retry on an operator's word.

``enqueue`` and ``retry`` run in the caller's transaction (flush, never commit); an upper
domain queues its messages in the same transaction as the change they announce. Sending is
``iocvn.notify.delivery``'s job.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, true
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.models import User
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core import rekey
from iocvn.core.context import Actor
from iocvn.core.crypto import encrypt
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.timeutil import utcnow
from iocvn.notify.addresses import lookup_hashes, mask, normalise
from iocvn.notify.models import MAX_ATTEMPTS, STATUSES, Notification

#: Destinations as stored (encrypted, with a keyed hash to find them), for a re-key.
ENCRYPTED = (
    rekey.Encrypted(
        Notification,
        "destination",
        "fernet",
        index="destination_hash",
        reads=("channel",),
        index_of=lambda address, row, keys: lookup_hashes(row["channel"], address, keys)[0],
    ),
)

log = logging.getLogger("iocvn.notify")

ATTENTION = ("pending", "sending", "failed", "dead")  # what the operators' page lists


def _one_line(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def enqueue(
    session: Session,
    channel: str,
    destination: str,
    subject: str,
    body: str,
    purpose: str,
    reference: str = "",
    *,
    org_code: str | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    now: datetime | None = None,
) -> Notification:
    """Queue one message for delivery as soon as a deliverer runs (flushes, never commits).

    The destination is stored encrypted, with a keyed hash and a masked form beside it.
    """
    channel = channel.strip().lower()
    address = destination.strip()
    if not channel or len(channel) > 32 or not address or not purpose or max_attempts < 1:
        raise Invalid("notification_invalid", details={"channel": channel, "purpose": purpose})
    if any(c.isspace() for c in address) and channel == "email":
        raise Invalid("notification_invalid", details={"destination": mask(address)})
    keys = get_settings().data_keys
    canonical = normalise(channel, address)
    row = Notification(
        channel=channel,
        destination=encrypt(address, keys),
        destination_hash=lookup_hashes(channel, address, keys)[0],
        destination_masked=mask(canonical)[:200],
        subject=_one_line(subject, 300),
        body=body,
        purpose=purpose[:64],
        reference=reference[:100],
        org_code=org_code,
        status="pending",
        attempts=0,
        max_attempts=max_attempts,
        next_attempt_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    log.info(
        "notification queued",
        extra={"notification": row.id, "channel": channel, "purpose": row.purpose},
    )
    return row


def recipients(
    session: Session, org_codes: Sequence[str], roles: Sequence[str] | None = None
) -> list[User]:
    """Active accounts of these units that have an e-mail address, by unit then username.

    ``roles``: only accounts with one of these roles (``None``: any role).
    """
    if not org_codes or (roles is not None and not roles):
        return []
    stmt = (
        select(User)
        .where(
            User.org_code.in_(list(org_codes)),
            User.status == "active",
            User.email.is_not(None),
            User.email != "",
        )
        .order_by(User.org_code, User.username)
    )
    if roles is not None:
        stmt = stmt.where(User.role.in_(list(roles)))
    return list(session.execute(stmt).scalars())


def _scope_clause(scope: OrgScope | None) -> ColumnElement[bool]:
    if scope is None:
        return true()
    return scope.area_clause(Notification.org_code) & scope.sector_clause(Notification.org_code)


def _listing(scope: OrgScope | None, statuses: Sequence[str]) -> Select[Notification]:
    return select(Notification).where(_scope_clause(scope), Notification.status.in_(list(statuses)))


def list_notifications(
    session: Session,
    *,
    scope: OrgScope | None = None,
    statuses: Sequence[str] = STATUSES,
    destination: tuple[str, str] | None = None,
    limit: int = 200,
) -> list[Notification]:
    """Notifications in ``scope`` with one of ``statuses``, newest first.

    ``destination`` is ``(channel, address)``: only messages to that address (by keyed hash).
    """
    stmt = _listing(scope, statuses)
    if destination is not None:
        channel, address = destination
        hashes = lookup_hashes(channel, address, get_settings().data_keys)
        stmt = stmt.where(
            Notification.channel == channel, Notification.destination_hash.in_(hashes)
        )
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list(session.execute(stmt).scalars())


def counts(session: Session, *, scope: OrgScope | None = None) -> dict[str, int]:
    """How many notifications are in each status (every status present, zero or not)."""
    stmt = (
        select(Notification.status, func.count())
        .where(_scope_clause(scope))
        .group_by(Notification.status)
    )
    found = {str(status): int(n) for status, n in session.execute(stmt).all()}
    return {status: found.get(status, 0) for status in STATUSES}


def get_notification(
    session: Session, notification_id: str, *, scope: OrgScope | None = None
) -> Notification:
    """One notification in ``scope``, or ``NotFound`` (also when outside the scope)."""
    row = session.execute(
        select(Notification).where(Notification.id == notification_id, _scope_clause(scope))
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("notification_not_found", details={"id": notification_id})
    return row


def summary(row: Notification) -> dict[str, Any]:
    """The audit summary of a notification (the masked destination only)."""
    return {
        "channel": row.channel,
        "destination": row.destination_masked,
        "purpose": row.purpose,
        "status": row.status,
        "attempts": row.attempts,
        "max_attempts": row.max_attempts,
        "last_error": (row.last_error or "")[:200],
    }


def retry(
    session: Session,
    actor: Actor,
    notification_id: str,
    *,
    scope: OrgScope | None = None,
    now: datetime | None = None,
) -> Notification:
    """An operator sends a failed, dead or pending message again now (audited).

    A dead message gets one more attempt; a failed one keeps its remaining attempts.
    """
    row = get_notification(session, notification_id, scope=scope)
    if row.status not in ("pending", "failed", "dead"):
        raise Conflict("notification_not_retryable", state=row.status)
    before = summary(row)
    row.status = "pending"
    row.next_attempt_at = now or utcnow()
    row.max_attempts = max(row.max_attempts, row.attempts + 1)
    session.flush()
    audit.record(
        session,
        actor,
        "notification.retry",
        target_type="notification",
        target_id=row.id,
        before=before,
        after=summary(row),
    )
    return row
