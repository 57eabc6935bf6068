"""MQTT 5 packets as bytes: the subset the ingestion consumer (:mod:`.mqtt`) speaks, encoded
and decoded without a socket, so every packet shape is tested without a broker.

Why our own: paho-mqtt's Python client spent more than half of the consumer's CPU per
one-reading message (MQTT 5 property objects, a message object, one PUBACK and one wake-up per
message; decision 0010). Here a received buffer is cut into packets in one pass and the
acknowledgements of a whole batch are one ``bytes``.

The subset (OASIS MQTT 5.0): CONNECT (clean start off, session expiry, receive maximum, user
name and password), CONNACK, SUBSCRIBE (QoS 1 at most; ``$share/…`` filters are plain
strings here), SUBACK, PUBLISH at QoS 0 and 1 (received), PUBACK (sent), PINGREQ, PINGRESP,
DISCONNECT both ways. Not implemented: QoS 2, topic aliases (we announce none, so a broker
must not use them), AUTH (enhanced authentication), wills, publishing. A packet outside
the subset is a :class:`WireError` with the reason code to disconnect with.

This module must not touch a socket, a clock or the database.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

# Packet types (the high nibble of the first byte).
CONNECT: Final = 1
CONNACK: Final = 2
PUBLISH: Final = 3
PUBACK: Final = 4
SUBSCRIBE: Final = 8
SUBACK: Final = 9
PINGREQ: Final = 12
PINGRESP: Final = 13
DISCONNECT: Final = 14
AUTH: Final = 15

# Property identifiers we write or read (MQTT 5 §2.2.2.2).
SESSION_EXPIRY_INTERVAL: Final = 0x11
SERVER_KEEP_ALIVE: Final = 0x13
REASON_STRING: Final = 0x1F
RECEIVE_MAXIMUM: Final = 0x21
TOPIC_ALIAS: Final = 0x23
USER_PROPERTY: Final = 0x26

# Reason codes we send when the broker breaks the subset.
MALFORMED_PACKET: Final = 0x81
PROTOCOL_ERROR: Final = 0x82
TOPIC_ALIAS_INVALID: Final = 0x94

PINGREQ_PACKET: Final = b"\xc0\x00"
DISCONNECT_PACKET: Final = b"\xe0\x00"  # normal disconnection, the session kept
MAX_LENGTH: Final = 268_435_455  # the largest variable-length integer (4 bytes)

# The type of each property's value, by identifier: the decoder must know it to skip one.
_BYTE, _TWO, _FOUR, _VARINT, _TEXT, _BINARY, _PAIR = range(7)
_SIZES: Final = {_BYTE: 1, _TWO: 2, _FOUR: 4}
_PROPERTY_TYPES: Final = {
    0x01: _BYTE, 0x02: _FOUR, 0x03: _TEXT, 0x08: _TEXT, 0x09: _BINARY, 0x0B: _VARINT,
    0x11: _FOUR, 0x12: _TEXT, 0x13: _TWO, 0x15: _TEXT, 0x16: _BINARY, 0x17: _BYTE,
    0x18: _FOUR, 0x19: _BYTE, 0x1A: _TEXT, 0x1C: _TEXT, 0x1F: _TEXT, 0x21: _TWO,
    0x22: _TWO, 0x23: _TWO, 0x24: _BYTE, 0x25: _BYTE, 0x26: _PAIR, 0x27: _FOUR,
    0x28: _BYTE, 0x29: _BYTE, 0x2A: _BYTE,
}  # fmt: skip

REASONS: Final = {
    0x00: "success", 0x01: "granted QoS 1", 0x02: "granted QoS 2", 0x04: "disconnect with will",
    0x80: "unspecified error", 0x81: "malformed packet", 0x82: "protocol error",
    0x83: "implementation specific error", 0x84: "unsupported protocol version",
    0x85: "client identifier not valid", 0x86: "bad user name or password",
    0x87: "not authorized", 0x88: "server unavailable", 0x89: "server busy", 0x8A: "banned",
    0x8B: "server shutting down", 0x8C: "bad authentication method", 0x8D: "keep alive timeout",
    0x8E: "session taken over", 0x8F: "topic filter invalid", 0x90: "topic name invalid",
    0x93: "receive maximum exceeded", 0x94: "topic alias invalid", 0x95: "packet too large",
    0x97: "quota exceeded", 0x98: "administrative action", 0x99: "payload format invalid",
    0x9A: "retain not supported", 0x9B: "QoS not supported", 0x9C: "use another server",
    0x9D: "server moved", 0x9E: "shared subscriptions not supported",
    0x9F: "connection rate exceeded", 0xA0: "maximum connect time",
    0xA1: "subscription identifiers not supported", 0xA2: "wildcard subscriptions not supported",
}  # fmt: skip

Properties = dict[int, int | str | bytes]


class WireError(ValueError):
    """Bytes that are not a packet of our subset; ``reason`` is the code to disconnect with."""

    def __init__(self, message: str, reason: int = MALFORMED_PACKET) -> None:
        super().__init__(message)
        self.reason = reason


class Publish(NamedTuple):
    """A received PUBLISH. ``mid`` (its packet identifier; 0 at QoS 0) acknowledges it."""

    mid: int
    qos: int
    topic: str
    payload: bytes


class ConnAck(NamedTuple):
    """The broker's answer to CONNECT."""

    session_present: bool
    reason: int
    properties: Properties


