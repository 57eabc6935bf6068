"""A lean MQTT 3.1.1 publisher for the benchmarks: QoS 1 PUBLISH packets written straight to
the socket, PUBACKs counted by a reader thread. paho's Python client costs about a core at
6 000 messages/s on this machine, which the consumer under test would otherwise lose; this
one costs a fraction of that. Not for production: no reconnect, no TLS, no retransmission.
"""

from __future__ import annotations

import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit


def _length(n: int) -> bytes:
    """MQTT's variable-length integer."""
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("!H", len(data)) + data


class Publisher:
    """Connects on creation; ``publish`` queues a QoS 1 message; ``acked`` counts PUBACKs."""

    def __init__(self, host: str, port: int, client_id: str) -> None:
        self.sock = socket.create_connection((host, port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        body = _string("MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + _string(client_id)
        self.sock.sendall(bytes([0x10]) + _length(len(body)) + body)  # CONNECT, clean session
        connack = self._read(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"broker refused the connection: {connack!r}")
        self.acked = 0
        self.next_id = 1
        self.reader = threading.Thread(target=self._read_acks, daemon=True)
        self.reader.start()

    def _read(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _read_acks(self) -> None:
        buffer = b""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return
                buffer += chunk
                whole = len(buffer) // 4 * 4  # PUBACK: 0x40 0x02 id id
                self.acked += whole // 4
                buffer = buffer[whole:]
        except OSError:
            return

    def packet(self, topic: str, payload: bytes) -> bytes:
        """One QoS 1 PUBLISH packet (a new packet id each time)."""
        packet_id, self.next_id = self.next_id, self.next_id % 65535 + 1
        body = _string(topic) + struct.pack("!H", packet_id) + payload
        return bytes([0x32]) + _length(len(body)) + body

    def send(self, packets: bytes) -> None:
        """Write prepared packets."""
        self.sock.sendall(packets)

    def publish(self, topic: str, payload: bytes) -> None:
        """Send one QoS 1 message now."""
        self.sock.sendall(self.packet(topic, payload))

    def close(self) -> None:
        """Disconnect."""
        try:
            self.sock.sendall(bytes([0xE0, 0]))
        finally:
            self.sock.close()


@contextmanager
def broker() -> Iterator[str]:
    """``BENCH_MQTT_URL`` when set; else a Mosquitto of our own on a free port, configured as
    docs/sensors.md advises for production (no count limit on a client's queue, a memory
    bound instead: the default 1 000 drops messages of a consumer that falls behind)."""
    given = os.environ.get("BENCH_MQTT_URL")
    if given:
        yield given
        return
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    with tempfile.TemporaryDirectory() as folder:
        conf = Path(folder) / "mosquitto.conf"
        conf.write_text(
            f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
            "max_queued_messages 0\nmax_queued_bytes 1000000000\n"
        )
        process = subprocess.Popen(
            [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(conf)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(10)


def consumers(
    database_url: str, broker_url: str, prefix: str, n: int
) -> list[subprocess.Popen[bytes]]:
    """``n`` processes of ``iocvn sensors mqtt`` on ``prefix``'s topics, sharing one
    subscription when there are several (each message to one of them)."""
    group = f"{prefix}-group" if n > 1 else ""
    env = {**os.environ, "IOCVN_DATABASE_URL": database_url, "IOCVN_MQTT_URL": broker_url,
           "IOCVN_MQTT_TOPIC_PREFIX": prefix, "IOCVN_LOG_LEVEL": "WARNING",
           "IOCVN_MQTT_GROUP": group}  # fmt: skip
    command = [sys.executable, "-m", "iocvn.cli", "sensors", "mqtt"]
    return [
        subprocess.Popen(command, env={**env, "IOCVN_MQTT_CLIENT_ID": f"{prefix}-{c}"},
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for c in range(n)
    ]  # fmt: skip


def cpu_seconds(processes: list[subprocess.Popen[bytes]]) -> float:
    """CPU time (user + system) the processes have used so far, from ``/proc/<pid>/stat``."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for process in processes:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # gone (or not Linux): counts nothing
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def publisher(broker_url: str, client_id: str) -> Publisher:
    """A lean publisher connected to ``mqtt://host:port``."""
    where = urlsplit(broker_url)
    return Publisher(where.hostname or "127.0.0.1", where.port or 1883, client_id)
