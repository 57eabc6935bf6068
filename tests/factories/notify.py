"""Test helpers for notifications: a real SMTP server on 127.0.0.1 (aiosmtpd) that records or
refuses what it is sent, a real HTTP SMS gateway (http.server in a thread) likewise, queued
e-mails, and SMTP or SMS settings switched on for one test."""

from __future__ import annotations

import email
import email.policy
import json
import os
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session

from iocvn.config import Settings, get_settings
from iocvn.notify import service
from iocvn.notify.hooks import DeliveryError, Message, Notifier, hookimpl
from iocvn.notify.models import Notification

ADDRESS = "hoa.nt@example.vn"
SMTP_USER = "iocvn-relay"
SMTP_PASSWORD = "relay-Secret-2026"


@dataclass(frozen=True)
class Received:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class SmtpSink:
    """An aiosmtpd handler: keeps accepted messages, or refuses recipients when told to."""

    received: list[Received] = field(default_factory=list)
    refuse: str | None = None  # e.g. "550 5.1.1 <x>: mailbox unavailable"
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.refuse:
            return self.refuse.replace("{address}", address)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 2.0.0 Ok: queued"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        """Accept only SMTP_USER / SMTP_PASSWORD."""
        if isinstance(auth_data, LoginPassword):
            user, password = auth_data.login.decode(), auth_data.password.decode()
            if (user, password) == (SMTP_USER, SMTP_PASSWORD):
                self.logins.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(*, auth: bool = False) -> Iterator[tuple[SmtpSink, int]]:
    """A running SMTP server on 127.0.0.1 and its port; with ``auth`` it requires a login."""
    sink = SmtpSink()
    port = free_port()
    options: dict[str, Any] = {}
    if auth:
        options = {
            "authenticator": sink.authenticate,
            "auth_required": True,
            "auth_require_tls": False,
        }
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Set ``IOCVN_*`` variables for the block (settings re-read), then put them back."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old
        get_settings.cache_clear()


def smtp_env(port: int, **extra: str) -> dict[str, str]:
    """The settings that point the e-mail notifier at the test server."""
    return {
        "IOCVN_SMTP_HOST": "127.0.0.1",
        "IOCVN_SMTP_PORT": str(port),
        "IOCVN_SMTP_FROM": "ioc@langson.gov.vn",
    } | extra


SMS_TOKEN = "gateway-Token-2026"


@dataclass(frozen=True)
class SmsRequest:
    """One request as the SMS gateway got it."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any


@dataclass
class HttpEndpoint:
    """A test HTTP endpoint: what it answers (``status``, ``answer``, after ``delay``
    seconds, with ``headers``); subclasses record what they get (``record``)."""

    status: int = 200
    answer: bytes = b"{}"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)

    def record(self, path: str, headers: dict[str, str], raw: bytes) -> None:
        """Keep one request."""
        raise NotImplementedError


@dataclass
class SmsGateway(HttpEndpoint):
    """The test SMS gateway and what it was sent."""

    received: list[SmsRequest] = field(default_factory=list)
    answer: bytes = b'{"id": "gw-1001", "status": "queued"}'

    def record(self, path: str, headers: dict[str, str], raw: bytes) -> None:
        """Keep the request with its JSON body."""
        self.received.append(SmsRequest("POST", path, headers, json.loads(raw)))


def _handler(endpoint: HttpEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            endpoint.record(self.path, dict(self.headers.items()), raw)
            time.sleep(endpoint.delay)
            try:
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(endpoint.answer)))
                for name, value in endpoint.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(endpoint.answer)
            except OSError:  # the client gave up (a timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


@contextmanager
def serving(endpoint: HttpEndpoint, name: str, path: str) -> Iterator[str]:
    """``endpoint`` running on 127.0.0.1 (a thread) and its URL ending in ``path``."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(endpoint))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{path}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def sms_gateway() -> Iterator[tuple[SmsGateway, str]]:
    """A running HTTP SMS gateway on 127.0.0.1 and its URL."""
    gateway = SmsGateway()
    with serving(gateway, "sms-gateway", "/api/v1/sms") as url:
        yield gateway, url


def sms_env(url: str, **extra: str) -> dict[str, str]:
    """The settings that point the SMS notifier at the test gateway."""
    return {
        "IOCVN_SMS_URL": url,
        "IOCVN_SMS_TOKEN": SMS_TOKEN,
        "IOCVN_SMS_SENDER": "UBND LSON",
    } | extra


def queue_email(session: Session, address: str = ADDRESS, **fields: Any) -> Notification:
    """One queued e-mail (Vietnamese subject and body) for ``address``."""
    values: dict[str, Any] = {
        "subject": "Nhắc báo cáo số liệu tháng 9/2025",
        "body": "Kính gửi đồng chí,\nPhường Đông Kinh chưa gửi số liệu tháng 9/2025.",
        "purpose": "indicators.reminder",
        "reference": "202509",
    } | fields
    return service.enqueue(
        session,
        values.pop("channel", "email"),
        address,
        values.pop("subject"),
        values.pop("body"),
        values.pop("purpose"),
        values.pop("reference"),
        **values,
    )


@dataclass
class FakeSms:
    """A notifier standing in for an SMS gateway plugin."""

    outcome: str = "ok"
    channel: str = "sms"
    sent: list[Message] | None = None

    def send(self, message: Message) -> str | None:
        """Take the message, refuse it or crash, as ``outcome`` says."""
        if self.outcome == "refuse":
            raise DeliveryError(f"gateway refused {message.destination}")
        if self.outcome == "crash":
            raise RuntimeError("boom")
        if self.sent is not None:
            self.sent.append(message)
        return "sms-42"


class SmsPlugin:
    """A third-party plugin object, registered like one from an entry point."""

    def __init__(self, notifier: FakeSms) -> None:
        self.notifier = notifier

    @hookimpl
    def iocvn_notifiers(self, settings: Settings) -> Sequence[Notifier]:
        """The one notifier this plugin offers."""
        return [self.notifier]
