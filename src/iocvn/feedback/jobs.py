"""Background work on cases: escalation when deadlines pass (with e-mails to the people who
must act), closing resolved cases the reporter never answered (telling the reporters), and
erasing personal data after the retention period.

Each function takes the time as ``now``, writes its changes in the caller's transaction and
audits them as the system; ``iocvn feedback run-jobs`` and the server's loop call them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from iocvn.audit import service as audit
from iocvn.config import Settings
from iocvn.core.context import Actor
from iocvn.feedback import clock, escalation, workflow
from iocvn.feedback.models import OPEN_STATUSES, Feedback, FeedbackEvent

SYSTEM = Actor.system("feedback-jobs")
AUTO_CLOSE_AFTER = timedelta(days=workflow.AUTO_CLOSE_DAYS)
_LEVELS = ("unit", "ioc", "leadership")


@dataclass
class JobReport:
    """What one run changed."""

    escalated: int = 0
    closed: int = 0
    erased: int = 0


def escalate(session: Session, now: datetime) -> int:
    """Raise the escalation level (unit → IOC → leadership) of open cases past deadline, and
    queue the e-mails to the people who must act (:mod:`.escalation`).

    A level is announced once: only a case whose level rises is touched, and the rise is a
    conditional update, so two runs at once (the server's loop and ``run-jobs``) cannot both
    announce it.
    """
    stmt = select(Feedback).where(
        Feedback.status.in_(OPEN_STATUSES), Feedback.deadline_at < now,
        Feedback.escalation != "leadership",
    )  # fmt: skip
    changed = 0
    due = list(session.execute(stmt).scalars())
    paused = clock.pauses_by_case(session, [c.id for c in due])
    for case in due:
        level = clock.state(session, case, now, known_pauses=paused.get(case.id, [])).escalation
        if _LEVELS.index(level) <= _LEVELS.index(case.escalation):
            continue
        before = case.escalation
        raised = session.execute(
            update(Feedback)
            .where(Feedback.id == case.id, Feedback.escalation == before)
            .values(escalation=level)
            .execution_options(synchronize_session=False)
        )
        if raised.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another run got there first and announced it
        set_committed_value(case, "escalation", level)
        session.add(FeedbackEvent(feedback_id=case.id, at=now, kind="escalated",
                                  actor=SYSTEM.name, org_code=case.org_code, public=False,
                                  data={"from": before, "to": level}))  # fmt: skip
        audit.record(session, SYSTEM, "feedback.escalate", target_type="feedback",
                     target_id=case.id, before={"escalation": before},
                     after={"escalation": level, "code": case.code})  # fmt: skip
        escalation.queue_notices(session, case, before, level, now)
        changed += 1
    session.flush()
    return changed


def auto_close(session: Session, now: datetime, settings: Settings | None = None) -> int:
    """Close cases resolved ``AUTO_CLOSE_AFTER`` ago that the reporter did not answer, as
    :func:`workflow.close` does for staff: timeline, audit, and an update to the reporters
    (of the case and of the duplicates merged into it)."""
    stmt = select(Feedback).where(
        Feedback.status == "resolved", Feedback.resolved_at < now - AUTO_CLOSE_AFTER
    )
    due = list(session.execute(stmt).scalars())
    for case in due:
        workflow.close(session, SYSTEM, case, now=now, settings=settings, auto=True)
    return len(due)


def erase_personal_data(session: Session, now: datetime, retention_days: int) -> int:
    """Erase the reporter's details of cases closed more than ``retention_days`` ago (with the
    rate limit's key, a keyed hash of the reporter's address, device or account)."""
    cutoff = now - timedelta(days=retention_days)
    stmt = select(Feedback).where(
        Feedback.closed_at < cutoff,
        Feedback.personal_data_erased_at.is_(None),
        or_(Feedback.reporter_name.is_not(None), Feedback.reporter_phone.is_not(None),
            Feedback.reporter_email.is_not(None), Feedback.reporter_id_number.is_not(None),
            Feedback.source_key != ""),
    )  # fmt: skip
    codes = []
    for case in session.execute(stmt).scalars():
        case.reporter_name = case.reporter_phone = None
        case.reporter_email = case.reporter_id_number = None
        case.phone_index = case.email_index = None
        case.source_key = ""
        case.personal_data_erased_at = now
        codes.append(case.code)
    if codes:
        audit.record(session, SYSTEM, "feedback.erase_personal_data", target_type="feedback",
                     target_id=str(len(codes)),
                     after={"cases": len(codes), "retention_days": retention_days,
                            "first": codes[:20]})  # fmt: skip
    session.flush()
    return len(codes)


def run_all(session: Session, now: datetime, retention_days: int) -> JobReport:
    """Every job once."""
    return JobReport(
        escalated=escalate(session, now),
        closed=auto_close(session, now),
        erased=erase_personal_data(session, now, retention_days),
    )
