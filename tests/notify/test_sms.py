"""The built-in SMS notifier against a real HTTP gateway on 127.0.0.1: the JSON and the token it
sends, failures (an error status, a redirect, a timeout, no gateway) that are never sent, no
channel without IOCVN_SMS_URL, and delivery end to end — a failing gateway backs off without
holding up the e-mails of the same batch."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from iocvn.config import Settings, get_settings
from iocvn.core.context import Actor
from iocvn.core.timeutil import utcnow
from iocvn.feedback import workflow
from iocvn.notify import delivery, plugins, sms
from iocvn.notify.hooks import DeliveryError, Message
from iocvn.notify.models import Notification
from iocvn.notify.sms import MAX_CHARS, SmsGatewayNotifier, e164, sms_text
from tests.factories.feedback import province, report
from tests.factories.notify import (
    SMS_TOKEN,
    SmsGateway,
    SmtpSink,
    environment,
    free_port,
    queue_email,
    sms_env,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
PHONE = "0912 345 678"
SUBJECT = "Phản ánh PA-26-7KQ2M4X: Đã xử lý"
BODY = (
    "Phản ánh PA-26-7KQ2M4X của bạn: Đã xử lý.\n"
    "Đã vá ổ gà trước số 173 đường Minh Khai.\n"
    "Theo dõi: https://ioc.langson.gov.vn/phan-anh/PA-26-7KQ2M4X"
)


def message(destination: str = PHONE, **fields: str) -> Message:
    """A citizen's update as the delivery hands it to a notifier."""
    values = {"id": "01JSMS0000000000000000TEST", "channel": "sms", "destination": destination,
              "subject": SUBJECT, "body": BODY, "purpose": "feedback.update",
              "reference": "case-1"} | fields  # fmt: skip
    return Message(**values)


def notifier() -> SmsGatewayNotifier:
    """The SMS notifier as the plugin manager offers it with the current settings."""
    found = plugins.notifiers(get_settings())["sms"]
    assert isinstance(found, SmsGatewayNotifier)
    return found


def test_a_message_is_posted_as_json_with_the_bearer_token(gateway: SmsGateway) -> None:
    assert notifier().send(message()) == "gw-1001"
    assert len(gateway.received) == 1
    got = gateway.received[0]
    assert (got.method, got.path) == ("POST", "/api/v1/sms")
    assert got.headers["Authorization"] == f"Bearer {SMS_TOKEN}"
    assert got.headers["Content-Type"].startswith("application/json")
    assert got.json == {
        "to": "+84912345678",
        "from": "UBND LSON",
        "text": BODY,  # short enough: the subject is in its first line already
        "reference": "01JSMS0000000000000000TEST",
    }


@pytest.mark.parametrize(
    ("answer", "provider_id"),
    [
        (b'{"message_id": 77821}', "77821"),
        (b'{"id": "", "message_id": "m-5"}', "m-5"),
        (b'{"status": "queued"}', None),
        (b"", None),
        (b"OK", None),
        (b'["queued"]', None),
    ],
)
def test_the_provider_id_comes_from_the_answer_when_there_is_one(
    gateway: SmsGateway, answer: bytes, provider_id: str | None
) -> None:
    gateway.status, gateway.answer = 202, answer
    assert notifier().send(message()) == provider_id


def test_without_a_sender_or_token_neither_is_sent(gateway: SmsGateway) -> None:
    with environment(IOCVN_SMS_SENDER="", IOCVN_SMS_TOKEN=""):
        notifier().send(message())
    got = gateway.received[0]
    assert "from" not in got.json and "Authorization" not in got.headers


def test_an_error_status_is_a_delivery_error_with_the_number_masked(gateway: SmsGateway) -> None:
    gateway.status = 500
    gateway.answer = b'{"error": "upstream carrier down for +84912345678"}'
    with pytest.raises(DeliveryError) as failed:
        notifier().send(message())
    reason = str(failed.value)
    assert reason.startswith("SMS gateway 127.0.0.1:")
    assert "HTTP 500" in reason and "upstream carrier down" in reason
    assert "912345678" not in reason and "09******78" in reason
    assert "/api/v1/sms" not in reason and SMS_TOKEN not in reason


