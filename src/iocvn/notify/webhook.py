"""The built-in webhook notifier: one JSON POST per message to the destination's http(s) URL
(stdlib urllib, like the SMS notifier: no dependency a production install lacks).

Channel ``webhook``; the destination is the receiver's URL (a chat bridge, an incident
system, a Zalo OA adapter…). Active only when ``IOCVN_WEBHOOK_HOSTS`` names the hosts webhooks
may go to (``*``: any): whoever manages contact points must not make the server POST to
internal services it can reach (the database, a cloud's metadata address). Each message is::

    POST <destination>
    Content-Type: application/json; charset=utf-8
    X-Iocvn-Signature: sha256=<hex HMAC-SHA256 of the body with IOCVN_WEBHOOK_SECRET>

    {"id": message id, "subject": …, "body": …, "purpose": …, "reference": …}

The signature is sent only when ``IOCVN_WEBHOOK_SECRET`` is set; the receiver recomputes it
over the raw body and compares in constant time. A 2xx answer means the receiver took the
message (its JSON ``id``, if any, is the provider id); anything else — another status, a
redirect (never followed), no answer within ``IOCVN_WEBHOOK_TIMEOUT_S`` — is a
:class:`DeliveryError` naming the host and the reason, never the URL's path or query (they
may hold a token).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from iocvn.config import Settings
from iocvn.notify import httppost
from iocvn.notify.hooks import DeliveryError, Message, Notifier, hookimpl

SIGNATURE_HEADER = "X-Iocvn-Signature"


def signature(body: bytes, secret: str) -> str:
    """The signature header's value for ``body``: ``sha256=<hex HMAC-SHA256>``."""
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def host_of(url: str) -> str:
    """The URL's host and port, for error texts (never the path or query)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "?"
    return f"{parts.hostname or '?'}{f':{port}' if port else ''}"


def hosts(setting: str) -> frozenset[str]:
    """The allowed hosts of ``IOCVN_WEBHOOK_HOSTS`` (lower case; ``*`` stands for any)."""
    return frozenset(h.strip().lower().rstrip(".") for h in setting.split(",") if h.strip())


def allowed(url: str, allowed_hosts: frozenset[str]) -> bool:
    """Whether ``url`` is an http(s) URL to one of ``allowed_hosts`` (any with ``*``)."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        return False
    host = (parts.hostname or "").rstrip(".")
    if parts.scheme not in ("http", "https") or not host:
        return False
    return "*" in allowed_hosts or host in allowed_hosts


@dataclass(frozen=True)
class WebhookNotifier:
    """POSTs each message as JSON to its destination URL, signed when a secret is set."""

    allowed_hosts: frozenset[str] = frozenset({"*"})
    secret: str = field(default="", repr=False)
    timeout: float = 10.0
    channel: str = "webhook"

    @classmethod
    def from_settings(cls, settings: Settings) -> WebhookNotifier:
        """The notifier configured by the ``IOCVN_WEBHOOK_*`` settings."""
        return cls(
            allowed_hosts=hosts(settings.webhook_hosts),
            secret=settings.webhook_secret,
            timeout=settings.webhook_timeout_s,
        )

    @staticmethod
    def payload(message: Message) -> bytes:
        """The JSON body sent for ``message`` (UTF-8, the Vietnamese text as is)."""
        document = {
            "id": message.id,
            "subject": message.subject,
            "body": message.body,
            "purpose": message.purpose,
            "reference": message.reference,
        }
        return json.dumps(document, ensure_ascii=False).encode("utf-8")

    def headers(self, body: bytes) -> dict[str, str]:
        """The request's headers (the signature only with a secret)."""
        found = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.secret:
            found[SIGNATURE_HEADER] = signature(body, self.secret)
        return found

    def send(self, message: Message) -> str | None:
        """POST the message; a 2xx answer's JSON ``id`` is the provider id."""
        url = message.destination.strip()
        host = host_of(url)
        if not allowed(url, frozenset({"*"})):
            raise DeliveryError("webhook: the destination is not an http:// or https:// URL")
        if not allowed(url, self.allowed_hosts):
            raise DeliveryError(f"webhook {host}: host not in IOCVN_WEBHOOK_HOSTS")
        body = self.payload(message)
        answer = httppost.post(url, body, self.headers(body), self.timeout, f"webhook {host}")
        return httppost.provider_id(answer)


@hookimpl
def iocvn_notifiers(settings: Settings) -> Sequence[Notifier]:
    """Webhooks when some host is allowed (each message carries its own URL)."""
    return [WebhookNotifier.from_settings(settings)] if hosts(settings.webhook_hosts) else []
