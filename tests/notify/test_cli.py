"""``iocvn notify …`` and ``iocvn user add --email`` through the full command line on the
test database; the background loop only runs when asked for."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from iocvn.auth.models import User
from iocvn.cli import app
from iocvn.notify import worker
from iocvn.notify.models import Notification
from tests.factories.notify import ADDRESS, SmtpSink, queue_email
from tests.factories.org import audit_actions

runner = CliRunner()
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def run(*args: str) -> tuple[int, str]:
    """Invoke ``iocvn``; its exit code and everything it printed."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_deliver_once_list_and_retry(units: Session, smtp: SmtpSink) -> None:
    row = queue_email(units, now=NOW)
    units.commit()
    code, out = run("notify", "deliver", "--once")
    assert code == 0, out
    assert "sent 1" in out and len(smtp.received) == 1
    smtp.refuse = "550 5.7.1 relaying denied"
    failing = queue_email(units, "lan.pt@example.vn")
    units.commit()
    code, out = run("notify", "deliver", "--once")
    assert code == 1 and "failed 1" in out
    code, out = run("notify", "list", "--status", "failed")
    assert code == 0 and failing.id in out and row.id not in out
    assert "l***@example.vn" in out and "550 5.7.1 relaying denied" in out
    assert "lan.pt@" not in out
    code, out = run("notify", "retry", failing.id)
    assert code == 0, out
    assert audit_actions(units, "notification.") == ["notification.retry"]
    code, out = run("notify", "retry", row.id)  # already sent
    assert code == 1 and "notification_not_retryable" in out


def test_send_a_test_message(units: Session, smtp: SmtpSink) -> None:
    code, out = run("notify", "test", ADDRESS)
    assert code == 0, out
    assert "h***@example.vn: sent" in out
    assert smtp.received[0].message["Subject"] == "[IOC] Thư thử nghiệm / Test message"


def test_send_a_test_message_without_a_relay(units: Session) -> None:
    code, out = run("notify", "test", ADDRESS)
    assert code == 1 and "no notifier for channel email" in out
    assert units.execute(select(Notification)).first() is None


def test_user_add_with_email(units: Session) -> None:
    code, out = run(
        "user", "add", "canbo.dk", "--role", "commune_officer", "--org", "05977",
        "--email", "canbo.dk@langson.gov.vn",
    )  # fmt: skip
    assert code == 0, out
    user = units.execute(select(User).where(User.username == "canbo.dk")).scalar_one()
    assert user.email == "canbo.dk@langson.gov.vn"


def test_the_loop_delivers_until_stopped(db: Engine, units: Session, smtp: SmtpSink) -> None:
    assert worker.start_loop(sessionmaker(bind=db), 0) is None  # 0 disables it
    queue_email(units)
    units.commit()
    loop = worker.start_loop(sessionmaker(bind=db), 0.05)
    assert loop is not None
    try:
        deadline = time.monotonic() + 10
        while not smtp.received and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        loop.stop()
    assert len(smtp.received) == 1
    assert not any(t.name == "iocvn-notify" for t in threading.enumerate())


def test_the_app_starts_no_deliverer(client: object) -> None:
    assert not any(t.name == "iocvn-notify" for t in threading.enumerate())