@pytest.mark.parametrize("status", [400, 401, 404, 429, 503])
def test_any_other_status_is_a_delivery_error(gateway: SmsGateway, status: int) -> None:
    gateway.status, gateway.answer = status, b"{}"
    with pytest.raises(DeliveryError, match=f"HTTP {status}"):
        notifier().send(message())


def test_a_redirect_is_not_followed(gateway: SmsGateway) -> None:
    gateway.status, gateway.headers = 302, {"Location": "/somewhere-else"}
    with pytest.raises(DeliveryError, match="HTTP 302"):
        notifier().send(message())
    assert [r.path for r in gateway.received] == ["/api/v1/sms"]


def test_a_gateway_that_does_not_answer_in_time_is_a_delivery_error(gateway: SmsGateway) -> None:
    gateway.delay = 2.0
    with environment(IOCVN_SMS_TIMEOUT_S="0.3"), pytest.raises(DeliveryError) as failed:
        notifier().send(message())
    assert "did not answer within 0.3 s" in str(failed.value)


def test_no_gateway_listening_is_a_delivery_error() -> None:
    url = f"http://127.0.0.1:{free_port()}/sms"
    with environment(**sms_env(url)), pytest.raises(DeliveryError, match="unreachable"):
        notifier().send(message())


def test_only_http_urls_are_used() -> None:
    with (
        environment(**sms_env("file:///etc/passwd")),
        pytest.raises(DeliveryError, match="http:// or https://"),
    ):
        notifier().send(message())


def test_a_destination_that_is_no_phone_number_is_refused(gateway: SmsGateway) -> None:
    with pytest.raises(DeliveryError, match="not a phone number"):
        notifier().send(message("hoa.nt@example.vn"))
    assert gateway.received == []


def test_without_a_url_there_is_no_sms_channel() -> None:
    assert "sms" not in plugins.notifiers(get_settings())
    assert sms.iocvn_notifiers(Settings(sms_url=" ")) == []
    assert len(sms.iocvn_notifiers(Settings(sms_url="https://sms.example.vn/send"))) == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912 345 678", "+84912345678"),
        ("+84 912-345-678", "+84912345678"),
        ("84912345678", "+84912345678"),
        ("(0205) 3870 123", "+842053870123"),  # a Lạng Sơn landline
        ("+1 202 555 0143", "+12025550143"),
    ],
)
def test_numbers_are_sent_in_e164(raw: str, expected: str) -> None:
    assert e164(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "912345678", "0912", "", "hoa.nt@example.vn", "+1"])
def test_what_is_not_a_phone_number_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="not a phone number"):
        e164(raw)


def test_a_short_update_is_sent_whole_without_repeating_the_subject() -> None:
    assert sms_text(SUBJECT, BODY) == BODY


def test_a_subject_the_body_does_not_say_comes_first() -> None:
    text = sms_text("Nhắc báo cáo số liệu tháng 9/2025", "Kính gửi đồng chí,\nHạn: 10/10/2025")
    assert text == "Nhắc báo cáo số liệu tháng 9/2025\nKính gửi đồng chí,\nHạn: 10/10/2025"


def test_a_long_update_keeps_its_headline_and_link_and_shortens_the_rest() -> None:
    answer = "Ủy ban nhân dân phường đã phối hợp với Sở Xây dựng vá ổ gà và khơi thông cống. " * 10
    body = BODY.replace("Đã vá ổ gà trước số 173 đường Minh Khai.", answer)
    text = sms_text(SUBJECT, body)
    lines = text.split("\n")
    assert len(text) <= MAX_CHARS
    assert lines[0] == "Phản ánh PA-26-7KQ2M4X của bạn: Đã xử lý."
    assert lines[-1] == "Theo dõi: https://ioc.langson.gov.vn/phan-anh/PA-26-7KQ2M4X"
    assert lines[1].startswith("Ủy ban nhân dân phường đã phối hợp") and lines[1].endswith("…")
    assert lines[1][:-1] in answer and not lines[1][:-1].endswith(" ")


