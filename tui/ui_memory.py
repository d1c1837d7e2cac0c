"""What the dashboard remembers between runs: the theme picked with ctrl+t and the Domains
view's sort and "Dom0 first" toggle, in ``$XDG_STATE_HOME/xltop/ui.json``
(``~/.local/state/xltop/ui.json``).

A theme set by ``--theme`` or the config file wins over the remembered one; so does a
config file's ``dom0_first`` that changed since the toggle was remembered. The file is
the app's own: unreadable or foreign content is ignored (defaults), never an error, and
it is replaced whole (write, then rename) so a crash never leaves half of it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

from collectors.xdg import state_home


@dataclass(frozen=True, slots=True)
class UiMemory:
    theme: str | None = None
    sort: str | None = None  # a Domains column key
    reverse: bool | None = None
    dom0_first: bool | None = None
    dom0_first_config: bool | None = None  # the config's dom0_first it was toggled from

    @classmethod
    def from_json(cls, data: object) -> UiMemory:
        if not isinstance(data, dict):
            return cls()
        theme, sort = data.get("theme"), data.get("sort")

        def flag(key: str) -> bool | None:
            value = data.get(key)
            return value if isinstance(value, bool) else None

        return cls(theme if isinstance(theme, str) else None,
                   sort if isinstance(sort, str) else None,
                   flag("reverse"), flag("dom0_first"), flag("dom0_first_config"))

    def dom0_first_for(self, config: bool) -> bool:
        """The remembered toggle, unless the config's ``dom0_first`` changed since."""
        if self.dom0_first is None or self.dom0_first_config != config:
            return config
        return self.dom0_first


def default_path(env: Mapping[str, str] = os.environ) -> Path:
    return state_home(env) / "xltop" / "ui.json"


def load(path: Path) -> UiMemory:
    try:
        return UiMemory.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return UiMemory()


def save(path: Path, memory: UiMemory) -> str | None:
    """Write ``memory``; the reason it could not be written, or None."""
    tmp: str | None = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ui-", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(asdict(memory), f)
        os.replace(tmp, path)
        tmp = None
    except OSError as e:
        return f"{path}: {e.strerror or e}"
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
    return None
