"""``xltop --serve-metrics``: the exposition of fleet snapshots, the HTTP server on
loopback, and the command as Prometheus would scrape it."""

from __future__ import annotations

import asyncio
import gzip
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from collectors.config import Settings
from collectors.fleet import DemoOptions, build_fleet, close_fleet, collect_once, demo_host_configs
from collectors.metrics import CounterFloor, render
from collectors.model import (
    Device,
    DeviceKind,
    Domain,
    DomainState,
    FleetSnapshot,
    HostSnapshot,
    HostStatus,
)
from tests.metrics_support import Exposition, parse_exposition, scrape
from tui import metrics_server
from tui.metrics_server import MetricsServer, accepts_gzip, parse_listen
from tui.text import visible

ROOT = Path(__file__).resolve().parent.parent
HOSTILE = ['a"} 1\nxen_host_up{host="forged"} 1', "back\\slash", "evil\x1b[2J", "\u202eevil",
           "$(reboot)", "[red]x"]


@pytest.fixture(scope="module")
def demo_fleet() -> FleetSnapshot:
    async def collect() -> FleetSnapshot:
        configs, runners = demo_host_configs(DemoOptions(hosts=3, domains=8, seed=3))
        members = build_fleet(configs, Settings(), runners)
        try:
            return await collect_once(members)
        finally:
            await close_fleet(members)

    return asyncio.run(collect())


def test_every_domain_of_the_demo_fleet_is_exported_with_its_numbers(
        demo_fleet: FleetSnapshot) -> None:
    exp = parse_exposition(render(demo_fleet.hosts))
    for snap in demo_fleet.hosts:
        assert exp.one("xen_host_up", host=snap.host) == 1
        assert exp.one("xen_host_status", host=snap.host, status="ok") == 1
        assert exp.one("xen_host_status", host=snap.host, status="unreachable") == 0
        assert snap.info is not None and snap.info.total_memory_mib is not None
        assert exp.one("xen_host_memory_bytes", host=snap.host) == (
            snap.info.total_memory_mib * 2**20)
        assert exp.one("xen_host_cpus", host=snap.host) == snap.info.nr_cpus
        for d in snap.domains:
            who = {"host": snap.host, "domain": visible(d.name), "domid": str(d.domid)}
            assert exp.one("xen_domain_state", **who, state=d.state.label) == 1
            assert exp.values("xen_domain_memory_bytes", **who) == (
                [] if d.mem_kib is None else [d.mem_kib * 1024])
            assert exp.values("xen_domain_cpu_seconds_total", **who) == (
                [] if d.cpu_time_s is None else [pytest.approx(d.cpu_time_s)])
            assert exp.values("xen_domain_vcpus_online", **who) == (
                [] if d.vcpus_online is None else [d.vcpus_online])
            assert exp.values("xen_domain_network_receive_bytes_total", **who) == (
                [] if d.net_tx_bytes is None else [d.net_tx_bytes])  # Dom0's TX
        for v in snap.vcpus:
            assert exp.values("xen_vcpu_cpu_seconds_total", host=snap.host, domid=str(v.domid),
                              vcpu=str(v.vcpu)) == (
                [] if v.time_s is None else [pytest.approx(v.time_s)])
    assert exp.types["xen_domain_cpu_seconds_total"] == "counter"
    assert exp.types["xen_domain_memory_bytes"] == "gauge"
    # rings and vbd statistics of the simulated netback/blkback
    assert exp.values("xen_ring_pressure")
    assert all(0.0 <= p <= 1.0 for p in exp.values("xen_ring_pressure"))
    assert exp.label_values("xen_ring_pressure", "direction") == {"tx", "rx"}
    assert exp.values("xen_vbd_oo_requests_total")
    assert exp.values("xen_vif_receive_bytes_total")


def test_hostile_names_stay_one_label_value_shown_as_the_dashboard_shows_them() -> None:
    doms = tuple(Domain(host="h", domid=i + 1, name=n, mem_kib=1024)
                 for i, n in enumerate(HOSTILE))
    text = render([HostSnapshot(host="h", time=1.0, status=HostStatus.OK, domains=doms)])
    exp = parse_exposition(text)
    assert exp.label_values("xen_domain_memory_bytes", "domain") == {visible(n) for n in HOSTILE}
    assert exp.label_values("xen_host_up", "host") == {"h"}  # nothing forged
    assert "\x1b" not in text and "\u202e" not in text
    for i, name in enumerate(HOSTILE):
        assert exp.one("xen_domain_memory_bytes", domain=visible(name), domid=str(i + 1)) == 2**20


