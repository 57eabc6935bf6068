"""Extension requests (đề nghị gia hạn): the handling unit asks the IOC for more time before
the deadline, the IOC approves (the clock stands still, :func:`workflow.extend`) or refuses.

Decision 0013: an extension is approved only before the deadline, by whoever set the limit —
the province's IOC. A unit (commune or agency, ``feedback.handle``) asks on a case assigned to
it while it is accepted, assigned or in progress; one request waits at a time. The IOC
(``feedback.triage``, province scope) decides, may approve fewer days than asked, and the
requesting unit is e-mailed the decision. A request still waiting when the case leaves the
unit's hands (resolved, rejected, transferred, merged) lapses (``workflow._lapse_request``).
Every step is an internal timeline event and an audit entry; the approval also writes the
public ``extended`` event. Nothing here checks permissions: the routes do; this module checks
the scope, the state and the case's unit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iocvn.auth.models import User
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Forbidden, Invalid
from iocvn.core.i18n import register, t
from iocvn.core.timeutil import format_datetime, utcnow
from iocvn.feedback import workflow
from iocvn.feedback.cases import MIN_REASON
from iocvn.feedback.escalation import IOC_ROLES, UNIT_ROLES, province_of
from iocvn.feedback.intake import clean_text
from iocvn.feedback.models import ExtensionRequest, Feedback
from iocvn.notify import service as notify
from iocvn.org.models import OrgUnit

log = logging.getLogger("iocvn.feedback")

REQUESTABLE = ("accepted", "assigned", "in_progress")  # a unit is working on the case
PURPOSE = "feedback.extension"

register(
    {
        "fb.step.extension_request": ("Đề nghị gia hạn", "Request an extension"),
        "fb.step.extension_approve": ("Duyệt gia hạn", "Approve the extension"),
        "fb.step.extension_refuse": ("Không duyệt gia hạn", "Refuse the extension"),
        "error.extension_request_by_ioc": (
            "Trung tâm IOC gia hạn trực tiếp (mục «Gia hạn»); đề nghị gia hạn dành cho đơn vị "
            "xử lý.",
            "The IOC extends a case directly (“Extend”); extension requests are for the "
            "handling unit.",
        ),
        "error.extension_decision_by_ioc": (
            "Chỉ Trung tâm IOC cấp tỉnh duyệt hoặc từ chối đề nghị gia hạn.",
            "Only the province's IOC approves or refuses an extension request.",
        ),
        "error.extension_request_pending": (
            "Phản ánh đã có một đề nghị gia hạn {days} ngày làm việc đang chờ IOC xem xét "
            "(gửi lúc {at}): chờ IOC quyết định trước khi gửi đề nghị khác.",
            "The case already has an extension request of {days} working day(s) waiting for "
            "the IOC (sent {at}): wait for the IOC's decision before sending another.",
        ),
        "error.extension_request_sent": (
            "Phản ánh đã có một đề nghị gia hạn đang chờ IOC xem xét.",
            "The case already has an extension request waiting for the IOC.",
        ),
        "error.no_extension_request": (
            "Phản ánh không có đề nghị gia hạn nào đang chờ xem xét.",
            "The case has no extension request waiting for a decision.",
        ),
        "error.extension_reason_required": (
            "Cần nêu lý do (ít nhất {min} ký tự).",
            "State a reason (at least {min} characters).",
        ),
        "error.invalid_approved_days": (
            "Số ngày duyệt từ 1 đến {asked} ngày làm việc (số ngày đơn vị đề nghị).",
            "Approve 1 to {asked} working day(s) (the days the unit asked for).",
        ),
        "fb.extension_notice.subject.approved": (
            "[IOC] Phản ánh {code}: đề nghị gia hạn được chấp thuận",
            "Case {code}: extension approved",
        ),
        "fb.extension_notice.subject.refused": (
            "[IOC] Phản ánh {code}: đề nghị gia hạn không được chấp thuận",
            "Case {code}: extension refused",
        ),
        "fb.extension_notice.body.approved": (
            "Trung tâm IOC đã chấp thuận gia hạn phản ánh {code}: {days} ngày làm việc (đơn vị "
            "đề nghị {asked} ngày).\n\n- Hạn giải quyết mới: {deadline}\n- Lý do đề nghị: "
            "{reason}\n- Ý kiến của IOC: {note}\n- Xem phản ánh: {url}",
            "The IOC approved an extension of case {code}: {days} working day(s) (the unit "
            "asked for {asked}).\n\n- New deadline: {deadline}\n- Reason given: {reason}\n"
            "- The IOC's note: {note}\n- Open the case: {url}",
        ),
        "fb.extension_notice.body.refused": (
            "Trung tâm IOC không chấp thuận đề nghị gia hạn {asked} ngày làm việc của phản ánh "
            "{code}.\n\n- Lý do không chấp thuận: {note}\n- Hạn giải quyết giữ nguyên: "
            "{deadline}\n- Xem phản ánh: {url}\n\nĐề nghị đơn vị xử lý và báo cáo kết quả "
            "trước hạn.",
            "The IOC refused the extension of {asked} working day(s) asked for case {code}.\n\n"
            "- Why: {note}\n- The deadline stays: {deadline}\n- Open the case: {url}\n\n"
            "Please resolve the case and report the result before the deadline.",
        ),
        "fb.extension_notice.subject.pending": (
            "[IOC] Phản ánh {code}: {unit} đề nghị gia hạn {asked} ngày làm việc",
            "Case {code}: {unit} asks for an extension of {asked} working day(s)",
        ),
        "fb.extension_notice.body.pending": (
            "{unit} đề nghị gia hạn phản ánh {code} thêm {asked} ngày làm việc.\n\n- Hạn giải "
            "quyết hiện tại: {deadline}\n- Lý do: {reason}\n- Duyệt hoặc không duyệt trước hạn "
            "(sau hạn không thể gia hạn): {url}",
            "{unit} asks for an extension of case {code} by {asked} working day(s).\n\n"
            "- Current deadline: {deadline}\n- Reason: {reason}\n- Approve or refuse it before "
            "the deadline (no extension is possible after it): {url}",
        ),
        "fb.extension_notice.no_note": ("không có", "none"),
    }
)


def pending(session: Session, case: Feedback) -> ExtensionRequest | None:
    """The case's request waiting for the IOC, if any."""
    return pending_by_case(session, [case.id]).get(case.id)


