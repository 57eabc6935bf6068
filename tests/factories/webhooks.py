"""A real HTTP receiver of webhooks on 127.0.0.1 (http.server in a thread): it records each
request's raw body and headers and answers with the status it is told."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.factories.notify import HttpEndpoint, serving


@dataclass(frozen=True)
class Hook:
    """One request as the receiver got it."""

    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver(HttpEndpoint):
    """The webhook receiver and what it got."""

    received: list[Hook] = field(default_factory=list)
    answer: bytes = b'{"id": "hook-7"}'

    def record(self, path: str, headers: dict[str, str], raw: bytes) -> None:
        """Keep the request with its raw body."""
        self.received.append(Hook(path, headers, raw))


@contextmanager
def webhook_receiver() -> Iterator[tuple[Receiver, str]]:
    """A running receiver on 127.0.0.1 and its URL (with a token in the query, as real
    webhook URLs often carry one)."""
    receiver = Receiver()
    with serving(receiver, "webhook", "/hooks/ioc?token=s3cret-Tok") as url:
        yield receiver, url
