"""The exact commands xltop runs on a Dom0 to collect, in one place.

The pollers send these argv lists through a Runner; the simulated hosts answer the same
argv lists. Shell snippets (``sh -c``) are constants: no host- or user-supplied text is
ever put into them.
"""

from __future__ import annotations

from collections.abc import Sequence

NETBACK_DEBUGFS = "/sys/kernel/debug/xen-netback"
BLKBACK_SYSFS = "/sys/bus/xen-backend/devices"

XL_LIST = ("xl", "list", "-v")
XL_LIST_LONG = ("xl", "list", "-l")
XL_VCPU_LIST = ("xl", "vcpu-list")
XL_INFO = ("xl", "info")
XL_UPTIME = ("xl", "uptime")
XL_CPUPOOL_LIST = ("xl", "cpupool-list")
XL_DMESG = ("xl", "dmesg")

# A domain's logs in Dom0: xl's daemon for the domain (the run before its last create,
# then this run: xl rotates the file at create; NAME--incoming after a migration) and the
# device model's (HVM, qdisk).
XEN_LOG_DIR = "/var/log/xen"
DOMAIN_LOG_LINES = 60


def domain_log_paths(name: str) -> tuple[str, ...]:
    """A domain that arrived by ``xl migrate`` has its daemon's log under NAME--incoming
    (the one before it there too, when it had arrived so as well)."""
    return (f"{XEN_LOG_DIR}/xl-{name}.log.1", f"{XEN_LOG_DIR}/xl-{name}.log",
            f"{XEN_LOG_DIR}/xl-{name}--incoming.log.1", f"{XEN_LOG_DIR}/xl-{name}--incoming.log",
            f"{XEN_LOG_DIR}/qemu-dm-{name}.log")


def domain_logs(name: str, lines: int = DOMAIN_LOG_LINES) -> tuple[str, ...]:
    """The last ``lines`` lines of each; with several files tail heads each "==> path <=="."""
    return ("tail", "-n", str(lines), "--", *domain_log_paths(name))


XM_LIST = ("xm", "list")
XM_VCPU_LIST = ("xm", "vcpu-list")
XM_INFO = ("xm", "info")

# XenStore subtrees the ring/device view needs: backends in Dom0 and every domain's
# frontends, memory targets and names. One xenstore-ls of /local/domain covers all.
XENSTORE_DOMAINS = ("xenstore-ls", "-f", "/local/domain")

# Ring occupancy and block counters: one process (sh execs head) reading every
# netback io_ring file and blkback statistics file, with "==> path <==" headers.
_RING_GLOBS = f"{NETBACK_DEBUGFS}/*/io_ring_q* {BLKBACK_SYSFS}/vbd-*/statistics/*"
RING_FILES = ("sh", "-c", f"exec head -n 64 -- {_RING_GLOBS}")

# Mount debugfs if it is not mounted (only where the host's settings allow it).
MOUNT_DEBUGFS = (
    "sh",
    "-c",
    "grep -qs ' /sys/kernel/debug debugfs ' /proc/mounts || "
    "mount -t debugfs none /sys/kernel/debug",
)

# Dom0's own view over SSH: load average and per-interface kernel counters.
DOM0_PROC = ("cat", "/proc/loadavg", "/proc/net/dev")


# ends every sample of dom0_stream (a line no /proc file, ring file or head prints)
DOM0_SAMPLE_END = "==> xltop: end of sample <=="


