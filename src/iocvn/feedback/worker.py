"""The feedback jobs loop of ``iocvn serve``: escalation, auto-close and the erasure of
expired personal data every few minutes (:mod:`.jobs`), and the day's counts for the
``PAKN.*`` indicators (today's so far, and yesterday's final ones), in a daemon thread.

On PostgreSQL a transaction-level advisory lock makes one node run each round when several
serve the same database. The application never starts it itself (tests decide).
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from iocvn.core.timeutil import to_local, utcnow
from iocvn.feedback import jobs, stats

log = logging.getLogger("iocvn.feedback")
LOCK_KEY = 4_040_001  # pg_try_advisory_xact_lock key of this loop


def run_once(sessions: sessionmaker[Session], retention_days: int) -> jobs.JobReport | None:
    """One round in its own transaction; an error is logged, not raised."""
    try:
        with sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                got = session.execute(text(f"SELECT pg_try_advisory_xact_lock({LOCK_KEY})"))
                if not got.scalar():
                    return None
            now = utcnow()
            report = jobs.run_all(session, now, retention_days)
            today = to_local(now).date()
            for day in (today - timedelta(days=1), today):
                stats.publish_daily(session, day)  # the indicators listen (re-runs replace)
    except Exception:  # the loop must outlive a database restart
        log.exception("feedback jobs round failed")
        return None
    if report.escalated or report.closed or report.erased:
        log.info("feedback jobs round", extra=vars(report))
    return report


class JobsLoop:
    """Runs the jobs every ``interval`` seconds until stopped."""

    def __init__(self, sessions: sessionmaker[Session], interval: float, retention: int) -> None:
        self.sessions, self.interval, self.retention = sessions, interval, retention
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="iocvn-feedback", daemon=True)

    def start(self) -> JobsLoop:
        """Start the daemon thread; returns self."""
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            run_once(self.sessions, self.retention)

    def stop(self, timeout: float = 30) -> None:
        """Ask the loop to end and wait for the round in progress."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
