"""The pure part of keyed table updates: which rows appeared, went away, or changed which
cells. Tables apply the result instead of clearing and rebuilding themselves."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from rich.text import Text

K = TypeVar("K", bound=Hashable)
Cell = str | Text
Cells = Sequence[Cell]


@dataclass(frozen=True, slots=True)
class RowDiff(Generic[K]):
    added: tuple[K, ...] = ()
    removed: tuple[K, ...] = ()
    changed: Mapping[K, tuple[int, ...]] = field(default_factory=dict)  # key → column indexes

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    @property
    def changed_cells(self) -> int:
        return sum(len(c) for c in self.changed.values())


def cell_equal(a: Cell, b: Cell) -> bool:
    """Same text and same styling (a str never equals a Text)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, Text):
        assert isinstance(b, Text)
        return a.plain == b.plain and a.spans == b.spans and a.style == b.style
    return a == b


def changed_columns(old: Cells, new: Cells) -> tuple[int, ...]:
    """Indexes of cells that differ; a change in row length marks the extra cells."""
    n = max(len(old), len(new))
    out = []
    for i in range(n):
        if i >= len(old) or i >= len(new) or not cell_equal(old[i], new[i]):
            out.append(i)
    return tuple(out)


def diff_rows(old: Mapping[K, Cells], new: Mapping[K, Cells]) -> RowDiff[K]:
    """Rows added, removed, and the changed cells of rows present in both."""
    added = tuple(k for k in new if k not in old)
    removed = tuple(k for k in old if k not in new)
    changed: dict[K, tuple[int, ...]] = {}
    for k, cells in new.items():
        prev = old.get(k)
        if prev is None:
            continue
        cols = changed_columns(prev, cells)
        if cols:
            changed[k] = cols
    return RowDiff(added, removed, changed)
