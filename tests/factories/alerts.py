"""Builders for alert-rule tests: a river gauge and a threshold rule on it."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from iocvn.alerts import rules
from iocvn.alerts.models_rules import AlertRule
from tests.factories.sensors import ACTOR


def spec(**overrides: Any) -> dict[str, Any]:
    """The body of ``POST /api/v1/alerts/rules``: the Kỳ Cùng above 3 m for 10 minutes."""
    body: dict[str, Any] = {
        "name": "Mực nước sông Kỳ Cùng vượt báo động 1",
        "device": "KC-LS-01",
        "quantity": "currentLevel",
        "op": ">",
        "value": 3.0,
        "for_s": 600,
        "severity": "warning",
    }
    return body | overrides


def rule(session: Session, *, commit: bool = True, **overrides: Any) -> AlertRule:
    """A threshold rule stored through the service (the device must exist)."""
    row = rules.create_rule(session, ACTOR, rules.RuleSpec(**spec(**overrides)), None)
    if commit:
        session.commit()
    return row
