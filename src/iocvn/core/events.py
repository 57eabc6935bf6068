"""In-process events: how a lower domain lets upper ones react without importing them.

The emitter publishes; listeners subscribe at start-up (``app``/``cli`` wiring). Handlers run
synchronously in the publisher's transaction context; a failing handler is logged and does
not undo the publisher's work.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger("iocvn.events")


@dataclass(frozen=True)
class Event:
    """Something that happened: a dotted name and a JSON-able payload."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], None]
_SUBSCRIBERS: dict[str, list[Handler]] = defaultdict(list)


def subscribe(name: str, handler: Handler) -> None:
    """Call ``handler`` for every event called ``name`` (once, however often subscribed)."""
    if handler not in _SUBSCRIBERS[name]:
        _SUBSCRIBERS[name].append(handler)


def unsubscribe(name: str, handler: Handler) -> None:
    """Stop calling ``handler`` for ``name``."""
    if handler in _SUBSCRIBERS.get(name, []):
        _SUBSCRIBERS[name].remove(handler)


def publish(name: str, **payload: Any) -> int:
    """Deliver an event; returns how many handlers took it without failing."""
    delivered = 0
    for handler in list(_SUBSCRIBERS.get(name, [])):
        try:
            handler(Event(name, payload))
            delivered += 1
        except Exception:  # a listener's bug must not break the publisher
            log.exception("event handler failed", extra={"event": name})
    return delivered
