"""OASIS CAP 1.2 messages of public warnings: building, writing, checking against the official
schema, and reading back what iocvn wrote.

A ``CapMessage`` wraps a ``PublicWarning`` (``alerts.warning``) in CAP's envelope: the
message's ``identifier`` (unique; also its URL ``/cap/alerts/{identifier}.xml``, so letters,
digits and ``. _ : @ -`` only), the ``sender`` (no spaces, commas, ``<`` or ``&``), the time
it is ``sent``, ``msgType`` ``Alert``, or ``Update`` / ``Cancel`` with ``references`` to the
earlier messages as ``sender,identifier,sent`` (``references_for`` lists a whole chain), and
scope ``Public``. The Vietnamese ``info`` block comes first, an optional English one second;
both carry the same area. Exercises and tests are labelled in the note and in every text
(``warning.marked``).

CAP's dateTime is written with an explicit offset and whole seconds, in Vietnam's time
(``2026-11-30T09:00:00+07:00``): the spec forbids ``-00:00`` and the schema's pattern
forbids ``Z`` and fractions. ``to_bytes`` writes UTF-8 with an XML declaration and checks the
result with ``validate`` (the OASIS XSD shipped in ``alerts/data``, loaded once, never
fetched from the network). ``read`` parses only messages of this shape back.

Pure: no database, no clock (callers pass ``sent``).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

from lxml import etree

from iocvn.alerts import messages  # noqa: F401  (registers the domain's texts)
from iocvn.alerts.area import Area, cap_circle, cap_polygon, circle_from_cap, ring_from_cap
from iocvn.alerts.warning import (
    CATEGORIES,
    CERTAINTIES,
    RESPONSE_TYPES,
    SEVERITIES,
    STATUSES,
    URGENCIES,
    PublicWarning,
    Status,
    Translation,
    choice,
    instant,
    marked,
    marked_translation,
    note_mark,
    text,
)
from iocvn.core.errors import Invalid
from iocvn.core.ids import new_id
from iocvn.core.timeutil import to_local

NS: Final = "urn:oasis:names:tc:emergency:cap:1.2"
MEDIA_TYPE: Final = "application/cap+xml"
SCHEMA_FILE: Final = Path(__file__).parent / "data" / "CAP-v1.2.xsd"

MsgType = Literal["Alert", "Update", "Cancel"]
MSG_TYPES: Final = cast(tuple[MsgType, ...], get_args(MsgType))

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}")
_SENDER = re.compile(r"[\x21-\x7e]{1,200}")  # printable ASCII; commas, < and & refused below
_WEB = re.compile(r"https?://\S{1,2000}")
_NOT_PRINTABLE = re.compile(r"[\x00-\x1f\x7f]")
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
_Q = f"{{{NS}}}"


@dataclass(frozen=True)
class Reference:
    """An earlier message, as CAP's ``references`` names it: ``sender,identifier,sent``."""

    sender: str
    identifier: str
    sent: datetime

    def __post_init__(self) -> None:
        _token(self.sender, "references.sender")
        _token(self.identifier, "references.identifier")
        object.__setattr__(self, "sent", instant(self.sent, "references.sent"))

    def __str__(self) -> str:
        return f"{self.sender},{self.identifier},{cap_datetime(self.sent)}"

    @classmethod
    def to(cls, message: CapMessage) -> Reference:
        """The reference to ``message``."""
        return cls(message.sender, message.identifier, message.sent)

    @classmethod
    def parse(cls, value: str) -> Reference:
        """A ``sender,identifier,sent`` triple."""
        parts = value.split(",")
        if len(parts) != 3:
            raise Invalid("cap_reference_format", details={"value": value[:200]})
        return cls(parts[0], parts[1], parse_cap_datetime(parts[2], "references.sent"))


@dataclass(frozen=True)
class CapMessage:
    """One CAP message: a warning in its envelope. Checked on construction."""

    identifier: str
    sender: str
    sent: datetime
    warning: PublicWarning
    msg_type: MsgType = "Alert"
    references: tuple[Reference, ...] = field(default=())
    english: Translation | None = None
    sender_name: str = ""
    web: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.identifier, str) or not _IDENTIFIER.fullmatch(self.identifier):
            raise Invalid("cap_identifier", details={"field": "identifier"}, field="identifier")
        if not isinstance(self.sender, str) or not _SENDER.fullmatch(self.sender):
            raise Invalid("cap_sender", details={"field": "sender"})
        _token(self.sender, "sender")
        object.__setattr__(self, "sent", instant(self.sent, "sent"))
        choice(self.msg_type, MSG_TYPES, "msg_type")
        object.__setattr__(self, "references", tuple(self.references))
        problem = _references_problem(self)
        if problem:
            raise Invalid("cap_references", details={"msg_type": self.msg_type, "problem": problem})
        expires = self.warning.expires
        if expires is not None and self.msg_type != "Cancel" and expires <= self.sent:
            raise Invalid("cap_expires_order", details={"field": "expires"})
        object.__setattr__(self, "sender_name", text(self.sender_name, "sender_name", True))
        object.__setattr__(self, "note", text(self.note, "note", True))
        if self.web and not _WEB.fullmatch(self.web):
            raise Invalid("cap_web", details={"field": "web"})

    @property
    def status(self) -> Status:
        """CAP's status of the message: the warning's."""
        return self.warning.status


