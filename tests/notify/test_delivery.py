"""Delivery: a real SMTP server gets the e-mail; refusals back off and end dead; a channel
without a notifier fails visibly; an interrupted send is retried, never counted sent; several
deliverers never take the same row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from iocvn.config import get_settings
from iocvn.notify import delivery, plugins
from iocvn.notify.models import Notification
from tests.factories.notify import (
    ADDRESS,
    SMTP_PASSWORD,
    SMTP_USER,
    SmtpSink,
    environment,
    queue_email,
    smtp_env,
    smtp_server,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_an_email_is_delivered_through_smtp(session: Session, smtp: SmtpSink) -> None:
    row = queue_email(session, subject="Nhắc báo cáo\r\nBcc: attacker@example.com", now=NOW)
    session.commit()
    report = delivery.deliver_due(session, NOW)
    session.commit()
    assert (report.sent, report.failed, report.dead) == (1, 0, 0)
    session.refresh(row)
    assert row.status == "sent" and row.sent_at == NOW and row.attempts == 1
    assert row.last_error is None and row.next_attempt_at is None
    assert len(smtp.received) == 1
    got = smtp.received[0]
    assert got.rcpt_tos == [ADDRESS]
    assert got.mail_from == "ioc@langson.gov.vn"
    assert got.message["To"] == ADDRESS
    assert got.message["Subject"] == "Nhắc báo cáo Bcc: attacker@example.com"  # one line
    assert got.message["Bcc"] is None
    assert got.message["X-IOCVN-Purpose"] == "indicators.reminder"
    assert "Phường Đông Kinh chưa gửi số liệu tháng 9/2025." in got.message.get_content()
    assert row.provider_id == got.message["Message-ID"]
    assert delivery.deliver_due(session, NOW + timedelta(hours=1)).attempted == 0


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login(session: Session) -> None:
    with (
        smtp_server(auth=True) as (sink, port),
        environment(**smtp_env(port, IOCVN_SMTP_USER=SMTP_USER, IOCVN_SMTP_PASSWORD=SMTP_PASSWORD)),
    ):
        queue_email(session, now=NOW)
        assert delivery.deliver_due(session, NOW).sent == 1
        assert sink.logins == [SMTP_USER]
    with smtp_server(auth=True) as (sink, port), environment(**smtp_env(port)):
        row = queue_email(session, now=NOW)
        delivery.deliver_due(session, NOW)
        assert row.status == "failed" and "530" in (row.last_error or "")  # auth required
        assert sink.received == []


def test_refusals_back_off_then_the_message_is_dead(session: Session, smtp: SmtpSink) -> None:
    smtp.refuse = "550 5.1.1 <{address}>: Recipient address rejected"
    row = queue_email(session, now=NOW)
    session.commit()
    clock = NOW
    waits = []
    for attempt in range(1, 6):
        report = delivery.deliver_due(session, clock)
        session.refresh(row)
        assert row.attempts == attempt
        assert row.status != "sent"
        assert "550" in (row.last_error or "") and "Recipient address rejected" in (
            row.last_error or ""
        )
        assert ADDRESS not in (row.last_error or "")  # the refusal echoed it; stored masked
        if attempt < 5:
            assert (report.failed, report.dead) == (1, 0) and row.status == "failed"
            assert row.next_attempt_at is not None
            waits.append(row.next_attempt_at - clock)
            # nothing is retried before its time
            early = delivery.deliver_due(session, row.next_attempt_at - timedelta(seconds=1))
            assert early.attempted == 0
            clock = row.next_attempt_at
        else:
            assert (report.failed, report.dead) == (0, 1)
            assert row.status == "dead" and row.next_attempt_at is None
    assert waits == [timedelta(minutes=m) for m in (1, 5, 25, 125)]
    assert smtp.received == []
    assert delivery.deliver_due(session, clock + timedelta(days=30)).attempted == 0


def test_backoff_is_capped() -> None:
    assert [delivery.backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=5),
        timedelta(minutes=25),
    ]
    assert delivery.backoff(20) == timedelta(days=1)


def test_a_channel_without_notifier_fails_and_is_never_sent(session: Session) -> None:
    assert "email" not in plugins.notifiers(get_settings())  # no IOCVN_SMTP_HOST in tests
    by_email = queue_email(session, now=NOW)
    by_sms = queue_email(session, "0912345667", channel="sms", now=NOW)
    report = delivery.deliver_due(session, NOW)
    assert (report.sent, report.failed) == (0, 2)
    assert by_email.status == "failed" and by_email.last_error == "no notifier for channel email"
    assert by_sms.status == "failed" and by_sms.last_error == "no notifier for channel sms"
    assert by_sms.sent_at is None and by_sms.provider_id is None
    assert by_sms.destination_masked == "09******67"


def test_unreachable_relay_is_a_failure(session: Session) -> None:
    with smtp_server() as (_, port):
        pass  # started and stopped: nobody listens there now
    with environment(**smtp_env(port)):
        row = queue_email(session, now=NOW)
        delivery.deliver_due(session, NOW)
    assert row.status == "failed" and "SMTP 127.0.0.1:" in (row.last_error or "")


def test_a_send_interrupted_by_a_crash_is_retried_not_counted_sent(session: Session) -> None:
    row = queue_email(session, now=NOW)
    row.status, row.attempts = "sending", 1
    row.next_attempt_at = NOW + delivery.LEASE
    session.flush()
    assert delivery.deliver_due(session, NOW + timedelta(minutes=1)).attempted == 0
    report = delivery.deliver_due(session, NOW + delivery.LEASE, notifiers={})
    assert report.failed == 1
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, delivery.INTERRUPTED)
    assert row.next_attempt_at == NOW + delivery.LEASE + timedelta(minutes=1)
    later = delivery.deliver_due(session, row.next_attempt_at, notifiers={})
    assert later.failed == 1 and row.attempts == 2


def test_with_a_session_factory_each_outcome_is_committed(db: Engine, smtp: SmtpSink) -> None:
    factory = sessionmaker(bind=db, expire_on_commit=False)
    with factory() as session:
        ids = [queue_email(session, f"nguoi{i}@example.vn", now=NOW).id for i in range(3)]
        session.commit()
    report = delivery.deliver_due(factory, NOW)
    assert report.sent == 3 and len(smtp.received) == 3
    with factory() as session:
        rows = session.execute(select(Notification).where(Notification.id.in_(ids))).scalars()
        assert {r.status for r in rows} == {"sent"}


@pytest.mark.postgres_only
def test_rows_locked_by_another_deliverer_are_skipped(db: Engine, smtp: SmtpSink) -> None:
    factory = sessionmaker(bind=db, expire_on_commit=False)
    with factory() as session:
        first = queue_email(session, "mot@example.vn", now=NOW).id
        second = queue_email(session, "hai@example.vn", now=NOW).id
        session.commit()
    with factory() as other:  # another server holds the first row mid-claim
        other.execute(select(Notification).where(Notification.id == first).with_for_update()).one()
        report = delivery.deliver_due(factory, NOW)
        assert report.sent == 1
        assert [r.rcpt_tos for r in smtp.received] == [["hai@example.vn"]]
        other.rollback()
    assert delivery.deliver_due(factory, NOW).sent == 1
    with factory() as session:
        assert session.get(Notification, first).status == "sent"  # type: ignore[union-attr]
        assert session.get(Notification, second).status == "sent"  # type: ignore[union-attr]
