"""The MQTT 5 packets of the ingestion consumer, without a broker: hand-computed bytes of
what we send, every way a stream of PUBLISH packets can be cut by TCP, and malformed
packets refused with a reason code."""

from __future__ import annotations

import contextlib
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iocvn.sensors import mqttwire as wire


def _text(value: str) -> bytes:
    data = value.encode()
    return struct.pack("!H", len(data)) + data


def publish(
    topic: str, payload: bytes, qos: int = 1, mid: int = 1, properties: bytes = b"\x00"
) -> bytes:
    """A PUBLISH packet as a broker sends it (``properties``: the block, length included)."""
    body = _text(topic) + (struct.pack("!H", mid) if qos else b"") + properties + payload
    return bytes([0x30 | qos << 1]) + wire.encode_length(len(body)) + body


# --- variable-length integers ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "encoded"),
    [(0, b"\x00"), (127, b"\x7f"), (128, b"\x80\x01"), (16_383, b"\xff\x7f"),
     (16_384, b"\x80\x80\x01"), (2_097_152, b"\x80\x80\x80\x01"),
     (268_435_455, b"\xff\xff\xff\x7f")],
)  # fmt: skip
def test_variable_length_integers_of_the_specification(n: int, encoded: bytes) -> None:
    assert wire.encode_length(n) == encoded
    assert wire.decode_length(b"x" + encoded + b"rest", 1) == (n, 1 + len(encoded))


@given(st.integers(0, wire.MAX_LENGTH))
def test_variable_length_integers_round_trip(n: int) -> None:
    encoded = wire.encode_length(n)
    assert wire.decode_length(encoded, 0) == (n, len(encoded))
    for cut in range(len(encoded)):  # not all there yet: wait for more
        assert wire.decode_length(encoded[:cut], 0) is None


def test_variable_length_integers_out_of_range() -> None:
    with pytest.raises(ValueError, match="does not fit"):
        wire.encode_length(wire.MAX_LENGTH + 1)
    with pytest.raises(wire.WireError, match="longer than 4 bytes"):
        wire.decode_length(b"\x80\x80\x80\x80\x01", 0)


# --- what we send ---------------------------------------------------------------------------


def test_connect_keeps_the_session_and_announces_no_topic_aliases() -> None:
    packet = wire.connect("iocvn-1", keepalive=30, session_expiry=604_800,
                          receive_maximum=5000, username="u", password="p")  # fmt: skip
    body = (b"\x00\x04MQTT\x05" + bytes([0x80 | 0x40])  # user, password; no clean start
            + b"\x00\x1e"  # keepalive 30 s
            + b"\x08" + b"\x11\x00\x09\x3a\x80"  # properties: session expiry 604 800 s,
            + b"\x21\x13\x88"  # receive maximum 5000
            + b"\x00\x07iocvn-1" + b"\x00\x01u" + b"\x00\x01p")  # fmt: skip
    assert packet == b"\x10" + bytes([len(body)]) + body
    assert b"\x22" not in packet[12:20]  # no Topic Alias Maximum: the broker may use none
    anonymous = wire.connect("c", keepalive=0, session_expiry=0, receive_maximum=1)
    assert anonymous[9] == 0x00  # connect flags: nothing


def test_subscribe_at_qos_1_with_shared_filters() -> None:
    packet = wire.subscribe(1, ["$share/g/iocvn/+/readings", "/json/+/+/attrs"])
    body = (b"\x00\x01\x00" + _text("$share/g/iocvn/+/readings") + b"\x11"
            + _text("/json/+/+/attrs") + b"\x11")  # fmt: skip
    assert packet == b"\x82" + wire.encode_length(len(body)) + body
    with pytest.raises(ValueError, match="QoS 2"):
        wire.subscribe(1, ["a"], qos=2)
    with pytest.raises(ValueError, match="at least one"):
        wire.subscribe(1, [])


def test_pubacks_of_a_batch_in_one_buffer() -> None:
    assert wire.pubacks([1, 258, 65535]) == b"\x40\x02\x00\x01\x40\x02\x01\x02\x40\x02\xff\xff"
    assert wire.pubacks([]) == b""
    assert wire.disconnect() == b"\xe0\x00"
    assert wire.disconnect(wire.TOPIC_ALIAS_INVALID) == b"\xe0\x02\x94\x00"


# --- what the broker sends ------------------------------------------------------------------


def test_connack_subback_disconnect() -> None:
    assert wire.decode_connack(b"\x01\x00\x03\x13\x00\x3c") == wire.ConnAck(
        True, 0, {wire.SERVER_KEEP_ALIVE: 60}
    )
    assert wire.decode_connack(b"\x00\x87\x00") == wire.ConnAck(False, 0x87, {})
    assert wire.decode_suback(b"\x00\x01\x00\x01\x9e") == wire.SubAck(1, (1, 0x9E))
    assert wire.decode_disconnect(b"") == (0, "")
    assert wire.decode_disconnect(b"\x8e") == (0x8E, "")
    assert wire.decode_disconnect(b"\x8b\x06\x1f\x00\x03bye") == (0x8B, "bye")
    assert wire.reason_name(0x8E) == "session taken over (0x8E)"


