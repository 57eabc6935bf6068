"""The notifier extension point (R17): what a plugin implements to add a channel.

A plugin is a module or object with ``@hookimpl`` functions, registered under the entry-point
group ``iocvn.plugins`` (``[project.entry-points."iocvn.plugins"] zalo = "iocvn_zalo"``). The
built-in notifiers (SMTP e-mail, ``iocvn.notify.email``; HTTP SMS gateway, ``iocvn.notify.sms``)
use the same hook. This module holds only the contract — markers, the hook specification and
the types a plugin sees — so that a plugin imports it without pulling in the rest of iocvn.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import pluggy

if TYPE_CHECKING:
    from iocvn.config import Settings

PROJECT = "iocvn"
ENTRY_POINT_GROUP = "iocvn.plugins"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@dataclass(frozen=True)
class Message:
    """One message as a notifier receives it (the destination decrypted, in memory only)."""

    id: str
    channel: str
    destination: str
    subject: str
    body: str
    purpose: str
    reference: str


class DeliveryError(Exception):
    """The channel did not take the message; the text says why (shown to operators)."""


class Notifier(Protocol):
    """Sends messages over one channel."""

    @property
    def channel(self) -> str:
        """The channel name this notifier serves: ``email``, ``sms``, ``zalo``…"""

    def send(self, message: Message) -> str | None:
        """Hand ``message`` to the channel; return the provider's message id, if any.

        Raise (preferably :class:`DeliveryError`) when the channel did not accept it: the
        message is then retried later, never counted as sent.
        """


class NotifySpec:
    """Hook specifications of the notification domain."""

    @hookspec
    def iocvn_notifiers(self, settings: Settings) -> Sequence[Notifier]:  # type: ignore[empty-body]
        """The notifiers this plugin offers, configured from ``settings``.

        Return an empty list when the plugin is not configured. When two plugins serve the
        same channel, the one registered last (a third-party plugin rather than the built-in)
        is used.
        """