def _references_problem(message: CapMessage) -> str:
    if message.msg_type == "Alert":
        return "an Alert references nothing" if message.references else ""
    if not message.references:
        return f"an {message.msg_type} references the messages it replaces"
    for r in message.references:
        if (r.sender, r.identifier) == (message.sender, message.identifier):
            return "a message cannot reference itself"
        if r.sent > message.sent:
            return "a referenced message is sent after this one"
    return ""


def new_identifier(prefix: str) -> str:
    """A new unique identifier: ``prefix`` (e.g. the sender's domain), a dash and a ULID."""
    identifier = f"{prefix}-{new_id()}"
    if not _IDENTIFIER.fullmatch(identifier):
        raise Invalid("cap_identifier", details={"field": "prefix"}, field="prefix")
    return identifier


def references_for(earlier: Iterable[CapMessage]) -> tuple[Reference, ...]:
    """The references of an Update or Cancel: each earlier message and what it referenced,
    once each, oldest first."""
    found: dict[tuple[str, str], Reference] = {}
    for message in earlier:
        for ref in (*message.references, Reference.to(message)):
            found.setdefault((ref.sender, ref.identifier), ref)
    return tuple(sorted(found.values(), key=lambda r: (r.sent, r.identifier)))


def marked_message(message: CapMessage) -> CapMessage:
    """``message`` as it is published: an exercise or a test labelled in its note and texts."""
    status = message.status
    mark = note_mark(status)
    note = message.note
    if mark and not note.startswith(mark):
        note = f"{mark} {note}".strip()
    english = message.english and marked_translation(message.english, status)
    return replace(message, warning=marked(message.warning), english=english, note=note)


def cap_datetime(value: datetime) -> str:
    """CAP's dateTime: ``2026-11-30T09:00:00+07:00`` (Vietnam's time, whole seconds)."""
    return to_local(value).replace(microsecond=0).isoformat()