def pending_by_case(session: Session, ids: Sequence[str]) -> dict[str, ExtensionRequest]:
    """The waiting requests of several cases, by case id, in one query."""
    if not ids:
        return {}
    rows = session.execute(
        select(ExtensionRequest).where(ExtensionRequest.feedback_id.in_(list(ids)),
                                       ExtensionRequest.status == "pending")
    ).scalars()  # fmt: skip
    return {row.feedback_id: row for row in rows}


def pending_case_ids() -> Select[str]:
    """The ids of the cases with a waiting request (a subquery for case lists)."""
    return select(ExtensionRequest.feedback_id).where(ExtensionRequest.status == "pending")


def _reason(text: str | None) -> str:
    """A reason as stored; shorter than ``MIN_REASON`` characters once cleaned is refused."""
    cleaned = clean_text(text or "", workflow.MAX_NOTE)
    if len(cleaned) < MIN_REASON:
        raise Invalid("extension_reason_required", details={"field": "reason"}, min=MIN_REASON)
    return cleaned


def _days(working_days: int) -> int:
    if not 1 <= working_days <= workflow.MAX_EXTENSION_DAYS:
        raise Invalid("invalid_extension", details={"field": "working_days"},
                      max=workflow.MAX_EXTENSION_DAYS)  # fmt: skip
    return working_days


