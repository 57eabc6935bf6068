"""The built-in device adapters of iocvn's own conventions (docs/sensors.md), written on the
device-adapter hook (:mod:`.adapters`) like any vendor's:

- ``iocvn``: ``<prefix>/<device>/readings`` with ``{"ts": ISO-8601, "values": {quantity:
  number}}`` or an array of such, and ``<prefix>/<device>/events`` with camera events
  ``{"ts", "kind", "confidence", "snapshot", "attributes"?}`` or an array of such. Who may
  publish is the broker's business (its users and ACLs).
- ``fiware`` (FIWARE IoT Agent JSON): ``/json/<apikey>/<device>/attrs`` with flat attributes
  ``{"currentLevel": 2.3, "TimeInstant"?: ISO-8601}`` or an array of such (no
  ``TimeInstant``: the time of reception). The device's API key is checked per message.

Pure: no database, no network. Nothing is checked here beyond the shape of the message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from iocvn.sensors.adapters import Context, DeviceAdapter, Parsed, hookimpl

if TYPE_CHECKING:
    from iocvn.config import Settings

MAX_PAYLOAD: Final = 256 * 1024  # bytes; a device's message, or a gateway's batch of them
MAX_ITEMS: Final = 1000  # readings or events in one message
FIWARE_TIME: Final = "TimeInstant"
EVENT_FIELDS: Final = ("ts", "kind", "confidence", "snapshot", "attributes")


def document(payload: bytes) -> tuple[Any, str]:
    """``(the JSON in payload, "")``, or ``(None, the reason it cannot be read)``."""
    if len(payload) > MAX_PAYLOAD:
        return None, "payload_too_large"
    try:
        return json.loads(payload), ""
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None, "malformed_json"


def objects(payload: bytes) -> list[dict[str, Any]] | str:
    """The objects of a payload holding one JSON object or an array of them (at most
    :data:`MAX_ITEMS`), or the reason it does not."""
    data, reason = document(payload)
    if reason:
        return reason
    found = data if isinstance(data, list) else [data]
    if not found:
        return "no_values"
    if len(found) > MAX_ITEMS:
        return "too_many_items"
    if not all(isinstance(o, dict) for o in found):
        return "item_not_object"
    return found


class IocvnJson:
    """iocvn's own topics: readings and camera events of the device named in the topic."""

    name = "iocvn"
    streams: Final = ("readings", "events")

    def topics(self, prefix: str) -> Sequence[str]:
        """``<prefix>/+/readings`` and ``<prefix>/+/events``."""
        return [f"{prefix}/+/{stream}" for stream in self.streams]

    def parse(self, topic: str, payload: bytes, context: Context) -> Parsed:
        """The readings or the events of one message."""
        head = context.prefix + "/"
        device, _, stream = topic[len(head) :].partition("/")
        if not topic.startswith(head) or not device or stream not in self.streams:
            return Parsed(reason="unknown_topic")
        found = objects(payload)
        if isinstance(found, str):
            return Parsed(reason=found, device=device)
        if stream == "events":
            return Parsed(
                events=tuple({"device": device} | {k: o.get(k) for k in EVENT_FIELDS}
                             for o in found),
                device=device,
            )  # fmt: skip
        return Parsed(
            tuple({"device": device, "ts": o.get("ts"), "values": o.get("values")} for o in found),
            device=device,
        )


class FiwareJson:
    """FIWARE IoT Agent JSON: flat attributes, the device's API key in the topic."""

    name = "fiware"

    def topics(self, prefix: str) -> Sequence[str]:
        """``/json/+/+/attrs`` (whatever the prefix)."""
        return ["/json/+/+/attrs"]

    def parse(self, topic: str, payload: bytes, context: Context) -> Parsed:
        """The readings of one message, stamped on reception when without ``TimeInstant``."""
        # "/json/<apikey>/<device>/attrs" splits into ["", "json", key, device, "attrs"]
        parts = topic.split("/")
        if not (len(parts) == 5 and parts[:2] == ["", "json"] and parts[4] == "attrs"
                and all(parts[2:4])):  # fmt: skip
            return Parsed(reason="unknown_topic")
        key, device = parts[2], parts[3]
        found = objects(payload)
        if isinstance(found, str):
            return Parsed(reason=found, device=device)
        items = []
        for o in found:
            values = {k: v for k, v in o.items() if k != FIWARE_TIME}
            ts = o.get(FIWARE_TIME, context.now.isoformat())
            items.append({"device": device, "ts": ts, "values": values, "key": key})
        return Parsed(tuple(items), device=device)


@hookimpl
def iocvn_device_adapters(settings: Settings) -> Sequence[DeviceAdapter]:
    """iocvn's JSON and FIWARE IoT Agent JSON: always on."""
    return [IocvnJson(), FiwareJson()]
