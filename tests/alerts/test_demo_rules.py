"""The demo alert rules: on the demo gauges and stack, created once, and the flood wave's
levels fire them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import demo
from iocvn.alerts.models_rules import AlertInstance, AlertRule
from iocvn.sensors import demo as sensors_demo
from iocvn.sensors.ingest import ingest
from tests.alerts.conftest import Clock
from tests.factories.org import seed
from tests.factories.sensors import ACTOR, NOW, reading


def test_demo_rules_are_created_once_and_fire_on_a_flood(session: Session, clock: Clock) -> None:
    seed(session)
    sensors_demo.load(session, ACTOR, "20", NOW)
    assert demo.load(session, ACTOR) == len(demo.RULES) == 3
    assert demo.load(session, ACTOR) == 0
    names = session.execute(select(AlertRule.name)).scalars().all()
    assert all(n.endswith("(demo)") for n in names)
    at = NOW + timedelta(minutes=5)
    clock.now = at
    ingest(session, [reading("KC-LANGSON", at, currentLevel=252.4)], now=at)
    session.commit()
    firing = session.execute(select(AlertInstance).where(AlertInstance.state == "firing"))
    assert [a.labels["severity"] for a in firing.scalars()] == ["warning"]


def test_without_the_demo_devices_no_rule_is_made(session: Session) -> None:
    seed(session)
    assert demo.load(session, ACTOR) == 0
