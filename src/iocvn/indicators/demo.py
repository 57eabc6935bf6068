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
from iocvn.indicators import analytics, expr
from iocvn.indicators.feeds import FEEDBACK_INDICATORS
from iocvn.indicators.models import DataValue, Indicator, ReportingSchedule, Target
from iocvn.org.models import OrgUnit

FIRST_YEAR = 2024
DAILY_DAYS = 90  # history of daily and weekly demo indicators
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


# How many months one period of each frequency covers (flows scale with it; stocks do not).
MONTHS = {
    "daily": 1 / 30,
    "weekly": 7 / 30,
    "monthly": 1,
    "quarterly": 3,
    "half_yearly": 6,
    "yearly": 12,
}


# Levels per commune (and per month for flows) where the generic guess would be absurd.
LEVELS = {
    "DS.POPULATION": 12_000.0,
    "XH.HOUSEHOLDS": 3_100.0,
    "LD.LABOUR_FORCE": 7_000.0,
    "DD.NATURAL_AREA": 12_700.0,
    "YT.HOSPITAL_BEDS": 60.0,
    "YT.DOCTORS": 18.0,
    "GD.SCHOOLS": 6.0,
    "GD.STUDENTS": 2_600.0,
    "XH.POOR_HOUSEHOLDS": 240.0,
    "XH.NEAR_POOR_HOUSEHOLDS": 260.0,
    "DL.ROOMS": 80.0,
    "KTXH.GRDP_CURRENT": 64.0,  # tỷ đồng per commune-month (the province ≈ 50 000 a year)
}
# Rare events: about this many per commune per month.
RARE_SECTORS = {"an_ninh_trat_tu", "giao_thong", "phong_chong_thien_tai", "quoc_phong"}
PLAN_WORDS = ("ESTIMATE", "PLAN", "QUOTA")


def _scale(ind: Indicator) -> tuple[float, float]:
    """A plausible level and noise for one unit and one period of this indicator."""
    months = MONTHS[ind.frequency] if ind.time_agg == "sum" else 1
    if ind.code in LEVELS:
        level = LEVELS[ind.code] * months
        return level, level * 0.05
    if ind.value_type == "count" and ind.sector in RARE_SECTORS:
        return 0.6 * months, 0.5 * months
    if ind.value_type == "percent" or ind.unit == "%":
        return (82.0, 6.0) if ind.direction == "higher_better" else (12.0, 3.0)
    if ind.value_type == "money":
        base, noise = 12.0, 4.0
    elif ind.value_type == "count":
        base, noise = 40.0, 15.0
    else:
        return 50.0, 12.0
    if ind.time_agg == "sum":
        months = MONTHS[ind.frequency]
        return base * months, noise * months
    if _is_plan(ind):  # a year's plan or estimate of a monthly flow
        return base * 12 * 1.05, noise * 12
    return base, noise


def _is_plan(ind: Indicator) -> bool:
    return ind.frequency == "yearly" and any(w in ind.code for w in PLAN_WORDS)


def _shares(session: Session) -> dict[str, tuple[str, float]]:
    """Numerators of ``100 * X / Y`` formulas: X is generated as a share of Y (X ≤ Y), so demo
    rates stay between 0 and 100 % in every commune."""
    shares: dict[str, tuple[str, float]] = {}
    formulas = session.execute(select(Indicator.formula).where(Indicator.formula.is_not(None)))
    for (text,) in formulas:
        node = expr.parse(text or "")
        if isinstance(node, expr.BinOp) and node.op == "/" and isinstance(node.right, expr.Ref):
            left = node.left
            percent = (
                isinstance(left, expr.BinOp)
                and left.op == "*"
                and isinstance(left.left, expr.Num)
                and left.left.value == 100
                and isinstance(left.right, expr.Ref)
            )
            if percent:  # 100 * X / Y: a share; 10 000 * beds / people is not
                left = left.right  # type: ignore[union-attr]
            if isinstance(left, expr.Ref) and left.code != node.right.code:
                share = 0.55 + 0.4 * _rng(left.code).random()
                shares.setdefault(left.code, (node.right.code, share))
    return shares


