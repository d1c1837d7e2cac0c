"""Tree labels and builders for untrusted data: XenStore nodes and JSON configs.

Textual's ``Tree`` parses ``str`` labels as markup, so every label here is a ``Text``
made with :func:`tui.text.safe_text` (``[red]x`` and escape sequences stay literal)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar

from rich.style import Style
from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.text import safe_text

VALUE_MAX = 160  # characters of a value shown in a label (the full value is shown apart)
NODES_MAX = 5000  # nodes of one subtree put in a tree at once

T = TypeVar("T")


class KeyTree(Tree[T]):
    """A Tree that also moves with j and k, like the tables."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("k", "cursor_up", "Cursor Up", show=False, id="tree.up"),
        Binding("j", "cursor_down", "Cursor Down", show=False, id="tree.down"),
    ]

    def on_resize(self) -> None:
        # fewer rows (a long value shown in a bar below, a smaller terminal): keep the
        # cursor's row in sight
        if self.cursor_line >= 0:
            self.scroll_to_line(self.cursor_line, animate=False)


def shorten(value: str, limit: int = VALUE_MAX) -> str:
    return value if len(value) <= limit else value[:limit - 1] + "…"


def node_label(name: str, value: str | None, *, branch: bool, muted: Style | str = "dim",
               escaped: Style | str = "reverse") -> Text:
    """``name = "value"``; a branch name in bold, without ``= ""`` (a leaf keeps it, as
    xenstore-ls prints it, so it is not taken for an empty directory); an unreadable value
    says so."""
    text = safe_text(name, style="bold" if branch else "", escaped_style=escaped)
    if value is None:
        text.append("  (unreadable)", style=muted)
    elif value or not branch:
        text.append(" = ", style=muted)
        text.append('"', style=muted)
        text.append_text(safe_text(shorten(value), escaped_style=escaped))
        text.append('"', style=muted)
    return text


def add_paths(parent: TreeNode[T], root: str, values: Mapping[str, str], data: T,
              *, muted: Style | str = "dim", escaped: Style | str = "reverse",
              limit: int = NODES_MAX) -> int:
    """Put a flat ``path → value`` subtree (``xenstore-ls -f``) under ``parent``; a node's
    children come from the paths below it. Returns the number of nodes added."""
    base = root.rstrip("/")
    listed = set(values)
    children: dict[str, list[str]] = {}
    for path in values:
        if not path.startswith(base + "/"):
            continue
        # the nearest listed ancestor (a cut listing may miss a parent)
        anc = path.rpartition("/")[0]
        while len(anc) > len(base) and anc not in listed:
            anc = anc.rpartition("/")[0]
        children.setdefault(anc if len(anc) > len(base) else base, []).append(path)
    added = 0

    def walk(node: TreeNode[T], path: str) -> None:
        nonlocal added
        for child in children.get(path, []):
            if added >= limit:
                return
            added += 1
            kids = child in children
            name = child[len(path) + 1:] if child.startswith(path + "/") else child
            label = node_label(name, values[child], branch=kids, muted=muted, escaped=escaped)
            if kids:
                walk(node.add(label, data=data), child)
            else:
                node.add_leaf(label, data=data)

    walk(parent, base)
    if added >= limit:
        more = len(values) - added
        parent.add_leaf(Text(f"… {more} more nodes not shown", style=muted, end=""))
    return added


def add_json(parent: TreeNode[T], value: Any, data: T, *, muted: Style | str = "dim",
             escaped: Style | str = "reverse", expand_depth: int = 1,
             limit: int = NODES_MAX) -> int:
    """Put a JSON value under ``parent``: objects and arrays as branches (``key {n}``,
    ``key [n]``), scalars as ``key: value``. Returns the number of nodes added."""
    added = 0

    def scalar(v: Any) -> Text:
        if isinstance(v, str):
            t = Text('"', style=muted, end="")
            t.append_text(safe_text(shorten(v), escaped_style=escaped))
            t.append('"', style=muted)
            return t
        if v is None:
            return Text("null", style=muted, end="")
        if isinstance(v, bool):
            return Text("true" if v else "false", end="")
        return safe_text(v, escaped_style=escaped)

    def walk(node: TreeNode[T], v: Any, depth: int) -> None:
        nonlocal added
        items = list(v.items()) if isinstance(v, dict) else list(enumerate(v))
        for k, child in items:
            if added >= limit:
                node.add_leaf(Text("…", style=muted, end=""))
                return
            added += 1
            key = safe_text(k, style="bold", escaped_style=escaped)
            if isinstance(child, dict | list):
                brackets = "{}" if isinstance(child, dict) else "[]"
                key.append(f" {brackets[0]}{len(child)}{brackets[1]}", style=muted)
                branch = node.add(key, data=data, expand=depth < expand_depth)
                walk(branch, child, depth + 1)
            else:
                key.append(": ")
                key.append_text(scalar(child))
                node.add_leaf(key, data=data)

    if isinstance(value, dict | list):
        walk(parent, value, 0)
    else:
        parent.add_leaf(scalar(value), data=data)
        added = 1
    return added
