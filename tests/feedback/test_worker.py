"""The jobs loop of ``iocvn serve``: one round escalates, and feeds today's counts to the
``PAKN`` indicators."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iocvn.core.context import Actor
from iocvn.core.timeutil import to_local, utcnow
from iocvn.db import session_factory
from iocvn.feedback import worker
from iocvn.indicators import catalogue, feeds
from iocvn.indicators.models import DataValue
from tests.factories.feedback import province, report


def test_one_round_escalates_and_feeds_the_indicators(session: Session, db: Engine) -> None:
    province(session)
    catalogue.seed_catalogue(session, Actor("seed"))
    late = report(session, now=utcnow() - timedelta(days=5)).case  # accept deadline long past
    report(session)
    session.commit()
    feeds.subscribe()
    done = worker.run_once(session_factory(db), 730)
    assert done is not None and done.escalated == 1
    session.expire_all()
    assert session.get(type(late), late.id).escalation in ("ioc", "leadership")  # type: ignore[union-attr]
    today = to_local(utcnow()).strftime("%Y%m%d")
    received = session.execute(
        select(DataValue.value).where(
            DataValue.indicator_code == "PAKN.RECEIVED",
            DataValue.org_code == "20",
            DataValue.period == today,
            DataValue.is_current.is_(True),
        )
    ).scalar_one()
    assert received == 1
