"""Safety policy: read-only refusals and how each action must be confirmed.

Read-only mode (``--read-only`` / ``read_only = true``, or a host's own ``read_only``) is
enforced here, in the control layer, before any runner call: a UI cannot forget it.
Every action is confirmed with the exact command line and target host; some need the
domain's name typed: destroy, a save without ``-c``, a mem-set below a quarter of the
current memory, and anything on a host marked production.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from collectors.config import HostConfig, Settings
from collectors.control.requests import Console, Destroy, MemSet, Migrate, Save
from collectors.control.validate import Checked


class Confirmation(StrEnum):
    NONE = "none"  # console attach: nothing changes on the host
    YES_NO = "yes-no"
    TYPED_NAME = "typed-name"  # the user types ``Plan.confirm_text``


@dataclass(frozen=True, slots=True)
class ConfirmationRule:
    kind: Confirmation
    reasons: tuple[str, ...] = ()  # why a typed name is needed, for the dialog
    confirm_text: str | None = None  # what must be typed (TYPED_NAME only)


def refusal(host: HostConfig, settings: Settings) -> str | None:
    """Why actions are refused on ``host``, or None when they are allowed."""
    if settings.read_only:
        return "read-only mode (--read-only, or read_only in the config): actions are refused"
    if host.read_only:
        return f"host {host.name} is read-only (read_only in the config): actions are refused"
    return None


def confirmation(checked: Checked, host: HostConfig) -> ConfirmationRule:
    req = checked.request
    if isinstance(req, Console):
        return ConfirmationRule(Confirmation.NONE)
    reasons = []
    if isinstance(req, Destroy):
        reasons.append("destroy kills the domain at once")
    if isinstance(req, Save) and not req.keep_running:
        reasons.append("without -c the domain " + ("stays paused once saved" if req.leave_paused
                                                     else "is destroyed once saved"))
    if isinstance(req, MemSet) and checked.size_kib is not None and checked.domain is not None:
        d = checked.domain
        current = d.mem_kib if d.mem_kib is not None else d.mem_target_kib
        if current is not None and checked.size_kib * 4 < current:
            reasons.append("the new size is below a quarter of the current memory")
    if host.production:
        reasons.append(f"{host.name} is a production host")
    if isinstance(req, Migrate) and req.to_production:
        reasons.append(f"{req.destination.strip()} is a production host")
    if not reasons:
        return ConfirmationRule(Confirmation.YES_NO)
    return ConfirmationRule(Confirmation.TYPED_NAME, tuple(reasons), confirm_text(checked))


def confirm_text(checked: Checked) -> str:
    """What a typed confirmation asks for: the domain's name (for restore, the one its
    checkpoint holds; for create, the file's name).

    A name nobody can type (control characters, bidi overrides, edge spaces) is replaced
    by the domid (for restore, by the file's name).
    """
    d = checked.domain
    if d is not None:
        return d.name if _typable(d.name) or d.domid is None else str(d.domid)
    req = checked.request
    label = getattr(req, "domain", None)
    if isinstance(label, str) and label:
        return label
    if checked.restores is not None and _typable(checked.restores):
        return checked.restores
    path = str(getattr(req, "config_path", None) or getattr(req, "path", ""))
    return path.rsplit("/", 1)[-1] or req.host


def _typable(name: str) -> bool:
    return name.isprintable() and name.strip() == name and name != ""
