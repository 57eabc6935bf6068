"""Background work of ``iocvn serve``: a job run in its own transaction, once across the
nodes that share a PostgreSQL database, and a daemon thread that repeats it.

On PostgreSQL each run takes a transaction-level advisory lock (``pg_try_advisory_xact_lock``
with the job's key): when another node holds it, this node skips the round. A failing run is
logged and the loop goes on (it must outlive a database restart). The application never
starts loops itself; ``iocvn serve`` does (tests decide).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def run_locked(
    sessions: sessionmaker[Session],
    lock_key: int,
    work: Callable[[Session], T],
    log: logging.Logger,
) -> T | None:
    """``work(session)`` in its own transaction; None when another node holds ``lock_key``
    or the work failed (logged)."""
    try:
        with sessions() as session, session.begin():
            if session.get_bind().dialect.name == "postgresql":
                got = session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": lock_key})
                if not got.scalar():
                    return None
            return work(session)
    except Exception:  # the loop must outlive a database restart
        log.exception("background job failed", extra={"lock_key": lock_key})
        return None


class Loop:
    """Calls ``tick()`` every ``interval`` seconds in a daemon thread (at once too, when
    ``at_start``) until stopped."""

    def __init__(
        self, name: str, interval: float, tick: Callable[[], object], *, at_start: bool = False
    ) -> None:
        self.interval, self.tick, self.at_start = interval, tick, at_start
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> Loop:
        """Start the daemon thread; returns self."""
        self._thread.start()
        return self

    def _run(self) -> None:
        if self.at_start:
            self.tick()
        while not self._stop.wait(self.interval):
            self.tick()

    def stop(self, timeout: float = 30) -> None:
        """Ask the loop to end and wait for the round in progress."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
