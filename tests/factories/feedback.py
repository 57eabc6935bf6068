"""Builders for citizen-feedback tests: Lạng Sơn with its categories and routing, reports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.feedback import catalogue, clock, intake, routing
from iocvn.feedback.intake import NewReport, Submitted
from iocvn.feedback.models import Feedback, FeedbackEvent
from tests.factories.auth import bearer
from tests.factories.org import seed

ACTOR = Actor("tiepnhan", "20")
CITIZEN = Actor("citizen")
# Points inside real Lạng Sơn communes (representative points of their boundaries).
DONG_KINH = (21.81153, 106.77502)  # Phường Đông Kinh (05977)
TAM_THANH = (21.88495, 106.74267)  # Phường Tam Thanh (05986)
PHONE = "0912 345 678"


def province(session: Session) -> Session:
    """Lạng Sơn seeded (units, real boundaries), the default categories and routing rules."""
    seed(session, commit=False)
    catalogue.seed_categories(session, ACTOR)
    routing.seed_rules(session, ACTOR, "20")
    session.commit()
    return session


# The staff of the feedback API tests: name → (username, role, unit).
STAFF = {
    "operator": ("dieuhanh", "operator", "20"),
    "commune": ("dongkinh", "commune_officer", "05977"),
    "tam_thanh": ("tamthanh", "commune_officer", "05986"),
    "integration": ("zalo-oa", "integration", "20"),
}


def staff_headers(session: Session, *names: str) -> dict[str, dict[str, str]]:
    """Lạng Sơn (as :func:`province` seeds it) and a bearer header for each of ``names``
    (keys of :data:`STAFF`), committed."""
    province(session)
    heads = {name: bearer(session, *STAFF[name]) for name in names}
    session.commit()
    return heads


def report(
    session: Session,
    description: str = "Ổ gà lớn giữa đường, xe máy đi qua rất dễ ngã, đề nghị sửa sớm.",
    *,
    channel: str = "web",
    now: datetime | None = None,
    source_key: str = "",
    **fields: object,
) -> Submitted:
    """Submit a report (at Đông Kinh, with a phone number, unless told otherwise)."""
    values: dict[str, object] = {"lat": DONG_KINH[0], "lon": DONG_KINH[1], "name": "Nguyễn Thị Hoa",
                                 "phone": PHONE, "category": "giao_thong.o_ga"}  # fmt: skip
    values |= fields
    done = intake.submit(
        session, get_settings(), "20", NewReport(description=description, **values),  # type: ignore[arg-type]
        channel=channel, actor=CITIZEN, source_key=source_key, now=now,
    )  # fmt: skip
    session.flush()
    return done


def clock_notes(session: Session, case: Feedback) -> list[FeedbackEvent]:
    """The internal notes a recomputation of deadlines left on the case's timeline."""
    stmt = select(FeedbackEvent).where(
        FeedbackEvent.feedback_id == case.id, FeedbackEvent.actor == clock.CLOCK_ACTOR
    )
    return list(session.execute(stmt).scalars())


def recomputations(session: Session) -> list[AuditEntry]:
    """The audit entries of recomputations of deadlines, oldest first (chained once committed)."""
    stmt = select(AuditEntry).where(AuditEntry.action == "feedback.recompute_deadlines")
    return list(session.execute(stmt.order_by(AuditEntry.seq)).scalars())
