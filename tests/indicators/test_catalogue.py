"""The indicator catalogue: definitions, checks of formulas, versions, export and import."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Invalid
from iocvn.indicators import catalogue
from iocvn.indicators.models import IndicatorVersion
from iocvn.indicators.schemas import IndicatorIn
from tests.factories.auth import add_units, bearer
from tests.factories.org import seed

ACTOR = Actor("dulieu", "20")


def definition(code: str, **fields: Any) -> IndicatorIn:
    base: dict[str, Any] = {
        "code": code,
        "name": {"vi": f"Chỉ số {code}", "en": f"Indicator {code}"},
        "unit": "hồ sơ",
        "frequency": "monthly",
        "space_agg": "sum",
        "time_agg": "sum",
    }
    return IndicatorIn.model_validate(base | fields)


@pytest.fixture
def units(session: Session) -> Session:
    add_units(session)
    return session


def test_create_with_defaults_and_owner_abbreviation(units: Session) -> None:
    ind = catalogue.create_indicator(units, ACTOR, definition("DVC.TOTAL", owner="SYT"))
    out = catalogue.to_out(ind)
    assert (out.owner, out.version, out.source, out.missing) == ("20.SYT", 1, "manual", "skip")
    assert (out.value_type, out.group, out.direction, out.decimals) == (
        "number",
        "sector",
        "higher_better",
        1,
    )
    entry = units.execute(select(AuditEntry)).scalar_one()
    assert entry.action == "indicator.create" and entry.after is not None
    assert entry.after["name"] == {"vi": "Chỉ số DVC.TOTAL", "en": "Indicator DVC.TOTAL"}


def test_formula_is_checked_when_saved(units: Session) -> None:
    catalogue.create_indicator(units, ACTOR, definition("DVC.TOTAL"))
    catalogue.create_indicator(units, ACTOR, definition("DVC.ONTIME"))
    rate = catalogue.create_indicator(
        units,
        ACTOR,
        definition(
            "DVC.ONTIME_RATE",
            unit="%",
            formula="100 * DVC.ONTIME / DVC.TOTAL",
            space_agg="none",
            time_agg="last",
        ),
    )
    assert rate.source == "computed"
    with pytest.raises(Invalid) as unknown:
        catalogue.create_indicator(units, ACTOR, definition("X.A", formula="DVC.KHONG_CO * 2"))
    assert unknown.value.code == "unknown_indicator"
    with pytest.raises(Invalid) as syntax:
        catalogue.create_indicator(units, ACTOR, definition("X.B", formula="DVC.TOTAL **"))
    assert syntax.value.code == "invalid_formula"


def test_a_cycle_is_refused(units: Session) -> None:
    catalogue.create_indicator(units, ACTOR, definition("A.X"))
    catalogue.create_indicator(units, ACTOR, definition("A.Y", formula="A.X + 1"))
    with pytest.raises(Invalid) as err:
        catalogue.update_indicator(units, ACTOR, definition("A.X", formula="A.Y * 2"))
    assert err.value.code == "formula_cycle"


def test_update_makes_a_version_and_audits_the_change(units: Session) -> None:
    catalogue.create_indicator(units, ACTOR, definition("DVC.TOTAL"))
    assert catalogue.update_indicator(units, ACTOR, definition("DVC.TOTAL")) is None
    catalogue.update_indicator(units, ACTOR, definition("DVC.TOTAL", unit="bộ hồ sơ"))
    history = catalogue.versions(units, "DVC.TOTAL")
    assert [v.version for v in history] == [2, 1]
    assert history[0].definition["unit"] == "bộ hồ sơ" and history[1].definition["unit"] == "hồ sơ"
    entry = units.execute(
        select(AuditEntry).where(AuditEntry.action == "indicator.update")
    ).scalar_one()
    assert entry.before == {"unit": "hồ sơ", "version": 1}
    assert entry.after == {"unit": "bộ hồ sơ", "version": 2}


def test_other_checks(units: Session) -> None:
    with pytest.raises(Invalid) as weight:
        catalogue.create_indicator(units, ACTOR, definition("X.W", space_agg="weighted_average"))
    assert weight.value.code == "weight_required"
    with pytest.raises(Invalid) as owner:
        catalogue.create_indicator(units, ACTOR, definition("X.O", owner="05977"))
    assert owner.value.code == "unknown_owner"
    catalogue.create_indicator(units, ACTOR, definition("X.D"))
    with pytest.raises(Conflict):
        catalogue.create_indicator(units, ACTOR, definition("X.D"))


def test_export_then_import_round_trips(units: Session) -> None:
    catalogue.create_indicator(units, ACTOR, definition("DVC.TOTAL", owner="SYT"))
    catalogue.create_indicator(units, ACTOR, definition("DVC.ONTIME"))
    catalogue.create_indicator(
        units, ACTOR, definition("DVC.RATE", formula="100 * DVC.ONTIME / DVC.TOTAL")
    )
    exported = catalogue.export_catalogue(units, "yaml")
    parsed = catalogue.parse_catalogue(exported)
    assert [p.code for p in parsed] == ["DVC.ONTIME", "DVC.RATE", "DVC.TOTAL"]
    report = catalogue.import_catalogue(units, ACTOR, exported)
    assert report.created == [] and report.updated == [] and report.unchanged == 3
    as_json = catalogue.export_catalogue(units, "json")
    assert catalogue.parse_catalogue(as_json) == parsed


def test_import_is_all_or_nothing_and_names_the_entry(units: Session) -> None:
    text = yaml.safe_dump(
        {"indicators": [definition("A.OK").model_dump(), {"code": "B.BAD", "unit": "x"}]},
        allow_unicode=True,
    )
    with pytest.raises(Invalid) as err:
        catalogue.import_catalogue(units, ACTOR, text)
    assert err.value.code == "invalid_catalogue" and err.value.details["index"] == 2
    assert catalogue.list_indicators(units) == []


def test_the_shipped_catalogue_loads(units: Session) -> None:
    units.rollback()
    seed(units)
    report = catalogue.seed_catalogue(units, ACTOR)
    assert len(report.created) >= 60
    assert units.execute(select(IndicatorVersion)).scalars().first() is not None
    again = catalogue.seed_catalogue(units, ACTOR)
    assert again.created == [] and again.updated == [] and again.unchanged == len(report.created)


def test_api_contract(client: TestClient, units: Session) -> None:
    steward = bearer(units, "dulieu", "data_steward", "20")
    viewer = bearer(units, "xem", "viewer", "20")
    units.commit()
    body = {
        "code": "KTXH.GRDP_GROWTH",
        "name": {"vi": "Tốc độ tăng trưởng GRDP", "en": "GRDP growth"},
        "unit": "%",
        "frequency": "quarterly",
        "space_agg": "none",
        "time_agg": "last",
    }
    assert client.post("/api/v1/indicators", json=body, headers=viewer).status_code == 403
    created = client.post("/api/v1/indicators", json=body, headers=steward)
    assert created.status_code == 201, created.text
    assert created.json()["formula"] is None and created.json()["version"] == 1
    assert client.get("/api/v1/indicators/KTXH.GRDP_GROWTH", headers=viewer).json()["unit"] == "%"
    listed = client.get("/api/v1/indicators?q=grdp", headers=viewer).json()
    assert [i["code"] for i in listed] == ["KTXH.GRDP_GROWTH"]
    bad = client.post(
        "/api/v1/indicators", json=body | {"code": "X.Y", "space_agg": "median"}, headers=steward
    )
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"
    changed = client.put(
        "/api/v1/indicators/KTXH.GRDP_GROWTH", json=body | {"decimals": 2}, headers=steward
    )
    assert changed.json()["version"] == 2
    versions = client.get("/api/v1/indicators/KTXH.GRDP_GROWTH/versions", headers=viewer).json()
    assert [v["version"] for v in versions] == [2, 1]
    exported = client.get("/api/v1/indicators/export?format=json", headers=viewer)
    assert exported.json()["indicators"][0]["code"] == "KTXH.GRDP_GROWTH"
    missing = client.get("/api/v1/indicators/KHONG.CO", headers=viewer)
    assert missing.status_code == 404 and missing.json()["error"] == "indicator_not_found"
