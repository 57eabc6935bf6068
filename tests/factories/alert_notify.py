"""Builders for alert notification and escalation tests: Lạng Sơn's staff with work e-mails,
two Kỳ Cùng gauges of the province standing in Phường Đông Kinh with the same flood rule,
contact points, and the queued messages read back."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from iocvn.alerts import contacts
from iocvn.alerts.models_notify import AlertContactPoint
from iocvn.alerts.models_rules import AlertInstance
from iocvn.auth import service as users
from iocvn.config import get_settings
from iocvn.core.crypto import decrypt
from iocvn.notify.models import Notification
from iocvn.sensors import directory
from iocvn.sensors.models import Device
from tests.factories.alerts import rule
from tests.factories.auth import ADMIN_ACTOR
from tests.factories.sensors import ACTOR, device, units

PUBLIC_URL = "https://ioc.langson.gov.vn"
NAME = "Mực nước sông Kỳ Cùng vượt báo động 1"
# username: (role, unit, work e-mail). Kỳ Lừa's officer and the accountless must never hear.
PEOPLE = {
    "dieuhanh.ioc": ("operator", "20", "dieuhanh@langson.gov.vn"),
    "lanhdao.tinh": ("leader", "20", "lanhdao@langson.gov.vn"),
    "canbo.dongkinh": ("commune_officer", "05977", "canbo.dk@langson.gov.vn"),
    "canbo.kylua": ("commune_officer", "06187", "canbo.kl@langson.gov.vn"),
    "xem.tinh": ("viewer", "20", "xem@langson.gov.vn"),
}
IOC, LEADER, COMMUNE = (
    "dieuhanh@langson.gov.vn",
    "lanhdao@langson.gov.vn",
    "canbo.dk@langson.gov.vn",
)
DUTY = "truc.ioc@langson.gov.vn"  # the IOC's duty mailbox, a contact point


def flood(session: Session, *, for_s: float = 0, **rule_fields: Any) -> Session:
    """Units, staff, gauges KC-LS-01 and KC-LS-02 (the province's, standing in Đông Kinh)
    and the rule ``currentLevel > 3`` on each (same name: one alertname)."""
    units(session)
    for username, (role, org, email) in PEOPLE.items():
        users.create_user(
            session, ADMIN_ACTOR, users.NewUser(username, role, org, None, username.title(), email)
        )
    for code in ("KC-LS-01", "KC-LS-02"):
        device(session, code)
    session.execute(update(Device).values(area_code="05977"))
    session.commit()
    directory.invalidate()
    for code in ("KC-LS-01", "KC-LS-02"):
        rule(session, device=code, for_s=for_s, **rule_fields)
    return session


def contact(
    session: Session,
    channel: str,
    destination: str,
    *,
    org: str = "20",
    levels: int = 3,
    **fields: Any,
) -> AlertContactPoint:
    """A contact point stored through the service (committed)."""
    spec = contacts.ContactPointSpec(name=f"{channel} {destination[:20]}", channel=channel,
                                     destination=destination, **fields)  # fmt: skip
    row = contacts.create_contact_point(session, ACTOR, spec, levels, org)
    session.commit()
    return row


def queued(session: Session, purpose: str | None = None) -> list[Notification]:
    """Queued messages (of ``purpose``), oldest first."""
    session.expire_all()
    query = select(Notification).order_by(Notification.created_at, Notification.id)
    if purpose is not None:
        query = query.where(Notification.purpose == purpose)
    return list(session.execute(query).scalars())


def address(row: Notification) -> str:
    """A message's destination in clear."""
    return decrypt(row.destination, get_settings().data_keys)


def recipients(rows: list[Notification]) -> Counter[tuple[str, str]]:
    """How many messages each (channel, address) got."""
    return Counter((r.channel, address(r)) for r in rows)


def alert(session: Session, code: str = "KC-LS-01") -> AlertInstance:
    """The alert of a gauge."""
    session.expire_all()
    return session.execute(select(AlertInstance).where(AlertInstance.device == code)).scalar_one()
