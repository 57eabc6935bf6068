"""The device-adapter extension point (R17): what a plugin implements so that a vendor's payload
format — a LoRaWAN network server's uplinks, a camera platform's alarms, a gateway's own
JSON — is read into iocvn's readings and camera events.

A plugin is a module or object with ``@hookimpl`` functions, registered under the entry-point
group ``iocvn.plugins`` (``[project.entry-points."iocvn.plugins"] acme = "iocvn_acme"``). The
built-in adapters — iocvn's own JSON and FIWARE IoT Agent JSON (:mod:`.formats`), ChirpStack v4
uplinks (:mod:`.chirpstack`) — use the same hook. An adapter only *reads* a message: what it
returns goes through the same checks as every channel (:func:`iocvn.sensors.ingest.ingest`,
:func:`iocvn.sensors.events.ingest_events`: device, key, time, quantities, ranges), so an
adapter never decides what is stored.

This module holds only the contract — markers, the hook specification and the types an
adapter sees — so that a plugin imports it without pulling in the rest of iocvn.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import pluggy

if TYPE_CHECKING:
    from iocvn.config import Settings

PROJECT = "iocvn"
ENTRY_POINT_GROUP = "iocvn.plugins"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Item = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Parsed:
    """What one message carries, or the reason it cannot be read (then nothing else).

    ``items`` are readings as :func:`iocvn.sensors.ingest.ingest` takes them: ``{"device":
    code, "ts": ISO-8601 or datetime, "values": {quantity: number}, "key"?: the device's API
    key when the message carries one}``. ``events`` are camera events as
    :func:`iocvn.sensors.events.ingest_events` takes them: ``{"device", "ts", "kind",
    "confidence", "snapshot", "attributes"?, "key"?}``. ``reason`` is a short stable code
    (``malformed_json``, ``no_values``…), counted and logged; ``device`` the device the
    message names, when known (for the log).
    """

    items: tuple[Item, ...] = ()
    reason: str = ""
    device: str | None = None
    events: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class Context:
    """What an adapter may need besides the message: iocvn's MQTT topic prefix
    (``IOCVN_MQTT_TOPIC_PREFIX``) and the instant of reception (for payloads without time)."""

    prefix: str
    now: datetime


class DeviceAdapter(Protocol):
    """Reads one vendor's payload format."""

    @property
    def name(self) -> str:
        """A short stable name (``chirpstack``), unique among adapters; also the path of
        ``POST /api/v1/sensors/ingest/{name}``."""

    def topics(self, prefix: str) -> Sequence[str]:
        """The MQTT topic filters (``+`` and ``#`` wildcards) whose messages this adapter reads,
        for iocvn's topic ``prefix``; empty when it reads HTTP only."""

    def parse(self, topic: str, payload: bytes, context: Context) -> Parsed:
        """The readings and events of one message (its MQTT topic; over HTTP the ``topic``
        query parameter, often empty). Must not raise: a message it cannot read is a
        :class:`Parsed` with a ``reason``. Must not touch the database or the network."""


class AdapterSpec:
    """Hook specifications of the device adapters."""

    @hookspec
    def iocvn_device_adapters(self, settings: Settings) -> Sequence[DeviceAdapter]:  # type: ignore[empty-body]
        """The device adapters this plugin offers, configured from ``settings``.

        Return an empty list when the plugin is not configured. When two plugins offer an
        adapter of the same name, or read the same topic, the one registered last (a
        third-party plugin rather than the built-in) is used.
        """