def dom0_stream(interval_s: int, *, rings: bool = False, rings_every: int = 1) -> tuple[str, ...]:
    """DOM0_PROC every interval over one channel, and with ``rings`` the ring files as
    RING_FILES prints them in the first sample and every ``rings_every``-th after it,
    each sample ended by a DOM0_SAMPLE_END line.

    For Open vSwitch hosts (domains' net counters are Dom0's) and views that watch the rings
    every tick: one long-lived perl reading the files (no process per tick; perl-base is on
    every Debian), else a shell loop (cat, head, sleep per tick), instead of a round trip
    per tick. Ends (exit 1) when /proc cannot be read."""
    n = max(1, interval_s)
    k = max(1, rings_every)
    files = ", ".join(f'"{f}"' for f in DOM0_PROC[1:])
    ring_perl = ring_sh = count_perl = count_sh = ""
    if rings:
        ring_perl = (f'for my $f (glob("{_RING_GLOBS}")) {{ open(my $h, "<", $f) or next; '
                     'print "==> $f <==\\n"; my $n = 0; '
                     'while (<$h>) { chomp; print "$_\\n"; last if ++$n >= 64 } close $h } ')
        ring_sh = f"head -n 64 -- {_RING_GLOBS} 2>/dev/null; "
        if k > 1:
            ring_perl = f"if ($i++ % {k} == 0) {{ {ring_perl}}} "
            ring_sh = f"[ $((i % {k})) -eq 0 ] && {ring_sh}i=$((i + 1)); "
            count_perl, count_sh = "my $i = 0; ", "i=0; "
    perl = (f'$|=1; {count_perl}while (1) {{ for my $f ({files}) {{ '
            f'open(my $h, "<", $f) or exit 1; print <$h>; close $h }} '
            f'{ring_perl}print "{DOM0_SAMPLE_END}\\n"; sleep {n} }}')
    return ("sh", "-c",
            f"command -v perl >/dev/null 2>&1 && exec perl -e '{perl}'; "
            f"{count_sh}while {' '.join(DOM0_PROC)}; do {ring_sh}echo \"{DOM0_SAMPLE_END}\"; "
            f"sleep {n}; done; exit 1")


def xentop_stream(interval_s: int, *, full_names: bool = True) -> tuple[str, ...]:
    """A long-running xentop batch stream: one 19-column line per domain per interval.

    Without ``-v -n -x``: per-vif and per-vbd detail comes from /proc/net/dev and blkback
    statistics at their own cadence, so the per-tick stream stays small. ``-f`` prints full
    names (xentop older than 4.2 lacks it; the poller then retries without).
    """
    argv = ["xentop", "-b", "-d", str(max(1, interval_s))]
    if full_names:
        argv.append("-f")
    return tuple(argv)


def xentop_once() -> tuple[str, ...]:
    """Two iterations one second apart: the second has real CPU(%) values."""
    return ("xentop", "-b", "-i", "2", "-d", "1", "-f", "-v", "-n", "-x")


_FIXED_ARGVS = {"xenstore": XENSTORE_DOMAINS, "rings": RING_FILES, "configs": XL_LIST_LONG,
                "mount": MOUNT_DEBUGFS}


def family_argvs(families: Sequence[str], *, xm: bool = False,
                 local_dom0: bool = False) -> list[tuple[str, tuple[str, ...]]]:
    """(family, argv) for each metric family of one round trip, in order: ``xm``'s
    commands on an xm host, no Dom0 read where Dom0 is read locally (psutil).

    ``xl uptime`` goes last: its seconds are dated when the round trip ends, and every
    command after it (xenstore-ls takes ~1 s on a busy Dom0) would make them that late.
    """
    plan: list[tuple[str, tuple[str, ...]]] = []
    last: list[tuple[str, tuple[str, ...]]] = []
    for f in families:
        if f == "xl":
            plan.append(("xl", XM_LIST if xm else XL_LIST))
        elif f == "vcpus":
            plan.append(("vcpus", XM_VCPU_LIST if xm else XL_VCPU_LIST))
        elif f == "info":
            plan.append(("info", XM_INFO if xm else XL_INFO))
            if not xm:
                last.append(("uptime", XL_UPTIME))
        elif f == "dom0":
            if not local_dom0:
                plan.append(("dom0", DOM0_PROC))
        elif f == "xentop_once":
            plan.append(("xentop_once", xentop_once()))
        elif f in _FIXED_ARGVS:
            plan.append((f, _FIXED_ARGVS[f]))
    return plan + last