def test_unknown_numbers_are_left_out_not_zero() -> None:
    blank = Domain(host="h", domid=7, name="blank", state=DomainState(paused=True))
    down = HostSnapshot(host="gone", time=1.0, status=HostStatus.UNREACHABLE, message="refused")
    vbd = Device(host="h", domid=7, kind=DeviceKind.VBD, devid=51712, name="xvda")
    exp = parse_exposition(render([
        HostSnapshot(host="h", time=1.0, status=HostStatus.OK, domains=(blank,), devices=(vbd,)),
        down,
    ]))
    assert exp.one("xen_domain_state", domain="blank", state="paused") == 1
    assert exp.one("xen_domain_info", domain="blank", uuid="", type="") == 1
    for name in ("xen_domain_memory_bytes", "xen_domain_cpu_seconds_total",
                 "xen_domain_uptime_seconds", "xen_vbd_oo_requests_total", "xen_host_cpus",
                 "xen_host_rtt_seconds", "xen_ring_pressure"):
        assert name not in exp.samples, name
    assert exp.one("xen_host_up", host="gone") == 0
    assert exp.one("xen_host_status", host="gone", status="unreachable") == 1
    assert render([]) == ""


def test_counters_do_not_step_back_when_a_coarser_source_takes_over() -> None:
    floor = CounterFloor()

    def scrape_once(cpu: float | None, tx: int | None) -> Exposition:
        d = Domain(host="h", domid=3, name="web", cpu_time_s=cpu, net_tx_bytes=tx)
        return parse_exposition(render([HostSnapshot(host="h", time=1.0, status=HostStatus.OK,
                                                     domains=(d,))], floor))

    def seen(exp: Exposition) -> tuple[list[float], list[float]]:
        return (exp.values("xen_domain_cpu_seconds_total"),
                exp.values("xen_domain_network_receive_bytes_total"))

    # xl list's 0.1 s and xentop -n's bytes, then the stream's whole seconds and KiB
    assert seen(scrape_once(274.5, 5 * 1024 + 700)) == ([274.5], [5 * 1024 + 700])
    assert seen(scrape_once(274.0, 5 * 1024)) == ([274.5], [5 * 1024 + 700])
    assert seen(scrape_once(276.0, 6 * 1024)) == ([276.0], [6 * 1024])
    # a real reset (more than the resolution back) is passed on, as is unknown (absent)
    assert seen(scrape_once(3.0, 0)) == ([3.0], [0])
    assert seen(scrape_once(None, None)) == ([], [])
    assert seen(scrape_once(2.5, 10)) == ([2.5], [10])  # the series was forgotten meanwhile
    # without a floor (one-off renders) the values are the snapshot's
    assert parse_exposition(render([HostSnapshot(host="h", time=1.0, status=HostStatus.OK,
                                                 domains=(Domain(host="h", domid=3, name="w",
                                                                 cpu_time_s=1.0),))])
                            ).values("xen_domain_cpu_seconds_total") == [1.0]


def test_two_domains_of_one_name_are_two_series() -> None:
    doms = (Domain(host="h", domid=3, name="web", mem_kib=1, state=DomainState(dying=True)),
            Domain(host="h", domid=9, name="web", mem_kib=2))
    exp = parse_exposition(render([HostSnapshot(host="h", time=1.0, status=HostStatus.OK,
                                                domains=doms)]))
    assert exp.one("xen_domain_memory_bytes", domid="3") == 1024
    assert exp.one("xen_domain_memory_bytes", domid="9") == 2048


@pytest.mark.parametrize(("text", "want"), [
    ("9100", ("127.0.0.1", 9100)),
    ("0", ("127.0.0.1", 0)),
    ("127.0.0.1:9100", ("127.0.0.1", 9100)),
    ("localhost:9100", ("localhost", 9100)),
    ("[::1]:9100", ("::1", 9100)),
])
def test_listen_addresses(text: str, want: tuple[str, int]) -> None:
    assert parse_listen(text) == want


@pytest.mark.parametrize("text", ["lots", "", ":9100", "::1:9100", "host:", "host:65536",
                                  "host:-1", "host:9a", "host:\u0669\u0661"])
def test_bad_listen_addresses_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not an? (port|address)"):
        parse_listen(text)


# --- the HTTP server on loopback ------------------------------------------------------

@pytest.fixture
async def server() -> AsyncIterator[tuple[MetricsServer, int, list[int]]]:
    calls: list[int] = []

    async def metrics() -> str:
        calls.append(1)
        return '# HELP x_up up\n# TYPE x_up gauge\nx_up{host="h"} 1\n'

    srv = MetricsServer(metrics)
    port = await srv.start("127.0.0.1", 0)
    yield srv, port, calls
    await srv.close()


async def _get(port: int, path: str, **kw: object) -> tuple[int, dict[str, str], bytes]:
    return await asyncio.to_thread(scrape, f"http://127.0.0.1:{port}{path}", **kw)  # type: ignore[arg-type]


async def _raw(port: int, data: bytes, *, close_write: bool = True) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    if close_write:
        writer.write_eof()
    reply = await asyncio.wait_for(reader.read(), 15)
    writer.close()
    return reply


