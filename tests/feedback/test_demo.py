"""The demo feedback: loaded once through the real workflow, labelled, every state present."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.feedback import demo, suggest
from iocvn.feedback.models import Feedback
from tests.factories.feedback import province

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def test_demo_cases_cover_the_workflow_and_load_once(session: Session) -> None:
    province(session)
    first = demo.load(session, get_settings(), Actor("demo"), "20", NOW)
    assert first.cases == demo.CASES
    assert first.model_accuracy is not None and first.model_accuracy > 0.5
    statuses = Counter(session.execute(select(Feedback.status)).scalars())
    assert {"received", "assigned", "in_progress", "resolved", "closed", "rejected"} <= set(
        statuses
    )
    outcomes = Counter(session.execute(select(Feedback.outcome)).scalars())
    assert outcomes["fixed_confirmed"] > 0 and outcomes["not_our_remit"] > 0
    ids = session.execute(select(func.count()).where(Feedback.external_id.like("demo-%")))
    assert ids.scalar_one() == demo.CASES
    assert suggest.active_model(session) is not None
    again = demo.load(session, get_settings(), Actor("demo"), "20", NOW)
    assert again.cases == 0
