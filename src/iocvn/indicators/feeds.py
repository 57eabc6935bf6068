"""Indicator values fed by other domains' events (số liệu tự động): the daily counts of
citizen feedback become ``PAKN.RECEIVED``, ``PAKN.RESOLVED`` and ``PAKN.ONTIME`` (and so the
formula ``PAKN.ONTIME_RATE``).

The event's payload is the whole contract: this module must not import the publishing domain
(feedback is a sibling layer). Values go through the indicators' own service
(:func:`values.post_values`): checked, approved, ``source="computed"``, one audit entry per
day as :data:`SYSTEM`; a changed count makes a new version and the old one stays as history;
the same counts posted again change nothing. Re-running a day replaces that day's values: a
unit that had a count for the day and has none now gets 0.

The handler writes in the publisher's transaction (the payload's ``session``), inside a
savepoint so a refused batch leaves nothing half-written; :func:`subscribe` is called at
start-up by ``app`` and ``cli`` (docs/decisions/0006-feedback-feeds-indicators.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth.deps import Principal
from iocvn.auth.models import User
from iocvn.auth.scope import OrgScope
from iocvn.core import events, periods
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.indicators import values
from iocvn.indicators.models import DataValue
from iocvn.indicators.schemas_values import PostReport
from iocvn.org.models import OrgUnit

FEEDBACK_DAILY = "feedback.daily_counts"
# field of a feedback daily row → the indicator it feeds
FEEDBACK_INDICATORS = {
    "received": "PAKN.RECEIVED",
    "resolved": "PAKN.RESOLVED",
    "on_time": "PAKN.ONTIME",
}
SOURCE = "computed"
SYSTEM = Actor.system("indicator-feeds")


def _principal(session: Session, province: str) -> Principal:
    """The system as a province data steward (enters and approves; never stored)."""
    unit = session.get(OrgUnit, province)
    if unit is None or unit.level != "province":
        raise Invalid("no_province", details={"province": province[:8]})
    user = User(username=SYSTEM.name, role="data_steward", org_code=unit.code)
    return Principal(user=user, scope=OrgScope.of(unit), via="token")


def write_feedback_day(
    session: Session, province: str, day: date, rows: Sequence[Mapping[str, Any]]
) -> PostReport:
    """Store one day's feedback counts as approved, computed values (all or nothing)."""
    period = periods.for_date(day, "daily").code
    items: dict[tuple[str, str], dict[str, Any]] = {}
    stale = select(DataValue.indicator_code, DataValue.org_code).where(
        DataValue.is_current,
        DataValue.period == period,
        DataValue.indicator_code.in_(FEEDBACK_INDICATORS.values()),
        DataValue.value != 0,
    )
    for indicator, org in session.execute(stale):
        items[indicator, org] = {"indicator": indicator, "org_unit": org, "value": 0.0}
    for row in rows:
        for field, indicator in FEEDBACK_INDICATORS.items():
            org = str(row["org_unit"])
            items[indicator, org] = {"indicator": indicator, "org_unit": org,
                                     "value": float(row[field])}  # fmt: skip
    batch = [item | {"period": period, "status": "approved"} for item in items.values()]
    with session.begin_nested():  # a refused or failed batch leaves nothing behind
        return values.post_values(session, _principal(session, province), batch, source=SOURCE)


def on_feedback_daily(event: events.Event) -> None:
    """Handler of ``feedback.daily_counts`` (payload: session, province, day, rows)."""
    payload = event.payload
    write_feedback_day(
        payload["session"],
        str(payload["province"]),
        date.fromisoformat(str(payload["day"])),
        payload["rows"],
    )


def subscribe() -> None:
    """Listen to the events that feed indicators (idempotent; called at start-up)."""
    events.subscribe(FEEDBACK_DAILY, on_feedback_daily)


def unsubscribe() -> None:
    """Stop listening (tests)."""
    events.unsubscribe(FEEDBACK_DAILY, on_feedback_daily)