def _value(ind: Indicator, org: str, period: periods.Period, base: float, noise: float) -> float:
    rng = _rng(ind.code, org, period.code)
    months = (period.start.year - FIRST_YEAR) * 12 + period.start.month
    trend = 1 + (0.004 if ind.direction == "higher_better" else -0.003) * months
    season = 1 + 0.08 * math.sin(2 * math.pi * period.start.month / 12)
    value = max(0.0, base * trend * season + rng.gauss(0, noise * 0.3))
    if ind.value_type == "percent" or ind.unit == "%":
        value = min(value, 99.5)
    if ind.value_type == "count":
        whole = math.floor(value)  # stochastic rounding keeps rare events (0,3 a month) alive
        return float(whole + (1 if rng.random() < value - whole else 0))
    return round(value, ind.decimals)


def _derived(
    ind: Indicator,
    org: str,
    period: periods.Period,
    shares: dict[str, tuple[str, float]],
    generated: dict[tuple[str, str, str], float],
    known: dict[str, Indicator],
) -> float | None:
    """A numerator as a share of its denominator's demo value, when both exist."""
    if ind.code not in shares:
        return None
    whole_code, share = shares[ind.code]
    whole = generated.get((whole_code, org, period.code))
    if whole is None or whole_code not in known:
        return None
    jitter = 1 + 0.04 * (_rng(ind.code, org, period.code).random() - 0.5)
    part = min(whole, whole * share * jitter)
    return float(round(part)) if ind.value_type == "count" else round(part, ind.decimals)


def invented(session: Session) -> list[Indicator]:
    """The indicators the demo invents values for: those collected from people. Formulas are
    computed, and indicators fed by another domain (the feedback counts, PAKN.*) get their
    values from that domain's demo data, so the dashboard agrees with the demo cases."""
    return list(
        session.execute(
            select(Indicator).where(
                Indicator.formula.is_(None),
                Indicator.active.is_(True),
                Indicator.code.not_in(FEEDBACK_INDICATORS.values()),
            )
        ).scalars()
    )


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
    indicators = invented(session)
    now = utcnow()
    shares = _shares(session)
    known = {i.code: i for i in indicators}
    # denominators first, so numerators can be taken as a share of them
    indicators.sort(key=lambda i: i.code in shares)
    generated: dict[tuple[str, str, str], float] = {}
    rows: list[dict[str, object]] = []
    targets = 0
    for ind in indicators:
        units = [province_code] if ind.space_agg == "none" else communes
        base, noise = _scale(ind)
        start = date(FIRST_YEAR, 1, 1)
        if ind.frequency in ("daily", "weekly"):
            # three months are enough to show the idea without a million demo rows
            start = max(start, date.fromordinal(today.toordinal() - DAILY_DAYS))
        first = periods.for_date(start, ind.frequency)
        last = periods.for_date(today, ind.frequency)
        if not (ind.frequency == "yearly" and (_is_plan(ind) or ind.time_agg == "last")):
            last = last.previous()  # this year's plans and stock counts are known already
        series = periods.periods_between(first, last) if last.start >= first.start else []
        for org in units:
            level = base * (0.6 + 0.8 * _rng(ind.code, org).random())
            for period in series:
                derived = _derived(ind, org, period, shares, generated, known)
                value = derived if derived is not None else _value(ind, org, period, level, noise)
                generated[(ind.code, org, period.code)] = value
                rows.append(
                    {
                        "indicator_code": ind.code,
                        "org_code": org,
                        "period": period.code,
                        "period_start": period.start,
                        "period_end": period.end,
                        "value": value,
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
    for chunk in range(0, len(rows), 5000):
        session.execute(insert(DataValue), rows[chunk : chunk + 5000])
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


def add_demo_targets(
    session: Session, actor: Actor, province_code: str, year: int, org_codes: list[str]
) -> int:
    """Targets of ``year`` for each unit: last year's result moved 6 % the good way."""
    codes = list(
        session.execute(select(Indicator.code).where(Indicator.active.is_(True))).scalars()
    )
    directions = dict(session.execute(select(Indicator.code, Indicator.direction)).all())
    kinds = dict(session.execute(select(Indicator.code, Indicator.value_type)).all())
    written = 0
    for org in [province_code, *org_codes]:
        for card in analytics.dashboard(session, org, str(year - 1), codes):
            if card.value is None or card.value == 0:
                continue
            factor = 1.06 if directions[card.indicator] == "higher_better" else 0.94
            value = card.value * factor
            if kinds[card.indicator] == "percent":
                value = min(value, 100.0)
            session.add(
                Target(
                    indicator_code=card.indicator,
                    org_code=org,
                    year=year,
                    value=round(value, 2),
                    source_document="Số liệu minh họa (demo)",
                    updated_by=actor.name,
                )
            )
            written += 1
    session.flush()
    return written