def test_only_the_vietnamese_half_of_a_bilingual_message_is_sent() -> None:
    body = "Kính gửi đồng chí,\nPhường Đông Kinh chưa gửi số liệu.\n\n---\nDear colleague,\nLate."
    text = sms_text("Nhắc báo cáo / Overdue reports", body)
    assert "Dear" not in text and "Phường Đông Kinh chưa gửi số liệu." in text


def test_the_text_is_composed_unicode() -> None:
    decomposed = unicodedata.normalize("NFD", BODY)
    assert sms_text(SUBJECT, decomposed) == BODY  # "ử" as one character, not three


def test_an_sms_is_delivered_and_marked_sent(session: Session, gateway: SmsGateway) -> None:
    row = queue_email(session, PHONE, channel="sms", subject=SUBJECT, body=BODY,
                      purpose="feedback.update", reference="case-1", now=NOW)  # fmt: skip
    session.commit()
    report = delivery.deliver_due(session, NOW)
    session.commit()
    assert (report.sent, report.failed) == (1, 0)
    assert row.status == "sent" and row.provider_id == "gw-1001" and row.sent_at == NOW
    assert gateway.received[0].json["reference"] == row.id
    assert gateway.received[0].json["to"] == "+84912345678"
    assert delivery.deliver_due(session, NOW + timedelta(hours=1)).attempted == 0


def test_a_failing_gateway_backs_off_without_holding_up_the_emails(
    session: Session, gateway: SmsGateway, smtp: SmtpSink
) -> None:
    gateway.status, gateway.answer = 500, b'{"error": "maintenance"}'
    text = queue_email(session, PHONE, channel="sms", subject=SUBJECT, body=BODY, now=NOW)
    mail = queue_email(session, now=NOW)
    session.commit()
    report = delivery.deliver_due(session, NOW)
    session.commit()
    assert (report.sent, report.failed, report.dead) == (1, 1, 0)
    assert mail.status == "sent" and len(smtp.received) == 1
    assert text.status == "failed" and text.sent_at is None and text.provider_id is None
    assert text.attempts == 1 and text.next_attempt_at == NOW + timedelta(minutes=1)
    assert "HTTP 500" in (text.last_error or "") and "maintenance" in (text.last_error or "")
    assert delivery.deliver_due(session, NOW + timedelta(seconds=30)).attempted == 0  # waits
    assert len(gateway.received) == 1
    gateway.status, gateway.answer = 200, b'{"id": "gw-2002"}'
    assert delivery.deliver_due(session, NOW + timedelta(minutes=1)).sent == 1
    session.commit()
    assert text.status == "sent" and text.attempts == 2 and text.provider_id == "gw-2002"


def test_a_timeout_is_retried_not_counted_sent(session: Session, gateway: SmsGateway) -> None:
    gateway.delay = 2.0
    with environment(IOCVN_SMS_TIMEOUT_S="0.3"):
        row = queue_email(session, PHONE, channel="sms", now=NOW)
        report = delivery.deliver_due(session, NOW)
    assert (report.sent, report.failed) == (0, 1)
    assert row.status == "failed" and "did not answer" in (row.last_error or "")


def test_a_citizen_who_chose_sms_gets_the_update(session: Session, gateway: SmsGateway) -> None:
    province(session)
    case = report(session, notify_by="sms", phone=PHONE).case
    workflow.accept(session, get_settings(), Actor("dieuhanh", "20"), case)
    session.commit()
    assert delivery.deliver_due(session, utcnow() + timedelta(minutes=1)).sent == 1
    session.commit()
    texts = [r.json["text"] for r in gateway.received]
    assert texts == [  # accepted and assigned to Đông Kinh at once
        f"Phản ánh {case.code} của bạn: Đã chuyển đơn vị xử lý.\nTheo dõi: http://127.0.0.1:8000/phan-anh/{case.code}"
    ]
    assert all(r.json["to"] == "+84912345678" for r in gateway.received)
    rows = session.query(Notification).filter(Notification.channel == "sms").all()
    assert rows and all(r.status == "sent" for r in rows)