def test_publish_qos_0_and_1_with_properties_skipped() -> None:
    # payload format, message expiry, content type, a user property: read past
    block = b"\x01\x01\x02\x00\x00\x00\x3c\x03" + _text("json") + b"\x26" + _text("k") + _text("v")
    stream = (
        publish("iocvn/KC-01/readings", b'{"v": 1}', qos=1, mid=7)
        + publish("a/b", b"", qos=0)
        + publish("a/c", b"x" * 300, mid=9, properties=bytes([len(block)]) + block)
    )
    packets, used = wire.split(stream + b"\x30")  # and the start of the next
    assert used == len(stream)
    assert [wire.decode_publish(first, body) for first, body in packets] == [
        wire.Publish(7, 1, "iocvn/KC-01/readings", b'{"v": 1}'),
        wire.Publish(0, 0, "a/b", b""),
        wire.Publish(9, 1, "a/c", b"x" * 300),
    ]


messages = st.lists(
    st.tuples(st.text(min_size=1, max_size=30), st.binary(max_size=400), st.sampled_from([0, 1]),
              st.integers(1, 65535)),
    min_size=1, max_size=6,
)  # fmt: skip


@given(messages)
def test_a_stream_cut_at_every_byte_gives_the_same_messages(
    sent: list[tuple[str, bytes, int, int]],
) -> None:
    stream = b"".join(publish(t, p, q, m) for t, p, q, m in sent)
    expected = [wire.Publish(m if q else 0, q, t, p) for t, p, q, m in sent]
    for cut in range(len(stream) + 1):
        received, rest = [], b""
        for chunk in (stream[:cut], stream[cut:]):
            data = rest + chunk
            packets, used = wire.split(data)
            rest = data[used:]
            received += [wire.decode_publish(first, body) for first, body in packets]
        assert received == expected, cut
        assert rest == b""


@pytest.mark.parametrize(
    ("first", "body", "reason", "message"),
    [
        (0x36, b"\x00\x01a\x00\x01\x00", wire.PROTOCOL_ERROR, "QoS 2"),
        (0x32, b"\x00\x01a\x00\x00\x00", wire.MALFORMED_PACKET, "packet identifier 0"),
        (0x30, b"\x00\x09a\x00", wire.MALFORMED_PACKET, "topic longer"),
        (0x30, b"\x00\x01\xff\x00", wire.MALFORMED_PACKET, "not UTF-8"),
        (0x30, b"\x00\x01a", wire.MALFORMED_PACKET, "without its properties"),
        (0x32, b"\x00\x01a\x00", wire.MALFORMED_PACKET, "cut short"),
        (0x30, b"\x00\x01a" + b"\x03\x23\x00\x01", wire.TOPIC_ALIAS_INVALID, "topic alias"),
        (0x30, b"\x00\x00" + b"\x03\x23\x00\x01", wire.TOPIC_ALIAS_INVALID, "topic alias"),
        (0x30, b"\x00\x00\x00payload", wire.PROTOCOL_ERROR, "without a topic"),
        (0x30, b"\x00\x01a\x02\x7e\x00", wire.MALFORMED_PACKET, "unknown property 0x7E"),
        (0x30, b"\x00\x01a\x02\x02\x00\x00", wire.MALFORMED_PACKET, "longer than the property"),
        (0x30, b"\x00\x01a\x09\x00", wire.MALFORMED_PACKET, "longer than their packet"),
        (0x30, b"\x00\x01a\x04\x03\x00\x05a", wire.MALFORMED_PACKET, "string longer"),
    ],
)  # fmt: skip
def test_malformed_publish_says_why(first: int, body: bytes, reason: int, message: str) -> None:
    with pytest.raises(wire.WireError, match=message) as caught:
        wire.decode_publish(first, body)
    assert caught.value.reason == reason


@given(st.integers(0x30, 0x3F), st.binary(max_size=60))
def test_decoding_any_bytes_gives_a_message_or_a_wire_error(first: int, body: bytes) -> None:
    try:
        found = wire.decode_publish(first, body)
    except wire.WireError:
        return
    assert found.topic and found.qos in (0, 1)


@given(st.binary(max_size=60))
def test_splitting_any_bytes_never_loses_or_invents_bytes(data: bytes) -> None:
    try:
        packets, used = wire.split(data)
    except wire.WireError:
        return
    assert 0 <= used <= len(data)
    assert used >= sum(2 + len(body) for _, body in packets)


@given(st.binary(max_size=40))
def test_the_brokers_other_packets_decode_or_say_why(body: bytes) -> None:
    for decode in (wire.decode_connack, wire.decode_suback, wire.decode_disconnect):
        with contextlib.suppress(wire.WireError):
            decode(body)
