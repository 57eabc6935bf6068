"""The Atom 1.0 feed (RFC 4287) of published CAP messages: ``/cap/alerts.atom``.

One entry per message, newest first (``Update`` and ``Cancel`` messages are entries of their
own; nothing is rewritten). An entry's ``id`` is the message's permanent URL
``{public_url}/cap/alerts/{identifier}.xml``, also its ``alternate`` link typed
``application/cap+xml``, as CAP aggregators (Google Public Alerts, the WMO Alert Hub)
expect. Its title is the headline and its summary the description, both as published (an
exercise's start with ``[DIỄN TẬP]``); ``updated`` and ``published`` are the time the message
was sent; categories carry CAP's status, message type, category, urgency, severity and
certainty under ``urn:oasis:names:tc:emergency:cap:1.2:<field>`` schemes. The feed's
``updated`` is its newest message's ``sent`` (``now`` while it is empty).

Pure: the caller passes the messages (already published, already limited), the public base
URL and ``now``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from lxml import etree

from iocvn.alerts.cap import MEDIA_TYPE, NS, CapMessage, cap_datetime, marked_message

ATOM_NS: Final = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE: Final = "application/atom+xml"
FEED_PATH: Final = "/cap/alerts.atom"
SUMMARY_LIMIT = 1_000
"""Summaries longer than this are cut at a word (the CAP message has the whole text)."""

STATUS_LABELS: Final = {
    "Actual": "Cảnh báo thật",
    "Exercise": "Diễn tập",
    "System": "Tin hệ thống",
    "Test": "Thử nghiệm",
    "Draft": "Bản nháp",
}
MSG_TYPE_LABELS: Final = {"Alert": "Cảnh báo mới", "Update": "Cập nhật", "Cancel": "Hủy"}

_A = f"{{{ATOM_NS}}}"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


@dataclass(frozen=True)
class FeedEntry:
    """What the feed shows of one published message."""

    identifier: str
    sent: datetime
    title: str
    summary: str
    author: str
    status: str
    msg_type: str
    category: str
    urgency: str
    severity: str
    certainty: str

    @classmethod
    def of(cls, message: CapMessage) -> FeedEntry:
        """The entry of ``message``, with its texts as published (exercises labelled)."""
        m = marked_message(message)
        w = m.warning
        return cls(
            identifier=m.identifier,
            sent=m.sent,
            title=w.headline,
            summary=_shorten(w.description, SUMMARY_LIMIT),
            author=m.sender_name or m.sender,
            status=m.status,
            msg_type=m.msg_type,
            category=w.category,
            urgency=w.urgency,
            severity=w.severity,
            certainty=w.certainty,
        )


def message_url(public_url: str, identifier: str) -> str:
    """The permanent URL of a published message."""
    return f"{public_url.rstrip('/')}/cap/alerts/{quote(identifier, safe='.:@-_')}.xml"


def feed_url(public_url: str) -> str:
    """The URL of the feed itself."""
    return public_url.rstrip("/") + FEED_PATH


def feed(
    messages: Iterable[CapMessage | FeedEntry],
    *,
    public_url: str,
    title: str,
    author: str,
    now: datetime,
    subtitle: str = "",
) -> bytes:
    """The feed of ``messages`` (newest first) as UTF-8 XML with its declaration."""
    entries = sorted(
        (m if isinstance(m, FeedEntry) else FeedEntry.of(m) for m in messages),
        key=lambda e: (e.sent, e.identifier),
        reverse=True,
    )
    root = etree.Element(_A + "feed", nsmap={None: ATOM_NS})
    root.set("{http://www.w3.org/XML/1998/namespace}lang", "vi")
    _add(root, "id", feed_url(public_url))
    _add(root, "title", title)
    if subtitle:
        _add(root, "subtitle", subtitle)
    _add(root, "updated", cap_datetime(entries[0].sent if entries else now))
    _link(root, "self", feed_url(public_url), ATOM_MEDIA_TYPE)
    _add(etree.SubElement(root, _A + "author"), "name", author)
    _add(root, "generator", "iocvn")
    for entry in entries:
        _entry(root, entry, public_url)
    body: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    return _DECLARATION + body


def _entry(root: Any, entry: FeedEntry, public_url: str) -> None:
    url = message_url(public_url, entry.identifier)
    element = etree.SubElement(root, _A + "entry")
    _add(element, "id", url)
    _add(element, "title", entry.title)
    _add(element, "updated", cap_datetime(entry.sent))
    _add(element, "published", cap_datetime(entry.sent))
    _add(etree.SubElement(element, _A + "author"), "name", entry.author)
    _link(element, "alternate", url, MEDIA_TYPE)
    _add(element, "summary", entry.summary)
    categories = (
        ("status", entry.status, STATUS_LABELS.get(entry.status)),
        ("msgType", entry.msg_type, MSG_TYPE_LABELS.get(entry.msg_type)),
        ("category", entry.category, None),
        ("urgency", entry.urgency, None),
        ("severity", entry.severity, None),
        ("certainty", entry.certainty, None),
    )
    for scheme, term, label in categories:
        category = etree.SubElement(element, _A + "category")
        category.set("term", term)
        category.set("scheme", f"{NS}:{scheme}")
        if label:
            category.set("label", label)


def _add(parent: Any, name: str, value: str) -> None:
    etree.SubElement(parent, _A + name).text = value


def _link(parent: Any, rel: str, href: str, media_type: str) -> None:
    link = etree.SubElement(parent, _A + "link")
    link.set("rel", rel)
    link.set("type", media_type)
    link.set("href", href)


def _shorten(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    return value[:limit].rsplit(None, 1)[0].rstrip() + "…"
