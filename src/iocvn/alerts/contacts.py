"""Contact points of alerts (điểm nhận thông báo): where alert notifications and escalation
notices go, and which alerts each one takes. Create, list and disable them (audited in the
caller's transaction; services flush, never commit).

A contact point has a channel (``email``, ``sms``, ``webhook`` or a plugin's) and one
destination, stored encrypted like the outbox's (``core.crypto`` with ``IOCVN_DATA_KEYS``)
and shown masked; label ``matchers`` (none: every alert) and a minimum severity; the rung of
the escalation ladder it belongs to (0: the ordinary, grouped notification); and its unit: a
contact point of a commune or an agency takes only the alerts of that unit's devices or of
devices standing in it, one of the province takes every alert.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NoReturn
from urllib.parse import urlsplit

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from iocvn.alerts import engine
from iocvn.alerts import messages_notify as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine_groups import ALL_LABELS
from iocvn.alerts.models_notify import AlertContactPoint
from iocvn.alerts.models_rules import AlertInstance
from iocvn.audit.service import record
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core import pii, rekey
from iocvn.core.context import Actor
from iocvn.core.crypto import decrypt, encrypt
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.ids import new_id
from iocvn.notify import webhook
from iocvn.notify.addresses import mask
from iocvn.notify.sms import e164
from iocvn.org.models import OrgUnit

#: Contact points' destinations as stored (encrypted), for a re-key.
ENCRYPTED = (rekey.Encrypted(AlertContactPoint, "destination", "fernet"),)

SEVERITY_RANK = {"info": 0, "warning": 1, "critical": 2}
DEFAULT_GROUP_BY = ("alertname", "scenario")
_CHANNEL = re.compile(r"^[a-z][a-z0-9_-]{1,31}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LABEL = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _invalid(problem: str) -> NoReturn:
    raise Invalid("alert_contact_point_invalid", details={"problem": problem}, problem=problem)


@dataclass(frozen=True)
class ContactPointSpec:
    """A contact point as the API takes it."""

    name: str
    channel: str
    destination: str
    matchers: Sequence[str] = ()
    min_severity: str = "info"
    group_by: Sequence[str] = ()
    escalation_level: int = 0


def check_destination(channel: str, destination: str) -> str:
    """The destination as stored for ``channel`` (422 ``alert_contact_point_invalid`` when it
    is not an address of that channel)."""
    value = destination.strip()
    if not value or len(value) > 500:
        _invalid("a destination of at most 500 characters is needed")
    if channel == "email":
        value = pii.normalise_email(value)
        if not _EMAIL.match(value):
            _invalid("an e-mail address is needed")
    elif channel == "sms":
        try:
            e164(value)
        except ValueError:
            _invalid("a phone number is needed")
    elif channel == "webhook":
        _check_webhook(value)
    return value


def _check_webhook(url: str) -> None:
    if not webhook.allowed(url, frozenset({"*"})):
        _invalid("an http:// or https:// URL is needed")
    if not webhook.allowed(url, webhook.hosts(get_settings().webhook_hosts)):
        _invalid("the webhook's host is not in IOCVN_WEBHOOK_HOSTS")


def masked(channel: str, destination: str) -> str:
    """The destination as people see it: ``h***@example.vn``, ``09******67``, a webhook's
    scheme and host only (its path or query may hold a token)."""
    if channel == "webhook":
        parts = urlsplit(destination)
        return f"{parts.scheme}://{webhook.host_of(destination)}/***"[:200]
    return mask(destination)[:200]


def _checked(spec: ContactPointSpec, levels: int) -> tuple[list[str], list[str]]:
    """The spec's matchers and group_by as stored, after the checks."""
    if not spec.name or len(spec.name) > 200:
        _invalid("a name of at most 200 characters is needed")
    if not _CHANNEL.match(spec.channel):
        _invalid("a channel is a short lower-case name: email, sms, webhook…")
    if spec.min_severity not in SEVERITY_RANK:
        _invalid("min_severity is info, warning or critical")
    if not 0 <= spec.escalation_level < levels:
        _invalid(f"escalation_level is a rung of the ladder: 0 to {levels - 1}")
    matchers = [m.strip() for m in spec.matchers]
    for text in matchers:
        engine.Matcher.parse(text)  # 422 alert_matcher_invalid
    group_by = [g.strip() for g in spec.group_by] or list(DEFAULT_GROUP_BY)
    if not all(_LABEL.match(g) or g == ALL_LABELS for g in group_by):
        _invalid('group_by lists label names (or "...": every alert alone)')
    return matchers, group_by


