"""What the alerts domain tells the sensors pages about devices: their alerts (a device with an
active one is *firing* on the map) and the rules watching them.

Alerts sit above sensors in the layer contract, so the sensors pages never import them: the
alerts pages register a :data:`Source` at start-up (``alerts.pages_alerts.subscribe``, called
by ``app``) and the sensors pages ask every registered source. Without one (a process that
mounts no alert pages) devices simply have no alerts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope


@dataclass(frozen=True)
class AlertNote:
    """An alert about a device (``active``: firing, no data or error), with its state and
    severity in the page's language."""

    id: str
    name: str
    state: str
    state_label: str
    severity: str
    severity_label: str
    since: datetime | None
    active: bool
    acknowledged_by: str | None
    url: str


@dataclass(frozen=True)
class RuleNote:
    """A rule watching a device; ``quantity`` and ``threshold`` when it is a plain threshold
    (the device's chart draws it)."""

    id: str
    name: str
    condition: str
    severity: str
    enabled: bool
    quantity: str | None = None
    threshold: float | None = None


@dataclass
class DeviceAlerts:
    """A device's alerts (newest change first) and, when asked for, its rules."""

    alerts: list[AlertNote] = field(default_factory=list)
    rules: list[RuleNote] = field(default_factory=list)

    @property
    def firing(self) -> bool:
        """An alert of the device is active."""
        return any(a.active for a in self.alerts)


@dataclass(frozen=True)
class Query:
    """What the sensors pages ask: the caller's scope, the devices, whether rules are wanted
    (``detail``: a device's page) or only alerts (the map), and the page's language."""

    session: Session
    scope: OrgScope
    codes: Sequence[str]
    detail: bool
    lang: str


Source = Callable[[Query], dict[str, DeviceAlerts]]
_SOURCES: list[Source] = []


def register(source: Source) -> None:
    """Add a source (idempotent)."""
    if source not in _SOURCES:
        _SOURCES.append(source)


def unregister(source: Source) -> None:
    """Remove a source (tests)."""
    if source in _SOURCES:
        _SOURCES.remove(source)


def lookup(query: Query) -> dict[str, DeviceAlerts]:
    """What every source says about the devices (a device none mentions is absent)."""
    found: dict[str, DeviceAlerts] = {}
    if not query.codes:
        return found
    for source in list(_SOURCES):
        for code, notes in source(query).items():
            mine = found.setdefault(code, DeviceAlerts())
            mine.alerts.extend(notes.alerts)
            mine.rules.extend(notes.rules)
    return found
