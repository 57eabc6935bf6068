"""Fixtures for indicator tests: a builder of units, definitions, approved values and targets,
and a client whose app serves the analytics routes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.app import MOUNTS
from iocvn.core import periods
from iocvn.core.context import Actor
from iocvn.indicators import api_analytics, catalogue
from iocvn.indicators.models import DataValue, Indicator, ReportingSchedule, Target
from iocvn.indicators.schemas import IndicatorIn
from iocvn.org.models import OrgUnit
from tests.factories.auth import add_units

ACTOR = Actor("thongke", "20")
APPROVED_AT = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)


@dataclass
class Builder:
    """Writes test data straight into the tables (approved, current values by default)."""

    session: Session

    def unit(
        self,
        code: str,
        *,
        parent: str | None = "20",
        level: str = "commune",
        valid_from: date = date(2025, 7, 1),
        valid_to: date | None = None,
        name: str | None = None,
    ) -> OrgUnit:
        """An org unit of province 20."""
        unit = OrgUnit(
            code=code,
            name=name or f"Xã {code}",
            level=level,
            parent_code=parent,
            province_code="20",
            valid_from=valid_from,
            valid_to=valid_to,
            search_key=(name or f"xa {code}").lower(),
        )
        self.session.add(unit)
        self.session.flush()
        return unit

    def indicator(self, code: str, **fields: Any) -> Indicator:
        """A definition through the catalogue (so formulas and weights are checked)."""
        data = {
            "code": code,
            "name": {"vi": f"Chỉ số {code}", "en": f"Indicator {code}"},
            "unit": fields.pop("unit", "người"),
            "frequency": fields.pop("frequency", "monthly"),
            "space_agg": fields.pop("space_agg", "sum"),
            "time_agg": fields.pop("time_agg", "sum"),
        } | fields
        return catalogue.create_indicator(self.session, ACTOR, IndicatorIn.model_validate(data))

    def value(
        self,
        code: str,
        org: str,
        period: str,
        value: float,
        *,
        status: str = "approved",
        current: bool = True,
        approved_at: datetime = APPROVED_AT,
    ) -> DataValue:
        """One value of ``code`` for ``org`` and ``period``."""
        p = periods.parse(period)
        row = DataValue(
            indicator_code=code,
            org_code=org,
            period=p.code,
            period_start=p.start,
            period_end=p.end,
            value=value,
            status=status,
            is_current=current,
            approved_at=approved_at if status == "approved" else None,
            approved_by="thongke" if status == "approved" else None,
        )
        self.session.add(row)
        return row

    def series(self, code: str, org: str, values: dict[str, float]) -> None:
        """Several values of one unit: ``{"202601": 10, ...}``."""
        for period, value in values.items():
            self.value(code, org, period, value)

    def target(self, code: str, org: str, year: int, value: float, period: str = "") -> None:
        """A yearly target, or one period's own target."""
        self.session.add(
            Target(indicator_code=code, org_code=org, year=year, period=period, value=value)
        )

    def schedule(self, code: str, *, level: str | None = None, org: str | None = None) -> None:
        """A reporting schedule: the units it names are expected (and filled when missing)."""
        self.session.add(ReportingSchedule(indicator_code=code, level=level, org_code=org))


@pytest.fixture
def build(session: Session) -> Builder:
    """A builder on the test session, with province 20, communes 05977 and 06187 and two
    agencies (all valid from 01/07/2025)."""
    add_units(session)
    return Builder(session)


@pytest.fixture
def analytics_app(app: FastAPI) -> FastAPI:
    """The app, serving the analytics routes even before they are listed in ``MOUNTS``."""
    if not any(m.router is api_analytics.router for m in MOUNTS):
        app.include_router(api_analytics.router, prefix="/api/v1")
    return app


@pytest.fixture
def api(analytics_app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the analytics routes."""
    with TestClient(analytics_app, base_url="http://testserver") as c:
        yield c
