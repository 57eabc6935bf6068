"""Demo alert rules on the demo sensors (labelled *demo*), so that the simulator's flood wave
(``iocvn simulate sensors --scenario flood``) fires alerts on the demo province's pages.

- The Kỳ Cùng at the Lạng Sơn station: alert level I (báo động I) at 252 m — the real level
  of that station — and the demo's danger level at 253 m (the simulator's wave crosses both).
- The Đồng Bành stack: SO₂ above the QCVN 19:2009/BTNMT limit (500 mg/Nm³) for 10 minutes,
  scenario ``industrial_emission``: each episode is written to the violation log.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import rules
from iocvn.alerts.models_rules import AlertRule
from iocvn.core.context import Actor
from iocvn.sensors import directory

RULES = (
    rules.RuleSpec(
        name="Mực nước sông Kỳ Cùng tại Lạng Sơn vượt báo động I (demo)", device="KC-LANGSON",
        quantity="currentLevel", op=">", value=252.0, for_s=0, severity="warning",
        scenario="flood",
    ),
    rules.RuleSpec(
        name="Mực nước sông Kỳ Cùng tại Lạng Sơn vượt mức nguy hiểm (demo)", device="KC-LANGSON",
        quantity="currentLevel", op=">", value=253.0, for_s=0, severity="critical",
        scenario="flood",
    ),
    rules.RuleSpec(
        name="Khí thải SO₂ KCN Đồng Bành vượt QCVN 19:2009 (demo)", device="KT-DONGBANH",
        quantity="so2", op=">", value=500.0, for_s=600, severity="warning",
        scenario="industrial_emission",
    ),
)  # fmt: skip


def load(session: Session, actor: Actor) -> int:
    """Create the demo rules whose device exists and which are not there yet; how many."""
    have = set(session.execute(select(AlertRule.name)).scalars())
    wanted = [spec for spec in RULES if spec.name not in have]
    present = directory.lookup(session, {spec.device for spec in wanted if spec.device})
    created = 0
    for spec in wanted:
        if spec.device in present:
            rules.create_rule(session, actor, spec, None)
            created += 1
    return created
