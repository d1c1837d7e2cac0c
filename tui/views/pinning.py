"""vCPU pinning map: per host, where every vCPU runs, may run and prefers to run, with
per-pCPU totals so oversubscription stands out. ``[``/``]`` or the palette pick the host.
While the map is on screen its host (only it) reads ``xl vcpu-list`` every few seconds
instead of every ``Cadence.vcpus_s``; the title says how old the vCPU data is.

For actions (vcpu-pin from the map): :meth:`PinningScreen.selected_vcpu` is the vCPU under
the cursor and :meth:`PinningScreen.selected_pcpu` the physical CPU under it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType

from collectors.model import Domain, HostId, HostSnapshot, VCpu
from tui.format import DASH, fmt_duration, fmt_pct
from tui.host_access import domain_by_id, domain_key_for, sync_vcpu_demand
from tui.pinning_model import LEGEND, NOW_MANY, VcpuKey, build_model, held, state_shown
from tui.store import DomainKey
from tui.text import safe_text
from tui.views.base import TextBar
from tui.views.fleet import host_status
from tui.views.per_host import PerHostView, host_bindings, host_title
from tui.widgets.pinning_grid import PinningGrid


class PinningScreen(PerHostView):
    VIEW_ID = "pinning"
    TITLE_WORD = "Pinning map"

    BINDINGS: ClassVar[list[BindingType]] = [
        *host_bindings("pinning map"),
        Binding("enter", "open_domain", "Detail", id="pinning.open"),
        Binding("C", "to_current", "Its pCPU", id="pinning.current",
                tooltip="move the cursor to the pCPU the vCPU is on"),
        Binding("up,k", "move(-1, 0)", "Up", show=False, id="pinning.up"),
        Binding("down,j", "move(1, 0)", "Down", show=False, id="pinning.down"),
        Binding("left,h", "move(0, -1)", "Left", show=False, id="pinning.left"),
        Binding("right,l", "move(0, 1)", "Right", show=False, id="pinning.right"),
        Binding("pageup", "page(-1)", "Page up", show=False, id="pinning.page_up"),
        Binding("pagedown", "page(1)", "Page down", show=False, id="pinning.page_down"),
        Binding("home", "row_edge(0)", "First vCPU", show=False, id="pinning.first"),
        Binding("end", "row_edge(1)", "Last vCPU", show=False, id="pinning.last"),
        Binding("ctrl+left,shift+left", "move(0, -8)", "8 pCPUs left", show=False,
                id="pinning.group_left"),
        Binding("ctrl+right,shift+right", "move(0, 8)", "8 pCPUs right", show=False,
                id="pinning.group_right"),
    ]

    DEFAULT_CSS = """
    PinningScreen #pinning-info, PinningScreen #pinning-status {
        height: 2;
        background: $boost;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    """

    def compose_view(self) -> ComposeResult:
        yield TextBar(id="pinning-info")
        yield PinningGrid(id="pinning-grid", empty_message="no vCPUs reported for this host yet")
        yield TextBar(id="pinning-status")

    @property
    def grid(self) -> PinningGrid:
        return self.query_one("#pinning-grid", PinningGrid)

    def view_mounted(self) -> None:
        self.grid.focus()
        if self._follow_key is not None:
            self.grid.move_to_key(self._follow_key)
            self._follow_key = None
        sync_vcpu_demand(self.app)

    # --- vCPU demand: the host shown reads vCPUs often while the map is the view on top ------

    def vcpu_demand_host(self) -> HostId | None:
        return self.current_host()

    def on_screen_resume(self) -> None:
        if self.ready:
            sync_vcpu_demand(self.app)

    def on_screen_suspend(self) -> None:
        sync_vcpu_demand(self.app)

    def on_unmount(self) -> None:
        sync_vcpu_demand(self.app)

    # --- what actions use -------------------------------------------------------------------

    def selected_vcpu(self) -> VcpuKey | None:
        """(host, domid, vcpu) under the cursor."""
        return self.grid.cursor_key

    def selected_pcpu(self) -> int | None:
        """The physical CPU under the cursor."""
        return self.grid.cursor_pcpu

    def selected_domain(self) -> Domain | None:
        key = self.grid.cursor_key
        return None if key is None else domain_by_id(self.dash.store, key[0], key[1])

    def selected_domain_key(self) -> DomainKey | None:
        key = self.grid.cursor_key
        return None if key is None else domain_key_for(self.dash.store, key[0], key[1])

    # --- rendering ----------------------------------------------------------------------------

    def update_view(self) -> None:
        host = self.current_host()
        snap = self.dash.store.host(host) if host is not None else None
        grid = self.grid
        if snap is not None:
            m = grid.model
            if m is None or m.host != snap.host or m.seq != snap.seq:
                grid.set_model(build_model(snap))
        elif grid.model is not None and grid.model.host != host:
            grid.model = None
            grid.refresh()
        self._update_info(host)
        self._update_status()

    _follow_key: VcpuKey | None = None  # a vCPU to put the cursor on once mounted

    def follow(self, host: HostId, domid: int | None = None) -> None:
        super().follow(host, domid)
        if domid is None or host != self.host:
            return
        # on that domain's first vCPU (kept until the host's vCPUs arrive, if they have
        # not yet)
        if self.ready:
            self.grid.move_to_key((host, domid, 0))
        else:
            self._follow_key = (host, domid, 0)

    def host_changed(self) -> None:
        if self.ready:
            self.grid.reset_cursor()
            sync_vcpu_demand(self.app)

    def tick(self) -> None:
        super().tick()
        if self.ready:
            self._update_info(self.current_host())  # the age of the vCPU data

    def _update_info(self, host: HostId | None) -> None:
        dash = self.dash
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        text.append(" Pinning map ", style="bold")
        if host is None:
            text.append("(no hosts)")
            self.query_one("#pinning-info", TextBar).show(text)
            return
        text.append_text(host_title(dash.store, dash.palette, host))
        snap = dash.store.host(host)
        status, detail = host_status(snap, dash.now(), dash.settings.interval_s)
        text.append("  ")
        text.append_text(dash.palette.status_text(status, detail))
        m = self.grid.model
        if m is not None and m.host == host and m.pcpus:  # (0: not known yet)
            ratio = f"{m.online / m.pcpus:.1f}:1" if m.pcpus else DASH
            text.append(f"  {m.pcpus} pCPUs  {m.online} vCPUs online ({ratio})")
            busy = sum(1 for n in m.now if n >= 2)
            if busy:
                text.append(f"  {busy} pCPU{'s' if busy > 1 else ''} with vCPUs queued",
                            style=dash.palette.status["stale"])
        if snap is not None:
            text.append_text(self._vcpu_age_text(snap))
        text.append("\n ")
        for sym, meaning in LEGEND:
            text.append(sym, style="bold")
            text.append(f" {meaning}  ")
        text.append(f"│ allowed: vCPUs allowed (digits top-down); now: running+queued "
                    f"({NOW_MANY} 10+)", style=dash.palette.muted)
        self.query_one("#pinning-info", TextBar).show(text)

    def _vcpu_age_text(self, snap: HostSnapshot) -> Text:
        """``vCPUs read 3s ago (xl vcpu-list every 5s)``; stale-coloured when older than
        even the slow cadence would leave it."""
        dash = self.dash
        muted = dash.palette.muted
        text = Text("  vCPUs read ", style=muted, end="")
        if snap.vcpus_t is None:
            text.append("not yet")
        else:
            age = max(0.0, dash.now() - snap.vcpus_t)
            late = age > dash.settings.cadence.vcpus_s + 3 * dash.settings.interval_s
            text.append(f"{fmt_duration(age)} ago",
                        style=dash.palette.status["stale"] if late else muted)
        source = snap.sources.get("vcpus")
        if source:
            text.append_text(safe_text(f" ({source})", style=muted,
                                       escaped_style=dash.palette.escaped))
        return text

    def _update_status(self) -> None:
        grid = self.grid
        m = grid.model
        text = Text(end="", no_wrap=True, overflow="ellipsis")
        v = grid.cursor_vcpu
        p = grid.cursor_pcpu
        if m is None or v is None or p is None:
            self.query_one("#pinning-status", TextBar).show(text)
            return
        escaped = self.dash.palette.escaped
        text.append(" ")
        text.append_text(safe_text(v.domain, style="bold", escaped_style=escaped))
        text.append(f" (domid {v.domid}) vCPU {v.vcpu}: ")
        text.append(_vcpu_summary(v, self._domain_state_word(v) if m.is_stopped(v) else None))
        text.append(f"\n pCPU {p}: {m.may[p]} vCPUs allowed, {m.now[p]} running or queued now")
        here = m.on_pcpu(p)
        if here:  # blocked ones included (○: it last ran here), which "now" does not count
            text.append("; vCPUs on it: ")
            for i, w in enumerate(here[:6]):
                if i:
                    text.append(", ")
                text.append(f"{state_shown(w, m.is_stopped(w))[0]} ")
                text.append_text(safe_text(w.domain, escaped_style=escaped))
                text.append(f"/{w.vcpu}")
            if len(here) > 6:
                text.append(f" … {len(here) - 6} more")
        self.query_one("#pinning-status", TextBar).show(text)

    def _domain_state_word(self, v: VCpu) -> str:
        """The state of the vCPU's (stopped) domain: "paused", "crashed"..."""
        d = domain_by_id(self.dash.store, v.host, v.domid)
        return "stopped" if d is None else d.state.label

    # --- events and actions -------------------------------------------------------------------

    @on(PinningGrid.CursorMoved, "#pinning-grid")
    def _cursor_moved(self) -> None:
        self._update_status()

    @on(PinningGrid.Activated, "#pinning-grid")
    def _activated(self, event: PinningGrid.Activated) -> None:
        event.stop()
        self.action_open_domain()

    def action_move(self, rows: int, pcpus: int) -> None:
        self.grid.move_by(rows, pcpus)

    def action_page(self, direction: int) -> None:
        self.grid.move_by(direction * self.grid.page_rows(), 0)

    def action_row_edge(self, end: int) -> None:
        m = self.grid.model
        if m is not None:
            self.grid.move_to(row=len(m.rows) - 1 if end else 0)

    def action_to_current(self) -> None:
        v = self.grid.cursor_vcpu
        if v is not None and v.cpu is not None:
            self.grid.move_to(pcpu=v.cpu)

    def action_open_domain(self) -> None:
        key = self.selected_domain_key()
        if key is not None:
            self.dash.open_domain(key)


def _vcpu_summary(v: VCpu, stopped_as: str | None = None) -> str:
    """``stopped_as``: the state word of the vCPU's domain when it is stopped ("crashed")."""
    stopped = stopped_as is not None
    sym, state = state_shown(v, stopped)
    if held(v, stopped):  # (Xen pauses every vCPU of a paused or stopped domain)
        state += f" (domain {stopped_as})"
    where = f"on pCPU {v.cpu}" if v.cpu is not None else "on no pCPU"
    soft = DASH if v.soft is None else str(v.soft)
    time = DASH if v.time_s is None else f"{v.time_s:.1f}s"
    if v.time_s is not None and v.time_s >= 60:  # ("7.1s (7s)" would say it twice)
        time += f" ({fmt_duration(v.time_s)})"
    pct = fmt_pct(v.cpu_pct, suffix="%")  # unknown between two vcpu-lists: '-', not '-%'
    return (f"{sym} {state} {where}  hard {v.hard}  soft {soft}"
            f"  CPU {pct}  CPU time {time}")