def parse_cap_datetime(value: str, name: str) -> datetime:
    """A CAP dateTime read back (its offset is required)."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("cap_datetime", details={"field": name}, field=name) from None
    result = instant(parsed, name)
    assert result is not None
    return result


def build(message: CapMessage) -> Any:
    """The ``<alert>`` element (an lxml element) of ``message``, labelled as published."""
    m = marked_message(message)
    alert = etree.Element(_Q + "alert", nsmap={None: NS})
    _add(alert, "identifier", m.identifier)
    _add(alert, "sender", m.sender)
    _add(alert, "sent", cap_datetime(m.sent))
    _add(alert, "status", m.status)
    _add(alert, "msgType", m.msg_type)
    _add(alert, "scope", "Public")
    _add(alert, "note", m.note)
    _add(alert, "references", " ".join(str(r) for r in m.references))
    w = m.warning
    _info(alert, m, w.language, w.event, w.headline, w.description, w.instruction)
    if m.english is not None:
        e = m.english
        area = replace(w.area, description=e.area_description)
        _info(alert, m, e.language, e.event, e.headline, e.description, e.instruction, area)
    return alert


def to_bytes(message: CapMessage) -> bytes:
    """The message as published: UTF-8 XML with its declaration, checked against the XSD."""
    body: bytes = etree.tostring(
        build(message), encoding="UTF-8", xml_declaration=False, pretty_print=True
    )
    data = _DECLARATION + body
    validate(data)
    return data


def validate(xml: bytes) -> None:
    """Raise ``Invalid("cap_schema")`` (with the schema's complaints) unless ``xml`` is CAP 1.2."""
    document = _parse(xml)
    schema = _schema()
    with _SCHEMA_LOCK:  # a validator's error log is its own: one validation at a time
        try:
            if schema.validate(document):
                return
        except etree.XMLSchemaValidateError as exc:
            raise Invalid("cap_schema", details={"errors": [str(exc)[:200]]}) from None
        errors = [f"line {e.line}: {e.message}" for e in list(schema.error_log)[:20]]
    raise Invalid("cap_schema", details={"errors": errors})


def read(xml: bytes) -> CapMessage:
    """A message iocvn wrote, parsed back (valid CAP 1.2 with one or two ``info`` blocks)."""
    validate(xml)
    alert = _parse(xml).getroot()
    infos = alert.findall(_Q + "info")
    if not 1 <= len(infos) <= 2:
        raise Invalid("cap_schema", details={"errors": ["iocvn writes one or two info blocks"]})
    first = infos[0]
    area = first.find(_Q + "area")
    if area is None:
        raise Invalid("cap_schema", details={"errors": ["the first info block has no area"]})
    warning = PublicWarning(
        event=_text(first, "event"),
        headline=_text(first, "headline"),
        description=_text(first, "description"),
        instruction=_text(first, "instruction"),
        category=choice(_text(first, "category"), CATEGORIES, "category"),
        urgency=choice(_text(first, "urgency"), URGENCIES, "urgency"),
        severity=choice(_text(first, "severity"), SEVERITIES, "severity"),
        certainty=choice(_text(first, "certainty"), CERTAINTIES, "certainty"),
        response_types=tuple(
            choice(e.text, RESPONSE_TYPES, "response_types")
            for e in first.findall(_Q + "responseType")
        ),
        area=Area(
            description=_text(area, "areaDesc"),
            polygons=tuple(ring_from_cap(e.text or "") for e in area.findall(_Q + "polygon")),
            circles=tuple(circle_from_cap(e.text or "") for e in area.findall(_Q + "circle")),
        ),
        onset=_instant(first, "onset"),
        expires=_instant(first, "expires"),
        status=choice(_text(alert, "status"), STATUSES, "status"),
        language=_text(first, "language"),
    )
    english = None
    if len(infos) == 2:
        second = infos[1]
        english = Translation(
            event=_text(second, "event"),
            headline=_text(second, "headline"),
            description=_text(second, "description"),
            instruction=_text(second, "instruction"),
            area_description=_text(second, f"{_Q}area/{_Q}areaDesc"),
            language=_text(second, "language"),
        )
    return CapMessage(
        identifier=_text(alert, "identifier"),
        sender=_text(alert, "sender"),
        sent=parse_cap_datetime(_text(alert, "sent"), "sent"),
        warning=warning,
        msg_type=choice(_text(alert, "msgType"), MSG_TYPES, "msg_type"),
        references=tuple(Reference.parse(r) for r in _text(alert, "references").split()),
        english=english,
        sender_name=_text(first, "senderName"),
        web=_text(first, "web"),
        note=_text(alert, "note"),
    )


def _info(
    alert: Any,
    m: CapMessage,
    language: str,
    event: str,
    headline: str,
    description: str,
    instruction: str,
    area: Area | None = None,
) -> None:
    w = m.warning
    info = etree.SubElement(alert, _Q + "info")
    _add(info, "language", language)
    _add(info, "category", w.category)
    _add(info, "event", event)
    for response in w.response_types:
        _add(info, "responseType", response)
    _add(info, "urgency", w.urgency)
    _add(info, "severity", w.severity)
    _add(info, "certainty", w.certainty)
    _add(info, "onset", cap_datetime(w.onset) if w.onset else None)
    _add(info, "expires", cap_datetime(w.expires) if w.expires else None)
    _add(info, "senderName", m.sender_name)
    _add(info, "headline", headline)
    _add(info, "description", description)
    _add(info, "instruction", instruction)
    _add(info, "web", m.web)
    where = area or w.area
    element = etree.SubElement(info, _Q + "area")
    _add(element, "areaDesc", where.description)
    for ring in where.polygons:
        _add(element, "polygon", cap_polygon(ring))
    for circle in where.circles:
        _add(element, "circle", cap_circle(circle))


def _add(parent: Any, name: str, value: str | None) -> None:
    """A child element with text; none for an empty value (CAP's optional elements)."""
    if value:
        etree.SubElement(parent, _Q + name).text = value


def _text(element: Any, path: str) -> str:
    found = element.find(path if path.startswith("{") else _Q + path)
    return str(found.text or "") if found is not None else ""


def _instant(element: Any, name: str) -> datetime | None:
    value = _text(element, name)
    return parse_cap_datetime(value, name) if value else None


def _token(value: Any, name: str) -> None:
    # CAP 1.2, sender and identifier: "MUST NOT include spaces, commas or restricted
    # characters (< and &)".
    if (
        not isinstance(value, str)
        or not value
        or any(c.isspace() or c in ",<&" for c in value)
        or _NOT_PRINTABLE.search(value)
    ):
        code = "cap_sender" if name.endswith("sender") else "cap_identifier"
        raise Invalid(code, details={"field": name}, field=name)


def _parse(xml: bytes) -> Any:
    """Parse without entities, DTDs or the network (the input may come from outside)."""
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    try:
        tree = etree.ElementTree(etree.fromstring(xml, parser))
    except etree.XMLSyntaxError as exc:
        raise Invalid("cap_not_xml", details={"problem": str(exc)[:200]}) from None
    if tree.docinfo.doctype:  # CAP has no DTD; a DOCTYPE only brings entities
        raise Invalid("cap_not_xml", details={"problem": "a DOCTYPE is not allowed"})
    return tree


_SCHEMA_LOCK = threading.Lock()


@cache
def _schema() -> Any:
    """The OASIS CAP 1.2 schema, from the package's copy (once per process)."""
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE), etree.XMLParser(no_network=True)))
