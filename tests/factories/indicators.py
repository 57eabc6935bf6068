"""Test data for data supply: the units of ``factories.auth`` plus a merged commune, a few
real-looking indicators of each value type and frequency, callers, and readers of stored rows."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.auth.deps import Principal
from iocvn.auth.scope import OrgScope
from iocvn.core.context import Actor
from iocvn.indicators import catalogue
from iocvn.indicators.models import DataValue, Target
from iocvn.indicators.schemas import IndicatorIn
from iocvn.org.models import OrgUnit
from tests.factories.auth import add_units, add_user

ACTOR = Actor("dulieu", "20")
MERGED = "05995"  # a commune merged into 05977 on 01/07/2025 (valid until 30/06/2025)
# code: (name, unit, value type, frequency, owner, extra fields)
INDICATORS: dict[str, tuple[str, str, str, str, str | None, dict[str, Any]]] = {
    "YT.KHAM": ("Số lượt khám chữa bệnh", "lượt", "count", "monthly", "SYT", {}),
    "YT.BHYT": ("Tỷ lệ dân số tham gia BHYT", "%", "percent", "yearly", "SYT", {}),
    "GD.HOC_SINH": ("Số học sinh phổ thông", "học sinh", "count", "quarterly", "SGDDT", {}),
    "KT.THU_NS": ("Thu ngân sách nhà nước", "triệu đồng", "money", "monthly", None, {}),
    "MT.AQI": ("Chỉ số chất lượng không khí", "AQI", "number", "daily", None, {"max_value": 500}),
    "GT.TAI_NAN": ("Số vụ tai nạn giao thông", "vụ", "count", "weekly", None, {}),
    "KT.TANG_TRUONG": (
        "Tốc độ tăng trưởng GRDP",
        "%",
        "percent",
        "quarterly",
        None,
        {"min_value": -100, "max_value": 1000},
    ),
    "DVC.TOTAL": ("Hồ sơ thủ tục hành chính", "hồ sơ", "count", "monthly", "SYT", {}),
    "DVC.ONTIME": ("Hồ sơ giải quyết đúng hạn", "hồ sơ", "count", "monthly", "SYT", {}),
    "YT.CU": ("Chỉ số đã ngừng dùng", "lượt", "count", "monthly", "SYT", {}),
}


def definition(code: str) -> IndicatorIn:
    """The definition of one of :data:`INDICATORS`."""
    name, unit, value_type, frequency, owner, extra = INDICATORS[code]
    return IndicatorIn.model_validate(
        {
            "code": code,
            "name": {"vi": name, "en": code},
            "unit": unit,
            "value_type": value_type,
            "frequency": frequency,
            "owner": owner,
            "space_agg": "sum",
            "time_agg": "sum",
        }
        | extra
    )


def seed(session: Session) -> None:
    """Units (province 20, communes 05977 and 06187, agencies SYT and SGDDT, a merged commune)
    and the indicators, with ``DVC.RATE`` computed and ``YT.CU`` inactive; committed."""
    add_units(session)
    session.add(
        OrgUnit(
            code=MERGED,
            name="Phường Chi Lăng (cũ)",
            level="commune",
            parent_code="20",
            province_code="20",
            valid_from=date(2008, 1, 1),
            valid_to=date(2025, 6, 30),
            search_key="phuong chi lang (cu)",
        )
    )
    session.flush()
    for code in INDICATORS:
        catalogue.create_indicator(session, ACTOR, definition(code))
    rate = definition("DVC.TOTAL").model_copy(
        update={"code": "DVC.RATE", "formula": "100 * DVC.ONTIME / DVC.TOTAL", "unit": "%"}
    )
    catalogue.create_indicator(session, ACTOR, rate)
    catalogue.get_indicator(session, "YT.CU").active = False
    session.commit()


def caller(session: Session, role: str, org: str, username: str | None = None) -> Principal:
    """A new account of ``role`` in ``org`` as a service caller (committed)."""
    user = add_user(session, username or f"{role}.{org}".lower(), role, org, password=None)
    unit = session.get(OrgUnit, org)
    assert unit is not None
    session.commit()
    return Principal(user=user, scope=OrgScope.of(unit), via="token", request_id="test")


def item(indicator: str, org: str, period: str, value: Any, **fields: Any) -> dict[str, Any]:
    """One row of a post."""
    return {"indicator": indicator, "org_unit": org, "period": period, "value": value} | fields


def current(session: Session, indicator: str, org: str, period: str) -> DataValue | None:
    """The stored current value of a key (fresh from the database)."""
    session.expire_all()
    stmt = select(DataValue).where(
        DataValue.indicator_code == indicator,
        DataValue.org_code == org,
        DataValue.period == period,
        DataValue.is_current,
    )
    return session.execute(stmt).scalar_one_or_none()


def count_values(session: Session, *, current_only: bool = False) -> int:
    """How many data value rows are stored (all versions, or current ones)."""
    stmt = select(func.count()).select_from(DataValue)
    if current_only:
        stmt = stmt.where(DataValue.is_current)
    return int(session.execute(stmt).scalar_one())


def count_targets(session: Session) -> int:
    """How many targets are stored."""
    return int(session.execute(select(func.count()).select_from(Target)).scalar_one())
