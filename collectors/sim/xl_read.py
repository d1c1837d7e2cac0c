"""xl's read-only subcommands on a simulated host."""

from __future__ import annotations

from collectors.parse.common import is_uint
from collectors.sim import render_json, render_xl, xl_usage
from collectors.sim.state import SimHost
from collectors.sim.xenstore_tree import build_tree
from collectors.sim.xl_args import Io, XlExit, die, find_domain, getopt, qualifier_to_domid


def cmd_list(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "list", argv, "lvZcn",
               {"long": ("l", False), "verbose": ("v", False), "context": ("Z", False),
                "cpupool": ("c", False), "numa": ("n", False)})
    if not p.args:
        domains = host.sorted_domains()
    elif len(p.args) == 1:
        domid = find_domain(io, host, p.args[0])
        d = host.domains.get(domid)
        if d is None:
            die(io, f"Error: Domain '{p.args[0]}' does not exist.\n")
        domains = [d]
    else:
        io.print(xl_usage.usage("list"))
        raise XlExit(1)
    if p.has("l"):
        io.print(render_json.render_list_long(domains, host.scheduler))
    else:
        io.print(render_xl.render_list(host, domains, verbose=p.has("v"), context=p.has("Z"),
                                       cpupool=p.has("c"), numa=p.has("n")))
    return 0


def cmd_vcpu_list(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "vcpu-list", argv, "")
    io.print(render_xl.VCPU_HEADER + "\n")
    if not p.args:
        for dom in host.sorted_domains():
            io.print("".join(r + "\n" for r in render_xl.vcpu_rows(host, dom)))
        return 0
    for arg in p.args:
        domid = find_domain(io, host, arg)
        d = host.domains.get(domid)
        if d is None:
            io.eprint("libxl: error: libxl_domain.c:1667:libxl_list_vcpu: "
                      f"Domain {domid}:Getting infolist: No such file or directory\n")
            continue
        io.print("".join(r + "\n" for r in render_xl.vcpu_rows(host, d)))
    return 0


def cmd_info(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "info", argv, "n", {"numa": ("n", False)})
    prefix = p.args[0] if p.args else None
    io.print(render_xl.render_info(host, numa=p.has("n"), prefix=prefix))
    return 0


_NO_START_TIME = ("libxl: error: libxl_domain.c:2231:libxl_vm_get_start_time: Domain {}:Can't "
                  "get start time of domain\n")


def cmd_uptime(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "uptime", argv, "s")
    now = host.now
    domids = [find_domain(io, host, a) for a in p.args]
    short = p.has("s")
    if not domids:
        domains = host.sorted_domains()
        io.print(render_xl.render_uptime(host, [d for d in domains if not d.no_vm_path], now,
                                         short=short))
        for lost in domains:
            if lost.no_vm_path:
                io.eprint(_NO_START_TIME.format(lost.domid))
        return 0
    if not short:
        io.print(f"{'Name':<33} {'ID':>4} Uptime\n")
    for domid in domids:
        d = host.domains.get(domid)
        if d is None or d.no_vm_path:
            io.eprint(_NO_START_TIME.format(domid))
            continue
        text = render_xl.render_uptime(host, [d], now, short=short)
        io.print(text if short else text.split("\n", 1)[1])
    return 0


def cmd_network_list(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "network-list", argv, "", required=1)
    io.print(render_xl.NET_HEADER + "\n")
    tree = build_tree(host)
    for arg in p.args:
        d = host.domains.get(find_domain(io, host, arg))
        if d is not None:
            io.print("".join(r + "\n" for r in render_xl.network_rows(tree, d)))
    return 0


def cmd_block_list(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "block-list", argv, "", required=1)
    io.print(render_xl.BLOCK_HEADER + "\n")
    tree = build_tree(host)
    for arg in p.args:
        domid = qualifier_to_domid(host, arg)
        if domid is None:
            io.eprint(f"{arg} is an invalid domain identifier\n")
            continue
        d = host.domains.get(domid)
        if d is not None:
            io.print("".join(r + "\n" for r in render_xl.block_rows(tree, d)))
    return 0


def cmd_cpupool_list(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "cpupool-list", argv, "c", {"cpus": ("c", False)})
    only = p.args[0] if p.args else None
    if only is not None and not any(pool.name == only for pool in host.pools):
        die(io, f"Pool '{only}' does not exist\n")
    io.print(render_xl.render_cpupool_list(host, cpus=p.has("c"), only=only))
    return 0


