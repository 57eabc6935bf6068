"""Fixtures of the notification tests: org units, a real SMTP server the e-mail notifier is
configured to use, and a real HTTP SMS gateway the SMS notifier is configured to use."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from tests.factories.auth import add_units
from tests.factories.notify import (
    SmsGateway,
    SmtpSink,
    environment,
    sms_env,
    sms_gateway,
    smtp_env,
    smtp_server,
)


@pytest.fixture
def units(session: Session) -> Session:
    """The province, two wards and two agencies of ``factories.auth``."""
    add_units(session)
    session.commit()
    return session


@pytest.fixture
def smtp() -> Iterator[SmtpSink]:
    """A local SMTP server, with IOCVN_SMTP_* pointing at it for the test."""
    with smtp_server() as (sink, port), environment(**smtp_env(port)):
        yield sink


@pytest.fixture
def gateway() -> Iterator[SmsGateway]:
    """A local HTTP SMS gateway, with IOCVN_SMS_* pointing at it for the test."""
    with sms_gateway() as (gateway, url), environment(**sms_env(url)):
        yield gateway
