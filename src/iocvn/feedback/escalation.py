"""Escalation notices (thông báo quá hạn): when a case's deadline passes, e-mail the people who
must act, queued through ``notify`` in the escalation's own transaction.

Who is told, by the level the case reaches (``jobs.escalate`` calls this only when the level
rises, so a level is announced once per stage):

- the handling unit's officers (``commune_officer``, ``agency_officer``, ``operator`` of the
  case's unit), when the case first leaves the unit level: their case is overdue;
- the province IOC's operators, on reaching ``ioc`` and again on ``leadership``;
- the province's leaders, on reaching ``leadership``.

Only active accounts with an e-mail address. A message carries the case's code, category,
unit, stage, how late it is and its staff page — never the reporter's personal data nor the
description (which citizens fill with names and phone numbers).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from iocvn.auth.models import User
from iocvn.config import get_settings
from iocvn.core.i18n import register, t
from iocvn.core.timeutil import format_datetime
from iocvn.feedback.models import Feedback, FeedbackCategory
from iocvn.notify import service as notify
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit

log = logging.getLogger("iocvn.feedback")

PURPOSE = "feedback.escalation"
UNIT_ROLES = ("commune_officer", "agency_officer", "operator")
IOC_ROLES = ("operator",)
LEADER_ROLES = ("leader",)

register(
    {
        "fb.escalation_notice.subject": (
            "[IOC] Phản ánh {code} quá hạn {late} — {level}",
            "[IOC] Case {code} overdue by {late} — {level}",
        ),
        "fb.escalation_notice.body": (
            "Phản ánh {code} đã quá hạn {stage} {late} và được {level}.\n\n"
            "- Lĩnh vực: {category}\n"
            "- Đơn vị xử lý: {unit}\n"
            "- Hạn {stage}: {deadline}\n"
            "- Xem phản ánh: {url}\n\n"
            "{action}",
            "Case {code} is overdue for {stage} by {late} and has been {level}.\n\n"
            "- Category: {category}\n"
            "- Handling unit: {unit}\n"
            "- Deadline for {stage}: {deadline}\n"
            "- Open the case: {url}\n\n"
            "{action}",
        ),
        "fb.escalation_notice.footer": (
            "Thư tự động từ Trung tâm giám sát, điều hành thông minh tỉnh.",
            "An automatic message from the provincial IOC.",
        ),
        "fb.escalation_notice.level.ioc": (
            "chuyển Trung tâm IOC theo dõi",
            "escalated to the IOC",
        ),
        "fb.escalation_notice.level.leadership": (
            "chuyển lãnh đạo tỉnh theo dõi",
            "escalated to the province's leaders",
        ),
        "fb.escalation_notice.stage.accept": ("tiếp nhận", "acceptance"),
        "fb.escalation_notice.stage.resolve": ("giải quyết", "resolution"),
        "fb.escalation_notice.action.unit": (
            "Đề nghị đơn vị xử lý ngay, hoặc đề nghị gia hạn nếu có lý do.",
            "Please handle it now, or request an extension if there is a reason.",
        ),
        "fb.escalation_notice.action.ioc": (
            "Đề nghị Trung tâm IOC đôn đốc đơn vị xử lý.",
            "The IOC is asked to follow up with the handling unit.",
        ),
        "fb.escalation_notice.action.leadership": (
            "Kính báo cáo lãnh đạo tỉnh để chỉ đạo.",
            "Reported to the province's leaders for direction.",
        ),
        "fb.escalation_notice.no_category": ("chưa phân loại", "not classified"),
        "fb.escalation_notice.no_unit": ("chưa giao đơn vị", "not assigned yet"),
        "fb.escalation_notice.days": ("{n} ngày", "{n} day(s)"),
        "fb.escalation_notice.hours": ("{n} giờ", "{n} hour(s)"),
        "fb.escalation_notice.minutes": ("{n} phút", "{n} minute(s)"),
    }
)


def lateness(delta: timedelta, lang: str) -> str:
    """How late, in calendar time: ``2 ngày 3 giờ``, ``5 giờ``, ``40 phút`` (at least 1 minute)."""
    minutes = max(int(delta.total_seconds() // 60), 1)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [t("fb.escalation_notice.days", lang, n=days)] if days else []
    if hours:
        parts.append(t("fb.escalation_notice.hours", lang, n=hours))
    if not days and not hours:
        parts.append(t("fb.escalation_notice.minutes", lang, n=minutes))
    return " ".join(parts)


def compose(
    case: Feedback,
    level: str,
    audience: str,
    now: datetime,
    *,
    category: FeedbackCategory | None,
    unit: OrgUnit | None,
    base_url: str = "",
) -> tuple[str, str]:
    """Subject and body (Vietnamese, then English) of the notice to one ``audience``
    (``unit``, ``ioc`` or ``leadership``) that ``case`` reached ``level``."""
    url = f"{base_url.rstrip('/')}/feedback/{case.code}"
    late = now - case.deadline_at if case.deadline_at is not None else timedelta(0)

    def text(key: str, lang: str) -> str:
        if category is None:
            category_name = t("fb.escalation_notice.no_category", lang)
        else:
            english = lang == "en" and category.name_en
            category_name = category.name_en if english else category.name_vi
        return t(
            key, lang, code=case.code, late=lateness(late, lang), url=url, category=category_name,
            unit=unit.name if unit is not None else t("fb.escalation_notice.no_unit", lang),
            level=t(f"fb.escalation_notice.level.{level}", lang),
            stage=t(f"fb.escalation_notice.stage.{case.stage}", lang),
            deadline=format_datetime(case.deadline_at),
            action=t(f"fb.escalation_notice.action.{audience}", lang),
        )  # fmt: skip

    subject = f"{text('fb.escalation_notice.subject', 'vi')} / " + text(
        "fb.escalation_notice.subject", "en"
    ).removeprefix("[IOC] ")
    body = (
        f"{text('fb.escalation_notice.body', 'vi')}\n\n---\n"
        f"{text('fb.escalation_notice.body', 'en')}\n\n"
        f"{t('fb.escalation_notice.footer', 'vi')} / {t('fb.escalation_notice.footer', 'en')}\n"
    )
    return subject, body


def province_of(session: Session, case: Feedback) -> str | None:
    """The province-level unit over the case: its handling unit's or area's, else the home one."""
    code = case.org_code or case.area_code
    found = session.get(OrgUnit, code) if code else None
    if found is None:
        return home_province(session)
    return found.code if found.level == "province" else found.province_code


def audiences(session: Session, case: Feedback, before: str, level: str) -> list[tuple[str, User]]:
    """Who is told that ``case`` went from ``before`` to ``level``, with the audience each one
    is told as: one entry per account and per address, the highest audience first."""
    province = province_of(session, case)
    groups: list[tuple[str, list[User]]] = []
    if province is not None and level == "leadership":
        groups.append(("leadership", notify.recipients(session, [province], LEADER_ROLES)))
    if province is not None and level in ("ioc", "leadership"):
        groups.append(("ioc", notify.recipients(session, [province], IOC_ROLES)))
    if before == "unit" and case.org_code:
        groups.append(("unit", notify.recipients(session, [case.org_code], UNIT_ROLES)))
    chosen: list[tuple[str, User]] = []
    seen: set[str] = set()
    for audience, people in groups:
        for user in people:
            address = (user.email or "").strip().lower()
            if user.id in seen or address in seen:
                continue
            seen.update((user.id, address))
            chosen.append((audience, user))
    return chosen


def queue_notices(
    session: Session, case: Feedback, before: str, level: str, now: datetime,
    base_url: str | None = None,
) -> int:  # fmt: skip
    """Queue the e-mails announcing that ``case`` escalated from ``before`` to ``level``;
    returns how many were queued (a warning is logged when nobody could be told)."""
    people = audiences(session, case, before, level)
    if not people:
        log.warning(
            "escalation notice: nobody with an e-mail to tell",
            extra={"case": case.code, "from": before, "to": level, "org_code": case.org_code},
        )
        return 0
    base_url = get_settings().public_url if base_url is None else base_url
    category = session.get(FeedbackCategory, case.category_code) if case.category_code else None
    unit = session.get(OrgUnit, case.org_code) if case.org_code else None
    for audience, user in people:
        subject, body = compose(
            case, level, audience, now, category=category, unit=unit, base_url=base_url
        )
        notify.enqueue(
            session, "email", user.email or "", subject, body, PURPOSE, case.id,
            org_code=user.org_code, now=now,
        )  # fmt: skip
    return len(people)