# Bridges on the host (for network-attach): Linux bridges as /sys/class/net/<br> lines,
# then Open vSwitch bridges (bare names) where ovs-vsctl exists.
LIST_BRIDGES = (
    "sh",
    "-c",
    'for d in /sys/class/net/*/bridge; do [ -d "$d" ] && echo "${d%/bridge}"; done; '
    "command -v ovs-vsctl >/dev/null 2>&1 && ovs-vsctl list-br; exit 0",
)

# Domain config files a user may `xl create` (one path per line).
LIST_XEN_CONFIGS = (
    "sh",
    "-c",
    'for f in /etc/xen/*.cfg /etc/xen/auto/*.cfg; do [ -f "$f" ] && echo "$f"; done; exit 0',
)

# Checkpoint files a user may `xl restore` (one path per line).
SAVE_DIR = "/var/lib/xen/save"
SAVE_DIR_FALLBACKS = ("/var/lib/xen", "/root")  # (*.chk there)
SAVE_DIRS = (SAVE_DIR, *SAVE_DIR_FALLBACKS)  # where xltop proposes and looks for checkpoints
LIST_SAVE_FILES = (
    "sh",
    "-c",
    f"for f in {SAVE_DIR}/* {' '.join(d + '/*.chk' for d in SAVE_DIR_FALLBACKS)}; do "
    '[ -f "$f" ] && echo "$f"; done; exit 0',
)


def sched_params(verb: str, domain: str) -> tuple[str, ...]:
    """``xl sched-credit[2] -d DOMAIN``: the domain's weight and cap now."""
    return ("xl", verb, "-d", domain)


def path_exists(path: str) -> tuple[str, ...]:
    """``test -e PATH``: exit 0 when the path exists."""
    return ("test", "-e", path)


def path_is_file(path: str) -> tuple[str, ...]:
    """``test -f PATH``: exit 0 when the path is a regular file."""
    return ("test", "-f", path)


def file_head_hex(path: str, count: int) -> tuple[str, ...]:
    """The first ``count`` bytes of a file as ``od`` hex pairs (every byte survives the
    runners' UTF-8 decoding; ``-v`` prints repeated lines instead of a ``*``)."""
    return ("od", "-An", "-v", "-tx1", "-N", str(count), "--", path)


def xenstore_list(path: str) -> tuple[str, ...]:
    return ("xenstore-list", path)


def xenstore_ls(path: str) -> tuple[str, ...]:
    return ("xenstore-ls", "-f", path)


def xenstore_read(*paths: str) -> tuple[str, ...]:
    """``xenstore-read P...``: one escaped value per line, stops at the first unreadable."""
    return ("xenstore-read", *paths)


def xenstore_list_prefixed(*paths: str) -> tuple[str, ...]:
    """``xenstore-list -p P...``: every child of every path as ``P/child``."""
    return ("xenstore-list", "-p", *paths)


def xl_list_long(domid: int) -> tuple[str, ...]:
    """``xl list -l DOMID``: one domain's stored config as JSON (on demand)."""
    return (*XL_LIST_LONG, str(int(domid)))


XL_CPUPOOL_LIST_CPUS = ("xl", "cpupool-list", "-c")


def xenstore_watch(*paths: str) -> tuple[str, ...]:
    return ("xenstore-watch", *paths)


XENSTORE_WATCH = xenstore_watch("/local/domain", "@introduceDomain", "@releaseDomain")

# Prefix for long actions (xl save/restore) run as a stream: xl's stderr, where its
# progress lines go, is merged into stdout so it arrives line by line. "$@" is the argv.
MERGE_STDERR = ("sh", "-c", 'exec "$@" 2>&1', "sh")
