"""The built-in SMS notifier: one JSON POST per message to an HTTP SMS gateway (stdlib urllib).

Vietnamese gateways (brandname SMS resold for Viettel, VNPT, MobiFone; eSMS, SpeedSMS…) each
have their own API; this notifier speaks one small generic contract, and a province points it
at its gateway directly or through a small adapter::

    POST IOCVN_SMS_URL
    Authorization: Bearer IOCVN_SMS_TOKEN
    {"to": "+84912345678", "from": IOCVN_SMS_SENDER, "text": "…", "reference": message id}

A 2xx answer means the gateway took the message (its JSON ``id`` or ``message_id`` is the
provider id); anything else — another status, a redirect, no answer within
``IOCVN_SMS_TIMEOUT_S`` — is a :class:`DeliveryError`, never a sent message. Active only when
``IOCVN_SMS_URL`` is set; a plugin serving ``sms`` replaces it. The text is Unicode (the
diacritics stay) and shortened to a few SMS segments, keeping the headline and the links.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from iocvn.config import Settings
from iocvn.core import pii
from iocvn.notify import httppost
from iocvn.notify.hooks import DeliveryError, Message, Notifier, hookimpl

# Five concatenated Unicode (UCS-2) segments of 67 characters: Vietnamese with its diacritics
# cannot use the 160-character GSM alphabet, and every segment is paid for.
MAX_CHARS = 5 * 67
ELLIPSIS = "…"
_LINK = re.compile(r"https?://\S+|(?<!\S)/[\w./?=&%#-]+")
_WORD = re.compile(r"[\w-]+")
_OTHER_LANGUAGE = re.compile(r"^-{3,}[ \t]*$", re.MULTILINE)  # Vietnamese above, English below
_NATIONAL = re.compile(r"^0[0-9]{9,10}$")  # 10-digit mobiles, 11-digit landlines


def e164(phone: str) -> str:
    """A phone number in E.164: ``0912 345 678`` → ``+84912345678``; international numbers
    (``+…``) as given; ``ValueError`` for anything that is not a phone number."""
    number = pii.normalise_phone(phone)
    if number.startswith("+") and 8 <= len(number) <= 16:
        return number
    if _NATIONAL.match(number):
        return "+84" + number[1:]
    raise ValueError("not a phone number")


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _clip(text: str, room: int) -> str:
    """``text`` in at most ``room`` characters, cut at a word with an ellipsis."""
    if len(text) <= room:
        return text
    if room <= len(ELLIPSIS):
        return ""
    cut = text[: room - len(ELLIPSIS)]
    if " " in cut.strip():
        cut = cut.rstrip().rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-") + ELLIPSIS


def sms_text(subject: str, body: str, limit: int = MAX_CHARS) -> str:
    """The SMS for a message: its headline, the rest of the body shortened, and its links.

    Only the first language of a bilingual message is kept (what comes before a ``---``
    line); the subject is left out when the body's first line already says it (the case's
    code and status), and lines with a link are never cut.
    """
    text = _OTHER_LANGUAGE.split(unicodedata.normalize("NFC", body), 1)[0]
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if line]
    headline = " ".join(unicodedata.normalize("NFC", subject).split())
    if headline and not (lines and _words(headline) <= _words(lines[0])):
        lines.insert(0, headline)
    whole = "\n".join(lines)
    if len(whole) <= limit:
        return whole
    head, rest = lines[0], lines[1:]
    links = [line for line in rest if _LINK.search(line)]
    middle = " ".join(line for line in rest if line not in links)
    fixed = len(head) + sum(len(link) + 1 for link in links)
    if fixed > limit:  # only the headline can give way
        head = _clip(head, max(limit - fixed + len(head), 0))
        middle = ""
    else:
        middle = _clip(middle, limit - fixed - 1) if middle else ""
    return "\n".join(part for part in (head, middle, *links) if part)


@dataclass(frozen=True)
class SmsGatewayNotifier:
    """Sends SMS through one HTTP gateway, one request per message."""

    url: str
    token: str = field(default="", repr=False)
    sender: str = ""
    timeout: float = 10.0
    max_chars: int = MAX_CHARS
    channel: str = "sms"

    @classmethod
    def from_settings(cls, settings: Settings) -> SmsGatewayNotifier:
        """The notifier configured by the ``IOCVN_SMS_*`` settings."""
        return cls(
            url=settings.sms_url.strip(),
            token=settings.sms_token,
            sender=settings.sms_sender,
            timeout=settings.sms_timeout_s,
        )

    @property
    def gateway(self) -> str:
        """The gateway's host and port, for error texts (never the path: it may hold a key)."""
        parts = urlsplit(self.url)
        return f"{parts.hostname or '?'}{f':{parts.port}' if parts.port else ''}"

    def payload(self, message: Message) -> dict[str, str]:
        """The JSON sent for ``message`` (``from`` only when a sender name is configured)."""
        try:
            to = e164(message.destination)
        except ValueError as exc:
            raise DeliveryError("SMS: the destination is not a phone number") from exc
        body = {"to": to, "from": self.sender, "text": self.text(message), "reference": message.id}
        if not self.sender:
            del body["from"]
        return body

    def text(self, message: Message) -> str:
        """The SMS text of ``message``."""
        return sms_text(message.subject, message.body, self.max_chars)

    def send(self, message: Message) -> str | None:
        """POST the message; the gateway's ``id`` (or ``message_id``) is the provider id."""
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise DeliveryError("SMS: IOCVN_SMS_URL must be an http:// or https:// URL")
        payload = self.payload(message)
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        answer = httppost.post(
            self.url, body, headers, self.timeout, f"SMS gateway {self.gateway}",
            lambda raw: self._excerpt(raw, message, payload["to"]),
        )  # fmt: skip
        return httppost.provider_id(answer, ("id", "message_id"))

    @staticmethod
    def _excerpt(raw: bytes, message: Message, to: str) -> str:
        """The start of the gateway's error answer, with the phone number masked (it may be
        echoed in a form the delivery's own scrubbing does not know)."""
        text = " ".join(raw.decode("utf-8", "replace").split())[:300]
        national = pii.normalise_phone(message.destination)
        for form in sorted({to, to.lstrip("+"), national, message.destination}, key=len)[::-1]:
            if form:
                text = text.replace(form, pii.mask_phone(national))
        return text


@hookimpl
def iocvn_notifiers(settings: Settings) -> Sequence[Notifier]:
    """SMS through the HTTP gateway when one is configured."""
    return [SmsGatewayNotifier.from_settings(settings)] if settings.sms_url.strip() else []