def create_contact_point(
    session: Session, actor: Actor, spec: ContactPointSpec, levels: int, org_code: str
) -> AlertContactPoint:
    """Store a contact point of unit ``org_code`` on a ladder of ``levels`` rungs (audited
    ``alert.contact_point.create``)."""
    spec = replace(spec, name=spec.name.strip(), channel=spec.channel.strip().lower())
    channel = spec.channel
    matchers, group_by = _checked(spec, levels)
    destination = check_destination(channel, spec.destination)
    row = AlertContactPoint(
        id=new_id(),
        name=spec.name,
        channel=channel,
        destination=encrypt(destination, get_settings().data_keys),
        destination_masked=masked(channel, destination),
        matchers=matchers,
        min_severity=spec.min_severity,
        group_by=group_by,
        escalation_level=spec.escalation_level,
        org_code=org_code,
        enabled=True,
        created_by=actor.name,
    )
    session.add(row)
    session.flush()
    record(session, actor, "alert.contact_point.create", target_type="alert_contact_point",
           target_id=row.id, after=row.snapshot())  # fmt: skip
    return row


def _scoped(scope: OrgScope | None) -> ColumnElement[bool]:
    if scope is None or scope.is_province:
        return true()
    return AlertContactPoint.org_code == scope.org_code


def list_contact_points(
    session: Session, scope: OrgScope | None, *, enabled: bool | None = None
) -> list[AlertContactPoint]:
    """Contact points in the caller's scope (the province: all; a unit: its own), by rung
    then name."""
    query = select(AlertContactPoint).where(_scoped(scope))
    if enabled is not None:
        query = query.where(AlertContactPoint.enabled == enabled)
    query = query.order_by(
        AlertContactPoint.escalation_level, AlertContactPoint.name, AlertContactPoint.id
    )
    return list(session.execute(query).scalars())


def get_contact_point(
    session: Session, contact_id: str, scope: OrgScope | None
) -> AlertContactPoint:
    """One contact point in the caller's scope (404 ``alert_contact_point_not_found``)."""
    query = select(AlertContactPoint).where(AlertContactPoint.id == contact_id, _scoped(scope))
    row = session.execute(query).scalar_one_or_none()
    if row is None:
        raise NotFound("alert_contact_point_not_found")
    return row


def disable_contact_point(
    session: Session, actor: Actor, row: AlertContactPoint
) -> AlertContactPoint:
    """Stop sending to a contact point (audited ``alert.contact_point.disable``; 409
    ``alert_contact_point_disabled`` twice)."""
    if not row.enabled:
        raise Conflict("alert_contact_point_disabled")
    before = row.snapshot()
    row.enabled = False
    session.flush()
    record(session, actor, "alert.contact_point.disable", target_type="alert_contact_point",
           target_id=row.id, before=before, after=row.snapshot())  # fmt: skip
    return row


def destination_of(row: AlertContactPoint) -> str:
    """A contact point's destination in clear (in memory only, to queue a message)."""
    return decrypt(row.destination, get_settings().data_keys)


# --- which alerts a receiver takes --------------------------------------------------------


def reach_of(session: Session, org_code: str) -> str | None:
    """The unit whose alerts a receiver of ``org_code`` takes: None (every alert) for the
    province, else the unit itself."""
    unit = session.get(OrgUnit, org_code)
    return None if unit is not None and unit.level == "province" else org_code


def in_reach(reach: str | None, row: AlertInstance) -> bool:
    """Whether an alert is within a receiver's reach: its device belongs to the unit or
    stands in it (None: the whole province)."""
    return reach is None or reach in (row.org_code, row.area_code)


def takes(
    contact: AlertContactPoint, matchers: Sequence[engine.Matcher], labels: engine.Labels
) -> bool:
    """Whether a contact point takes an alert with these labels (severity and matchers)."""
    severity = dict(labels).get("severity", "info")
    if SEVERITY_RANK.get(severity, 0) < SEVERITY_RANK.get(contact.min_severity, 0):
        return False
    return engine.matches_all(matchers, labels)
