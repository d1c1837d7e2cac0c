"""Messages between the poll workers, the app and the views (past-tense names)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from collectors.model import HostId
from tui.store import DomainKey


class SnapshotsArrived(Message, bubble=False):
    """Poll workers left snapshots in the app's inbox (the newest per host); the app
    drains it. At most one is queued at a time: a burst of 100 hosts costs one message."""


@dataclass
class DomainOpened(Message):
    """The user asked for a domain's detail (Enter on a row, or the palette)."""

    key: DomainKey


@dataclass
class HostOpened(Message):
    """The user picked a host (Enter on a Fleet row, or the palette)."""

    host: HostId