def cmd_dmesg(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "dmesg", argv, "c", {"clear": ("c", False)})
    io.print(render_xl.render_dmesg(host))
    if p.has("c"):
        host.dmesg.clear()
    return 0


def cmd_sched_credit2(host: SimHost, io: Io, argv: list[str]) -> int:
    return _sched(host, io, argv, "credit2")


def cmd_sched_credit(host: SimHost, io: Io, argv: list[str]) -> int:
    return _sched(host, io, argv, "credit")


# libxl_sched.c's line of "Getting domain sched <x>" in sched_<x>_domain_set (4.17; the
# credit one seen on the lab, the credit2 one estimated)
_SCHED_GET_LINE = {"credit": 232, "credit2": 437}


def _sched(host: SimHost, io: Io, argv: list[str], sched: str) -> int:
    """``xl sched-credit[2]``: list the pools of that scheduler, show or set a domain's
    weight and cap (as strtol reads them: "abc" is 0), with libxl's range checks."""
    verb = f"sched-{sched}"
    p = getopt(io, verb, argv, "d:w:c:p:r:s",
               {"domain": ("d", True), "weight": ("w", True), "cap": ("c", True),
                "cpupool": ("p", True), "ratelimit_us": ("r", True), "schedparam": ("s", False)})
    dom = p.value("d")
    if dom is None:
        if p.has("w") or p.has("c"):
            die(io, "Must specify a domain.\n")
        if host.scheduler == sched:  # pools of another scheduler are left out
            io.print(render_xl.render_sched_credit2(host, host.sorted_domains()))
        return 0
    domid = find_domain(io, host, dom)
    d = host.domains.get(domid)
    if d is None:
        die(io, "libxl_domain_sched_params_get failed.\n")
    weight, cap = p.value("w"), p.value("c")
    label = f"libxl: error: libxl_sched.c:{{}}:sched_{sched}_domain_set: Domain {domid}:"
    if host.scheduler != sched:
        if weight is None and cap is None:
            io.eprint(f"libxl_domain_sched_params_get returned {host.scheduler} not {sched}.\n")
            io.print(render_xl.render_sched_credit2(host, []).split("\n", 1)[1])
            return 1
        io.eprint(label.format(_SCHED_GET_LINE[sched])
                  + f"Getting domain sched {sched}: Invalid argument\n")
        die(io, "libxl_domain_sched_params_set failed.\n")
    if weight is None and cap is None:
        io.print(render_xl.render_sched_credit2(host, [d]).split("\n", 1)[1])
        return 0
    new_weight = _strtol(weight) if weight is not None else d.weight
    new_cap = _strtol(cap) if cap is not None else d.cap
    cap_max = 100 * d.max_vcpus
    if not 1 <= new_weight <= 65535:
        io.eprint(label.format(445) + "Cpu weight out of range, valid values are within "
                  "range from 1 to 65535\n")
        die(io, "libxl_domain_sched_params_set failed.\n")
    if not 0 <= new_cap <= cap_max:
        io.eprint(label.format(455) + f"Cpu cap out of range, valid range is from 0 to "
                  f"{cap_max} for specified number of vcpus\n")
        die(io, "libxl_domain_sched_params_set failed.\n")
    d.weight, d.cap = new_weight, new_cap
    return 0


def _strtol(text: str) -> int:
    """C's strtol(text, NULL, 10): leading blanks, a sign, digits; 0 when none."""
    t = text.lstrip()
    sign = -1 if t[:1] == "-" else 1
    t = t[1:] if t[:1] in "+-" else t
    digits = len(t) - len(t.lstrip("0123456789"))
    return sign * int(t[:digits]) if digits else 0


def cmd_domid(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "domid", argv, "", required=1)
    d = host.by_name(p.args[0])
    if d is None:
        die(io, f"Can't get domid of domain name '{p.args[0]}', maybe this domain does not "
                "exist.\n")
    io.print(f"{d.domid}\n")
    return 0


def cmd_domname(host: SimHost, io: Io, argv: list[str]) -> int:
    p = getopt(io, "domname", argv, "", required=1)
    arg = p.args[0]
    domid = int(arg) if is_uint(arg) and len(arg) < 12 else -1
    d = host.domains.get(domid)
    if d is None:
        die(io, f"Can't get domain name of domain id '{arg}', maybe this domain does not "
                "exist.\n")
    io.print(f"{d.name}\n")
    return 0
