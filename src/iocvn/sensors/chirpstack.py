"""The ChirpStack v4 adapter (built in): LoRaWAN sensors' uplinks as ChirpStack's MQTT
integration publishes them (JSON marshaler), on ``application/<application id>/device/<devEUI>/
event/up``:

```json
{"deduplicationId": "…", "time": "2026-11-30T02:00:00.123456789+00:00",
 "deviceInfo": {"applicationName": "…", "deviceName": "…", "devEui": "a84041000181c61b",
                "tags": {"iocvn_device": "MUA-BACSON"}},
 "fCnt": 42, "fPort": 2, "data": "…", "object": {"precipitation": 1.2}, "rxInfo": […]}
```

- The iocvn device is the device tag ``iocvn_device`` set in ChirpStack when there is one,
  else the devEUI as ChirpStack writes it (16 lowercase hex digits): register the device with
  that code, or tag it.
- The readings are ``object``, the payload decoded by the device profile's codec: its fields
  must be the quantities the device declares (a field it does not declare, or one that is not
  a number, is rejected and counted like any reading's); ``true``/``false`` become 1/0.
- The time is ``time`` (when the network server received the uplink), else the reception.

An uplink without a codec (no ``object``) or without ``deviceInfo`` cannot be read and is
counted with its reason. Other ChirpStack events (join, status, ack, log) are not subscribed
to. Who may publish is the broker's business, as for iocvn's own topics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from iocvn.sensors.adapters import Context, DeviceAdapter, Parsed, hookimpl
from iocvn.sensors.formats import document

if TYPE_CHECKING:
    from iocvn.config import Settings

TOPIC: Final = "application/+/device/+/event/up"
TAG: Final = "iocvn_device"  # a ChirpStack device tag naming the iocvn device


def device_code(info: dict[str, Any]) -> str | None:
    """The iocvn device of an uplink's ``deviceInfo``: its ``iocvn_device`` tag, else its
    devEUI; None when it has neither."""
    tags = info.get("tags")
    tagged = tags.get(TAG) if isinstance(tags, dict) else None
    if isinstance(tagged, str) and tagged.strip():
        return tagged.strip()
    dev_eui = info.get("devEui")
    return dev_eui if isinstance(dev_eui, str) and dev_eui else None


class ChirpStackV4:
    """ChirpStack v4 uplink events (JSON): the decoded ``object`` as one reading."""

    name = "chirpstack"

    def topics(self, prefix: str) -> Sequence[str]:
        """ChirpStack's uplink topic (its default event topic template)."""
        return [TOPIC]

    def parse(self, topic: str, payload: bytes, context: Context) -> Parsed:
        """One uplink: a reading of its decoded fields, at its ``time``."""
        data, reason = document(payload)
        if reason:
            return Parsed(reason=reason)
        if not isinstance(data, dict):
            return Parsed(reason="item_not_object")
        info = data.get("deviceInfo")
        code = device_code(info) if isinstance(info, dict) else None
        if code is None:
            return Parsed(reason="no_device_info")
        decoded = data.get("object")
        if not isinstance(decoded, dict) or not decoded:
            return Parsed(reason="no_decoded_object", device=code[:64])
        values = {k: float(v) if isinstance(v, bool) else v for k, v in decoded.items()}
        ts = data.get("time") or context.now.isoformat()
        return Parsed(({"device": code, "ts": ts, "values": values},), device=code[:64])


@hookimpl
def iocvn_device_adapters(settings: Settings) -> Sequence[DeviceAdapter]:
    """ChirpStack v4 uplinks: always on (a broker without ChirpStack sends none)."""
    return [ChirpStackV4()]
