"""Demo figures for the demo province: invented values and targets, marked ``source="demo"``
and labelled *demo* in the UI. Names of places and indicator definitions are real; the
numbers are not statistics of anywhere.

Deterministic (seeded by indicator and unit codes), so re-running ``iocvn demo`` gives the
same figures and writes nothing new.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core import periods
from iocvn.core.context import Actor
from iocvn.core.timeutil import utcnow
from iocvn.indicators.models import DataValue, Indicator, ReportingSchedule, Target
from iocvn.org.models import OrgUnit

FIRST_YEAR = 2024
DEMO = "demo"


@dataclass(frozen=True)
class DemoReport:
    """What the demo loader wrote."""

    values: int
    targets: int
    schedules: int


def _rng(*parts: str) -> random.Random:
    digest = hashlib.sha256("/".join(parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _scale(ind: Indicator) -> tuple[float, float]:
    """A plausible level and noise for one commune and one period of this indicator."""
    if ind.value_type == "percent" or ind.unit == "%":
        return 70.0, 8.0
    if ind.value_type == "money":
        return 12.0, 4.0
    if ind.value_type == "count":
        return 40.0, 15.0
    return 50.0, 12.0


def _value(ind: Indicator, org: str, period: periods.Period, base: float, noise: float) -> float:
    rng = _rng(ind.code, org, period.code)
    months = (period.start.year - FIRST_YEAR) * 12 + period.start.month
    trend = 1 + (0.004 if ind.direction == "higher_better" else -0.003) * months
    season = 1 + 0.08 * math.sin(2 * math.pi * period.start.month / 12)
    value = max(0.0, base * trend * season + rng.gauss(0, noise * 0.3))
    if ind.value_type == "percent" or ind.unit == "%":
        value = min(value, 99.5)
    if ind.value_type == "count":
        return float(round(value))
    return round(value, ind.decimals)


def load(session: Session, actor: Actor, province_code: str, *, today: date) -> DemoReport:
    """Approved demo values for every collected indicator since 2024, targets for this year
    and monthly schedules for the communes; nothing when demo values already exist."""
    if session.execute(select(DataValue.id).where(DataValue.source == DEMO).limit(1)).first():
        return DemoReport(0, 0, 0)
    communes = list(
        session.execute(
            select(OrgUnit.code).where(
                OrgUnit.level == "commune",
                OrgUnit.province_code == province_code,
                OrgUnit.valid_to.is_(None),
            )
        ).scalars()
    )
    indicators = list(
        session.execute(
            select(Indicator).where(Indicator.formula.is_(None), Indicator.active.is_(True))
        ).scalars()
    )
    now = utcnow()
    rows: list[dict[str, object]] = []
    targets = 0
    for ind in indicators:
        units = [province_code] if ind.space_agg == "none" else communes
        base, noise = _scale(ind)
        if ind.space_agg != "none" and ind.value_type in ("count", "money"):
            # a province-level figure split across communes
            base, noise = base / 4, noise / 4
        first = periods.for_date(date(FIRST_YEAR, 1, 1), ind.frequency)
        last = periods.for_date(today, ind.frequency).previous()
        series = periods.periods_between(first, last) if last.start >= first.start else []
        for org in units:
            level = base * (0.6 + 0.8 * _rng(ind.code, org).random())
            for period in series:
                rows.append(
                    {
                        "indicator_code": ind.code,
                        "org_code": org,
                        "period": period.code,
                        "period_start": period.start,
                        "period_end": period.end,
                        "value": _value(ind, org, period, level, noise),
                        "comment": "",
                        "status": "approved",
                        "version": 1,
                        "is_current": True,
                        "source": DEMO,
                        "created_by": actor.name,
                        "created_at": now,
                        "submitted_at": now,
                        "approved_by": actor.name,
                        "approved_at": now,
                    }
                )
    for start in range(0, len(rows), 5000):
        session.execute(insert(DataValue), rows[start : start + 5000])
    schedules = 0
    for ind in indicators:
        if ind.space_agg != "none" and ind.frequency in ("monthly", "quarterly"):
            session.add(ReportingSchedule(indicator_code=ind.code, level="commune"))
            schedules += 1
    session.flush()
    audit.record(
        session,
        actor,
        "indicators.demo_load",
        target_type="province",
        target_id=province_code,
        after={"values": len(rows), "targets": targets, "schedules": schedules, "demo": True},
    )
    return DemoReport(len(rows), targets, schedules)


def add_targets(
    session: Session, actor: Actor, year: int, targets: dict[tuple[str, str], float]
) -> int:
    """Store demo targets (indicator, org) → value for ``year``."""
    for (code, org), value in targets.items():
        session.add(
            Target(
                indicator_code=code,
                org_code=org,
                year=year,
                value=value,
                source_document="Số liệu minh họa (demo)",
                updated_by=actor.name,
            )
        )
    session.flush()
    return len(targets)
