"""A real HTTP receiver of webhooks on 127.0.0.1 (http.server in a thread): it records each
request's raw body and headers and answers with the status it is told."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Hook:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """What the receiver answers (``status``, ``answer``, after ``delay`` seconds, with
    ``headers``) and what it got."""

    received: list[Hook] = field(default_factory=list)
    status: int = 200
    answer: bytes = b'{"id": "hook-7"}'
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            receiver.received.append(Hook(self.path, dict(self.headers.items()), raw))
            time.sleep(receiver.delay)
            try:
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(receiver.answer)))
                for name, value in receiver.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(receiver.answer)
            except OSError:  # the client gave up (a timeout test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    return Handler


@contextmanager
def webhook_receiver() -> Iterator[tuple[Receiver, str]]:
    """A running receiver on 127.0.0.1 and its URL (with a token in the query, as real
    webhook URLs often carry one)."""
    receiver = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="webhook", daemon=True
    )
    thread.start()
    try:
        yield receiver, f"http://127.0.0.1:{server.server_address[1]}/hooks/ioc?token=s3cret-Tok"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
