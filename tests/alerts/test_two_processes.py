"""Two server processes never double-fire a rule: two OS processes (each its own engine,
pool and Python interpreter, as two ``iocvn serve`` would be) run the evaluation round at the
same instant on the same database; the alert fires exactly once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from iocvn.alerts.models_rules import AlertInstance, AlertTransition
from tests.alerts.conftest import Clock
from tests.alerts.test_evaluation import MIN, _level, gauge  # noqa: F401  (fixture)
from tests.factories.sensors import NOW

ROUND = textwrap.dedent(
    """
    import sys, time
    from datetime import datetime
    from iocvn.alerts import evaluation
    from iocvn.db import make_engine, session_factory
    url, start, at = sys.argv[1], float(sys.argv[2]), datetime.fromisoformat(sys.argv[3])
    sessions = session_factory(make_engine(url))
    time.sleep(max(0.0, start - time.time()))  # both processes start the round together
    report = evaluation.run_once(sessions, at)
    print("ran" if report is not None else "skipped", len(report.transitions) if report else 0)
    """
)


def _run(command: list[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_processes_evaluating_at_once_fire_once(
    gauge: Session,  # noqa: F811
    clock: Clock,
    db: Engine,
) -> None:
    session = gauge
    _level(session, clock, NOW, 3.4)  # pending: fires once for_s (10 min) has passed
    url = db.url.render_as_string(hide_password=False)
    start = time.time() + 4  # past both interpreters' start-up
    at = (NOW + 10 * MIN + timedelta(seconds=1)).isoformat()
    command = [sys.executable, "-c", ROUND, url, str(start), at]
    procs = [_run(command) for _ in range(2)]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    fired = session.execute(
        select(func.count(AlertTransition.id)).where(AlertTransition.to_state == "firing")
    ).scalar()
    assert fired == 1, outputs
    session.expire_all()
    assert session.execute(select(AlertInstance.state)).scalar_one() == "firing"
