"""XenStore: a lazy, read-only tree of one host's store. Expanding a node lists its children
with their values (two round trips, in a worker: :func:`collectors.queries.
xenstore_children`); errors are shown in place of the children."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from collectors.model import HostId
from collectors.queries import QueryError, XenstoreNode, xenstore_children
from tui.host_access import runner_for
from tui.text import safe_text
from tui.views.base import TextBar
from tui.views.fleet import host_status
from tui.views.per_host import PerHostView, host_bindings, host_title
from tui.widgets.store_tree import KeyTree, node_label

VALUE_CHARS = 1000  # characters of a value the bar under the tree shows at most
VALUE_ROWS = 4  # the bar's rows at most (its max-height)


@dataclass(slots=True)
class XsData:
    path: str
    value: str | None = None
    state: str = "unloaded"  # unloaded, loading, loaded, error, leaf


def child_order(name: str) -> tuple[int, int]:
    """Numbers in number order (domids, devids: 2 before 10), then names as listed."""
    return (0, int(name)) if name.isdecimal() else (1, 0)


class XenstoreScreen(PerHostView):
    VIEW_ID = "xenstore"
    TITLE_WORD = "XenStore"

    BINDINGS: ClassVar[list[BindingType]] = [
        *host_bindings("XenStore"),
        Binding("r", "reload", "Reload node", id="xenstore.reload",
                tooltip="read the node's children again"),
        Binding("C", "collapse_all", "Collapse all", id="xenstore.collapse"),
    ]

    DEFAULT_CSS = """
    XenstoreScreen #xs-info {
        height: 1;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    XenstoreScreen #xs-tree {
        height: 1fr;
        background: $surface;
    }
    XenstoreScreen #xs-value {
        height: auto;
        max-height: 4;
        background: $boost;
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._tree_host: HostId | None = None
        self._generation = 0
        self.loads = 0  # children listings started (tests read it)

    def compose_view(self) -> ComposeResult:
        yield TextBar(id="xs-info")
        yield KeyTree[XsData]("/", data=XsData("/"), id="xs-tree")
        yield TextBar(id="xs-value")

    @property
    def xs_tree(self) -> Tree[XsData]:
        return self.query_one("#xs-tree", Tree)

    def view_mounted(self) -> None:
        self.xs_tree.focus()

    def selected_path(self) -> str | None:
        """The XenStore path under the cursor."""
        node = self.xs_tree.cursor_node
        return node.data.path if node is not None and node.data is not None else None

    # --- rendering ----------------------------------------------------------------------------

    def update_view(self) -> None:
        host = self.current_host()
        if host != self._tree_host:
            self._reset(host)
        self._update_info()

    def host_changed(self) -> None:
        if self.ready and self.host != self._tree_host:
            self._reset(self.host)

    def _reset(self, host: HostId | None) -> None:
        self._tree_host = host
        self._generation += 1
        tree = self.xs_tree
        label = Text("/", style="bold", end="")
        if host is not None:
            label.append("  on ", style=self.dash.palette.muted)
            label.append_text(safe_text(host, escaped_style=self.dash.palette.escaped))
        tree.reset(label, XsData("/"))
        if host is not None:
            tree.root.expand()  # its NodeExpanded loads the top level
        self._show_value(tree.root)

    def _update_info(self) -> None:
        dash = self.dash
        host = self._tree_host
        text = Text(" XenStore ", style="bold", end="", no_wrap=True, overflow="ellipsis")
        if host is None:
            text.append("(no hosts)")
        else:
            text.append_text(host_title(dash.store, dash.palette, host))
            status, detail = host_status(dash.store.host(host), dash.now(),
                                         dash.settings.interval_s)
            text.append("  ")
            text.append_text(dash.palette.status_text(status, detail))
            text.append("  read-only; nodes load as you expand them (⏎ or space)",
                        style=dash.palette.muted)
        self.query_one("#xs-info", TextBar).show(text)

    def on_resize(self) -> None:
        # how much of a long value fits the bar depends on its width
        self.call_after_refresh(self._value_at_width)

    def _value_at_width(self) -> None:
        if self.ready and self.is_mounted:
            self._show_value(self.xs_tree.cursor_node)

    def _show_value(self, node: TreeNode[XsData] | None) -> None:
        bar = self.query_one("#xs-value", TextBar)
        data = node.data if node is not None else None
        if data is None:
            bar.show(Text("", end=""))
            return
        value = data.value or ""
        width = bar.content_size.width

        def fits(n: int) -> bool:  # (no width before the first layout)
            return width <= 0 or len(self._value_text(data, n).wrap(self.app.console,
                                                                     width)) <= VALUE_ROWS

        shown = min(len(value), VALUE_CHARS)
        if not fits(shown):  # the most of the value that fits, with the cut mark
            low, high = 0, shown - 1
            while low < high:
                mid = (low + high + 1) // 2
                low, high = (mid, high) if fits(mid) else (low, mid - 1)
            shown = low
        bar.show(self._value_text(data, shown))

    def _value_text(self, data: XsData, shown: int) -> Text:
        """`` path = "value"``, the value's first ``shown`` characters; a cut one ends with
        ``… (3,003 chars)`` instead of its closing quote."""
        palette = self.dash.palette
        text = Text(" ", end="", overflow="fold")
        text.append_text(safe_text(data.path, style="bold", escaped_style=palette.escaped))
        if data.value is not None:
            text.append(' = "')
            text.append_text(safe_text(data.value[:shown], escaped_style=palette.escaped))
            if shown < len(data.value):
                text.append(f"… ({len(data.value):,} chars)", style=palette.muted)
            else:
                text.append('"')
        text.no_wrap = False
        return text

    # --- loading ------------------------------------------------------------------------------

    @on(Tree.NodeExpanded, "#xs-tree")
    def _expanded(self, event: Tree.NodeExpanded[XsData]) -> None:
        data = event.node.data
        if data is not None and data.state == "unloaded":
            self.load(event.node)

    @on(Tree.NodeHighlighted, "#xs-tree")
    def _highlighted(self, event: Tree.NodeHighlighted[XsData]) -> None:
        self._show_value(event.node)

    def load(self, node: TreeNode[XsData]) -> None:
        """List the node's children in a worker; a placeholder shows meanwhile."""
        data = node.data
        host = self._tree_host
        if data is None or host is None:
            return
        data.state = "loading"
        node.remove_children()
        node.add_leaf(Text("… loading", style=self.dash.palette.muted, end=""))
        self.loads += 1
        self.run_worker(self._load(node, host, data.path, self._generation),
                        group="xenstore", exit_on_error=False)

    async def _load(self, node: TreeNode[XsData], host: HostId, path: str,
                    generation: int) -> None:
        runner = runner_for(self.app, host)
        children: list[XenstoreNode] = []
        error: str | None = None
        if runner is None:
            error = "no connection to this host (replayed data)"
        else:
            try:
                children = await xenstore_children(runner, path)
            except QueryError as e:
                error = e.message
        if generation != self._generation or node.tree is not self.xs_tree:
            return  # the host changed while this was loading
        self._fill(node, children, error)

    def _fill(self, node: TreeNode[XsData], children: list[XenstoreNode],
              error: str | None) -> None:
        data = node.data
        assert data is not None
        palette = self.dash.palette
        node.remove_children()
        if error is not None:
            data.state = "error"
            node.add_leaf(safe_text(f"⚠ {error}", style=palette.status["unreachable"],
                                    escaped_style=palette.escaped))
            return
        data.state = "loaded"
        if not children:
            node.add_leaf(Text("(no children)", style=palette.muted, end=""))
        names = self._domain_names() if data.path == "/local/domain" else {}
        for c in sorted(children, key=lambda c: child_order(c.name)):
            label = node_label(c.name, c.value, branch=c.has_children is not False,
                               muted=palette.muted, escaped=palette.escaped)
            if c.name in names:  # /local/domain/<domid>: say whose it is
                label.append("  ")
                label.append_text(safe_text(names[c.name], style=palette.muted,
                                            escaped_style=palette.escaped))
            child = XsData(c.path, c.value, "unloaded" if c.has_children is not False
                           else "leaf")
            if c.has_children is False:
                node.add_leaf(label, data=child)
            else:
                node.add(label, data=child)

    def _domain_names(self) -> dict[str, str]:
        snap = self.dash.store.host(self._tree_host) if self._tree_host else None
        if snap is None:
            return {}
        return {str(d.domid): d.name for d in snap.domains if d.domid is not None}

    # --- actions -------------------------------------------------------------------------------

    def action_reload(self) -> None:
        node = self.xs_tree.cursor_node
        if node is None or node.data is None or node.data.state == "leaf":
            return
        if node.is_expanded:
            self.load(node)
        else:
            node.data.state = "unloaded"
            node.expand()

    def action_collapse_all(self) -> None:
        root = self.xs_tree.root
        for child in root.children:
            child.collapse_all()
        self.xs_tree.move_cursor(root)
