"""The built-in e-mail notifier: SMTP through the province's relay (stdlib smtplib).

Active only when ``IOCVN_SMTP_HOST`` is set. It is registered through the same hook as any
third-party notifier, so a plugin serving ``email`` (a mail API, say) replaces it.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from iocvn.config import Settings
from iocvn.core.timeutil import utcnow
from iocvn.notify.hooks import DeliveryError, Message, Notifier, hookimpl

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpNotifier:
    """Sends e-mail through one SMTP relay, one connection per message."""

    host: str
    port: int = 25
    user: str = ""
    password: str = field(default="", repr=False)
    sender: str = "iocvn@localhost"
    starttls: bool = False
    timeout: float = TIMEOUT_SECONDS
    channel: str = "email"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpNotifier:
        """The notifier configured by the ``IOCVN_SMTP_*`` settings."""
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
        )

    def compose(self, message: Message) -> EmailMessage:
        """The e-mail for ``message`` (UTF-8 plain text; Vietnamese needs nothing else)."""
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.destination
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(utcnow())
        domain = self.sender.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = make_msgid(idstring=message.id, domain=domain)
        mail["X-IOCVN-Purpose"] = message.purpose
        mail.set_content(message.body)
        return mail

    def send(self, message: Message) -> str | None:
        """Deliver to the relay; the Message-ID is the provider id (find it in mail logs)."""
        mail = self.compose(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.user:
                    smtp.login(self.user, self.password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (0, b""))
            raise DeliveryError(f"SMTP recipient refused: {code} {_text(text)}") from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(f"SMTP {exc.smtp_code} {_text(exc.smtp_error)}") from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise DeliveryError(f"SMTP {self.host}:{self.port}: {exc}") from exc
        return str(mail["Message-ID"])


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


@hookimpl
def iocvn_notifiers(settings: Settings) -> Sequence[Notifier]:
    """E-mail over SMTP when a relay is configured."""
    return [SmtpNotifier.from_settings(settings)] if settings.smtp_host else []