class SubAck(NamedTuple):
    """The broker's answer to SUBSCRIBE: one reason code per filter, in order."""

    packet_id: int
    reasons: tuple[int, ...]


def reason_name(code: int) -> str:
    """A reason code as the specification names it, for log lines."""
    return f"{REASONS.get(code, 'unknown')} (0x{code:02X})"


# --- the primitives ----------------------------------------------------------------------


def encode_length(n: int) -> bytes:
    """MQTT's variable-length integer (1–4 bytes, 7 bits each, least significant first)."""
    if not 0 <= n <= MAX_LENGTH:
        raise ValueError(f"{n} does not fit a variable-length integer")
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | 0x80 if n else byte)
        if not n:
            return bytes(out)


def decode_length(data: bytes, pos: int) -> tuple[int, int] | None:
    """The variable-length integer at ``pos`` and the position after it; ``None`` when
    ``data`` ends before it does."""
    value = shift = 0
    for i in range(pos, min(pos + 4, len(data))):
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + 1
        shift += 7
    if len(data) >= pos + 4:  # four bytes read, the fourth still saying "more"
        raise WireError("a variable-length integer longer than 4 bytes")
    return None


def _text(value: str) -> bytes:
    data = value.encode()
    if len(data) > 0xFFFF:
        raise ValueError("an MQTT string is at most 65 535 bytes")
    return struct.pack("!H", len(data)) + data


def _read_text(data: bytes, pos: int) -> tuple[str, int]:
    raw, pos = _read_binary(data, pos)
    try:
        return raw.decode(), pos
    except UnicodeDecodeError:
        raise WireError("a string that is not UTF-8") from None


def _read_binary(data: bytes, pos: int) -> tuple[bytes, int]:
    if pos + 2 > len(data):
        raise WireError("a string cut short")
    end = pos + 2 + ((data[pos] << 8) | data[pos + 1])
    if end > len(data):
        raise WireError("a string longer than its packet")
    return data[pos + 2 : end], end


def _fixed(first: int, body: bytes) -> bytes:
    return bytes([first]) + encode_length(len(body)) + body


def decode_properties(data: bytes, pos: int) -> tuple[Properties, int]:
    """The property block at ``pos`` (its length, then the properties) and the position after
    it. User properties are checked and skipped: nothing here reads them."""
    found = decode_length(data, pos)
    if found is None:
        raise WireError("a property length cut short")
    length, pos = found
    end = pos + length
    if end > len(data):
        raise WireError("properties longer than their packet")
    block = data[:end]  # a property running past the block is cut short, not read on
    properties: Properties = {}
    while pos < end:
        ident = data[pos]
        kind = _PROPERTY_TYPES.get(ident)
        if kind is None:
            raise WireError(f"an unknown property 0x{ident:02X}")
        pos += 1
        value: int | str | bytes
        if kind in _SIZES:
            size = _SIZES[kind]
            if pos + size > end:
                raise WireError("a property longer than the property block")
            value, pos = int.from_bytes(data[pos : pos + size], "big"), pos + size
        elif kind == _VARINT:
            varint = decode_length(block, pos)
            if varint is None:
                raise WireError("a property longer than the property block")
            value, pos = varint
        elif kind == _TEXT:
            value, pos = _read_text(block, pos)
        elif kind == _BINARY:
            value, pos = _read_binary(block, pos)
        else:  # a user property: a pair of strings
            _, pos = _read_text(block, pos)
            _, pos = _read_text(block, pos)
            continue
        properties[ident] = value
    return properties, end


def _encode_properties(properties: Sequence[tuple[int, int]]) -> bytes:
    """Integer properties (the only ones we send) as a property block."""
    body = bytearray()
    for ident, value in properties:
        size = _SIZES[_PROPERTY_TYPES[ident]]
        body += bytes([ident]) + value.to_bytes(size, "big")
    return encode_length(len(body)) + bytes(body)


# --- splitting a stream into packets ----------------------------------------------------


def split(data: bytes, limit: int = MAX_LENGTH) -> tuple[list[tuple[int, bytes]], int]:
    """The complete packets at the start of ``data`` (at most ``limit``) as
    (first byte, body), and how many bytes they took; the rest is an incomplete packet
    waiting for more bytes."""
    packets: list[tuple[int, bytes]] = []
    pos, size = 0, len(data)
    while pos + 2 <= size and len(packets) < limit:
        # Inlined for one-byte lengths (packets under 128 bytes: most one-reading messages).
        length = data[pos + 1]
        start = pos + 2
        if length & 0x80:
            found = decode_length(data, pos + 1)
            if found is None:
                break
            length, start = found
        end = start + length
        if end > size:
            break
        packets.append((data[pos], data[start:end]))
        pos = end
    return packets, pos


