"""The demo feedback: loaded once through the real workflow, labelled, every state present."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.timeutil import to_local
from iocvn.feedback import demo, duplicates, suggest
from iocvn.feedback.models import Feedback
from iocvn.indicators import catalogue, feeds
from iocvn.indicators import demo as indicator_demo
from iocvn.indicators.models import DataValue
from tests.factories.feedback import province

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)


def test_demo_cases_cover_the_workflow_and_load_once(session: Session) -> None:
    province(session)
    first = demo.load(session, get_settings(), Actor("demo"), "20", NOW)
    assert first.cases == demo.CASES + demo.REPEATS
    assert first.model_accuracy is not None and first.model_accuracy > 0.5
    statuses = Counter(session.execute(select(Feedback.status)).scalars())
    assert {"received", "assigned", "in_progress", "resolved", "closed", "rejected"} <= set(
        statuses
    )
    outcomes = Counter(session.execute(select(Feedback.outcome)).scalars())
    assert outcomes["fixed_confirmed"] > 0 and outcomes["not_our_remit"] > 0
    ids = session.execute(select(func.count()).where(Feedback.external_id.like("demo-%")))
    assert ids.scalar_one() == demo.CASES + demo.REPEATS
    repeats = session.execute(select(Feedback).where(Feedback.external_id.like("demo-r%")))
    again = list(repeats.scalars())
    paired = duplicates.best_for(session, again)
    assert len(again) == demo.REPEATS and set(paired) == {c.id for c in again}
    for case in again:  # each is paired with the open case it repeats
        assert paired[case.id].case.description in case.description
    assert suggest.active_model(session) is not None
    again = demo.load(session, get_settings(), Actor("demo"), "20", NOW)
    assert again.cases == 0


def test_the_demo_cases_feed_the_pakn_indicators_not_invented_figures(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    province(session)
    catalogue.seed_catalogue(session, Actor("seed"))
    made_up = {i.code for i in indicator_demo.invented(session)}
    assert made_up and not {c for c in made_up if c.startswith("PAKN.")}
    monkeypatch.setattr(demo, "CASES", 30)  # a smaller demo: the same code, a shorter run
    monkeypatch.setattr(demo, "DAYS", 8)
    feeds.subscribe()
    try:
        loaded = demo.load(session, get_settings(), Actor("demo"), "20", NOW)
    finally:
        feeds.unsubscribe()
    assert loaded.days == demo.DAYS + 2
    received = Counter(to_local(r).date() for r in
                       session.execute(select(Feedback.received_at)).scalars())  # fmt: skip
    province_counts = select(DataValue).where(
        DataValue.indicator_code == "PAKN.RECEIVED",
        DataValue.org_code == "20",
        DataValue.is_current,
    )
    fed = {v.period: v.value for v in session.execute(province_counts).scalars()}
    assert sum(fed.values()) == demo.CASES + demo.REPEATS
    assert {p: int(v) for p, v in fed.items() if v} == {
        d.strftime("%Y%m%d"): n for d, n in received.items()
    }
