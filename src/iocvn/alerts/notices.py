"""The texts of alert messages (Vietnamese): a group's notification and an escalation notice.

What a message says of an alert: its rule, severity and state, the device and the commune it
stands in, the compared values, since (or until) when, and a link built on
``IOCVN_PUBLIC_URL``. Never personal data — not even who acknowledged (only when). Times are
Vietnam's, ``dd/mm/yyyy HH:MM``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import contacts, engine
from iocvn.alerts import messages_notify as _messages  # noqa: F401  (registers the texts)
from iocvn.alerts.engine import AlertState, Notification
from iocvn.alerts.models_rules import AlertInstance, AlertTransition
from iocvn.core.i18n import t
from iocvn.core.numbers import editable_number
from iocvn.core.timeutil import format_datetime
from iocvn.org.models import OrgUnit

ALERT_PATH = "/alerts/"  # the alert's page: state, history, acknowledge, draft a warning


def severity_text(severity: str) -> str:
    """The severity in Vietnamese: Nghiêm trọng, Cảnh báo, Thông tin."""
    return t(f"alert.severity.{severity}")


def duration(seconds: float) -> str:
    """A wait in words: ``15 phút``, ``1 giờ 5 phút`` (at least one minute)."""
    minutes = max(int(seconds // 60), 1)
    hours, minutes = divmod(minutes, 60)
    parts = [t("alert.duration.hours", n=hours)] if hours else []
    if minutes or not hours:
        parts.append(t("alert.duration.minutes", n=minutes))
    return " ".join(parts)


def alert_url(base_url: str, row: AlertInstance) -> str:
    """The link to an alert."""
    return f"{base_url.rstrip('/')}{ALERT_PATH}{row.id}"


def _values(row: AlertInstance) -> str:
    shown = [
        f"{name} = {editable_number(value)}"
        if value is not None
        else f"{name}: " + t("alert.notify.no_value")
        for name, value in sorted(row.values.items())
    ]
    return "; ".join(shown) or t("alert.notify.no_value")


def _resolved_at(session: Session, row: AlertInstance) -> datetime | None:
    return session.execute(
        select(AlertTransition.at)
        .where(AlertTransition.instance_id == row.id, AlertTransition.to_state == "resolved")
        .order_by(AlertTransition.at.desc())
        .limit(1)
    ).scalar_one_or_none()


def describe(session: Session, row: AlertInstance, base_url: str) -> list[str]:
    """The lines telling one alert: rule, severity and state, device and place, values,
    since (or until) when, and its link."""
    labels = dict(row.labels)
    severity = severity_text(labels.get("severity", "info"))
    lines = [
        t("alert.notify.line", severity=severity, name=labels.get("alertname", ""),
          state=t(f"alert.notify.state.{row.state}"))
    ]  # fmt: skip
    if row.device:
        place = session.get(OrgUnit, row.area_code) if row.area_code else None
        if place is None:
            lines.append(t("alert.notify.device", device=row.device))
        else:
            lines.append(t("alert.notify.device_at", device=row.device, place=place.name))
    lines.append(t("alert.notify.value", values=_values(row)))
    if row.state in engine.ACTIVE:
        lines.append(t("alert.notify.since", at=format_datetime(row.active_since or row.since)))
        if row.acknowledged_at is not None:
            lines.append(t("alert.notify.acknowledged", at=format_datetime(row.acknowledged_at)))
    else:
        ended = _resolved_at(session, row) or row.since
        lines.append(t("alert.notify.ended", at=format_datetime(ended)))
    lines.append(t("alert.notify.link", url=alert_url(base_url, row)))
    return lines


def _by_severity(alerts: Iterable[AlertState]) -> list[AlertState]:
    def rank(alert: AlertState) -> tuple[int, str]:
        labels = dict(alert.labels)
        return -contacts.SEVERITY_RANK.get(labels.get("severity", ""), 0), alert.rule.name

    return sorted(alerts, key=rank)


def compose_group(
    session: Session, note: Notification, rows: Mapping[int, AlertInstance], base_url: str
) -> tuple[str, str]:
    """Subject and body (Vietnamese) of one group notification; ``rows``: each alert's row
    by ``id()`` of its state."""
    firing, resolved = _by_severity(note.firing), _by_severity(note.resolved)
    first = (firing or resolved)[0]
    others = len(firing) + len(resolved) - 1
    more = t("alert.notify.more", n=others) if others else ""
    if firing:
        worst = dict(first.labels).get("severity", "info")
        subject = t("alert.notify.subject.firing", severity=severity_text(worst),
                    name=first.rule.name, more=more)  # fmt: skip
    else:
        subject = t("alert.notify.subject.resolved", name=first.rule.name, more=more)
    lines = [t("alert.notify.repeat"), ""] if note.reason == "repeat" else []
    for heading, members in (("firing", firing), ("resolved", resolved)):
        if members:
            lines.append(t(f"alert.notify.heading.{heading}", n=len(members)))
            for alert in members:
                lines += describe(session, rows[id(alert)], base_url)
            lines.append("")
    lines.append(t("alert.notify.footer"))
    return subject, "\n".join(lines) + "\n"


def compose_escalation(
    session: Session, row: AlertInstance, rung: str, waited_s: float, base_url: str
) -> tuple[str, str]:
    """Subject and body (Vietnamese) of the notice that ``row`` climbed to ``rung``
    (``commune``, ``province``, ``leadership``) after ``waited_s`` unacknowledged."""
    labels = dict(row.labels)
    waited, whom = duration(waited_s), t(f"alert.escalation.rung.{rung}")
    subject = t("alert.escalation.subject", waited=waited, rung=whom,
                name=labels.get("alertname", ""))  # fmt: skip
    lines = [t("alert.escalation.body", waited=waited, rung=whom), ""]
    lines += describe(session, row, base_url)
    lines += ["", t("alert.escalation.action", url=alert_url(base_url, row)), "",
              t("alert.notify.footer")]  # fmt: skip
    return subject, "\n".join(lines) + "\n"
