"""The background deliverer: runs ``deliver_due`` every few seconds in a daemon thread.

``iocvn serve`` starts one (``IOCVN_NOTIFY_INTERVAL_SECONDS``, 0 disables it) and
``iocvn notify deliver`` runs the same loop in the foreground. The application itself never
starts it, so tests and embedders decide when delivery happens.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy.orm import Session, sessionmaker

from iocvn.notify.delivery import DeliveryReport, deliver_due

log = logging.getLogger("iocvn.notify")


def deliver_once(sessions: sessionmaker[Session]) -> DeliveryReport | None:
    """One delivery round; an error (database away, a bug) is logged, not raised."""
    try:
        report = deliver_due(sessions)
    except Exception:  # the loop must outlive a database restart
        log.exception("notification delivery round failed")
        return None
    if report.attempted:
        log.info(
            "notification delivery round",
            extra={"sent": report.sent, "failed": report.failed, "dead": report.dead},
        )
    return report


class DeliveryLoop:
    """Delivers due notifications every ``interval`` seconds until stopped."""

    def __init__(self, sessions: sessionmaker[Session], interval: float) -> None:
        self.sessions = sessions
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="iocvn-notify", daemon=True)

    def start(self) -> DeliveryLoop:
        """Start the daemon thread; returns self."""
        self._thread.start()
        log.info("notification delivery started", extra={"interval_seconds": self.interval})
        return self

    def run(self) -> None:
        """Deliver, wait, repeat (in the calling thread) until :meth:`stop`."""
        while not self._stop.is_set():
            deliver_once(self.sessions)
            self._stop.wait(self.interval)

    def stop(self, timeout: float = 30) -> None:
        """Ask the loop to end and wait for the round in progress."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def start_loop(sessions: sessionmaker[Session], interval: float) -> DeliveryLoop | None:
    """A running loop, or None when ``interval`` is 0 (delivery disabled in this process)."""
    if interval <= 0:
        return None
    return DeliveryLoop(sessions, interval).start()