async def test_get_metrics_head_gzip_and_errors(server: tuple[MetricsServer, int, list[int]]
                                                ) -> None:
    _, port, calls = server
    status, headers, body = await _get(port, "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert parse_exposition(body.decode()).one("x_up", host="h") == 1
    status, headers, body = await _get(port, "/metrics", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body).startswith(b"# HELP x_up")
    status, headers, body = await _get(port, "/metrics", headers={"Accept-Encoding": "gzip;q=0"})
    assert status == 200 and "Content-Encoding" not in headers and body.startswith(b"# HELP")
    status, headers, body = await _get(port, "/metrics", method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) > 0
    assert (await _get(port, "/"))[0] == 200
    assert (await _get(port, "/nope"))[0] == 404
    status, headers, _ = await _get(port, "/metrics", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert len(calls) == 4  # GET, gzip GET, refused gzip, HEAD: the errors rendered nothing


@pytest.mark.parametrize(("accept", "gzipped"), [
    ("gzip", True), ("deflate, gzip;q=0.5", True), ("*", True), ("GZIP ; Q=1", True),
    ("gzip;q=0", False), ("gzip;q=0.0, identity", False), ("*;q=0", False),
    ("identity", False), ("gzip;q=zero", False), ("*, gzip;q=0", False)])
def test_accept_encoding_q_values(accept: str, gzipped: bool) -> None:
    assert accepts_gzip([f"Accept-Encoding: {accept}"]) is gzipped


@pytest.mark.parametrize("data", [b"garbage\r\n\r\n", b"GET /metrics\r\n\r\n",
                                  b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
                                  b"GET /metrics HTTP/1.1\r\nX: " + b"y" * 20000 + b"\r\n\r\n"])
async def test_unreadable_requests_get_400_and_the_server_goes_on(
        server: tuple[MetricsServer, int, list[int]], data: bytes) -> None:
    _, port, calls = server
    reply = await _raw(port, data)
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert (await _get(port, "/metrics"))[0] == 200 and len(calls) == 1


async def test_a_silent_client_is_dropped_after_the_timeout(
        server: tuple[MetricsServer, int, list[int]], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(metrics_server, "REQUEST_TIMEOUT_S", 0.3)
    _, port, _ = server
    t0 = time.monotonic()
    reply = await _raw(port, b"GET /metr", close_write=False)
    assert reply.startswith(b"HTTP/1.1 400") and time.monotonic() - t0 < 5


async def test_a_failing_render_costs_one_scrape_not_the_server() -> None:
    fail = [True]

    async def metrics() -> str:
        if fail.pop():
            raise RuntimeError("boom")
        return "# HELP x_up up\n# TYPE x_up gauge\nx_up 1\n"

    fail.insert(0, False)
    srv = MetricsServer(metrics)
    port = await srv.start("127.0.0.1", 0)
    try:
        status, _, body = await _get(port, "/metrics")
        assert status == 500 and b"RuntimeError('boom')" in body
        status, _, body = await _get(port, "/metrics")
        assert status == 200 and parse_exposition(body.decode()).one("x_up") == 1
    finally:
        await srv.close()


# --- the command -----------------------------------------------------------------------

def _xltop(*args: str, home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_STATE_HOME": str(home / ".state")}
    env.pop("XLTOP_CONFIG", None)
    return subprocess.Popen([sys.executable, "-m", "tui", *args], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture
def exporter(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    p = _xltop("--demo", "--interval", "0.5", "--serve-metrics", "127.0.0.1:0", home=tmp_path)
    assert p.stderr is not None
    line = p.stderr.readline()
    assert "serving Prometheus metrics of 3 host(s) on http://127.0.0.1:" in line, line
    url = line.split(" on ", 1)[1].split()[0]
    yield p, url
    if p.poll() is None:
        p.kill()
        p.wait()


@pytest.mark.slow
def test_the_demo_exporter_serves_growing_counters_and_stops_on_sigterm(
        exporter: tuple[subprocess.Popen[str], str]) -> None:
    p, url = exporter
    assert url.endswith("/metrics")
    deadline = time.monotonic() + 60
    while True:  # the first full read of every host (XenStore's devices included)
        first = parse_exposition(scrape(url)[2].decode())
        if (first.label_values("xen_host_up", "host") and min(first.values("xen_host_up")) == 1
                and first.values("xen_ring_pressure")) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert len(first.values("xen_host_up")) == 3 and min(first.values("xen_host_up")) == 1
    time.sleep(2.5)
    second = parse_exposition(scrape(url)[2].decode())
    cpu1 = first.samples["xen_domain_cpu_seconds_total"]
    cpu2 = second.samples["xen_domain_cpu_seconds_total"]
    both = cpu1.keys() & cpu2.keys()
    assert len(both) > 10
    back = [(dict(k), cpu1[k], cpu2[k]) for k in both if cpu2[k] < cpu1[k]]
    assert not back
    assert sum(cpu2[k] - cpu1[k] for k in both) > 0  # the fleet keeps running
    p.send_signal(signal.SIGTERM)
    assert p.wait(timeout=20) == 0


def test_a_bad_listen_address_or_a_taken_port_is_a_clear_error(tmp_path: Path) -> None:
    p = _xltop("--demo", "--serve-metrics", "lots", home=tmp_path)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 2 and "not a port: 'lots'" in err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        p = _xltop("--demo", "--serve-metrics", f"127.0.0.1:{port}", home=tmp_path)
        _, err = p.communicate(timeout=60)
    assert p.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in err
