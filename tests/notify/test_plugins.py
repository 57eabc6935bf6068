"""Notifiers as plugins: a third-party channel delivers through the hook, its errors are
failures with the address masked, and a plugin may replace the built-in e-mail notifier."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from iocvn.config import Settings, get_settings
from iocvn.notify import delivery, plugins
from iocvn.notify.email import SmtpNotifier
from iocvn.notify.hooks import Notifier, hookimpl
from tests.factories.notify import (
    FakeSms,
    SmsPlugin,
    SmtpSink,
    queue_email,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


@pytest.fixture
def sms() -> Iterator[FakeSms]:
    """An SMS notifier plugged in through the hook for one test."""
    notifier = FakeSms(sent=[])
    plugin = SmsPlugin(notifier)
    plugins.plugin_manager().register(plugin, name="test-sms")
    try:
        yield notifier
    finally:
        plugins.plugin_manager().unregister(plugin)


def test_a_plugin_notifier_delivers_its_channel(session: Session, sms: FakeSms) -> None:
    assert "sms" in plugins.notifiers(get_settings())
    row = queue_email(session, "0912 345 667", channel="sms", now=NOW)
    assert delivery.deliver_due(session, NOW).sent == 1
    assert row.status == "sent" and row.provider_id == "sms-42"
    assert sms.sent is not None and sms.sent[0].destination == "0912 345 667"


def test_plugin_errors_are_failures_with_the_address_masked(session: Session, sms: FakeSms) -> None:
    sms.outcome = "refuse"
    refused = queue_email(session, "0912345667", channel="sms", now=NOW)
    delivery.deliver_due(session, NOW)
    assert refused.status == "failed" and refused.last_error == "gateway refused 09******67"
    sms.outcome = "crash"
    crashed = queue_email(session, "0912345668", channel="sms", now=NOW)
    delivery.deliver_due(session, NOW)
    assert crashed.status == "failed" and crashed.last_error == "RuntimeError: boom"


def test_a_plugin_replaces_the_builtin_for_its_channel(smtp: SmtpSink) -> None:
    mailer = FakeSms(channel="email")
    plugin = SmsPlugin(mailer)
    assert isinstance(plugins.notifiers(get_settings())["email"], SmtpNotifier)
    plugins.plugin_manager().register(plugin, name="test-mail-api")
    try:
        assert plugins.notifiers(get_settings())["email"] is mailer
    finally:
        plugins.plugin_manager().unregister(plugin)


class BrokenPlugin:
    """A plugin whose hook itself fails (a missing setting, a bug)."""

    @hookimpl
    def iocvn_notifiers(self, settings: Settings) -> Sequence[Notifier]:
        """Fail."""
        raise KeyError("SMS_GATEWAY_KEY")


def test_a_failing_plugin_costs_only_its_own_channel(smtp: SmtpSink) -> None:
    broken = BrokenPlugin()
    plugins.plugin_manager().register(broken, name="test-broken")
    try:
        assert set(plugins.notifiers(get_settings())) == {"email"}
    finally:
        plugins.plugin_manager().unregister(broken)
