"""Open vSwitch hosts end to end: the simulated OVS host's xentop shows no vifs, so the
poller reads Dom0's /proc/net/dev every tick and domains get their net numbers from it."""

from __future__ import annotations

import asyncio

from collectors.poller import HostPoller, PollSettings
from collectors.sim.fleet import make_fleet
from collectors.sim.runner import SimRunner

OVS_HOST = 3  # hosts 3, 5, 7, ... of the simulated fleet use an OVS bridge


async def _two_polls(index: int) -> tuple[HostPoller, list[dict[str, object]]]:
    sim = make_fleet(hosts=index + 1, domains=6, seed=0)[index]
    poller = HostPoller(sim.name, SimRunner(sim), PollSettings(interval_s=2.0), phase=0.0)
    await poller.poll_once()
    await asyncio.sleep(1.1)  # the simulator's counters move with the clock
    snap = await poller.poll_once()
    rows = [{"name": d.name, "nets": d.nets, "source": d.net_source,
             "rx": d.net_rx_rate, "tx": d.net_tx_rate}
            for d in snap.domains if d.name != "Domain-0" and d.state.running]
    return poller, rows


async def test_ovs_host_reads_dom0_every_tick_and_fills_domain_rates() -> None:
    poller, rows = await _two_polls(OVS_HOST)
    assert poller._ovs_like()
    assert poller._periods()["dom0"] == 2.0
    with_vifs = [r for r in rows if r["nets"]]
    assert with_vifs, rows
    assert all(r["source"] == "dom0 /proc/net/dev" for r in with_vifs), with_vifs
    assert any((r["rx"] or 0) > 0 or (r["tx"] or 0) > 0 for r in with_vifs), with_vifs


async def test_bridge_host_keeps_xentop_numbers_and_the_slow_dom0_cadence() -> None:
    poller, rows = await _two_polls(0)
    assert not poller._ovs_like()
    assert poller._periods()["dom0"] == poller.settings.cadence.dom0_s
    assert {r["source"] for r in rows if r["nets"]} == {"xentop"}
