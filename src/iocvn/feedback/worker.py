"""The feedback jobs loop of ``iocvn serve``: escalation, auto-close and the erasure of
expired personal data every few minutes (:mod:`.jobs`), and the day's counts for the
``PAKN.*`` indicators (today's so far, and yesterday's final ones), in a daemon thread.

One node runs each round when several serve the same database (``core.jobs``).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from iocvn.core import jobs as background
from iocvn.core.jobs import Loop
from iocvn.core.timeutil import to_local, utcnow
from iocvn.feedback import jobs, stats

log = logging.getLogger("iocvn.feedback")
LOCK_KEY = 4_040_001  # pg_try_advisory_xact_lock key of this loop


def run_once(sessions: sessionmaker[Session], retention_days: int) -> jobs.JobReport | None:
    """One round in its own transaction; an error is logged, not raised."""

    def work(session: Session) -> jobs.JobReport:
        now = utcnow()
        report = jobs.run_all(session, now, retention_days)
        today = to_local(now).date()
        for day in (today - timedelta(days=1), today):
            stats.publish_daily(session, day)  # the indicators listen (re-runs replace)
        return report

    report = background.run_locked(sessions, LOCK_KEY, work, log)
    if report is not None and (report.escalated or report.closed or report.erased):
        log.info("feedback jobs round", extra=vars(report))
    return report


def jobs_loop(sessions: sessionmaker[Session], interval: float, retention: int) -> Loop:
    """The loop of ``iocvn serve`` (not started)."""
    return Loop("iocvn-feedback", interval, lambda: run_once(sessions, retention))
