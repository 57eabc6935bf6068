"""Reminder e-mails to the people of late units (đôn đốc báo cáo), queued through ``notify``.

One e-mail per active account with an address in each late unit, listing that unit's late
reports. Queuing happens in the caller's transaction: the reminder and its e-mails are
recorded together or not at all; ``notify`` delivers them and shows failures to operators.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.core import periods
from iocvn.core.timeutil import format_date
from iocvn.indicators.models import Indicator
from iocvn.notify import service as notify

if TYPE_CHECKING:
    from iocvn.indicators.completeness import Expectation

PURPOSE = "indicators.reminder"
MAX_LINES = 50  # a unit late on everything gets the first 50 and a count of the rest


def _period_labels(codes: Sequence[str], lang: str) -> str:
    return ", ".join(periods.label(periods.parse(c), lang) for c in codes)


def compose(
    org_name: str, person: str, items: Sequence[Expectation], names: dict[str, str]
) -> tuple[str, str]:
    """Subject and body (Vietnamese, then English) of one unit's reminder."""
    period_codes = sorted({r.period for r in items})
    subject = (
        f"[IOC] Nhắc báo cáo trễ hạn kỳ {_period_labels(period_codes, 'vi')} / "
        f"Overdue reports for {_period_labels(period_codes, 'en')}"
    )
    lines = [
        f"- {r.indicator_code} — {names.get(r.indicator_code, '')} — "
        f"{periods.label(periods.parse(r.period), 'vi')}, hạn / due {format_date(r.deadline)}"
        for r in items[:MAX_LINES]
    ]
    if len(items) > MAX_LINES:
        lines.append(f"- … {len(items) - MAX_LINES} chỉ số khác / more indicators")
    listing = "\n".join(lines)
    body = (
        f"Kính gửi {person},\n\n"
        f"{org_name} chưa gửi số liệu các chỉ số sau dù đã quá hạn:\n{listing}\n\n"
        "Đề nghị đơn vị nhập số liệu trên hệ thống IOC của tỉnh (mục Nhập số liệu).\n\n"
        "---\n"
        f"Dear {person},\n\n"
        f"{org_name} has not reported the indicators above although they are past due.\n"
        "Please enter the figures in the province's IOC (Data entry).\n\n"
        "Thư tự động từ Trung tâm giám sát, điều hành thông minh tỉnh. / "
        "An automatic message from the provincial IOC.\n"
    )
    return subject, body


def queue_reminders(session: Session, late: Sequence[Expectation]) -> int:
    """Queue the reminder e-mails for the late items; returns how many were queued."""
    overdue = [r for r in late if r.status == "late"]
    units = sorted({r.org_code for r in overdue})
    people = notify.recipients(session, units)
    if not people:
        return 0
    codes = sorted({r.indicator_code for r in overdue})
    rows = session.execute(
        select(Indicator.code, Indicator.name_vi).where(Indicator.code.in_(codes))
    ).all()
    names = {str(code): str(name) for code, name in rows}
    queued = 0
    for user in people:
        items = [r for r in overdue if r.org_code == user.org_code]
        subject, body = compose(items[0].org_name, user.display_name or user.username, items, names)
        notify.enqueue(
            session,
            "email",
            user.email or "",
            subject,
            body,
            PURPOSE,
            ",".join(sorted({r.period for r in items}))[:100],
            org_code=user.org_code,
        )
        queued += 1
    return queued