def _before_deadline(case: Feedback, now: datetime) -> None:
    """Decision 0013: a case past its deadline is not extended, so not asked for either."""
    if case.deadline_at is not None and now > case.deadline_at:
        raise Conflict("extension_after_deadline",
                       details={"field": "working_days", "deadline": case.deadline_at.isoformat()},
                       deadline=format_datetime(case.deadline_at))  # fmt: skip


def _waiting(session: Session, case: Feedback) -> ExtensionRequest:
    found = pending(session, case)
    if found is None:
        raise Conflict("no_extension_request", details={"code": case.code})
    return found


def _already(found: ExtensionRequest) -> Conflict:
    return Conflict("extension_request_pending",
                    details={"request": found.id, "working_days": found.working_days},
                    days=found.working_days, at=format_datetime(found.requested_at))  # fmt: skip


def request(
    session: Session, actor: Actor, scope: OrgScope, case: Feedback, *, working_days: int,
    reason: str, now: datetime | None = None,
) -> ExtensionRequest:  # fmt: skip
    """The handling unit asks the IOC for ``working_days`` more, with its reason, before the
    deadline; one request waits at a time (409 ``extension_request_pending``)."""
    now = now or utcnow()
    if scope.is_province:
        raise Forbidden("extension_request_by_ioc")
    workflow._need(case, "extension_request", *REQUESTABLE)
    workflow._own(case, scope)
    found = pending(session, case)
    if found is not None:
        raise _already(found)
    _before_deadline(case, now)
    days = _days(working_days)
    text = _reason(reason)
    row = ExtensionRequest(feedback_id=case.id, status="pending", working_days=days, reason=text,
                           org_code=scope.org_code, requested_by=actor.name, requested_at=now,
                           decision_note="")  # fmt: skip
    session.add(row)
    try:
        session.flush()  # the partial unique index: two requests sent at once, one stored
    except IntegrityError:  # the transaction is spoilt: the request or command rolls it back
        raise Conflict("extension_request_pending", message_key="error.extension_request_sent",
                       details={"code": case.code}) from None  # fmt: skip
    deadline = case.deadline_at.isoformat() if case.deadline_at else None
    workflow._event(session, case, actor, "extension_requested", public=False, text=text,
                    now=now, request=row.id, working_days=days, deadline=deadline)  # fmt: skip
    workflow._audit(session, actor, case, "extension_request", case.status, request=row.id,
                    working_days=days, unit=row.org_code)  # fmt: skip
    tell_ioc(session, case, row)
    session.flush()
    return row


def approve(
    session: Session, actor: Actor, scope: OrgScope, case: Feedback, *,
    working_days: int | None = None, note: str = "", now: datetime | None = None,
) -> ExtensionRequest:  # fmt: skip
    """The IOC approves the waiting request, for the days asked or fewer: the extension itself
    is :func:`workflow.extend` (refused past the deadline); the unit is told."""
    now = now or utcnow()
    if not scope.is_province:
        raise Forbidden("extension_decision_by_ioc")
    found = _waiting(session, case)
    days = found.working_days if working_days is None else working_days
    if not 1 <= days <= found.working_days:
        raise Invalid("invalid_approved_days", details={"field": "working_days"},
                      asked=found.working_days)  # fmt: skip
    remark = clean_text(note, workflow.MAX_NOTE)
    old = case.deadline_at
    # The public "extended" event says why: the IOC's note, else the unit's reason.
    workflow.extend(session, actor, case, working_days=days, reason=remark or found.reason,
                    now=now)  # fmt: skip
    found.status, found.decided_by, found.decided_at = "approved", actor.name, now
    found.approved_days, found.decision_note = days, remark
    deadline = case.deadline_at.isoformat() if case.deadline_at else None
    workflow._event(session, case, actor, "extension_approved", public=False, text=remark,
                    now=now, request=found.id, asked=found.working_days, working_days=days,
                    unit=found.org_code, deadline=deadline)  # fmt: skip
    workflow._audit(session, actor, case, "extension_approve", case.status, request=found.id,
                    asked=found.working_days, working_days=days, unit=found.org_code,
                    old_deadline=old.isoformat() if old else None, deadline=deadline)  # fmt: skip
    tell_unit(session, case, found)
    session.flush()
    return found


