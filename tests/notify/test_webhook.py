"""The webhook notifier against a real HTTP receiver: the JSON it posts and its HMAC-SHA256
signature; 2xx is sent, anything else (5xx, a redirect, no answer in time, nobody listening)
is a DeliveryError naming the host, never the URL's token; only allowed hosts; and, through
the outbox, a failing webhook backs off and ends dead."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from iocvn.config import get_settings
from iocvn.notify import delivery, plugins, service
from iocvn.notify.hooks import DeliveryError, Message
from iocvn.notify.webhook import SIGNATURE_HEADER, WebhookNotifier, allowed, hosts, signature
from tests.factories.notify import environment, free_port
from tests.factories.webhooks import Receiver, webhook_receiver

NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
SECRET = "webhook-Secret-2026"


def message(url: str, **fields: str) -> Message:
    values = {
        "id": "01JDXNOTIFICATION000000001",
        "channel": "webhook",
        "destination": url,
        "subject": "[IOC] Cảnh báo: Mực nước sông Kỳ Cùng vượt báo động 1",
        "body": "Đang cảnh báo (1):\n- [Cảnh báo] Mực nước sông Kỳ Cùng: đang vượt ngưỡng\n",
        "purpose": "alerts.notification",
        "reference": "01JDXGROUP0000000000000001",
    } | fields
    return Message(**values)


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    with webhook_receiver() as found:
        yield found


def test_posts_the_message_as_signed_json(receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    notifier = WebhookNotifier(frozenset({"127.0.0.1"}), secret=SECRET, timeout=5)
    assert notifier.send(message(url)) == "hook-7"  # the receiver's id
    (got,) = hook.received
    assert got.path == "/hooks/ioc?token=s3cret-Tok"
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    document = json.loads(got.body)
    assert document == {
        "id": "01JDXNOTIFICATION000000001",
        "subject": "[IOC] Cảnh báo: Mực nước sông Kỳ Cùng vượt báo động 1",
        "body": "Đang cảnh báo (1):\n- [Cảnh báo] Mực nước sông Kỳ Cùng: đang vượt ngưỡng\n",
        "purpose": "alerts.notification",
        "reference": "01JDXGROUP0000000000000001",
    }
    assert "Kỳ Cùng".encode() in got.body  # UTF-8 as is, not \u escapes
    # what a receiver does: recompute over the raw body, compare in constant time
    expected = "sha256=" + hmac.new(SECRET.encode(), got.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(got.headers[SIGNATURE_HEADER], expected)
    assert signature(got.body, SECRET) == expected


def test_no_secret_no_signature_and_an_answer_without_id(receiver: tuple[Receiver, str]) -> None:
    hook, url = receiver
    hook.answer = b"ok"
    assert WebhookNotifier(frozenset({"*"})).send(message(url)) is None
    assert SIGNATURE_HEADER not in hook.received[0].headers


@pytest.mark.parametrize(
    ("status", "extra"), [(500, {}), (404, {}), (302, {"Location": "http://127.0.0.1:1/"})]
)
def test_a_refusal_is_a_delivery_error_naming_the_host_not_the_token(
    receiver: tuple[Receiver, str], status: int, extra: dict[str, str]
) -> None:
    hook, url = receiver
    hook.status, hook.headers = status, extra
    with pytest.raises(DeliveryError) as failed:
        WebhookNotifier(frozenset({"*"})).send(message(url))
    port = url.split(":")[2].split("/")[0]
    assert str(failed.value) == f"webhook 127.0.0.1:{port}: HTTP {status}"
    assert "s3cret-Tok" not in str(failed.value)
    assert len(hook.received) == 1  # a redirect is not followed


def test_nobody_listening_and_no_answer_in_time(receiver: tuple[Receiver, str]) -> None:
    port = free_port()
    with pytest.raises(DeliveryError, match=rf"webhook 127.0.0.1:{port} unreachable"):
        WebhookNotifier(frozenset({"*"})).send(message(f"http://127.0.0.1:{port}/x"))
    hook, url = receiver
    hook.delay = 1.0
    with pytest.raises(DeliveryError, match=r"did not answer within 0.2 s"):
        WebhookNotifier(frozenset({"*"}), timeout=0.2).send(message(url))


def test_only_http_urls_to_allowed_hosts() -> None:
    assert hosts(" Hooks.Example.VN , 127.0.0.1,") == {"hooks.example.vn", "127.0.0.1"}
    assert allowed("https://hooks.example.vn/a?b=c", hosts("hooks.example.vn"))
    assert not allowed("https://evil.example.vn/a", hosts("hooks.example.vn"))
    assert allowed("https://evil.example.vn/a", hosts("*"))
    for bad in ("ftp://hooks.example.vn/", "hooks.example.vn", "http://", "http://h:99999/"):
        assert not allowed(bad, hosts("*")), bad
    notifier = WebhookNotifier(hosts("hooks.example.vn"))
    with pytest.raises(DeliveryError, match="host not in IOCVN_WEBHOOK_HOSTS"):
        notifier.send(message("http://169.254.169.254/latest/meta-data"))
    with pytest.raises(DeliveryError, match="not an http"):
        notifier.send(message("file:///etc/passwd"))


def test_the_channel_exists_only_when_hosts_are_allowed() -> None:
    assert "webhook" not in plugins.notifiers(get_settings())
    env = {"IOCVN_WEBHOOK_HOSTS": "127.0.0.1", "IOCVN_WEBHOOK_SECRET": SECRET,
           "IOCVN_WEBHOOK_TIMEOUT_S": "3"}  # fmt: skip
    with environment(**env):
        found = plugins.notifiers(get_settings())["webhook"]
        assert found == WebhookNotifier(frozenset({"127.0.0.1"}), secret=SECRET, timeout=3.0)
        assert SECRET not in repr(found)


def test_through_the_outbox_a_failing_webhook_backs_off_and_ends_dead(
    session: Session, receiver: tuple[Receiver, str]
) -> None:
    hook, url = receiver
    hook.status = 500
    with environment(IOCVN_WEBHOOK_HOSTS="127.0.0.1"):
        row = service.enqueue(
            session, "webhook", url, "Tiêu đề", "Nội dung", "alerts.test", now=NOW
        )
        session.commit()
        clock, waits = NOW, []
        for attempt in range(1, 6):
            report = delivery.deliver_due(session, clock)
            session.commit()
            session.refresh(row)
            assert row.attempts == attempt and "HTTP 500" in (row.last_error or "")
            if attempt < 5:
                assert (report.failed, row.status) == (1, "failed")
                assert row.next_attempt_at is not None
                waits.append(row.next_attempt_at - clock)
                assert delivery.deliver_due(session, row.next_attempt_at - timedelta(seconds=1)
                                            ).attempted == 0  # fmt: skip
                clock = row.next_attempt_at
        assert (report.dead, row.status, row.next_attempt_at) == (1, "dead", None)
    assert waits == [timedelta(minutes=m) for m in (1, 5, 25, 125)]
    assert len(hook.received) == 5
    assert "s3cret-Tok" not in (row.last_error or "") and "s3cret-Tok" not in row.destination
