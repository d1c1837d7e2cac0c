"""Shared pieces for the control tests: a hand-made snapshot and a recording runner."""

from __future__ import annotations

import time
from collections.abc import Sequence

from collectors import commands
from collectors.model import (
    CpuSet,
    Device,
    DeviceKind,
    Domain,
    DomainState,
    DomainType,
    HostInfo,
    HostSnapshot,
    HostStatus,
    VCpu,
)
from collectors.sim.host_shell import od_text
from collectors.transport.base import CommandResult, LineStream, TransportError

HOST = "xen-a"
MiB = 1024


def dom(domid: int, name: str, **kw: object) -> Domain:
    base: dict[str, object] = {
        "host": HOST, "domid": domid, "name": name, "type": DomainType.PV,
        "state": DomainState(blocked=True), "mem_kib": 128 * MiB, "mem_target_kib": 128 * MiB,
        "mem_max_kib": 256 * MiB, "vcpus_online": 2, "vcpus_max": 2,
    }
    base.update(kw)
    return Domain(**base)  # type: ignore[arg-type]


def snapshot(*extra: Domain, status: HostStatus = HostStatus.OK) -> HostSnapshot:
    domains = (
        dom(0, "Domain-0", mem_kib=1024 * MiB, mem_target_kib=1024 * MiB,
            mem_max_kib=None, mem_max_unlimited=True, state=DomainState(running=True)),
        dom(1, "db1", mem_kib=160 * MiB, mem_target_kib=160 * MiB, mem_max_kib=192 * MiB),
        dom(2, "idle1", vcpus_online=1, vcpus_max=1, mem_max_kib=128 * MiB),
        dom(3, "web1"),
        dom(5, "win1", type=DomainType.HVM),
        dom(6, "frozen", state=DomainState(paused=True)),
        *extra,
    )
    vcpus = tuple(
        VCpu(HOST, d.domid or 0, d.name, v, 0, None, 1.0, CpuSet(all=True), CpuSet(all=True))
        for d in domains for v in range(d.vcpus_max or 0)
    )
    devices = (
        Device(HOST, 3, DeviceKind.VIF, 0, mac="00:16:3e:10:00:01", bridge="xenbr0"),
        Device(HOST, 3, DeviceKind.VBD, 51712, name="xvda", target="/srv/xen/web1.img"),
        Device(HOST, 1, DeviceKind.VBD, 51712, name="xvda"),
        Device(HOST, 1, DeviceKind.VBD, 51728, name="xvdb"),
    )
    info = HostInfo(hostname="xen-a", nr_cpus=4, max_cpu_id=3, nr_nodes=1,
                    total_memory_mib=3071)
    return HostSnapshot(host=HOST, time=time.time(), status=status, info=info,
                        domains=domains, vcpus=vcpus, devices=devices, data_age_s=1.0)


class RecordingRunner:
    """Answers the validator's fact commands from a fake filesystem; records every call.

    xl commands answer with ``xl_answers[verb]`` (exit, stdout, stderr), default success.
    """

    def __init__(
        self,
        host: str = HOST,
        *,
        files: Sequence[str] = ("/etc/xen/web1.cfg", "/srv/xen/disk.img", "/srv/iso/a.iso"),
        bridges: Sequence[str] = ("xenbr0", "xenbr1"),
        fail: TransportError | None = None,
        contents: dict[str, bytes] | None = None,
        dirs: Sequence[str] = ("/tmp", "/root", "/var/lib/xen", "/var/lib/xen/save"),
    ) -> None:
        self._host = host
        self.contents = dict(contents or {})  # files od can read (the others it cannot)
        self.files = set(files) | set(self.contents)
        self.dirs = set(dirs)  # and the files' own directories
        self.bridges = list(bridges)
        self.calls: list[tuple[str, ...]] = []
        self.xl_answers: dict[str, tuple[int, str, str]] = {}
        self.fail = fail

    @property
    def host(self) -> str:
        return self._host

    def _is_dir(self, path: str) -> bool:
        return path in self.dirs or any(f.startswith(path.rstrip("/") + "/") for f in self.files)

    async def run(
        self, argv: Sequence[str], *, timeout: float | None = None, input: str | None = None
    ) -> CommandResult:
        args = tuple(argv)
        self.calls.append(args)
        if self.fail is not None:
            raise self.fail
        if args == commands.LIST_BRIDGES:
            out = "".join(f"/sys/class/net/{b}\n" for b in self.bridges)
            return CommandResult(args, 0, out, "", 0.01)
        if args[:2] in (("test", "-e"), ("test", "-f")):
            there = args[2] in self.files or (args[1] == "-e" and self._is_dir(args[2]))
            return CommandResult(args, 0 if there else 1, "", "", 0.01)
        if args[0] == "od" and args[-1] in self.contents:  # od -An -v -tx1 -N COUNT -- PATH
            return CommandResult(args, 0, od_text(self.contents[args[-1]][:int(args[-3])]), "",
                                 0.01)
        if args[0] == "xl":
            code, out, err = self.xl_answers.get(args[1], (0, "", ""))
            return CommandResult(args, code, out, err, 0.01)
        return CommandResult(args, 127, "", f"{args[0]}: command not found\n", 0.0)

    async def run_batch(
        self, argvs: Sequence[Sequence[str]], *, timeout: float | None = None
    ) -> list[CommandResult]:
        return [await self.run(a, timeout=timeout) for a in argvs]

    async def stream(self, argv: Sequence[str]) -> LineStream:
        self.calls.append(tuple(argv))
        raise TransportError(self._host, "streams are not recorded")

    async def close(self) -> None:
        return None

    @property
    def xl_calls(self) -> list[tuple[str, ...]]:
        return [c for c in self.calls if c and c[0] == "xl"]

