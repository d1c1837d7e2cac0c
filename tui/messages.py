"""Messages between the poll workers, the app and the views (past-tense names)."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from collectors.model import HostId, HostSnapshot
from tui.store import DomainKey


@dataclass
class SnapshotReceived(Message, bubble=False):
    """A host's poller produced a snapshot (posted by the app's poll worker to the app).

    Textual only merges a message with the one right behind it in the queue
    (``MessagePump._process_messages`` peeks one ahead), so ``can_replace`` drops an older
    snapshot when the next queued message is a newer one of the same host; the app's
    mailbox (newest snapshot per host) makes any other stale message a no-op.
    """

    host: HostId
    snapshot: HostSnapshot

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SnapshotReceived) and message.host == self.host


@dataclass
class DomainOpened(Message):
    """The user asked for a domain's detail (Enter on a row, or the palette)."""

    key: DomainKey


@dataclass
class HostOpened(Message):
    """The user picked a host (Enter on a Fleet row, or the palette)."""

    host: HostId