def refuse(
    session: Session, actor: Actor, scope: OrgScope, case: Feedback, *, reason: str,
    now: datetime | None = None,
) -> ExtensionRequest:  # fmt: skip
    """The IOC refuses the waiting request with its reason; the deadline stays, the unit is
    told. Also after the deadline (the request then cannot be approved)."""
    now = now or utcnow()
    if not scope.is_province:
        raise Forbidden("extension_decision_by_ioc")
    found = _waiting(session, case)
    text = _reason(reason)
    found.status, found.decided_by, found.decided_at = "refused", actor.name, now
    found.decision_note = text
    workflow._event(session, case, actor, "extension_refused", public=False, text=text, now=now,
                    request=found.id, asked=found.working_days, unit=found.org_code)  # fmt: skip
    workflow._audit(session, actor, case, "extension_refuse", case.status, request=found.id,
                    asked=found.working_days, unit=found.org_code)  # fmt: skip
    tell_unit(session, case, found)
    session.flush()
    return found


def compose(
    case: Feedback, found: ExtensionRequest, base_url: str = "", unit: str = ""
) -> tuple[str, str]:
    """Subject and body (Vietnamese, then English) of a request for the IOC (``unit``: the
    requesting unit's name), or of the IOC's decision for the unit."""
    url = f"{base_url.rstrip('/')}/feedback/{case.code}"

    def text(key: str, lang: str) -> str:
        note = found.decision_note or t("fb.extension_notice.no_note", lang)
        return t(f"{key}.{found.status}", lang, code=case.code, days=found.approved_days,
                 asked=found.working_days, deadline=format_datetime(case.deadline_at),
                 reason=found.reason, note=note, url=url, unit=unit)  # fmt: skip

    subject = f"{text('fb.extension_notice.subject', 'vi')} / " + text(
        "fb.extension_notice.subject", "en"
    )
    body = (
        f"{text('fb.extension_notice.body', 'vi')}\n\n---\n"
        f"{text('fb.extension_notice.body', 'en')}\n\n"
        f"{t('fb.escalation_notice.footer', 'vi')} / {t('fb.escalation_notice.footer', 'en')}\n"
    )
    return subject, body


def tell_ioc(session: Session, case: Feedback, found: ExtensionRequest) -> int:
    """E-mail a new request to the province IOC's operators (as escalation reaches the IOC),
    so it is decided before the deadline; a warning is logged when nobody has an address."""
    province = province_of(session, case)
    people = notify.recipients(session, [province], IOC_ROLES) if province else []
    unit = session.get(OrgUnit, found.org_code) if people else None
    return _mail(session, case, found, people, unit.name if unit else found.org_code,
                 "extension request: nobody at the IOC with an e-mail to tell")  # fmt: skip


def tell_unit(session: Session, case: Feedback, found: ExtensionRequest) -> int:
    """E-mail the decision to the requesting unit's officers (as escalation reaches a unit:
    active accounts with an address); a warning is logged when nobody has one."""
    people = notify.recipients(session, [found.org_code], UNIT_ROLES)
    return _mail(session, case, found, people, "",
                 "extension decision: nobody with an e-mail to tell")  # fmt: skip


def _mail(
    session: Session, case: Feedback, found: ExtensionRequest, people: Sequence[User],
    unit: str, nobody: str,
) -> int:  # fmt: skip
    """Queue :func:`compose`'s message to each of ``people`` (or log ``nobody``)."""
    if not people:
        log.warning(nobody, extra={"case": case.code, "status": found.status,
                                   "org_code": found.org_code})  # fmt: skip
        return 0
    subject, body = compose(case, found, get_settings().public_url, unit)
    for user in people:
        notify.enqueue(session, "email", user.email or "", subject, body, PURPOSE, case.id,
                       org_code=user.org_code)  # fmt: skip
    return len(people)
