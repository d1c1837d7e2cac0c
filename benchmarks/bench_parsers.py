"""Parser speed on big hosts: a 1,000-domain ``xentop -b`` frame and a 4,000-line
``xl vcpu-list``, each parsed 20 times; prints the median (target: < 20 ms each).

Run: ``.venv/bin/python benchmarks/bench_parsers.py``
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.parse.xentop import parse_xentop  # noqa: E402
from collectors.parse.xl_vcpu import parse_xl_vcpu_list  # noqa: E402

RUNS = 20
TARGET_MS = 20.0

_XENTOP_HEADER = (
    "      NAME  STATE   CPU(sec) CPU(%)     MEM(k) MEM(%)  MAXMEM(k) MAXMEM(%) VCPUS NETS "
    "NETTX(k) NETRX(k) VBDS   VBD_OO   VBD_RD   VBD_WR  VBD_RSECT  VBD_WSECT SSID"
)


def xentop_frame(domains: int = 1000) -> str:
    """One ``xentop -b -v -n -x`` iteration, formatted with xentop's printf specs."""
    lines = [_XENTOP_HEADER]
    for i in range(domains):
        name = f"guest{i:05d}"[:10]
        nets, vbds = 1 + i % 2, 1 + i % 2
        lines.append(
            f"{name:>10.10s} {'--b---':6s} {i * 7:10d} {i % 100 + 0.5:6.1f} {1048576:10d} "
            f"{1.6:6.1f} {1049600:10d} {1.6:9.1f} {2:5d} {nets:4d} {i * 3:8d} {i * 5:8d} "
            f"{vbds:4d} {0:8d} {i * 11:8d} {i * 13:8d} {i * 88:10d} {i * 104:10d} {0:4d}"
        )
        lines.append("VCPUs(sec): " + "".join(f" {v:2d}: {i + v:10d}s" for v in range(2)))
        for n in range(nets):
            lines.append(
                f"Net{n} RX: {i * 100:8d}bytes {i:8d}pkts {0:8d}err {0:8d}drop  "
                f"TX: {i * 200:8d}bytes {i * 2:8d}pkts {0:8d}err {0:8d}drop"
            )
        for v in range(vbds):
            devid = 51712 + 16 * v
            lines.append(
                f"VBD BlkBack {devid:4d} [{devid >> 8:2x}:{devid & 0xFF:2x}]  OO: {0:8d}   "
                f"RD: {i:8d}   WR: {i:8d}   RSECT: {i * 8:10d}   WSECT: {i * 8:10d}"
            )
    return "\n".join(lines) + "\n"


def vcpu_list(rows: int = 4000) -> str:
    """``xl vcpu-list`` with xl's printf specs: 1,000 domains × 4 vCPUs."""
    out = [
        "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)"
    ]
    for r in range(rows):
        dom, vcpu = divmod(r, 4)
        name = f"guest{dom:05d}"
        if vcpu == 3:
            out.append(
                f"{name:<32s} {dom + 1:5d} {vcpu:5d}{'-':>5s} {'-':>3s}-p {r * 0.1:9.1f}  all / all"
            )
        else:
            out.append(
                f"{name:<32s} {dom + 1:5d} {vcpu:5d}{vcpu * 2:5d} {'-':>3s}b- {r * 0.1:9.1f}  "
                f"{vcpu * 2}-{vcpu * 2 + 1} / all"
            )
    return "\n".join(out) + "\n"


def median_ms(fn: Callable[[], object]) -> tuple[float, float]:
    """Median wall time and median CPU time of this thread, in ms.

    The CPU time is what the parser itself costs; the wall time also counts the moments
    the process waited for a core (a busy machine), so both are shown.
    """
    wall, cpu = [], []
    for _ in range(RUNS):
        c0, t0 = time.thread_time(), time.perf_counter()
        fn()
        wall.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.thread_time() - c0) * 1000)
    return statistics.median(wall), statistics.median(cpu)


def main() -> int:
    xt, vl = xentop_frame(), vcpu_list()
    frames = parse_xentop(xt)
    rows = parse_xl_vcpu_list(vl)
    assert len(frames) == 1 and len(frames[0]) == 1000, "xentop frame did not parse fully"
    assert len(rows) == 4000, "vcpu list did not parse fully"
    ok = True
    cases: list[tuple[str, str, Callable[[], object]]] = [
        ("xentop -b -v -n -x frame, 1000 domains", xt, lambda: parse_xentop(xt)),
        ("xl vcpu-list, 4000 rows", vl, lambda: parse_xl_vcpu_list(vl)),
    ]
    for label, text, fn in cases:
        wall, cpu = median_ms(fn)
        ok = ok and cpu < TARGET_MS
        print(
            f"{label} ({text_lines(text)} lines, {len(text) // 1024} KiB): "
            f"median {wall:.2f} ms wall, {cpu:.2f} ms CPU over {RUNS} runs "
            f"(target < {TARGET_MS:.0f} ms)"
        )
    print(f"machine reference: sum(range(10**6)) takes {calibration_ms():.1f} ms CPU here")
    return 0 if ok else 1


def calibration_ms() -> float:
    """A fixed pure-Python workload, to compare the numbers across machines."""
    times = []
    for _ in range(5):
        c0 = time.thread_time()
        sum(range(10**6))
        times.append((time.thread_time() - c0) * 1000)
    return statistics.median(times)


def text_lines(text: str) -> int:
    return text.count("\n")


if __name__ == "__main__":
    sys.exit(main())