# --- what the consumer sends -------------------------------------------------------------


def connect(
    client_id: str,
    *,
    keepalive: int,
    session_expiry: int,
    receive_maximum: int,
    username: str | None = None,
    password: str | None = None,
    clean_start: bool = False,
) -> bytes:
    """CONNECT: MQTT 5, the session kept ``session_expiry`` seconds offline, at most
    ``receive_maximum`` unacknowledged messages in flight to us. No Topic Alias Maximum is
    sent, so the broker may not use topic aliases (its default is 0)."""
    flags = (0x02 if clean_start else 0) | (0x80 if username is not None else 0)
    flags |= 0x40 if password is not None else 0
    body = _text("MQTT") + bytes([5, flags]) + struct.pack("!H", keepalive)
    body += _encode_properties(
        [(SESSION_EXPIRY_INTERVAL, session_expiry), (RECEIVE_MAXIMUM, receive_maximum)]
    )
    body += _text(client_id)
    if username is not None:
        body += _text(username)
    if password is not None:
        body += _text(password)
    return _fixed(CONNECT << 4, body)


def subscribe(packet_id: int, filters: Iterable[str], qos: int = 1) -> bytes:
    """SUBSCRIBE to ``filters`` at ``qos`` at most (0 or 1), retained messages sent only for
    a subscription that did not exist (re-subscribing on reconnect does not replay them)."""
    if qos not in (0, 1):
        raise ValueError("QoS 2 is not implemented")
    options = bytes([qos | 0x10])  # retain handling 1
    body = struct.pack("!H", packet_id) + b"\x00"
    count = 0
    for topic_filter in filters:
        body += _text(topic_filter) + options
        count += 1
    if not count:
        raise ValueError("SUBSCRIBE needs at least one topic filter")
    return _fixed(SUBSCRIBE << 4 | 0x02, body)


def pubacks(packet_ids: Iterable[int]) -> bytes:
    """PUBACK (success, no properties: 4 bytes) for each packet identifier, as one ``bytes``
    to write at once."""
    ids = [0x40020000 | i for i in packet_ids]
    return struct.pack(f"!{len(ids)}I", *ids)


def disconnect(reason: int = 0) -> bytes:
    """DISCONNECT with ``reason`` (0: normal, the session kept for its expiry)."""
    return DISCONNECT_PACKET if reason == 0 else bytes([DISCONNECT << 4, 2, reason, 0])


# --- what the broker sends ---------------------------------------------------------------


def decode_publish(first: int, body: bytes) -> Publish:
    """A PUBLISH packet's body (``first``: its first byte, holding QoS, DUP and RETAIN)."""
    qos = (first >> 1) & 0x03
    if qos > 1:
        raise WireError("a PUBLISH at QoS 2 (we subscribe at QoS 1 at most)", PROTOCOL_ERROR)
    size = len(body)
    if size < 3:
        raise WireError("a PUBLISH cut short")
    end = 2 + ((body[0] << 8) | body[1])
    if end > size:
        raise WireError("a topic longer than its PUBLISH")
    try:
        topic = body[2:end].decode()
    except UnicodeDecodeError:
        raise WireError("a topic that is not UTF-8") from None
    mid = 0
    if qos:
        if end + 2 > size:
            raise WireError("a PUBLISH cut short")
        mid = (body[end] << 8) | body[end + 1]
        if not mid:
            raise WireError("a QoS 1 PUBLISH with packet identifier 0")
        end += 2
    if end >= size:
        raise WireError("a PUBLISH without its properties")
    if body[end] == 0:  # no properties: the common case
        end += 1
    else:
        properties, end = decode_properties(body, end)
        if TOPIC_ALIAS in properties:
            raise WireError("a topic alias (we allow none)", TOPIC_ALIAS_INVALID)
    if not topic:
        raise WireError("a PUBLISH without a topic", PROTOCOL_ERROR)
    return Publish(mid, qos, topic, body[end:])


def decode_connack(body: bytes) -> ConnAck:
    """CONNACK: whether the broker kept our session, its reason code and properties."""
    if len(body) < 2 or body[0] > 1:
        raise WireError("a malformed CONNACK")
    properties = decode_properties(body, 2)[0] if len(body) > 2 else {}
    return ConnAck(bool(body[0] & 1), body[1], properties)


def decode_suback(body: bytes) -> SubAck:
    """SUBACK: the packet identifier and a reason code per filter."""
    if len(body) < 3:
        raise WireError("a malformed SUBACK")
    _, pos = decode_properties(body, 2)
    return SubAck((body[0] << 8) | body[1], tuple(body[pos:]))


def decode_disconnect(body: bytes) -> tuple[int, str]:
    """The broker's DISCONNECT: its reason code and reason string (empty when absent)."""
    if not body:
        return 0, ""
    reason_string = decode_properties(body, 1)[0].get(REASON_STRING, "") if len(body) > 1 else ""
    return body[0], str(reason_string)
